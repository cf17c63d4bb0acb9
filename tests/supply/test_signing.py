from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("model_signing")

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mlsvs.checks.supply_chain.integrity import models_and_datasets_are_hashed
from mlsvs.checks.supply_chain.signing import model_is_signed, signature_verifies
from mlsvs.cli.main import main
from mlsvs.plugin import CheckContext, ModelArtifact, Project, SignatureFile, Status
from mlsvs.supply.signing import Method, TrustConfig, read_bundle, sign_model, verify_model


def _keys(folder: Path, name: str = "model") -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture
def signed(project: Project, tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    """The tiny project with models/tiny signed; returns the project and the public key."""
    keys = tmp_path_factory.mktemp("keys")
    private, public = _keys(keys)
    model_dir = project.root / "models" / "tiny"
    info = sign_model(model_dir, model_dir / "model.sig", private_key=private)
    assert info.resources == ("README.md", "config.json", "model.safetensors")
    sig = SignatureFile(
        root=project.root, path="models/tiny/model.sig", size=1, signature="sigstore_bundle"
    )
    return replace(project, artifacts=(*project.artifacts, sig)), public


def _ctx(project: Project, section: dict[str, object] | None = None) -> CheckContext:
    settings = {"signing": section} if section is not None else {}
    return CheckContext(project=project, today=dt.date(2026, 11, 25), settings=settings)


def _model(project: Project) -> ModelArtifact:
    return project.of_type(ModelArtifact)[0]


def _sig(project: Project) -> SignatureFile:
    return project.of_type(SignatureFile)[0]


def test_sign_and_verify_directory(signed: tuple[Project, Path]) -> None:
    project, public = signed
    model_dir = project.root / "models" / "tiny"
    trust = TrustConfig(method=Method.KEY, public_key=public)
    assert verify_model(model_dir, model_dir / "model.sig", trust).ok
    assert read_bundle(model_dir / "model.sig").method is Method.KEY


def test_tamper_and_extra_file_fail_with_clear_reasons(signed: tuple[Project, Path]) -> None:
    project, public = signed
    model_dir = project.root / "models" / "tiny"
    (model_dir / "config.json").write_text('{"model_type": "evil"}')
    (model_dir / "extra.py").write_text("print('hi')\n")
    (model_dir / "README.md").unlink()
    result = verify_model(
        model_dir, model_dir / "model.sig", TrustConfig(method=Method.KEY, public_key=public)
    )
    assert not result.ok
    assert "modified file: config.json" in result.reasons
    assert "extra files: extra.py" in result.reasons
    assert "missing files: README.md" in result.reasons
    [outcome] = signature_verifies.run(_ctx(project, {"public_key": str(public)}), _sig(project))
    assert outcome.status is Status.FAIL and "modified file: config.json" in outcome.message


def test_wrong_key_fails(signed: tuple[Project, Path], tmp_path: Path) -> None:
    project, _ = signed
    _, other = _keys(tmp_path, "other")
    [outcome] = signature_verifies.run(_ctx(project, {"public_key": str(other)}), _sig(project))
    assert outcome.status is Status.FAIL


def test_checks_pass_on_signed_model(signed: tuple[Project, Path]) -> None:
    project, public = signed
    [covered] = model_is_signed.run(_ctx(project), _model(project))
    assert covered.status is Status.PASS and ("signature", "models/tiny/model.sig") in covered.facts
    [valid] = signature_verifies.run(_ctx(project, {"public_key": str(public)}), _sig(project))
    assert valid.status is Status.PASS and ("files", "3") in valid.facts
    hashed = models_and_datasets_are_hashed.run(_ctx(project), project)
    assert "data/reviews.csv" in hashed[0].message  # the model is covered by the signature


def test_no_key_configured_is_an_error_never_a_pass(signed: tuple[Project, Path]) -> None:
    project, _ = signed
    [outcome] = signature_verifies.run(_ctx(project), _sig(project))
    assert outcome.status is Status.ERROR and "no verification key" in outcome.message
    [bad] = signature_verifies.run(_ctx(project, {"public_key": "missing.pub"}), _sig(project))
    assert bad.status is Status.ERROR and "not found" in bad.message
    [half] = signature_verifies.run(_ctx(project, {"identity": "a@b"}), _sig(project))
    assert half.status is Status.ERROR
    sigstore = {"identity": "a@b", "issuer": "https://accounts.example"}
    [offline] = signature_verifies.run(_ctx(project, sigstore), _sig(project))
    assert offline.status is Status.ERROR and "pinned trust_config" in offline.message


def test_unsigned_model_and_garbage_signature(project: Project) -> None:
    (project.root / "models" / "tiny" / "model.sig").write_text("not a bundle")
    sig = SignatureFile(root=project.root, path="models/tiny/model.sig", size=12, signature="x")
    broken = replace(project, artifacts=(*project.artifacts, sig))
    [outcome] = model_is_signed.run(_ctx(broken), _model(broken))
    assert outcome.status is Status.FAIL and "unreadable signature" in outcome.message
    [verdict] = signature_verifies.run(_ctx(broken, {"public_key": "k.pub"}), sig)
    assert verdict.status is Status.ERROR and "model-signing bundle" in verdict.message


def test_cli_sign_and_verify_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    private, public = _keys(tmp_path)
    model = tmp_path / "m"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"\x00" * 1024)
    assert main(["sign", str(model), "--key", str(private)]) == 0
    assert (model / "model.sig").is_file()
    assert main(["verify-signature", str(model), "--public-key", str(public)]) == 0
    (model / "weights.bin").write_bytes(b"\x01" * 1024)
    assert main(["verify-signature", str(model), "--public-key", str(public)]) == 1
    assert "modified file: weights.bin" in capsys.readouterr().out
    assert main(["verify-signature", str(model), "--public-key", str(tmp_path / "nope.pub")]) == 2
    assert main(["sign", str(tmp_path / "missing"), "--key", str(private)]) == 2
    single = tmp_path / "w.bin"
    single.write_bytes(b"w")
    capsys.readouterr()
    assert main(["sign", str(single), "--key", str(private), "--hash", "blake3"]) == 0
    assert "warning: --hash blake3" in capsys.readouterr().err
    assert main(["verify-signature", str(single), "--public-key", str(public)]) == 0
    assert main(["sign", str(model), "--key", str(private)]) == 0  # sha256: no warning
    err = capsys.readouterr().err
    assert "warning" not in err
    assert "Traceback" not in err


