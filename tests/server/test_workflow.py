"""The auditor's workflow end to end: record with evidence, four-eyes sign-off, export, verify."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest

from tests.server.conftest import make_env
from tests.server.projects import verify

THREAT_MODEL = b"""# Threat model review 2026-11

Reviewed the STRIDE model of the fraud scorer with the payments risk team; the training
pipeline, the model registry and the scoring API are in scope. Minutes attached.
"""
POLICY = b"# Incident response\n\nML incidents page the on-call risk engineer within 15 minutes.\n"


def _attest_only_l1(corpus) -> list[str]:
    """L1 requirements the second run left not verified for want of a person's judgement.

    Attestation-verified ones first, then automated ones no check covers or whose checks all
    abstained (where the standard lets a valid attestation stand in).
    """
    from mlsvs.catalog import load_standard

    standard = load_standard("1.1.0")
    open_ = [
        v
        for v in corpus.run2["verdicts"]
        if v["verdict"] == "not_verified" and v["level"] == 1 and v["basis"] == "none"
    ]
    attest = [
        v["requirement"]
        for v in open_
        if standard.requirements[v["requirement"]].verification.value == "attest"
    ]
    attest_set = set(attest)
    stand_in = ("a-static", "a-runtime")
    uncovered = [
        v["requirement"]
        for v in open_
        if v["requirement"] not in attest_set
        and (
            "no automated check" in v["reasons"][0]
            or (  # every check abstained: an attestation stands in (docs/verification.md)
                "found nothing to examine" in v["reasons"][0]
                and standard.requirements[v["requirement"]].verification.value in stand_in
            )
        )
    ]
    return attest + uncovered


def _open(env, user="ada") -> tuple[object, str, str]:
    client = env.client(user)
    csrf = env.csrf(client)
    r = client.post("/systems/1/assessments", data={"csrf_token": csrf})
    assert r.status_code == 303
    return client, csrf, r.headers["location"]


def _record(client, csrf, where, requirement, claim="pass", files=None, justification=""):
    return client.post(
        f"{where}/items",
        data={
            "csrf_token": csrf,
            "requirement": requirement,
            "claim": claim,
            "statement": f"Reviewed {requirement} against its pass criteria; evidence attached.",
            "justification": justification,
        },
        files=files or {},
    )


def test_assessment_lists_applicable_requirements_with_last_run_verdicts(loaded, corpus):
    client, _csrf, where = _open(loaded)
    page = client.get(where).text
    traits = set(corpus.run2["project"]["traits"])
    from mlsvs.catalog import load_standard

    standard = load_standard("1.1.0")
    for chapter in standard.chapters:
        for req in chapter.requirements:
            applies = (req.applicability | chapter.applicability) <= traits
            assert (f'<tr id="{req.id}">' in page) is applies, req.id
    failing = next(v for v in corpus.run2["verdicts"] if v["verdict"] == "fail")
    row = page.split(f'<tr id="{failing["requirement"]}">', 1)[1].split("</tr>", 1)[0]
    assert 'class="v-fail"' in row


def test_record_sign_off_export_and_verify_passes_what_it_did_not(loaded, corpus, tmp_path):
    wanted = _attest_only_l1(corpus)[:2]
    assert len(wanted) == 2, "the corpus should leave attestation-only requirements open"
    client, csrf, where = _open(loaded, "ada")
    r = _record(
        client,
        csrf,
        where,
        wanted[0],
        files={"files": ("threat-model-review.md", THREAT_MODEL, "text/markdown")},
    )
    assert r.status_code == 303, r.text
    r = _record(
        client,
        csrf,
        where,
        wanted[1],
        files={"files": ("incident/../../etc/passwd policy.md", POLICY, "text/markdown")},
    )
    assert r.status_code == 303, r.text
    # Evidence is stored content-addressed.
    blob_dir = loaded.settings.blob_dir
    digest = hashlib.sha256(THREAT_MODEL).hexdigest()
    assert (blob_dir / digest[:2] / digest).read_bytes() == THREAT_MODEL
    # Four-eyes: the auditor who recorded cannot sign off; nor can a viewer.
    r = client.post(f"{where}/sign-off", data={"csrf_token": csrf})
    assert r.status_code == 400
    assert "four-eyes" in r.text
    viewer = loaded.client("vic")
    assert (
        viewer.post(f"{where}/sign-off", data={"csrf_token": loaded.csrf(viewer)}).status_code
        == 403
    )
    # Export is refused before sign-off.
    assert client.get(f"{where}/export").status_code == 400
    second = loaded.client("bob")
    r = second.post(f"{where}/sign-off", data={"csrf_token": loaded.csrf(second)})
    assert r.status_code == 303
    page = second.get(where).text
    assert "signed_off" in page and "signed off by bob" in page
    # Locked after sign-off.
    assert _record(client, csrf, where, wanted[0]).status_code == 400
    export = client.get(f"{where}/export")
    assert export.status_code == 200
    assert export.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    names = archive.namelist()
    assert f"attestations/mlsvs-server/{wanted[0]}.yaml" in names
    assert all(".." not in n and not n.startswith("/") for n in names)

    project = corpus.project_copy(tmp_path / "project")
    before = verify(project)
    archive.extractall(project)
    after = verify(project, attestations=("attestations",))
    old = {v["requirement"]: v for v in before["verdicts"]}
    new = {v["requirement"]: v for v in after["verdicts"]}
    for rid in wanted:
        assert old[rid]["verdict"] == "not_verified"
        assert new[rid]["verdict"] == "pass", new[rid]
        assert new[rid]["basis"] == "attested"
    valid = [a for a in after["attestations"] if a["validity"] == "valid"]
    assert {a["requirement"] for a in valid} == set(wanted)
    l1_before = next(lv for lv in before["levels"] if lv["level"] == 1)
    l1_after = next(lv for lv in after["levels"] if lv["level"] == 1)
    assert l1_after["satisfied"] == l1_before["satisfied"] + 2
    assert set(l1_before["blocking"]) - set(l1_after["blocking"]) == set(wanted)
    # The attestation names the auditor and the second signer.
    text = archive.read(f"attestations/mlsvs-server/{wanted[0]}.yaml").decode()
    assert "name: ada" in text and "signed off by bob" in text
    # Tampering with exported evidence invalidates the attestation on the next verify.
    evidence = next(p for p in (project / "mlsvs-evidence").rglob("*") if p.is_file())
    evidence.write_bytes(evidence.read_bytes() + b"edited later\n")
    tampered = verify(project, attestations=("attestations",))
    assert any(a["validity"] == "evidence_changed" for a in tampered["attestations"])


def test_not_applicable_needs_a_justification_and_claims_are_closed(loaded, corpus):
    rid = _attest_only_l1(corpus)[0]
    client, csrf, where = _open(loaded)
    r = _record(client, csrf, where, rid, claim="not_applicable")
    assert r.status_code == 400
    assert "justification" in r.text
    assert _record(client, csrf, where, rid, claim="probably").status_code == 400
    assert _record(client, csrf, where, "M99.9.9").status_code == 400
    ok = _record(
        client,
        csrf,
        where,
        rid,
        claim="not_applicable",
        justification="The scorer has no human users: batch scoring only.",
    )
    assert ok.status_code == 303


def test_evidence_size_is_bounded(database, tmp_path, corpus):
    small = make_env(database, tmp_path / "d", max_evidence_bytes=1024)
    try:
        assert small.upload(corpus.run2).status_code == 201
        rid = _attest_only_l1(corpus)[0]
        client, csrf, where = _open(small)
        r = _record(
            client, csrf, where, rid, files={"files": ("big.bin", b"x" * 2048, "text/plain")}
        )
        assert r.status_code == 400
        assert "larger than 1024 bytes" in r.text
    finally:
        small.app.state.engine.dispose()


def test_evidence_download_is_an_attachment_and_rehashed(loaded, corpus):
    rid = _attest_only_l1(corpus)[0]
    client, csrf, where = _open(loaded)
    hostile = b"<html><script>alert(1)</script></html>"
    _record(client, csrf, where, rid, files={"files": ("x.html", hostile, "text/html")})
    digest = hashlib.sha256(hostile).hexdigest()
    r = client.get(f"/evidence/{digest}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment")
    (loaded.settings.blob_dir / digest[:2] / digest).write_bytes(b"swapped")
    r = client.get(f"/evidence/{digest}")
    assert r.status_code == 400
    assert "altered" in r.text


@pytest.mark.parametrize("name", ["../../x", "a/b\\c.md", "...", "\u202ertl.md"])
def test_evidence_names_are_flattened(name):
    from mlsvs.server.workflow import safe_filename

    clean = safe_filename(name)
    assert "/" not in clean and "\\" not in clean and clean not in {"", ".", ".."}
    assert re.fullmatch(r"[A-Za-z0-9._-]+", clean)
