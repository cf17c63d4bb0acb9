"""Sign and verify models with OpenSSF model-signing (OMS); never re-implements DSSE/Sigstore.

Key and certificate methods are fully offline. Sigstore bundles are verified offline only with
a pinned ``trust_config`` (a ClientTrustConfig JSON); without one the library would refresh
TUF metadata over the network, which needs an explicit grant.
"""

from __future__ import annotations

import base64
import enum
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.supply.errors import SignatureError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from model_signing import hashing

_MAX_BUNDLE = 16 * 1024 * 1024
PREDICATES = ("https://model_signing/signature/v1.0", "https://model_signing/Digests/v0.1")


@enum.unique
class Method(enum.StrEnum):
    """How the verifying identity is established."""

    KEY = "key"
    CERTIFICATE = "certificate"
    SIGSTORE = "sigstore"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustConfig:
    """Where the verifying key comes from (``[tool.mlsvs.signing]``)."""

    method: Method
    public_key: Path | None = None
    certificate_chain: tuple[Path, ...] = ()
    identity: str = ""
    issuer: str = ""
    trust_config: Path | None = None

    @classmethod
    def from_section(cls, section: Mapping[str, object], *, root: Path) -> TrustConfig | None:
        """Parse the config section; None when no key is configured. Relative paths use ``root``."""

        def path(key: str) -> Path | None:
            value = section.get(key)
            if value is None:
                return None
            if not isinstance(value, str) or not value:
                raise SignatureError(f"[signing] {key} must be a path string")
            return root / value

        chain = section.get("certificate_chain", [])
        chain_items = [chain] if isinstance(chain, str) else chain
        if not isinstance(chain_items, list) or not all(isinstance(c, str) for c in chain_items):
            raise SignatureError("[signing] certificate_chain must be a path or a list of paths")
        identity, issuer = section.get("identity", ""), section.get("issuer", "")
        if not isinstance(identity, str) or not isinstance(issuer, str):
            raise SignatureError("[signing] identity and issuer must be strings")
        if (public_key := path("public_key")) is not None:
            return cls(method=Method.KEY, public_key=public_key)
        if chain_items:
            return cls(
                method=Method.CERTIFICATE,
                certificate_chain=tuple(root / str(c) for c in chain_items),
            )
        if identity or issuer:
            if not (identity and issuer):
                raise SignatureError(
                    "[signing] sigstore verification needs both identity and issuer"
                )
            return cls(
                method=Method.SIGSTORE,
                identity=identity,
                issuer=issuer,
                trust_config=path("trust_config"),
            )
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleInfo:
    """What a signature file claims, read as JSON without verifying anything."""

    subject: str
    root_digest: str
    resources: tuple[str, ...]
    hash_type: str
    method: Method

    @property
    def single_file(self) -> bool:
        """The signature covers one file (model-signing names its only resource ``.``)."""
        return self.resources == (".",)


def read_bundle(path: Path) -> BundleInfo:
    """Parse a model-signing bundle. ``SignatureError`` when it is not one."""
    try:
        if path.stat().st_size > _MAX_BUNDLE:
            raise SignatureError("signature file larger than 16 MiB", path=str(path))
        bundle = json.loads(path.read_text(encoding="utf-8"))
        material = bundle["verificationMaterial"]
        statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"], validate=True))
        subject = statement["subject"][0]
        predicate = statement["predicate"]
        if statement.get("predicateType") not in PREDICATES:
            raise SignatureError(
                f"unknown predicate type {statement.get('predicateType')!r}", path=str(path)
            )
        resources = tuple(sorted(str(r["name"]) for r in predicate["resources"]))
        serialization = predicate.get("serialization", {})
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise SignatureError(f"not an OpenSSF model-signing bundle: {exc}", path=str(path)) from exc
    if "publicKey" in material:
        method = Method.KEY
    elif "x509CertificateChain" in material:
        method = Method.CERTIFICATE
    else:
        method = Method.SIGSTORE
    return BundleInfo(
        subject=str(subject.get("name", "")),
        root_digest=str(subject.get("digest", {}).get("sha256", "")),
        resources=resources,
        hash_type=str(serialization.get("hash_type", "")),
        method=method,
    )


def signed_path(signature: Path, info: BundleInfo) -> Path:
    """The file or directory a signature covers, found next to the signature file."""
    folder = signature.parent
    if info.single_file:
        candidates = [folder / info.subject]
    else:
        candidates = [folder, folder / info.subject, folder.parent / info.subject]
    for candidate in candidates:
        if info.single_file and candidate.is_file():
            return candidate
        if (
            not info.single_file
            and candidate.is_dir()
            and any((candidate / r).exists() for r in info.resources)
        ):
            return candidate
    raise SignatureError(
        f"cannot find the signed model {info.subject!r} next to the signature", path=str(signature)
    )


