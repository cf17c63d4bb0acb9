"""End to end over examples/hardened-classifier: the buyer writes the annex, the supplier runs
`mlsvs verify` and packs, the buyer verifies against the delivered files; real keys throughout.

One honest package is accepted; each way of cheating is rejected with its precise reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from mlsvs.cli.main import main

pytestmark = [pytest.mark.slow, pytest.mark.network]

ANSWERS = """\
buyer: Example Bank plc
supplier: Credit Models Ltd
contract: EB-2026-117
system: credit-default classifier (models/classifier.onnx)
level: {level}
scope:
  exposes_api: yes
  trains_models: yes
  personal_data: no
  third_party_models: no
  hosted_model_api: no
  llm: no
  on_device: no
  online_learning: no
  federated_learning: no
  physical_inputs: no
  returns_scores: no
terms:
  validity_days: 730
"""
DELIVERED = ("models/classifier.onnx", "data/train.csv", "data/test.csv")
EVIDENCE = "docs/reviews/M1.2.1-model-card-review.md"


def _annex(tmp: Path, version: str, level: str = "L1", extra: str = "", name: str = "") -> Path:
    """The buyer's annex for the example's scope, for the standard ``version`` it verifies."""
    answers = tmp / f"answers-{level}{name}.yaml"
    answers.write_text(ANSWERS.format(level=level) + extra, encoding="utf-8")
    annex = tmp / f"annex-{level}{name}.json"
    argv = ["procurement", "--answers", str(answers), "--standard-version", version]
    assert main([*argv, "-f", f"json:{annex}"]) == 0
    return annex


def _version(hardened) -> str:
    return hardened.data["standard"]["version"]


def _deliver(project: Path, tmp: Path) -> Path:
    delivered = tmp / "delivered"
    for rel in DELIVERED:
        (delivered / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project / rel, delivered / rel)
    return delivered


def _pack(results: Path, project: Path, key: Path, out: Path) -> Path:
    argv = ["evidence", "pack", "--results", str(results), "--project", str(project)]
    assert main([*argv, "--key", str(key), "-o", str(out)]) == 0
    return out


def _verify(package, annex, delivered, key, tmp, *, today=None) -> tuple[int, dict]:
    tag = hashlib.sha256(f"{package}{annex}{delivered}{key}{today}".encode()).hexdigest()[:12]
    report = tmp / f"report-{tag}.json"
    argv = ["evidence", "verify", str(package), "--annex", str(annex)]
    argv += ["--delivered", str(delivered), "--key", str(key), "-f", f"json:{report}"]
    if today is not None:
        argv += ["--today", today.isoformat()]
    code = main(argv)
    return code, json.loads(report.read_text("utf-8"))


def _replace_member(package: Path, out: Path, name: str, edit) -> Path:
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, edit(data) if info.filename == name else data)
    return out


def _blob(digest: str) -> str:
    return f"blobs/sha256/{digest}"


def _check(report: dict, name: str) -> dict:
    return next(c for c in report["package_checks"] if c["name"] == name)


def _decision(report: dict, requirement: str) -> dict:
    return next(r for r in report["requirements"] if r["requirement"] == requirement)


@pytest.fixture(scope="module")
def setup(hardened, supplier_key, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("procurement")
    annex = _annex(tmp, _version(hardened))
    package = _pack(hardened.results, hardened.project, supplier_key.private, tmp / "pkg.zip")
    return tmp, annex, package, _deliver(hardened.project, tmp)


def test_honest_package_is_accepted_with_reports(setup, hardened, supplier_key) -> None:
    tmp, annex, package, delivered = setup
    code, report = _verify(package, annex, delivered, supplier_key.public, tmp)
    assert code == 0, [r for r in report["requirements"] if r["decision"] != "accepted"]
    assert report["accepted"] is True
    assert all(c["ok"] for c in report["package_checks"]), report["package_checks"]
    assert report["counts"] == {
        "accepted": len(report["requirements"]),
        "rejected": 0,
        "missing": 0,
    }
    assert _decision(report, "M8.1.1")["evidence"][0].startswith("automated result of MLC5")
    attested = _decision(report, "M1.2.1")
    assert attested["evidence"][0] == "automated result of MLC701"
    assert "attestation attestations/M1.2.1.yaml backed by README.md" in attested["evidence"][1]
    assert attested["verifier"].startswith("Credit-risk ML lead")
    out = tmp / "reports"
    argv = ["evidence", "verify", str(package), "--annex", str(annex), "--delivered"]
    argv += [str(delivered), "--key", str(supplier_key.public)]
    for fmt in ("markdown", "html", "response-csv", "response-json"):
        argv += ["-f", f"{fmt}:{out / fmt}"]
    assert main(argv) == 0
    assert (out / "markdown").read_text().startswith("# Acceptance report: ACCEPTED")
    assert "<!DOCTYPE html>" in (out / "html").read_text()
    rows = {r["requirement_id"]: r for r in csv.DictReader((out / "response-csv").open())}
    robustness = rows["M6.2.1"]
    assert "blackbox_robust_accuracy_ratio=" in robustness["measured_value"]
    assert robustness["threshold"] == "blackbox_robust_accuracy_ratio=0.5"
    assert (robustness["tool"], robustness["tool_version"]) == (
        "mlsvs",
        hardened.data["tool"]["version"],
    )
    assert robustness["verifier"] == "automated" and robustness["test_date"]
    assert rows["M1.2.1"]["verifier"].startswith("Credit-risk ML lead")
    assert rows["M8.1.1"]["accepted_checks"] == " ".join(
        _decision(report, "M8.1.1")["named_checks"]
    )
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
    assert names[0] == "envelope.dsse.json"
    assert all(n.startswith("blobs/sha256/") for n in names[1:])


def test_an_unpacked_directory_package_is_read_the_same(setup, supplier_key, tmp_path) -> None:
    _, annex, package, delivered = setup
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(package) as archive:
        for name in archive.namelist():
            (unpacked / name).parent.mkdir(parents=True, exist_ok=True)
            (unpacked / name).write_bytes(archive.read(name))
    code, report = _verify(unpacked, annex, delivered, supplier_key.public, tmp_path)
    assert code == 0 and report["accepted"] is True
    (unpacked / "notes.txt").write_text("added after signing\n", encoding="utf-8")
    code, report = _verify(unpacked, annex, delivered, supplier_key.public, tmp_path)
    assert code == 1
    assert _check(report, "layout")["detail"] == "unexpected package members: notes.txt"


def test_swapped_model_file_is_rejected(setup, supplier_key) -> None:
    tmp, annex, package, delivered = setup
    swapped = tmp / "swapped"
    shutil.copytree(delivered, swapped)
    model = swapped / "models" / "classifier.onnx"
    model.write_bytes(model.read_bytes()[:-1] + b"\x00")
    code, report = _verify(package, annex, swapped, supplier_key.public, tmp)
    assert code == 1 and report["accepted"] is False
    subjects = _check(report, "subjects")
    assert not subjects["ok"]
    assert "delivered models/classifier.onnx does not match the signed digest" in subjects["detail"]
    (swapped / "models" / "extra.onnx").write_bytes(b"\x08\x07")
    _, report = _verify(package, annex, swapped, supplier_key.public, tmp)
    assert (
        "delivered models/extra.onnx is not covered by the package"
        in _check(report, "subjects")["detail"]
    )


def test_tampered_result_is_rejected(setup, hardened, supplier_key) -> None:
    tmp, annex, package, delivered = setup
    digest = hashlib.sha256(hardened.results.read_bytes()).hexdigest()

    def flip(data: bytes) -> bytes:
        doc = json.loads(data)
        for verdict in doc["verdicts"]:
            if verdict["verdict"] == "fail":
                verdict["verdict"] = "pass"
        return json.dumps(doc).encode()

    tampered = _replace_member(package, tmp / "tampered.zip", _blob(digest), flip)
    code, report = _verify(tampered, annex, delivered, supplier_key.public, tmp)
    assert code == 1
    results = _check(report, "results")
    assert not results["ok"]
    assert (
        results["detail"]
        == "the results file in the package does not match its signed digest (edited)"
    )
    assert report["requirements"] == []

    def restate(data: bytes) -> bytes:  # re-point the statement at the edited results
        envelope = json.loads(data)
        envelope["payload"] = envelope["payload"][:-4] + "AAA="
        return json.dumps(envelope).encode()

    forged = _replace_member(package, tmp / "forged.zip", "envelope.dsse.json", restate)
    code, report = _verify(forged, annex, delivered, supplier_key.public, tmp)
    assert code == 1 and not _check(report, "signature")["ok"]


def test_edited_evidence_file_is_rejected(setup, hardened, supplier_key) -> None:
    tmp, annex, package, delivered = setup
    digest = hashlib.sha256((hardened.project / EVIDENCE).read_bytes()).hexdigest()
    edited = _replace_member(
        package, tmp / "edited.zip", _blob(digest), lambda d: d + b"\nReview withdrawn.\n"
    )
    code, report = _verify(edited, annex, delivered, supplier_key.public, tmp)
    assert code == 1
    evidence = _check(report, "evidence")
    assert not evidence["ok"]
    assert (
        f"evidence file {EVIDENCE} of attestations/M1.2.1.yaml in the package does not match "
        "its signed digest (edited)"
    ) in evidence["detail"]
    decision = _decision(report, "M1.2.1")
    assert decision["decision"] == "rejected"
    assert "evidence_changed" in decision["reasons"][0]
    assert decision["remediate_by"] is not None and decision["severity"] == "high"


def test_expired_attestation_is_rejected(setup, supplier_key) -> None:
    tmp, annex, package, delivered = setup
    code, report = _verify(
        package, annex, delivered, supplier_key.public, tmp, today=dt.date(2027, 11, 21)
    )
    assert code == 1
    assert _check(report, "results")["ok"]  # within the 730-day validity
    decision = _decision(report, "M1.2.1")
    assert decision["decision"] == "rejected"
    assert decision["reasons"] == [
        "attestation attestations/M1.2.1.yaml expired on 2027-11-20 (verified on 2027-11-21)"
    ]


def test_wrong_signer_is_rejected(setup, hardened, supplier_key, other_key) -> None:
    tmp, annex, package, delivered = setup
    code, report = _verify(package, annex, delivered, other_key.public, tmp)
    assert code == 1
    signature = _check(report, "signature")
    assert not signature["ok"]
    assert signature["detail"].startswith("not signed by the supplier key")
    assert report["requirements"] == []
    impostor = _pack(hardened.results, hardened.project, other_key.private, tmp / "impostor.zip")
    code, report = _verify(impostor, annex, delivered, supplier_key.public, tmp)
    assert code == 1 and not _check(report, "signature")["ok"]


def test_package_for_a_lower_level_is_rejected(setup, hardened, supplier_key) -> None:
    tmp, _, package, delivered = setup
    annex_l2 = _annex(tmp, _version(hardened), "L2")
    code, report = _verify(package, annex_l2, delivered, supplier_key.public, tmp)
    assert code == 1
    results = _check(report, "results")
    assert not results["ok"]
    assert "the package is for level L1; the annex requires L2" in results["detail"]


def test_package_with_missing_requirements_is_rejected(
    setup, hardened, supplier_key, tmp_path
) -> None:
    tmp, annex, _, delivered = setup
    data = hardened.data
    data["verdicts"] = [v for v in data["verdicts"] if v["requirement"] not in {"M8.1.1", "M1.2.1"}]
    results = tmp_path / "results.json"
    results.write_text(json.dumps(data), encoding="utf-8")
    package = _pack(results, hardened.project, supplier_key.private, tmp_path / "partial.zip")
    code, report = _verify(package, annex, delivered, supplier_key.public, tmp)
    assert code == 1
    assert all(c["ok"] for c in report["package_checks"])
    for requirement in ("M8.1.1", "M1.2.1"):
        decision = _decision(report, requirement)
        assert decision["decision"] == "missing"
        assert decision["reasons"] == [f"the results hold no verdict for {requirement}"]
    assert report["counts"]["missing"] == 2


def test_pack_refuses_files_changed_since_verify(hardened, supplier_key, tmp_path, capsys) -> None:
    project = tmp_path / "project"
    shutil.copytree(hardened.project, project)
    (project / "data" / "train.csv").write_text("changed\n", encoding="utf-8")
    argv = ["evidence", "pack", "--results", str(hardened.results), "--project", str(project)]
    assert main([*argv, "--key", str(supplier_key.private), "-o", str(tmp_path / "x.zip")]) == 2
    err = capsys.readouterr().err
    assert "data/train.csv changed since mlsvs verify ran" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.zip").exists()


def test_sigstore_offline_is_one_clear_line(hardened, supplier_key, tmp_path, capsys, monkeypatch):
    import socket

    def offline(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    argv = ["evidence", "pack", "--results", str(hardened.results), "--project"]
    argv += [str(hardened.project), "--key", str(supplier_key.private), "--sigstore"]
    assert main([*argv, "-o", str(tmp_path / "s.zip")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlsvs: error: Sigstore signing failed (it needs network access")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.zip").exists()


def test_l3_needs_an_independent_verifier(setup, hardened, supplier_key, tmp_path) -> None:
    tmp, _, package, delivered = setup
    annex = _annex(
        tmp,
        _version(hardened),
        "L3",
        "independent_verifiers: [Example Assurance GmbH]\n",
        name="-independent",
    )
    code, report = _verify(package, annex, delivered, supplier_key.public, tmp)
    assert code == 1
    assert _decision(report, "M1.2.1")["reasons"] == [
        "at L3 the attestation must be made by an independent verifier (role 'independent "
        "verifier'); attestations/M1.2.1.yaml is by role 'model owner, credit-default-logreg'"
    ]
    # the same attestation signed off by the named independent verifier is accepted
    project = tmp_path / "project"
    shutil.copytree(hardened.project, project)
    attestation = project / "attestations" / "M1.2.1.yaml"
    text = attestation.read_text(encoding="utf-8")
    text = text.replace("  name: Credit-risk ML lead", "  name: Example Assurance GmbH")
    text = text.replace(
        "  role: Model owner, credit-default-logreg", "  role: Independent verifier"
    )
    attestation.write_text(text, encoding="utf-8")
    repacked = _pack(hardened.results, project, supplier_key.private, tmp_path / "l3.zip")
    _, report = _verify(repacked, annex, delivered, supplier_key.public, tmp_path)
    decision = _decision(report, "M1.2.1")
    assert decision["decision"] == "accepted", decision
    assert decision["verifier"] == "Example Assurance GmbH (Independent verifier)"
    assert (
        "the package is for level L1; the annex requires L3" in _check(report, "results")["detail"]
    )


def _attested_only(hardened) -> str:
    """A requirement the signed results pass on its attestation alone (no check decides it)."""
    for verdict in hardened.data["verdicts"]:
        requirement = verdict["requirement"]
        attested = hardened.project / "attestations" / f"{requirement}.yaml"
        if verdict["verdict"] == "pass" and verdict["basis"] == "attested" and attested.is_file():
            return str(requirement)
    raise AssertionError("the hardened example passes no requirement on an attestation alone")


def test_claim_changed_after_verify_is_rejected(setup, hardened, supplier_key, tmp_path) -> None:
    _, annex, _, delivered = setup
    requirement = _attested_only(hardened)
    project = tmp_path / "project"
    shutil.copytree(hardened.project, project)
    attestation = project / "attestations" / f"{requirement}.yaml"
    text = attestation.read_text(encoding="utf-8")
    attestation.write_text(text.replace("claim: pass", "claim: fail", 1), encoding="utf-8")
    package = _pack(hardened.results, project, supplier_key.private, tmp_path / "claim.zip")
    code, report = _verify(package, annex, delivered, supplier_key.public, tmp_path)
    assert code == 1
    assert _decision(report, requirement)["reasons"] == [
        f"attestation attestations/{requirement}.yaml in the package claims fail, the signed "
        "results say pass"
    ]


def test_scope_the_supplier_did_not_declare_is_rejected(setup, hardened, supplier_key) -> None:
    tmp, _, package, delivered = setup
    path = tmp / "annex-personal-data.json"
    answers = tmp / "answers-personal.yaml"
    answers.write_text(
        ANSWERS.format(level="L1").replace("personal_data: no", "personal_data: yes"),
        encoding="utf-8",
    )
    argv = ["procurement", "--answers", str(answers), "--standard-version", _version(hardened)]
    assert main([*argv, "-f", f"json:{path}"]) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    personal = [r["id"] for r in data["requirements"] if "personal_data" in r["tags"]]
    assert personal
    code, report = _verify(package, path, delivered, supplier_key.public, tmp)
    assert code == 1
    for requirement in personal:
        decision = _decision(report, requirement)
        assert decision["decision"] == "rejected"
        assert decision["reasons"][0].startswith(
            "the results mark it not applicable from the supplier's declared traits, but the "
            "annex keeps it in scope (`personal_data`: answered yes (personal_data))"
        )


def test_a_bom_that_disagrees_with_the_delivered_files_is_rejected(
    setup, hardened, supplier_key, tmp_path
) -> None:
    _, annex, _, delivered = setup
    model_digest = hashlib.sha256(
        (delivered / "models" / "classifier.onnx").read_bytes()
    ).hexdigest()
    bom = (hardened.project / "bom.cdx.json").read_text(encoding="utf-8")
    assert model_digest in bom
    stale = tmp_path / "stale.cdx.json"
    stale.write_text(bom.replace(model_digest, "0" * 64), encoding="utf-8")
    argv = ["evidence", "pack", "--results", str(hardened.results), "--project"]
    argv += [str(hardened.project), "--key", str(supplier_key.private), "--bom", str(stale)]
    assert main([*argv, "-o", str(tmp_path / "stale.zip")]) == 0
    code, report = _verify(tmp_path / "stale.zip", annex, delivered, supplier_key.public, tmp_path)
    assert code == 1
    bom_check = _check(report, "bom")
    assert not bom_check["ok"]
    assert (
        "ML-BOM stale.cdx.json lists models/classifier.onnx with another SHA-256 digest than the "
        "delivered file"
    ) in bom_check["detail"]
