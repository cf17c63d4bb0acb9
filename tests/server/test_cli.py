"""The commands: ``mlsvs push``, ``mlsvs verify --upload``, ``mlsvs server`` administration."""

from __future__ import annotations

import json

import pytest

from tests.server.live import serve

pytestmark = pytest.mark.network


def _mlsvs(*argv: str) -> int:
    from mlsvs.cli.main import main

    return main(list(argv))


def test_push_and_verify_upload_against_a_live_server(
    loaded, corpus, tmp_path, capsys, monkeypatch
):
    results = tmp_path / "results.json"
    results.write_text(json.dumps(corpus.run1))
    with serve(loaded.app) as url:
        # Same document as the fixture uploaded: stored once.
        assert _mlsvs("push", str(results), "--url", url, "--token", loaded.tokens["ingest"]) == 0
        assert "already stored run 1 of fraud-scorer" in capsys.readouterr().err
        # A bad token is a one-line error, exit 2.
        assert _mlsvs("push", str(results), "--url", url, "--token", "mlsvs_nope") == 2
        assert "refused the upload (401)" in capsys.readouterr().err
        # A malformed file never leaves the machine.
        bad = tmp_path / "bad.json"
        bad.write_text('{"schema_version": "1.1"}')
        assert _mlsvs("push", str(bad), "--url", url, "--token", loaded.tokens["ingest"]) == 2
        assert "invalid results file" in capsys.readouterr().err
        # verify --upload: a new run of a new state of the project.
        project = corpus.project_copy(tmp_path / "p")
        (project / "README.md").write_text("# Fraud scorer\n\nOwner: risk team.\n")
        monkeypatch.setenv("MLSVS_SERVER_TOKEN", loaded.tokens["ingest"])
        code = _mlsvs(
            "verify", str(project), "--no-progress", "--upload", url, "--today", "2026-12-02"
        )
        assert code == 1  # target L1 not reached: the upload does not change the exit code
        err = capsys.readouterr().err
        assert "uploaded run 4 of fraud-scorer" in err
    systems = (
        loaded.client()
        .get("/api/v1/systems", headers={"authorization": f"Bearer {loaded.tokens['read']}"})
        .json()
    )
    assert next(s for s in systems if s["name"] == "fraud-scorer")["runs"] == 3


def test_push_to_an_unreachable_server_is_a_clear_error(corpus, tmp_path, capsys):
    results = tmp_path / "results.json"
    results.write_text(json.dumps(corpus.run1))
    assert _mlsvs("push", str(results), "--url", "http://127.0.0.1:9", "--token", "t") == 2
    assert "cannot reach http://127.0.0.1:9/api/v1/runs" in capsys.readouterr().err


def test_server_admin_commands_and_backup_restore(database, tmp_path, corpus, capsys, monkeypatch):
    from tests.server.conftest import PASSWORD

    data = tmp_path / "data"
    common = ["--database", database, "--data-dir", str(data)]
    assert _mlsvs("server", "migrate", *common) == 0
    from mlsvs.server.db import HEAD

    assert f"schema revision {HEAD}" in capsys.readouterr().err
    monkeypatch.setenv("MLSVS_PASSWORD", PASSWORD)
    assert _mlsvs("server", "create-user", "ci-bot", "--role", "engineer", *common) == 0
    assert _mlsvs("server", "create-user", "ci-bot", "--role", "engineer", *common) == 2
    assert "exists" in capsys.readouterr().err
    monkeypatch.setenv("MLSVS_PASSWORD", "short")
    assert _mlsvs("server", "create-user", "x", "--role", "viewer", *common) == 2
    capsys.readouterr()
    assert _mlsvs("server", "create-token", "ci-bot", "--scopes", "ingest", *common) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("mlsvs_")

    from mlsvs.server.app import create_app
    from mlsvs.server.settings import default_settings

    app = create_app(default_settings(database, data))
    from fastapi.testclient import TestClient

    client = TestClient(app)
    r = client.post(
        "/api/v1/runs",
        content=json.dumps(corpus.run1),
        headers={"authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201
    app.state.engine.dispose()

    archive = tmp_path / "backup.tar.gz"
    assert _mlsvs("server", "backup", str(archive), *common) == 0
    assert "runs 1" in capsys.readouterr().err
    # Restoring into the same (non-empty) database is refused.
    assert _mlsvs("server", "restore", str(archive), *common) == 2
    assert "not empty" in capsys.readouterr().err
    # Into a new SQLite database (also from PostgreSQL: the format is database-neutral).
    fresh = ["--database", str(tmp_path / "restored.db"), "--data-dir", str(tmp_path / "d2")]
    assert _mlsvs("server", "restore", str(archive), *fresh) == 0
    app2 = create_app(default_settings(str(tmp_path / "restored.db"), tmp_path / "d2"))
    client2 = TestClient(app2, follow_redirects=False)
    r = client2.post(
        "/api/v1/runs",
        content=json.dumps(corpus.run1),
        headers={"authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200  # the token and the run both came back
    assert r.json()["created"] is False
    r = client2.get("/runs/1/diff")
    assert r.status_code == 303  # pages still need a login
    app2.state.engine.dispose()


def test_unsupported_database_url_is_a_clear_error(tmp_path, capsys):
    assert (
        _mlsvs("server", "migrate", "--database", "mysql://x/y", "--data-dir", str(tmp_path)) == 2
    )
    assert "unsupported database URL scheme 'mysql'" in capsys.readouterr().err


def test_help_of_every_new_command(capsys):
    for argv in (["server", "--help"], ["push", "--help"], ["server", "backup", "--help"]):
        with pytest.raises(SystemExit) as exc:
            _mlsvs(*argv)
        assert exc.value.code == 0
    assert "--upload" in _verify_help(capsys)


def _verify_help(capsys) -> str:
    with pytest.raises(SystemExit):
        _mlsvs("verify", "--help")
    return capsys.readouterr().out
