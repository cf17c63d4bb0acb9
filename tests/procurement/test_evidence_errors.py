"""`mlsvs evidence` on bad input: one line, exit 2, never a traceback (no example run needed)."""

from __future__ import annotations

import datetime as dt
import os
import zipfile

import pytest

from mlsvs.catalog import load_standard
from mlsvs.cli.main import main
from mlsvs.model.catalog import Level
from mlsvs.procurement.annex import build_annex
from mlsvs.procurement.annex_json import annex_to_json
from mlsvs.procurement.questionnaire import decide_scope


@pytest.fixture
def annex(tmp_path):
    standard = load_standard("1.1.0")
    path = tmp_path / "annex.json"
    built = build_annex(
        standard, Level.L1, decide_scope(standard, {}), {}, issued=dt.date(2026, 12, 2)
    )
    path.write_text(annex_to_json(built), encoding="utf-8")
    return path


def _one_line_error(capsys, needle: str) -> None:
    err = capsys.readouterr().err
    assert err.startswith("mlsvs: error: "), err
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def _verify(package, annex, key, delivered) -> int:
    argv = ["evidence", "verify", str(package), "--annex", str(annex), "--key", str(key)]
    return main([*argv, "--delivered", str(delivered)])


def test_unreadable_inputs_are_usage_errors(tmp_path, annex, supplier_key, capsys) -> None:
    delivered = tmp_path / "delivered"
    delivered.mkdir()
    package = tmp_path / "package.zip"
    package.write_bytes(b"not a zip at all")
    assert _verify(package, tmp_path / "none.json", supplier_key.public, delivered) == 2
    _one_line_error(capsys, "annex file not found")
    assert _verify(package, annex, supplier_key.private, delivered) == 2
    _one_line_error(capsys, "not a PEM public key")
    assert _verify(package, annex, supplier_key.public, delivered) == 2
    _one_line_error(capsys, "not a readable package ZIP")
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("blobs/sha256/" + "0" * 64, b"x")
    assert _verify(package, annex, supplier_key.public, delivered) == 2
    _one_line_error(capsys, "not an evidence package: no envelope.dsse.json")
    assert _verify(package, annex, supplier_key.public, tmp_path / "missing") == 2
    _one_line_error(capsys, "is not a directory")
    results = tmp_path / "results.json"
    results.write_text('{"schema_version": "1.1"}', encoding="utf-8")
    pack = ["evidence", "pack", "--results", str(results), "--project", str(tmp_path)]
    assert main([*pack, "--key", str(supplier_key.private), "-o", str(tmp_path / "o.zip")]) == 2
    _one_line_error(capsys, "invalid results file")


def test_a_symlink_in_a_directory_package_is_refused(tmp_path, annex, supplier_key, capsys):
    package = tmp_path / "package"
    (package / "blobs" / "sha256").mkdir(parents=True)
    (package / "envelope.dsse.json").write_text("{}", encoding="utf-8")
    os.symlink("/etc/hostname", package / "blobs" / "sha256" / ("1" * 64))
    delivered = tmp_path / "delivered"
    delivered.mkdir()
    assert _verify(package, annex, supplier_key.public, delivered) == 2
    _one_line_error(capsys, "is a symbolic link")


def test_malformed_envelope_is_rejected_not_crashed(tmp_path, annex, supplier_key, capsys):
    package = tmp_path / "package.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("envelope.dsse.json", '{"payload": 1}')
    delivered = tmp_path / "delivered"
    delivered.mkdir()
    report = tmp_path / "report.md"
    argv = ["evidence", "verify", str(package), "--annex", str(annex), "--key"]
    argv += [str(supplier_key.public), "--delivered", str(delivered), "-f", f"markdown:{report}"]
    assert main(argv) == 1
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Acceptance report: NOT ACCEPTED")
    assert "| signature | FAILED | the DSSE envelope is malformed" in text


def test_an_encrypted_key_needs_its_password(tmp_path, capsys, monkeypatch) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = tmp_path / "enc.pem"
    key.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"correct horse"),
        )
    )
    from mlsvs.errors import MlsvsError
    from mlsvs.procurement.keys import load_signer

    monkeypatch.delenv("MLSVS_KEY_PASSWORD", raising=False)
    with pytest.raises(MlsvsError, match="the private key is encrypted: set MLSVS_KEY_PASSWORD"):
        load_signer(key)
    monkeypatch.setenv("MLSVS_KEY_PASSWORD", "correct horse")
    assert load_signer(key).public_key.keytype == "ed25519"
