"""`mlsvs advisories update` and `deps --online` against a local OSV on 127.0.0.1 (issue 12).

The export served is built from real PyPA/GHSA records (fixtures/osv-pypi); the network code
under test is the product's own (urllib), only the host differs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from mlsvs.cli.main import main
from mlsvs.supply.advisories import cached_snapshot, load_databases, update_snapshot
from mlsvs.supply.errors import AdvisoryError

from .osv_server import export_zip, real_records, serving

PINS = (
    "Flask==1.1.1\nJinja2==2.10.1\nWerkzeug==0.15.5\ngunicorn==19.9.0\npillow==9.0.0\n"
    "tensorflow==2.11.0\n"
)
EXPECTED = {
    "flask": {"PYSEC-2023-62"},
    "jinja2": {"PYSEC-2021-66"},
    "werkzeug": {"PYSEC-2022-203", "PYSEC-2023-221", "PYSEC-2023-57", "PYSEC-2023-58"},
    "gunicorn": {"GHSA-w3h3-4rj7-4ph4"},
    "pillow": {"PYSEC-2022-168", "PYSEC-2022-42979", "PYSEC-2023-175", "PYSEC-2023-227"},
    "tensorflow": {"GHSA-gw97-ff7c-9v96"},
}
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("MLSVS_CACHE_DIR", str(cache))
    monkeypatch.delenv("MLSVS_OSV_URL", raising=False)
    monkeypatch.delenv("MLSVS_ADVISORY_EXTRA", raising=False)
    return cache


def _fresh(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """The same records, one of them re-modified today (OSV re-modifies records daily)."""
    return [{**records[0], "modified": NOW}, *records[1:]]


def _requirements(tmp_path: Path, text: str = PINS) -> Path:
    path = tmp_path / "proj" / "requirements.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def _vulnerable(doc: dict[str, object]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for hit in doc["vulnerable"]:  # type: ignore[attr-defined]
        found.setdefault(hit["package"], set()).update(a["id"] for a in hit["advisories"])
    return found


def test_done_when_full_snapshot_fails_bundled_floor_never_passes(
    tmp_path: Path, _cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = _requirements(tmp_path)
    # Only the bundled floor: nothing may pass; every package without data is named.
    assert main(["deps", str(requirements), "-f", "json"]) == 1
    floor = json.loads(capsys.readouterr().out)
    assert floor["verified"] is False
    named = set(floor["not_covered"]) | {h["package"] + "==" for h in floor["vulnerable"]}
    for package in EXPECTED:
        assert any(item.startswith(package + "==") for item in named), package
    # A full snapshot downloaded by `advisories update`: every pin fails with its real IDs.
    with serving() as osv:
        osv.files["/PyPI/all.zip"] = export_zip(_fresh(real_records()))
        assert main(["advisories", "update", "--url", f"{osv.url}/PyPI/all.zip"]) == 0
    assert "16 PyPI advisories" in capsys.readouterr().out
    assert main(["deps", str(requirements), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    found = _vulnerable(doc)
    for package, ids in EXPECTED.items():
        assert ids <= found.get(package, set()), package
    assert doc["not_covered"] == [] and doc["verified"] is False
    assert main(["deps", str(requirements)]) == 1
    text = capsys.readouterr().out
    assert "VULNERABLE werkzeug 0.15.5" in text and "GHSA-w3h3-4rj7-4ph4" in text


def test_update_records_digest_date_and_source(tmp_path: Path, _cache: Path) -> None:
    payload = export_zip(_fresh(real_records()))
    with serving() as osv:
        osv.files["/PyPI/all.zip"] = payload
        info = update_snapshot(
            cache=_cache, osv_url=f"{osv.url}/PyPI/all.zip", fetched_at="2026-12-01T00:00:00Z"
        )
    assert info.sha256 == hashlib.sha256(payload).hexdigest() and info.size == len(payload)
    assert info.date == NOW and info.records == 16 and info.imported_from.endswith("/all.zip")
    assert cached_snapshot(_cache) == info
    [bundled, osv_db] = load_databases(osv=None, cache=_cache)
    assert not bundled.complete and osv_db.complete_for == {"PyPI"}
    assert osv_db.sha256 == info.sha256
    # A run reads only the records of the packages it looks up (sidecar index, bound by sha256)
    # and still knows the database's size and date.
    [_, some] = load_databases(osv=None, cache=_cache, packages=frozenset({"Werkzeug"}))
    assert some.index.packages() == {"werkzeug"} and some.index.count == 16
    assert some.date == NOW and [a.id for a in some.index.match("werkzeug", "0.15.5")[0]] == [
        "PYSEC-2022-203", "PYSEC-2023-221", "PYSEC-2023-57", "PYSEC-2023-58"
    ]  # fmt: skip
    info.path.write_bytes(info.path.read_bytes() + b"x")
    with pytest.raises(AdvisoryError, match="recorded sha256"):
        load_databases(osv=None, cache=_cache, packages=frozenset({"werkzeug"}))


def _corrupt_crc(payload: bytes) -> bytes:
    """Flip one byte of the first member's compressed data (the CRC check must catch it)."""
    with zipfile.ZipFile(__import__("io").BytesIO(payload)) as archive:
        info = archive.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(payload)
    data[start + 5] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>not a zip</html>", "not a zip"),
        ("crc", "intact"),
        ("invalid", "fail OSV validation"),
    ],
)
def test_update_refuses_broken_exports_and_keeps_the_old_one(
    _cache: Path, body: bytes | str, message: str
) -> None:
    good = export_zip(_fresh(real_records()))
    with serving() as osv:
        osv.files["/PyPI/all.zip"] = good
        first = update_snapshot(cache=_cache, osv_url=f"{osv.url}/PyPI/all.zip", fetched_at="t1")
        if body == "crc":
            body = _corrupt_crc(good)
        elif body == "invalid":
            broken = [{**r, "modified": "yesterday"} for r in real_records()]
            body = export_zip(broken)
        osv.files["/PyPI/all.zip"] = body  # type: ignore[assignment]
        with pytest.raises(AdvisoryError, match=message):
            update_snapshot(cache=_cache, osv_url=f"{osv.url}/PyPI/all.zip", fetched_at="t2")
    assert cached_snapshot(_cache) == first
    assert not list(_cache.glob("*.partial"))


