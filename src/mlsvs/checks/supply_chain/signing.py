"""Model signing checks (M4.3.2): models are covered by a signature, and signatures verify."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.supply_chain._paths import relative
from mlsvs.plugin import (
    Capability,
    ModelArtifact,
    Severity,
    SignatureFile,
    check,
    errored,
    failed,
    passed,
)
from mlsvs.supply.errors import SignatureError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Facts, Outcome


def _covers(signed: PurePosixPath, resources: tuple[str, ...], single: bool, model: str) -> bool:
    target = PurePosixPath(model)
    if single:
        return target == signed
    if target == signed:
        return True
    if signed not in target.parents and str(signed) != ".":
        return False
    inner = target.relative_to(signed) if str(signed) != "." else target
    names = set(resources)
    return inner.as_posix() in names or any(n.startswith(inner.as_posix() + "/") for n in names)


@check(
    id="MLC410",
    title="Every model is covered by an OpenSSF model-signing signature",
    requirements=["M4.3.2"],
    applies_to=ModelArtifact,
    severity=Severity.MEDIUM,
    remediation="Sign the model directory: 'mlsvs sign MODEL_DIR --key signing-key.pem'.",
)
def model_is_signed(ctx: CheckContext, model: ModelArtifact) -> Iterator[Outcome]:
    """Look for a model-signing bundle whose manifest lists this model (validity: MLC411)."""
    from mlsvs.supply.signing import read_bundle, signed_path

    root = ctx.project.root
    unreadable: list[str] = []
    for sig in ctx.project.of_type(SignatureFile):
        try:
            info = read_bundle(sig.absolute)
            target = signed_path(sig.absolute, info)
        except SignatureError:
            unreadable.append(sig.path)
            continue
        if not target.is_relative_to(root):
            continue
        signed = PurePosixPath(target.relative_to(root).as_posix())
        if _covers(signed, info.resources, info.single_file, model.path):
            yield passed(
                f"listed in the signature {sig.path}",
                facts=(
                    ("method", info.method.value),
                    ("signature", sig.path),
                    ("signed", str(signed)),
                ),
            )
            return
    note = (
        f" ({len(unreadable)} unreadable signature file(s): {', '.join(unreadable)})"
        if unreadable
        else ""
    )
    yield failed(f"no model-signing signature covers this model{note}")


@check(
    id="MLC411",
    title="Model signatures verify and cover every file (no extra, missing or modified file)",
    requirements=["M4.3.2"],
    applies_to=SignatureFile,
    severity=Severity.HIGH,
    requires=["model_signing", "OpenSSL"],  # model-signing 1.1 imports pyopenssl undeclared
    remediation="Configure the verifying key in [tool.mlsvs.signing] (public_key, "
    "certificate_chain, or identity + issuer + trust_config) and re-sign changed models.",
)
def signature_verifies(ctx: CheckContext, signature: SignatureFile) -> Iterator[Outcome]:
    """Verify with model-signing against the configured key; no key configured is an error."""
    from mlsvs.supply.signing import TrustConfig, read_bundle, signed_path, verify_model

    root = ctx.project.root
    try:
        trust = TrustConfig.from_section(ctx.section("signing"), root=root)
        info = read_bundle(signature.absolute)
    except SignatureError as exc:
        yield errored(relative(exc.diagnostics(), root))
        return
    facts: Facts = (
        ("method", info.method.value),
        ("root_digest", info.root_digest),
        ("subject", info.subject),
    )
    if trust is None:
        yield errored(
            "no verification key configured: set public_key, certificate_chain or "
            "identity + issuer in [tool.mlsvs.signing]; the signature was not verified",
            facts=facts,
        )
        return
    try:
        model = signed_path(signature.absolute, info)
        if not model.resolve().is_relative_to(root.resolve()):
            yield errored(
                f"the signed model {info.subject!r} lies outside the project", facts=facts
            )
            return
        result = verify_model(
            model, signature.absolute, trust, allow_network=ctx.granted(Capability.NETWORK)
        )
    except SignatureError as exc:
        yield errored(relative(exc.diagnostics(), root), facts=facts)
        return
    except OSError as exc:
        yield errored(relative(f"cannot read the signed model: {exc}", root), facts=facts)
        return
    where = model.relative_to(root).as_posix()
    facts = tuple(
        sorted(
            (
                *facts,
                ("files", str(len(info.resources))),
                ("model", where),
                ("trust", trust.method.value),
            )
        )
    )
    if result.ok:
        yield passed(
            f"valid {trust.method.value} signature over {len(info.resources)} file(s) of {where}",
            facts=facts,
        )
    else:
        yield failed(
            f"signature of {where} does not verify: {'; '.join(result.reasons)}", facts=facts
        )
