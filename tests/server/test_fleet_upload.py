"""``mlsvs fleet scan --upload``: the summary reaches a live server, stored once per document."""

from __future__ import annotations

import json
import pickle

import pytest

from tests.server.live import serve

pytestmark = pytest.mark.network


def _tree(tmp_path):
    tree = tmp_path / "models"
    tree.mkdir()
    (tree / "ok.pkl").write_bytes(pickle.dumps({"weights": [0.5, 1.5]}, protocol=2))
    marker = tmp_path / "executed"
    # Never loaded: the scanner only reads it. The payload would only touch a marker file.
    (tree / "bad.pkl").write_bytes(b"cposix\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR.")
    return tree, marker


def test_fleet_scan_upload_to_a_live_server(env, tmp_path, capsys):
    from mlsvs.cli.main import main
    from mlsvs.server.client import UploadError
    from mlsvs.server.fleet_client import upload_fleet

    tree, marker = _tree(tmp_path)
    out = tmp_path / "out"
    with serve(env.app) as url:
        scan = [
            "fleet",
            "scan",
            str(tree),
            "--out",
            str(out),
            "-f",
            "json:" + str(tmp_path / "s.json"),
        ]
        assert main([*scan, "--upload", url, "--token", env.tokens["ingest"]]) == 1
        assert "uploaded fleet scan 1" in capsys.readouterr().err
        summary = (tmp_path / "s.json").read_bytes()
        # The same document again is stored once (200, same id).
        again = upload_fleet(url, summary, env.tokens["ingest"])
        assert (again.fleet_scan_id, again.created) == (1, False)
        # A read-only token, a viewer's ingest token and a results.json are refused.
        for token in (env.tokens["read"], env.tokens["viewer-ingest"]):
            with pytest.raises(UploadError, match=r"\(403\)"):
                upload_fleet(url, summary, token)
        with pytest.raises(UploadError, match=r"\(422\).*not a fleet scan summary"):
            upload_fleet(url, b'{"schema_version": "1.1"}', env.tokens["ingest"])
        # A bad token is a one-line error, exit 2, after the scan.
        assert main([*scan, "--upload", url, "--token", "mlsvs_nope"]) == 2
        assert "refused the upload (401)" in capsys.readouterr().err
    assert not marker.exists()
    client = env.client()
    auth = {"authorization": f"Bearer {env.tokens['read']}"}
    listed = client.get("/api/v1/fleet-scans", headers=auth).json()
    assert [s["id"] for s in listed] == [1]
    assert listed[0]["totals"] == {
        "files": 2,
        "clean": 1,
        "findings": 1,
        "not_verified": 0,
        "errors": 0,
    }
    assert listed[0]["sources"] == [str(tree)]
    stored = client.get("/api/v1/fleet-scans/1", headers=auth).json()
    assert stored == json.loads(summary)
    assert client.get("/api/v1/fleet-scans/9", headers=auth).status_code == 404
    assert client.get("/api/v1/fleet-scans").status_code == 401


def test_fleet_scan_upload_without_a_token_fails_before_scanning(tmp_path, capsys, monkeypatch):
    from mlsvs.cli.main import main

    monkeypatch.delenv("MLSVS_SERVER_TOKEN", raising=False)
    tree, _ = _tree(tmp_path)
    code = main(
        ["fleet", "scan", str(tree), "--out", str(tmp_path / "o"), "--upload", "http://127.0.0.1:9"]
    )
    assert code == 2
    assert "no API token" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