def _hashing_config(signature: Path, model: Path, algorithm: str) -> hashing.Config:
    from model_signing import hashing

    ignored = (
        [signature.relative_to(model)] if model.is_dir() and signature.is_relative_to(model) else []
    )
    return (
        hashing.Config()  # type: ignore[no-untyped-call]
        .use_file_serialization(hashing_algorithm=algorithm)  # type: ignore[arg-type]
        .set_ignored_paths(paths=ignored, ignore_git_paths=True)
    )


def sign_model(
    model: Path,
    signature: Path,
    *,
    private_key: Path,
    password: str | None = None,
    signing_certificate: Path | None = None,
    certificate_chain: tuple[Path, ...] = (),
    algorithm: str = "sha256",
) -> BundleInfo:
    """Sign a model file or directory (the signature file itself is excluded)."""
    _require()
    from model_signing import signing

    if not model.exists():
        raise SignatureError("model not found", path=str(model))
    if algorithm not in {"sha256", "blake3"}:  # blake2: model-signing 1.1.1 cannot verify it
        raise SignatureError(f"unsupported hash algorithm {algorithm!r} (sha256 or blake3)")
    config = signing.Config()  # type: ignore[no-untyped-call]
    try:
        if signing_certificate is not None:
            config.use_certificate_signer(
                private_key=private_key,
                signing_certificate=signing_certificate,
                certificate_chain=certificate_chain,
            )
        else:
            config.use_elliptic_key_signer(private_key=private_key, password=password)
        config.set_hashing_config(
            _hashing_config(signature.absolute(), model.absolute(), algorithm)
        )
        config.sign(model, signature)
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(f"signing failed: {_first_line(exc)}", path=str(model)) from exc
    return read_bundle(signature)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureVerification:
    """Outcome of verifying one signature."""

    ok: bool
    reasons: tuple[str, ...]
    """Why it failed, one clear line each (modified, extra or missing files, wrong key ...)."""
    info: BundleInfo
    model: Path


def verify_model(
    model: Path, signature: Path, trust: TrustConfig, *, allow_network: bool = False
) -> SignatureVerification:
    """Verify signature and every file. Invalid signatures return ``ok=False``; unusable
    configuration or files raise ``SignatureError``."""
    _require()
    from model_signing import verifying

    info = read_bundle(signature)
    config = verifying.Config()  # type: ignore[no-untyped-call]
    match trust.method:
        case Method.KEY:
            config.use_elliptic_key_verifier(public_key=_existing(trust.public_key))
        case Method.CERTIFICATE:
            config.use_certificate_verifier(
                certificate_chain=[_existing(c) for c in trust.certificate_chain]
            )
        case Method.SIGSTORE:
            if trust.trust_config is None and not allow_network:
                raise SignatureError("sigstore verification offline needs a pinned trust_config")
            config.use_sigstore_verifier(
                identity=trust.identity, oidc_issuer=trust.issuer, trust_config=trust.trust_config
            )
    try:
        config.verify(model, signature)
    except ValueError as exc:  # manifest mismatch, key mismatch, bad bundle
        return SignatureVerification(ok=False, reasons=_reasons(str(exc)), info=info, model=model)
    except _rejections() as exc:
        reason = f"signature rejected: {_first_line(exc)}"
        return SignatureVerification(ok=False, reasons=(reason,), info=info, model=model)
    return SignatureVerification(ok=True, reasons=(), info=info, model=model)


def _rejections() -> tuple[type[BaseException], ...]:
    """Exception types the verifiers raise for an untrusted or invalid signature."""
    from cryptography.exceptions import InvalidSignature
    from OpenSSL.crypto import Error as OpenSSLError
    from OpenSSL.crypto import X509StoreContextError
    from sigstore.errors import Error as SigstoreError

    return (InvalidSignature, OpenSSLError, X509StoreContextError, SigstoreError)


def _require() -> None:
    """A one-line error instead of a traceback when the optional library is missing."""
    import importlib.util

    for module in ("model_signing", "OpenSSL"):
        if importlib.util.find_spec(module) is None:
            raise SignatureError(
                f"{module} is not installed: pip install 'mlsvs[signing]' pyopenssl"
            )


def _existing(path: Path | None) -> Path:
    if path is None or not path.is_file():
        raise SignatureError("verification key or certificate not found", path=str(path))
    return path


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _reasons(message: str) -> tuple[str, ...]:
    """Rewrite model-signing's manifest diff into short lines."""
    reasons = [
        f"modified file: {name}" for name in re.findall(r"Hash mismatch for '([^']+)'", message)
    ]
    patterns = (
        ("extra files", r"Extra files found in model '[^']*': ([^\"\]]+)"),
        ("missing files", r"Missing files in model '[^']*': ([^\"\]]+)"),
    )
    for label, pattern in patterns:
        reasons.extend(f"{label}: {m.strip()}" for m in re.findall(pattern, message))
    return tuple(reasons) or (
        message.strip().splitlines()[0] if message.strip() else "verification failed",
    )
