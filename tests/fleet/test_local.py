"""The local engine: same verdicts as ``mlsvs scan``, incremental, resumable, its outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlsvs.fleet.engine import LocalEngine
from mlsvs.fleet.plan import Sizing
from mlsvs.fleet.results import reports_of, write_dataset
from mlsvs.fleet.run import Interrupted, fleet_scan
from mlsvs.fleet.sources import Endpoints
from mlsvs.model.result import Severity
from mlsvs.scanner.report import ScanOptions
from tests.fleet.corpus import verdicts


def _scan(tree: Path, out: Path, **kw: object):
    return fleet_scan(
        [str(tree)],
        cache_path=out / "cache.sqlite",
        options=kw.pop("options", ScanOptions()),  # type: ignore[arg-type]
        engine=kw.pop("engine", LocalEngine()),  # type: ignore[arg-type]
        endpoints=Endpoints(),
        sizing=kw.pop("sizing", Sizing(task_bytes=1 << 20, task_files=8)),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_same_verdicts_as_mlsvs_scan_file_by_file(tree, reference, tmp_path, jobs):
    run = _scan(tree, tmp_path, engine=LocalEngine(jobs=jobs))
    got = verdicts(reports_of(run.rows))
    assert set(got) == set(reference)
    for path, verdict in reference.items():
        assert got[path] == verdict, path
    statuses = {v[0] for v in got.values()}
    assert statuses == {"clean", "findings", "not verified"}  # the tree exercises all three
    assert run.stats.scanned == len(reference) and run.stats.cached == 0
    again = _scan(tree, tmp_path, engine=LocalEngine(jobs=jobs))
    in_context = sum(json.loads(r.report)["format"] in ("onnx", "tensor_data") for r in run.rows)
    assert again.stats.scanned == in_context  # sibling-dependent verdicts are never reused
    assert verdicts(reports_of(again.rows)) == reference


def test_unchanged_files_are_neither_hashed_nor_read_again(tree, tmp_path):
    work = tmp_path / "tree"
    shutil.copytree(tree, work)
    first = _scan(work, tmp_path / "out")
    second = _scan(work, tmp_path / "out")
    in_context = sum(json.loads(r.report)["format"] == "onnx" for r in first.rows)
    assert second.stats.scanned == in_context and second.stats.hashed_files == 0
    assert second.stats.cached == len(first.rows) - in_context
    assert [r.report for r in second.rows] == [r.report for r in first.rows]
    # One changed file: hashed and scanned again, nothing else.
    target = work / "small.pt"
    target.write_bytes(target.read_bytes()[:-5])  # truncated checkpoint: a different verdict
    third = _scan(work, tmp_path / "out")
    assert third.stats.hashed_files == 1 and third.stats.scanned == 1 + in_context
    changed = next(r for r in third.rows if r.uri == str(target))
    assert not changed.cached and json.loads(changed.report)["findings"]


def test_a_verdict_that_depends_on_sibling_files_is_never_reused(tmp_path):
    """A raw tensor file is "tensor_data" only while the model naming it sits beside it."""
    import onnx
    from onnx import TensorProto, helper

    work = tmp_path / "tree"
    work.mkdir()
    weights = helper.make_tensor("w", TensorProto.FLOAT, [4], [0.0] * 4)
    weights.data_location = TensorProto.EXTERNAL
    weights.ClearField("float_data")
    entry = weights.external_data.add()
    entry.key, entry.value = "location", "weights.bin"
    graph = helper.make_graph(
        [helper.make_node("Identity", ["w"], ["y"])],
        "g",
        [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        initializer=[weights],
    )
    onnx.save(helper.make_model(graph), str(work / "model.onnx"))
    (work / "weights.bin").write_bytes(bytes(16))
    first = {r.uri: r for r in _scan(work, tmp_path / "out").rows}
    side = str(work / "weights.bin")
    assert json.loads(first[side].report)["format"] == "tensor_data"
    (work / "model.onnx").unlink()
    second = {r.uri: r for r in _scan(work, tmp_path / "out").rows}
    assert not second[side].cached
    assert json.loads(second[side].report)["findings"][0]["rule"] == "GEN001"  # not verified


def test_policy_change_rescans_everything_once(tree, tmp_path):
    base = _scan(tree, tmp_path)
    allowed = ScanOptions(allow=frozenset({"collections.OrderedDict"}))
    changed = _scan(tree, tmp_path, options=allowed)
    assert changed.policy_version != base.policy_version
    assert changed.stats.scanned == len(base.rows) and changed.stats.hashed_files == 0
    in_context = sum(json.loads(r.report)["format"] == "onnx" for r in base.rows)
    again = _scan(tree, tmp_path, options=allowed)
    assert again.stats.scanned == in_context
    back = _scan(tree, tmp_path)  # the old policy's results are still cached
    assert back.stats.scanned == in_context


def test_interrupted_run_resumes_without_lost_or_duplicated_results(tree, reference, tmp_path):
    def stop_after_two(done: int, total: int) -> None:
        assert total > 3
        if done == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        _scan(tree, tmp_path, on_task=stop_after_two)
    resumed = _scan(tree, tmp_path)
    assert 0 < resumed.stats.cached < len(reference)  # two tasks' worth were kept
    assert resumed.stats.scanned + resumed.stats.cached == len(reference)
    write_dataset(resumed, tmp_path, Severity.LOW)
    import pyarrow.dataset as ds

    table = ds.dataset(tmp_path / "results", partitioning="hive").to_table()
    uris = table.column("uri").to_pylist()
    assert len(uris) == len(set(uris)) == len(reference)
    assert verdicts(reports_of(resumed.rows)) == reference


def test_tasks_are_sized_by_bytes_to_read(tree):
    from mlsvs.fleet.local import list_local
    from mlsvs.fleet.plan import pack, read_estimate

    items = [i for i in list_local(str(tree)) if hasattr(i, "size")]
    big = next(i for i in items if i.uri.endswith("checkpoint.pt"))
    assert read_estimate(big) < big.size // 10  # a checkpoint costs its directory and pickles
    tasks = pack(items, Sizing(task_bytes=64 << 10, task_files=1000))
    assert sorted(j for t in tasks for j in t) == list(range(len(items)))
    assert 1 < len(tasks) < len(items)


@pytest.mark.slow
def test_cli_writes_dataset_and_summaries(tree, tmp_path, capsys):
    from mlsvs.cli.main import main

    out = tmp_path / "out"
    code = main(
        [
            "fleet",
            "scan",
            str(tree),
            str(tmp_path / "missing"),
            "--out",
            str(out),
            "-f",
            f"json:{tmp_path / 's.json'}",
            "-f",
            f"sarif:{tmp_path / 's.sarif'}",
            "-f",
            f"html:{tmp_path / 's.html'}",
            "-f",
            "text",
        ]
    )
    assert code == 1  # findings win over the listing error
    doc = json.loads((tmp_path / "s.json").read_text())
    counts = doc["sources"][str(tree)]
    assert counts["findings"] > 10 and counts["clean"] >= 3 and counts["not_verified"] >= 1
    assert doc["sources"][str(tmp_path / "missing")]["errors"] == 1  # reported, never skipped
    assert doc["worst_findings"][0]["severity"] == "critical"
    sarif = json.loads((tmp_path / "s.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    page = (tmp_path / "s.html").read_text()
    assert "Worst findings" in page and "<script" not in page
    import pyarrow.dataset as ds

    table = ds.dataset(out / "results", partitioning="hive").to_table()
    assert table.num_rows == counts["files"] + 1
    assert set(table.column("status").to_pylist()) == {"clean", "findings", "not verified"}
    assert "objects" in capsys.readouterr().out