def test_update_size_bound_and_http_errors(_cache: Path) -> None:
    with serving() as osv:
        osv.files["/PyPI/all.zip"] = export_zip(real_records())
        with pytest.raises(AdvisoryError, match="limit"):
            update_snapshot(
                cache=_cache, osv_url=f"{osv.url}/PyPI/all.zip", fetched_at="t", max_bytes=100
            )
        with pytest.raises(AdvisoryError, match="HTTP 404"):
            update_snapshot(cache=_cache, osv_url=f"{osv.url}/nothing.zip", fetched_at="t")
    with pytest.raises(AdvisoryError, match="only http"):
        update_snapshot(cache=_cache, osv_url="file:///etc/passwd", fetched_at="t")
    assert cached_snapshot(_cache) is None


def test_invalid_record_leaves_its_package_uncovered(
    tmp_path: Path, _cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = _fresh(real_records())
    # One record with a range that has no "introduced" event: schema-invalid, so the package
    # it names (werkzeug) cannot be vouched for, while the rest of the export is used.
    bad = next(r for r in records if r["id"] == "PYSEC-2017-43")
    bad["affected"][0]["ranges"][0]["events"] = [{"fixed": "0.11.11"}]  # type: ignore[index]
    many = records + [
        {"id": f"PYSEC-FILL-{n}", "modified": NOW, "affected": []} for n in range(200)
    ]
    with serving() as osv:
        osv.files["/PyPI/all.zip"] = export_zip(many)
        info = update_snapshot(cache=_cache, osv_url=f"{osv.url}/PyPI/all.zip", fetched_at="t")
    assert info.invalid_records == 1
    requirements = _requirements(tmp_path, "werkzeug==3.1.3\nrequests==2.32.3\n")
    assert main(["deps", str(requirements), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["not_covered"] == ["werkzeug==3.1.3"]


def test_fresh_snapshot_passes_clean_pins_and_stale_one_cannot(
    tmp_path: Path, _cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = _requirements(
        tmp_path,
        "requests==2.32.3 --hash=sha256:" + "ab" * 32 + "\n",
    )
    with serving() as osv:
        osv.files["/fresh.zip"] = export_zip(_fresh(real_records()))
        osv.files["/old.zip"] = export_zip(real_records())  # newest record: 2024
        assert main(["advisories", "update", "--url", f"{osv.url}/fresh.zip"]) == 0
        assert main(["deps", str(requirements)]) == 0
        assert "1 pinned version(s) checked" in capsys.readouterr().err
        assert main(["advisories", "update", "--url", f"{osv.url}/old.zip"]) == 0
    capsys.readouterr()
    assert main(["deps", str(requirements)]) == 1
    out = capsys.readouterr().out
    assert "STALE osv data dated 2024-" in out and "NOT VERIFIED" in out
    # The age limit is configurable; a generous one accepts the same data.
    assert main(["deps", str(requirements), "--max-age", "100000"]) == 0


def test_supplement_feed_can_fail_but_never_pass(
    tmp_path: Path, _cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = real_records()
    tensorflow = [r for r in records if str(r["id"]).startswith("GHSA-gw97")]
    rest = [r for r in records if r not in tensorflow]
    with serving() as osv:
        osv.files["/PyPI/all.zip"] = export_zip(_fresh(rest))
        osv.files["/ml.zip"] = export_zip(tensorflow)
        assert main(["advisories", "update", "--url", f"{osv.url}/PyPI/all.zip",
                     "--extra", f"{osv.url}/ml.zip"]) == 0  # fmt: skip
    capsys.readouterr()
    databases = load_databases(osv=None, cache=_cache)
    assert [d.name for d in databases] == ["bundled", "osv", "extra1"]
    assert not databases[2].complete
    requirements = _requirements(tmp_path, "tensorflow==2.11.0\n")
    assert main(["deps", str(requirements), "-f", "json"]) == 1
    assert _vulnerable(json.loads(capsys.readouterr().out))["tensorflow"] >= {"GHSA-gw97-ff7c-9v96"}


def test_online_queries_batch_then_records(
    tmp_path: Path, _cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = _requirements(tmp_path)
    with serving() as osv:
        osv.records = real_records()
        api = ["--online", "--osv-api", osv.url]
        # Sending package names out needs the user's consent.
        assert main(["deps", str(requirements), *api]) == 2
        assert "--allow network" in capsys.readouterr().err
        assert main(["deps", str(requirements), *api, "--allow", "network", "-f", "json"]) == 1
        doc = json.loads(capsys.readouterr().out)
        assert osv.requests[0] == "POST /v1/querybatch"
        assert any(r.startswith("GET /v1/vulns/PYSEC-2023-57") for r in osv.requests)
        osv.fail_api = True
        assert main(["deps", str(requirements), *api, "--allow", "network", "-f", "json"]) == 1
        down = json.loads(capsys.readouterr().out)
    found = _vulnerable(doc)
    for package, ids in EXPECTED.items():
        assert ids <= found.get(package, set()), package
    assert doc["not_covered"] == []
    # The API down: nothing is vouched for; every package is named as not verified.
    assert down["verified"] is False and len(down["online_failures"]) == 6


def test_online_clean_package_passes(
    tmp_path: Path, _cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = _requirements(tmp_path, "requests==2.32.3 --hash=sha256:" + "ab" * 32 + "\n")
    with serving() as osv:
        osv.records = real_records()
        args = ["deps", str(requirements), "--online", "--osv-api", osv.url, "--allow", "network"]
        assert main(args) == 0
    assert "osv-api" in capsys.readouterr().out


def test_verify_check_online_needs_the_network_capability(tmp_path: Path) -> None:
    from mlsvs.checks.supply_chain.dependencies import no_known_vulnerable_dependencies
    from mlsvs.discovery import discover
    from mlsvs.plugin import Capability, CheckContext, Status

    _requirements(tmp_path, "gunicorn==19.9.0\nrequests==2.32.3\n")
    project = discover(tmp_path / "proj").project
    with serving() as osv:
        osv.records = real_records()
        settings = {"advisories": {"online": True, "api_url": osv.url}}
        denied = CheckContext(
            project=project, today=dt.datetime.now(dt.UTC).date(), settings=settings
        )
        outcomes = {o.key: o for o in no_known_vulnerable_dependencies.run(denied, project)}
        assert outcomes["online"].status is Status.ERROR
        assert outcomes["coverage"].status is Status.NOT_VERIFIED  # floor only: never a pass
        assert osv.requests == []  # nothing was sent without consent
        granted = CheckContext(
            project=project,
            today=dt.datetime.now(dt.UTC).date(),
            settings=settings,
            capabilities=frozenset({Capability.NETWORK}),
        )
        outcomes = {o.key: o for o in no_known_vulnerable_dependencies.run(granted, project)}
    assert outcomes["gunicorn==19.9.0"].status is Status.FAIL
    assert "GHSA-w3h3-4rj7-4ph4" in outcomes["gunicorn==19.9.0"].message
    assert "coverage" not in outcomes  # requests==2.32.3 answered clean by the API


def test_configured_snapshot_is_indexed_once_in_the_cache(tmp_path: Path, _cache: Path) -> None:
    archive = tmp_path / "all.zip"
    archive.write_bytes(export_zip(_fresh(real_records())))
    names = frozenset({"werkzeug"})
    [_, first] = load_databases(osv=archive, cache=_cache, packages=names)
    [index] = (_cache / "indexes").glob("*.index.json")
    assert index.name.startswith(hashlib.sha256(archive.read_bytes()).hexdigest())
    [_, second] = load_databases(osv=archive, cache=_cache, packages=names)
    assert second.index.packages() == {"werkzeug"} and second.index.count == first.index.count
    assert second.index.match("werkzeug", "0.15.5") == first.index.match("werkzeug", "0.15.5")
    # Another file at the same path is validated afresh (the index is bound by sha256).
    archive.write_bytes(b"not a zip")
    with pytest.raises(AdvisoryError):
        load_databases(osv=archive, cache=_cache, packages=names)
