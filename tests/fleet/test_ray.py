"""The Ray engine on a local three-node cluster (127.0.0.1): same verdicts as ``mlsvs scan``,
and a worker node killed mid-run costs no result and duplicates none."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mlsvs.fleet.engine import RayEngine
from mlsvs.fleet.plan import Sizing
from mlsvs.fleet.results import reports_of, write_dataset
from mlsvs.fleet.run import fleet_scan
from mlsvs.fleet.sources import Endpoints
from mlsvs.model.result import Severity
from mlsvs.scanner.report import ScanOptions
from tests.fleet.corpus import verdicts

pytestmark = [pytest.mark.ray, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster():
    """A head and a worker node on 127.0.0.1, one CPU each; shut down after the module.

    Yields the cluster, its worker nodes and the GCS address on the loopback interface.
    """
    # Everything on the loopback interface: Ray otherwise resolves 127.0.0.1 to the host's
    # outward address (read when ray is imported, and per call below).
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    # Node agents start slowly on a loaded 2-core machine: give them time rather than fail.
    os.environ.setdefault("RAY_agent_register_timeout_ms", "180000")
    cluster_utils = pytest.importorskip("ray.cluster_utils")
    import ray
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False
    from mlsvs.fleet.raystart import children, end

    stub = str(Path(__file__).parent / "raystub")
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (stub, os.environ.get("PYTHONPATH", "")) if p
    )

    node = {"num_cpus": 1, "object_store_memory": 80 << 20, "node_ip_address": "127.0.0.1"}
    c = None
    for _ in range(3):  # the raylet gives its agents a fixed 15 s (ray-project/ray#65983)
        before = children()
        try:
            c = cluster_utils.Cluster(
                initialize_head=True, head_node_args={**node, "include_dashboard": False}
            )
            break
        except Exception as exc:  # noqa: BLE001 - Ray raises bare Exception on a start timeout
            end(children() - before)  # a failed start leaves its GCS and helpers running
            failure = exc
    if c is None:
        _restore("PYTHONPATH", saved)
        pytest.skip(f"could not start a local Ray cluster here: {failure}")
    try:
        workers = [c.add_node(**node)]
        c.wait_for_nodes()
        assert c.address.startswith("127.0.0.1:"), c.address
        yield c, workers, c.address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        c.shutdown()
        _restore("PYTHONPATH", saved)


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _run(tree: Path, out: Path, address: str, **kw):
    return fleet_scan(
        [str(tree)],
        cache_path=out / "cache.sqlite",
        options=ScanOptions(),
        engine=RayEngine(address=address),
        endpoints=Endpoints(),
        sizing=Sizing(task_bytes=1 << 20, task_files=4),
        **kw,
    )


def test_ray_same_verdicts_as_mlsvs_scan_file_by_file(cluster, tree, reference, tmp_path):
    _, _, address = cluster
    run = _run(tree, tmp_path, address)
    assert verdicts(reports_of(run.rows)) == reference
    assert run.stats.failed_tasks == 0 and run.stats.tasks > 3
    # Every task ran in a Ray worker process (host:pid@node), none on the driver. How many
    # nodes got tasks is the scheduler's choice (a slow node may get none): not asserted.
    assert run.stats.workers
    assert all("@" in w for w in run.stats.workers), run.stats.workers
    driver = f":{os.getpid()}@"
    assert not any(driver in w for w in run.stats.workers), run.stats.workers


def test_leakage_on_ray_data_equals_single_machine(cluster, tmp_path):
    """Exact, quantised and MinHash overlap on Ray Data: the same ``Overlap`` (counts, columns,
    reported partners) as ``find_overlap``, for text+numbers, numbers only and exact only."""
    from mlsvs.datacheck.overlap import OverlapParams, find_overlap
    from mlsvs.datacheck.table import source_for
    from mlsvs.fleet.data import distributed_overlap, ray_session
    from tests.fleet.datasets import build_splits

    _, _, address = cluster
    splits = build_splits(tmp_path / "data")
    train = [source_for(p, p.name) for p in splits["train"]]
    # The tie row (shown first among the examples): its MinHash partner (train-0 row 51)
    # precedes its quantised one (row 201) and the quantised one is reported, as the
    # single-machine pass confirms quantised matches of a record batch first.
    test = [source_for(splits["tie"][0], "0-tie.parquet")]
    test += [source_for(p, p.name) for p in splits["test"]]
    cases = [
        OverlapParams(exclude=frozenset({"id"})),
        OverlapParams(exclude=frozenset({"id", "text"})),
        OverlapParams(near=False, exclude=frozenset({"id"})),
    ]
    with ray_session(address, 0):
        for params in cases:
            reference = find_overlap(train, test, params, names=("train", "test"))
            got = distributed_overlap(train, test, params, names=("train", "test"), partitions=3)
            assert got == reference, params
            assert reference.exact >= 40
            assert (reference.near > 0) is params.near
        tie = "0-tie.parquet:1 ~ train-0.parquet:201 (near)"
        assert tie in find_overlap(train, test, cases[0]).examples


def _cli_json(args: list[str], capsys) -> tuple[int, object]:
    import json

    from mlsvs.cli.main import main

    capsys.readouterr()
    code = main(args)
    return code, json.loads(capsys.readouterr().out)


def test_cli_data_checks_engine_ray_same_output(cluster, tmp_path, monkeypatch, capsys):
    """``mlsvs data leakage --engine ray --address`` prints what the local engine prints."""
    from tests.fleet.datasets import build_splits

    _, _, address = cluster
    monkeypatch.chdir(tmp_path)
    splits = build_splits(tmp_path / "data")
    leak = ["data", "leakage", "--train", *map(str, splits["train"]), "--test"]
    leak += [*map(str, splits["test"]), "--key-column", "id", "-f", "json"]
    local = _cli_json(leak, capsys)
    assert _cli_json([*leak, "--engine", "ray", "--address", address], capsys) == local
    assert local[0] == 1


def test_cli_pii_and_manifest_engine_ray_same_output(cluster, tmp_path, monkeypatch, capsys):
    """``data pii`` and ``data manifest`` with relative paths (a Ray worker does not run in the
    driver's working directory): the local engine's output; the PII of a file of many row
    groups comes from several tasks (``--task-mb``) merged."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlsvs.fleet.data import pii_tasks
    from tests.fleet.datasets import build_pii

    _, _, address = cluster
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    rows = [
        {"email": f"person{i}@example.org", "phone": f"+44 20 7946 {i:04d}", "note": "hello"}
        for i in range(60)
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "data" / "people.parquet")
    build_pii(tmp_path / "data" / "many-groups.parquet", rows=3000)
    (tmp_path / "data" / "broken.parquet").write_bytes(b"PAR1 not a parquet file")
    pii = ["data", "pii", "data", "-f", "json", "--task-mb", "0.01"]
    parts = pii_tasks(
        [Path("data/many-groups.parquet")], max_rows=0, task_bytes=10_485
    )  # --task-mb 0.01
    assert len(parts) >= 3
    man = ["data", "manifest", "data", "-o", "m.json", "--records", "-f", "json"]
    _pii_and_manifest_same_output(address, pii, man, tmp_path, capsys)


def _pii_and_manifest_same_output(address, pii, man, tmp_path, capsys) -> None:
    import json

    local = _cli_json(pii, capsys)
    assert local == _cli_json([*pii, "--engine", "ray", "--address", address], capsys)
    files = {f["path"]: f for f in local[1]["files"]}
    assert local[0] == 2 and "error" in files["data/broken.parquet"]  # a broken file: exit 2
    assert files["data/people.parquet"]["rows"] == 60
    assert files["data/many-groups.parquet"]["rows"] == 3000
    (tmp_path / "data" / "broken.parquet").unlink()
    pii_ok = [*pii, "--min-confidence", "high"]
    local = _cli_json(pii_ok, capsys)
    assert local == _cli_json([*pii_ok, "--engine", "ray", "--address", address], capsys)
    assert local[0] == 1  # findings, no error
    local = _cli_json(man, capsys)
    assert local == _cli_json([*man, "--engine", "ray", "--address", address], capsys)
    assert local[0] == 0
    local_manifest = json.loads((tmp_path / "m.json").read_text())
    assert _cli_json([*man, "--engine", "ray", "--address", address], capsys)[0] == 0
    assert json.loads((tmp_path / "m.json").read_text())["files"] == local_manifest["files"]


def test_worker_node_killed_mid_run_every_file_scanned_exactly_once(
    cluster, tree, reference, tmp_path
):
    import pyarrow.dataset as ds

    c, workers, address = cluster
    big = tmp_path / "tree"
    for copy in range(3):  # enough tasks that the killed node has some in flight
        shutil.copytree(tree, big / f"copy{copy}")
    victim = workers[0]
    killed: list[int] = []

    def kill_once(done: int, total: int) -> None:
        if not killed:
            assert done < total
            c.remove_node(victim, allow_graceful=False)
            killed.append(done)

    run = _run(big, tmp_path / "out", address, on_task=kill_once)
    assert killed and run.stats.failed_tasks == 0
    write_dataset(run, tmp_path / "out", Severity.LOW)
    table = ds.dataset(tmp_path / "out" / "results", partitioning="hive").to_table()
    uris = table.column("uri").to_pylist()
    assert len(uris) == len(set(uris)) == 3 * len(reference)
    got = verdicts(reports_of(run.rows))
    for copy in range(3):
        prefix = str(big / f"copy{copy}")
        mine = {
            str(tree) + p[len(prefix) :]: v for p, v in got.items() if p.startswith(prefix + "/")
        }
        assert mine == reference
    assert all(not r.cached for r in run.rows)  # every file was scanned in this run
