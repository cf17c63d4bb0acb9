"""End to end: the server's attestations lift the hardened example from below L1 to L1.

The hardened example reaches L1 only with its attestations. Here a copy runs without them
(`mlsvs verify --upload` to a live server: below L1, the attestation-only requirements
block), an auditor records each blocking requirement through the assessment forms with the
evidence files the example's own attestations cite, a second auditor signs off, the export is
unpacked into the project, and the next `mlsvs verify` reaches L1 on the attested basis.
This drives the server's form routes over HTTP (TestClient on the same app and database),
not a browser: the browser journey (tests/server/test_browser.py) covers the same forms on a
small project, and a second hardened build there would double this test's cost.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.integration.servers import free_port, running
from tests.integration.test_examples import TODAY, _advisory_cache, _copy, _verify

# The same database fixtures as tests/server: a fresh SQLite file, or a fresh schema of a
# per-session PostgreSQL database (skipped with the reason when 127.0.0.1:5432 is unreachable).
from tests.server.conftest import database, pg_database, sqlite_template  # noqa: F401

pytest.importorskip("fastapi")
pytest.importorskip("argon2")


def _results(out: Path) -> dict[str, object]:
    return json.loads((out / "results.json").read_text())  # type: ignore[no-any-return]


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/findings").text)
    assert match
    return match.group(1)


@pytest.mark.network
@pytest.mark.slow
def test_server_attestations_raise_the_hardened_example_to_l1(
    database: str,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlsvs.server.models as models
    from tests.server.conftest import make_env
    from tests.server.live import serve

    # The server signs off on the day the example is verified (attestations dated later
    # than --today would not be in force yet).
    signed_at = dt.datetime.fromisoformat(f"{TODAY}T12:00:00+00:00")
    monkeypatch.setattr(models, "utcnow", lambda: signed_at)
    original = Path(__file__).resolve().parents[2] / "examples" / "hardened-classifier"
    port = free_port()
    project = _copy("hardened-classifier", tmp_path, port)
    shutil.rmtree(project / "attestations")
    _advisory_cache(tmp_path, monkeypatch)
    env = make_env(database, tmp_path / "server-data")
    monkeypatch.setenv("MLSVS_SERVER_TOKEN", env.tokens["ingest"])
    try:
        with serve(env.app) as url, running(project, port):
            before = _verify(project, tmp_path / "before", "--allow", "network,model-exec",
                             "--upload", url)  # fmt: skip
            assert before.returncode == 1, before.stderr[-2000:]
            assert "uploaded run 1 of hardened-classifier" in before.stderr + before.stdout
            first = _results(tmp_path / "before")
            assert first["achieved_level"] is None
            blocking = first["levels"][0]["blocking"]  # type: ignore[index]
            assert blocking, "without attestations something must block L1"

            auditor = env.client("ada")
            csrf = _csrf(auditor)
            opened = auditor.post("/systems/1/assessments", data={"csrf_token": csrf})
            assert opened.status_code == 303, opened.text
            where = opened.headers["location"]
            page = auditor.get(where).text
            for rid in blocking:
                # The example's own attestation says what a reviewer found and cites the files.
                source = original / "attestations" / f"{rid}.yaml"
                assert source.is_file(), (
                    f"{rid} blocks L1 but the example has no attestation",
                    [v for v in first["verdicts"] if v["requirement"] == rid],  # type: ignore[union-attr]
                )
                claim = yaml.safe_load(source.read_text())
                assert f'<tr id="{rid}">' in page, f"{rid} is not in the assessment"
                files = [
                    ("files", (Path(e["path"]).name, (project / e["path"]).read_bytes(),
                               "application/octet-stream"))
                    for e in claim["evidence"]
                ]  # fmt: skip
                recorded = auditor.post(
                    f"{where}/items",
                    data={
                        "csrf_token": csrf,
                        "requirement": rid,
                        "claim": claim["claim"],
                        "statement": claim["statement"],
                        "justification": claim.get("justification") or "",
                    },
                    files=files,
                )
                assert recorded.status_code == 303, (rid, recorded.text[:500])
            # Four-eyes: the recording auditor may not sign off; a second auditor does.
            assert auditor.post(f"{where}/sign-off", data={"csrf_token": csrf}).status_code == 400
            signer = env.client("bob")
            signed = signer.post(f"{where}/sign-off", data={"csrf_token": _csrf(signer)})
            assert signed.status_code == 303, signed.text[:500]
            export = auditor.get(f"{where}/export")
            assert export.status_code == 200
            zipfile.ZipFile(io.BytesIO(export.content)).extractall(project)
            # The evidence copies are review records, not part of the delivered system: left
            # in discovery they would be extra files to SHA256SUMS, the ML-BOM and the data
            # manifest (docs/server.md says to exclude them).
            config = project / "mlsvs.toml"
            text, n = re.subn(r"^exclude = \[", 'exclude = ["mlsvs-evidence", ', config.read_text(),
                              count=1, flags=re.M)  # fmt: skip
            assert n == 1
            config.write_text(text)

            after = _verify(project, tmp_path / "after", "--allow", "network,model-exec",
                            "--upload", url)  # fmt: skip
            second = _results(tmp_path / "after")
            assert after.returncode == 0, (second["levels"][0]["blocking"], after.stdout[-3000:])  # type: ignore[index]
            systems = env.client("vic").get(
                "/api/v1/systems", headers={"authorization": f"Bearer {env.tokens['read']}"}
            )
    finally:
        env.app.state.engine.dispose()  # type: ignore[attr-defined]
    assert second["achieved_level"] == 1
    was = {v["requirement"]: v for v in first["verdicts"]}  # type: ignore[union-attr]
    now = {v["requirement"]: v for v in second["verdicts"]}  # type: ignore[union-attr]
    for rid in blocking:
        assert was[rid]["verdict"] == "not_verified", was[rid]
        # Satisfied on the attested basis (M9.2.1 is attested not applicable: no MLOps service).
        assert now[rid]["verdict"] in {"pass", "not_applicable"}, now[rid]
        assert now[rid]["basis"] in {"attested", "both"}, now[rid]
        assert now[rid]["attestation"] == f"attestations/mlsvs-server/{rid}.yaml", now[rid]
    in_force = {
        a["requirement"]
        for a in second["attestations"]  # type: ignore[union-attr]
        if a["validity"] == "valid" and "mlsvs-server" in a["source"]
    }
    assert in_force == set(blocking)
    # The server's inventory now shows the level the new run reached.
    assert systems.status_code == 200, systems.text
    (row,) = [s for s in systems.json() if s["name"] == "hardened-classifier"]
    assert row["level"] == "L1", row
