"""Pure parts: task packing, versions, the report codec, SavedModel folding, the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsvs.fleet.codec import report_from_json, report_to_json
from mlsvs.fleet.items import Item, SourceKind
from mlsvs.fleet.plan import Sizing, pack, read_estimate
from mlsvs.fleet.savedmodel import fold_saved_models
from mlsvs.fleet.versions import cache_key, policy_version, scanner_version
from mlsvs.scanner.report import ScanOptions


def _item(uri: str, size: int, kind: SourceKind = SourceKind.S3) -> Item:
    return Item(kind=kind, source="s3://b/", uri=uri, size=size, fingerprint=f"fp:{uri}")


def test_pack_bounds_bytes_and_files_and_keeps_every_item():
    items = [_item(f"s3://b/{i}.pkl", 10 << 20) for i in range(30)]
    items.append(_item("s3://b/huge.pkl", 5 << 30))
    tasks = pack(items, Sizing(task_bytes=64 << 20, task_files=4))
    assert sorted(i for t in tasks for i in t) == list(range(31))
    assert tasks[0] == [30]  # the largest read first, alone
    for task in tasks[1:]:
        assert len(task) <= 4 and sum(read_estimate(items[i]) for i in task) <= 64 << 20


def test_read_estimate_reflects_what_the_scanner_reads():
    assert read_estimate(_item("s3://b/model.pt", 10 << 30)) < 20 << 20
    assert read_estimate(_item("s3://b/model.safetensors", 10 << 30)) == 1 << 20
    assert read_estimate(_item("s3://b/model.pkl", 10 << 30)) == 10 << 30


def test_versions_change_with_policy_and_keys_with_everything():
    base, other = ScanOptions(), ScanOptions(allow=frozenset({"a.b"}))
    assert policy_version(base) == policy_version(ScanOptions())
    assert policy_version(base) != policy_version(other)
    assert policy_version(ScanOptions(max_seconds=99)) != policy_version(base)
    s = scanner_version()
    keys = {
        cache_key("x", s, "p"),
        cache_key("y", s, "p"),
        cache_key("x", s + "1", "p"),
        cache_key("x", s, "q"),
    }
    assert len(keys) == 4


def test_codec_round_trips_a_real_report(tree):
    from mlsvs.scanner.api import scan_path

    for path in sorted(Path(tree).rglob("*.pkl"))[:10]:
        report = scan_path(path)
        back = report_from_json(report_to_json(report), report.path)
        assert back == report


def test_remote_saved_model_files_fold_into_one_item():
    files = [
        _item("s3://b/m/saved/saved_model.pb", 100),
        _item("s3://b/m/saved/variables/v.data", 9000),
        _item("s3://b/m/saved/variables/v.index", 50),
        _item("s3://b/m/other.pkl", 10),
    ]
    folded = fold_saved_models(files)
    assert [i.uri for i in folded] == ["s3://b/m/saved", "s3://b/m/other.pkl"]
    saved = folded[0]
    assert (
        saved.size == 9150 and saved.get("saved_model") == "1" and saved.get("graph_size") == "100"
    )
    changed = fold_saved_models(
        [files[0], _item("s3://b/m/saved/variables/v.data", 9001), files[2]]
    )
    assert changed[0].fingerprint != saved.fingerprint


def test_cache_writes_are_idempotent(tmp_path):
    from mlsvs.fleet.cache import ResultCache
    from mlsvs.fleet.work import Outcome

    cache = ResultCache(tmp_path / "c.sqlite")
    row = Outcome(
        key="k1",
        uri="u",
        report="{}",
        fetched=5,
        seconds=0.1,
        cacheable=True,
        worker="w",
        peak_rss=1,
    )
    skip = Outcome(
        key="k2",
        uri="u2",
        report="{}",
        fetched=5,
        seconds=0.1,
        cacheable=False,
        worker="w",
        peak_rss=1,
    )
    assert cache.store([row, skip]) == 1
    cache.store([row])  # a retried task writes the same row again
    cache.close()
    again = ResultCache(tmp_path / "c.sqlite")
    assert again.reports(["k1", "k2", "k3"]) == {"k1": ("{}", 5)}
    count = again._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert count == 1
    again.close()


def test_a_local_ray_start_is_retried_only_on_start_up_timeouts_and_a_bounded_number_of_times():
    from mlsvs.fleet.raystart import retry_delay

    timeout = "The current node timed out during startup. This could happen because..."
    assert retry_delay(0, 3, timeout) == 2.0
    assert retry_delay(1, 3, "Timed out waiting for file .../metrics_agent_port_x") == 4.0
    assert retry_delay(2, 3, timeout) is None  # the last try: give up
    assert retry_delay(0, 1, timeout) is None  # joining a cluster: one try
    assert retry_delay(0, 3, "Could not find any running Ray instance") is None


def test_start_ray_retries_then_names_the_attempts_in_its_error(monkeypatch):
    import time

    from mlsvs.errors import UsageError
    from mlsvs.fleet import raystart

    monkeypatch.setattr(time, "sleep", lambda s: None)
    calls: list[dict[str, object]] = []

    class LateRay:
        def __init__(self, fail: int) -> None:
            self.fail = fail

        def init(self, **kwargs: object) -> None:
            calls.append(kwargs)
            if len(calls) <= self.fail:
                raise Exception("The current node timed out during startup.")

    raystart.start_ray(LateRay(fail=2), {"address": "local"}, attempts=3)
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(UsageError, match="a new local instance after 3 attempts: The current"):
        raystart.start_ray(LateRay(fail=5), {"address": "local"}, attempts=3)
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(UsageError, match=r"at 10\.0\.0\.1:6379: The current"):
        raystart.start_ray(LateRay(fail=5), {"address": "10.0.0.1:6379"}, attempts=1)
    assert len(calls) == 1


def test_one_fleet_scan_starts_ray_once_for_hashing_and_scanning(monkeypatch):
    pytest.importorskip("ray.exceptions")
    from mlsvs.fleet import engine as engine_module
    from mlsvs.fleet.engine import RayEngine, engine_session

    events: list[str] = []

    class FakeRay:  # records starts and stops; runs each task in this process
        up = False

        def is_initialized(self) -> bool:
            return self.up

        def init(self, **kwargs: object) -> None:
            self.up = True
            events.append("init")

        def shutdown(self) -> None:
            self.up = False
            events.append("shutdown")

        def cluster_resources(self) -> dict[str, float]:
            return {"CPU": 1.0}

        def put(self, value: object) -> object:
            return value

        def remote(self, **options: object):
            def wrap(fn):
                class Remote:
                    @staticmethod
                    def remote(*args: object) -> object:
                        return ("ref", fn(*args))

                return Remote

            return wrap

        def wait(self, refs: list[object], num_returns: int) -> tuple[list[object], list[object]]:
            return refs[:num_returns], refs[num_returns:]

        def get(self, ref: tuple[str, object]) -> object:
            return ref[1]

    fake = FakeRay()
    monkeypatch.setattr(engine_module, "_ray", lambda: fake)
    engine = RayEngine(jobs=1)
    got: list[object] = []
    with engine_session(engine):
        engine.run(abs, [(-1,), (-2,)], lambda i, r: got.append(r), lambda i, w: None)
        engine.run(abs, [(-3,)], lambda i, r: got.append(r), lambda i, w: None)
        engine.run(abs, [], lambda i, r: got.append(r), lambda i, w: None)
        assert events == ["init"]
    assert events == ["init", "shutdown"] and sorted(got) == [1, 2, 3]  # type: ignore[type-var]
    events.clear()
    engine.run(abs, [(-4,)], lambda i, r: None, lambda i, w: None)  # outside a session
    assert events == ["init", "shutdown"]
    events.clear()
    with engine_session(engine):  # no work: nothing started
        pass
    assert events == []