def _certificates(folder: Path, ca_name: str = "ca") -> tuple[Path, Path, Path]:
    """A throw-away CA and a code-signing leaf certificate (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def usage(*, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
            encipher_only=False, decipher_only=False,
        )  # fmt: skip

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(name(ca_name)).issuer_name(name(ca_name))
        .public_key(ca_key.public_key()).serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(ca=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(name("signer")).issuer_name(name(ca_name))
        .public_key(key.public_key()).serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = (
        folder / f"{ca_name}.pem",
        folder / f"{ca_name}-leaf.pem",
        folder / f"{ca_name}-key.pem",
    )
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def test_certificate_method(project: Project, tmp_path: Path) -> None:
    ca, leaf, key = _certificates(tmp_path)
    other_ca, _, _ = _certificates(tmp_path, "other")
    model_dir = project.root / "models" / "tiny"
    info = sign_model(
        model_dir, model_dir / "model.sig", private_key=key, signing_certificate=leaf,
        certificate_chain=(ca,),
    )  # fmt: skip
    assert info.method is Method.CERTIFICATE
    sig = SignatureFile(root=project.root, path="models/tiny/model.sig", size=1, signature="x")
    signed = replace(project, artifacts=(*project.artifacts, sig))
    [ok] = signature_verifies.run(_ctx(signed, {"certificate_chain": [str(ca)]}), sig)
    assert ok.status is Status.PASS and ("trust", "certificate") in ok.facts
    [bad] = signature_verifies.run(_ctx(signed, {"certificate_chain": str(other_ca)}), sig)
    assert bad.status is Status.FAIL
