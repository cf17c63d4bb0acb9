from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from mlsvs.supply.advisories import (
    cached_snapshot,
    import_snapshot,
    load_bundled,
    load_databases,
    load_snapshot,
)
from mlsvs.supply.errors import AdvisoryError
from mlsvs.supply.osv import AdvisoryIndex, Range, in_range, is_affected, parse_record


def record(
    rid: str, events: list[dict[str, str]], *, name: str = "Demo_Pkg", **extra: object
) -> dict[str, object]:
    return {
        "id": rid,
        "modified": "2026-01-02T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
        **extra,
    }


@pytest.mark.parametrize(
    ("events", "version", "expected"),
    [
        ([{"introduced": "0"}, {"fixed": "2.6.0"}], "2.5.1", True),
        ([{"introduced": "0"}, {"fixed": "2.6.0"}], "2.6.0", False),
        ([{"introduced": "3.0.0"}, {"fixed": "3.11.0"}], "2.15.0", False),
        ([{"introduced": "0"}, {"last_affected": "3.7.0"}], "3.7.0", True),
        ([{"introduced": "0"}, {"last_affected": "3.7.0"}], "3.7.1", False),
        (
            [{"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"fixed": "2.5"}],
            "1.7",
            False,
        ),
        (
            [{"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"fixed": "2.5"}],
            "2.1",
            True,
        ),
        ([{"introduced": "0"}], "99", True),
        # From real PyPA records (advisory-database 2024-10): events of several intervals merged
        # into one range. PYSEC-2023-72 (pyspark): fixed and introduced at the same version.
        (
            [
                {"introduced": "0"},
                {"fixed": "3.1.1"},
                {"introduced": "3.2.0"},
                {"fixed": "3.2.2"},
                {"introduced": "3.1.1"},
                {"fixed": "3.2.0"},
            ],
            "3.1.1",
            True,
        ),
        # PYSEC-2021-114 (wagtail): overlapping intervals [2.11, 2.11.7) and [0, 2.11.6).
        (
            [
                {"introduced": "2.11"},
                {"fixed": "2.11.7"},
                {"introduced": "0"},
                {"fixed": "2.11.6"},
                {"introduced": "2.12"},
                {"fixed": "2.12.4"},
            ],
            "2.11.6",
            True,
        ),
        (
            [
                {"introduced": "2.11"},
                {"fixed": "2.11.7"},
                {"introduced": "0"},
                {"fixed": "2.11.6"},
                {"introduced": "2.12"},
                {"fixed": "2.12.4"},
            ],
            "2.11.7",
            False,
        ),
        # PYSEC-2024-34 (vantage6-server): "introduced 0" includes pre-releases of 0.0.0.
        ([{"introduced": "0"}, {"fixed": "4.2.0"}], "0.0.0b1", True),
        # GHSA-w3h3-4rj7-4ph4 (gunicorn): last_affected is inclusive.
        ([{"introduced": "0"}, {"last_affected": "21.2.0"}], "21.2.0", True),
        ([{"introduced": "0"}, {"last_affected": "21.2.0"}], "22.0.0", False),
        ([{"introduced": "0"}, {"fixed": "2.11.1"}], "2.11.1rc0", True),
        ([{"introduced": "0"}, {"fixed": "2.11.1"}], "2.11.0.post1", True),
        ([{"introduced": "1.0"}, {"limit": "1.5"}], "1.6", False),
    ],
)
def test_range_semantics(events: list[dict[str, str]], version: str, expected: bool) -> None:
    advisory = parse_record(record("X-1", events))
    assert advisory is not None
    assert is_affected(advisory.affected[0], version) is expected


@settings(database=None, max_examples=200)
@given(
    st.tuples(st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.integers(0, 20), st.integers(0, 20)),
)
def test_single_interval_matches_plain_comparison(
    low: tuple[int, int], high: tuple[int, int], probe: tuple[int, int]
) -> None:
    lo, hi, v = (".".join(map(str, t)) for t in (low, high, probe))
    assume(Version(lo) < Version(hi))  # OSV ranges are well-formed: introduced before fixed
    rng = Range(type="ECOSYSTEM", events=(("introduced", lo), ("fixed", hi)))
    assert in_range(rng, v) is (Version(lo) <= Version(v) < Version(hi))


def test_versions_list_withdrawn_and_other_ecosystems() -> None:
    listed = parse_record(
        {
            "id": "X-2",
            "affected": [
                {"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["1.0", "1.1"]}
            ],
        }
    )
    assert listed is not None and is_affected(listed.affected[0], "1.0.0") is True
    assert is_affected(listed.affected[0], "1.2") is False
    assert (
        parse_record(record("X-3", [{"introduced": "0"}], withdrawn="2024-01-01T00:00:00Z")) is None
    )
    npm = record("X-4", [{"introduced": "0"}])
    npm["affected"][0]["package"]["ecosystem"] = "npm"  # type: ignore[index]
    assert parse_record(npm) is None
    with pytest.raises(AdvisoryError):
        parse_record({"no": "id"})


def test_invalid_version_is_undecidable_not_safe() -> None:
    advisory = parse_record(record("X-5", [{"introduced": "0"}, {"fixed": "2.0"}]))
    assert advisory is not None
    assert is_affected(advisory.affected[0], "not-a-version") is None
    index = AdvisoryIndex((advisory,))
    assert index.match("demo-pkg", "not-a-version") == ((), True)
    assert [a.id for a in index.match("DEMO.PKG", "1.0")[0]] == ["X-5"]


def test_bundled_database_is_dated_and_sourced() -> None:
    db = load_bundled()
    assert db.date == "2026-11-25" and len(db.sha256) == 64 and db.index.count >= 10
    data = json.loads(
        (Path(__file__).parents[2] / "src/mlsvs/supply/data/ml-advisories.json").read_text()
    )
    for adv in data["advisories"]:
        assert adv["database_specific"]["verified_against"].startswith("https://github.com/")
    hits, _ = db.index.match("torch", "2.5.1")
    assert "CVE-2025-32434" in hits[0].aliases
    assert db.index.match("torch", "2.6.0")[0] == ()


def _zip(path: Path, records: list[dict[str, object]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for rec in records:
            archive.writestr(f"{rec['id']}.json", json.dumps(rec))
    return path


def test_snapshot_zip_import_and_cache(tmp_path: Path) -> None:
    source = _zip(tmp_path / "all.zip", [record("PYSEC-1", [{"introduced": "0"}, {"fixed": "2"}])])
    db = load_snapshot(source)
    assert db.date == "2026-01-02T00:00:00Z" and db.index.count == 1
    cache = tmp_path / "cache"
    info = import_snapshot(source, cache=cache, imported_at="2026-11-25T00:00:00+00:00")
    assert cached_snapshot(cache) == info and info.sha256 == db.sha256
    names = [d.name for d in load_databases(osv=None, cache=cache)]
    assert names == ["bundled", "osv"]
    (cache / "osv-pypi.zip").write_bytes(source.read_bytes() + b"x")
    with pytest.raises(AdvisoryError, match="does not match"):
        load_databases(osv=None, cache=cache)


def test_snapshot_from_json_directory_is_zipped_on_import(tmp_path: Path) -> None:
    folder = tmp_path / "osv"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(record("GHSA-a", [{"introduced": "0"}])))
    info = import_snapshot(folder, cache=tmp_path / "c", imported_at="t")
    assert info.records == 1 and zipfile.is_zipfile(info.path)


@pytest.mark.parametrize("content", [b"PK\x03\x04garbage", b"{not json"])
def test_bad_snapshot_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "all.zip").write_bytes(content)
    with pytest.raises(AdvisoryError):
        load_snapshot(tmp_path / "all.zip")
    with pytest.raises(AdvisoryError, match="not found"):
        load_snapshot(tmp_path / "missing.zip")


def test_ranges_agree_with_the_versions_lists_of_real_records() -> None:
    """Real OSV records list affected versions *and* ranges: the range matcher must agree.

    (Over the whole PyPA database of 2024-10, 139,370 listed PEP 440 versions, the matcher
    disagrees on 8: pre-releases of an ``introduced`` version (PEP 440 orders 3.2rc1 before
    3.2) and one record whose list contradicts its range; the ``versions`` list is checked
    first, so those are still matched.)
    """
    from .osv_server import real_records

    checked = 0
    for raw in real_records():
        advisory = parse_record(raw)
        assert advisory is not None
        for affected in advisory.affected:
            for version in affected.versions:
                if not affected.ranges or "rc" in version or "b" in version:
                    continue
                assert any(in_range(r, version) for r in affected.ranges), (advisory.id, version)
                checked += 1
    assert checked > 300
