"""The distributed leakage steps (row keys, the three partitioned reductions, the driver's
decision order) give ``find_overlap``'s exact ``Overlap``; run here without Ray (the Ray Data
plumbing of the same steps is tested in ``test_ray``)."""

from __future__ import annotations

import itertools

import pytest

from mlsvs.datacheck.overlap import OverlapParams, find_overlap
from mlsvs.datacheck.table import source_for

pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

CASES = [
    OverlapParams(exclude=frozenset({"id"})),
    OverlapParams(exclude=frozenset({"id", "text"})),
    OverlapParams(near=False, exclude=frozenset({"id"})),
    OverlapParams(exclude=frozenset({"id"}), near_digits=2, minhash_threshold=0.6),
]


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    from tests.fleet.datasets import build_splits

    made = build_splits(tmp_path_factory.mktemp("splits"))
    return {k: [source_for(p, p.name) for p in v] for k, v in made.items()}


@pytest.mark.parametrize("params", CASES, ids=["text", "numbers", "exact", "loose"])
@pytest.mark.parametrize("partitions", [2, 7])
def test_same_overlap_as_the_single_machine_path(splits, params, partitions):
    from mlsvs.fleet.data import InProcess, distributed_overlap

    reference = find_overlap(splits["train"], splits["test"], params, names=("train", "test"))
    got = distributed_overlap(
        splits["train"], splits["test"], params, names=("train", "test"),
        partitions=partitions, engine=InProcess(),
    )  # fmt: skip
    assert got == reference
    assert reference.exact >= 40 and (reference.near > 0) is params.near


def test_partner_order_within_a_record_batch(splits):
    """The tie row's MinHash partner (train-0 row 51) precedes its quantised one (row 201);
    the single-machine pass confirms quantised matches of a batch first."""
    from mlsvs.fleet.data import InProcess, distributed_overlap

    reference = find_overlap(splits["train"], splits["tie"], CASES[0])
    assert reference.examples == ("tie.parquet:1 ~ train-0.parquet:201 (near)",)
    assert distributed_overlap(splits["train"], splits["tie"], CASES[0], engine=InProcess()) == (
        reference
    )


def test_only_parquet_and_shared_columns(tmp_path, splits):
    from mlsvs.datacheck.errors import DataFileError
    from mlsvs.errors import UsageError
    from mlsvs.fleet.data import InProcess, distributed_overlap

    csv = tmp_path / "t.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(UsageError, match="reads Parquet datasets, not csv"):
        distributed_overlap(
            splits["train"], [source_for(csv, "t.csv")], CASES[0], engine=InProcess()
        )
    with pytest.raises(DataFileError, match="share no column"):
        distributed_overlap(
            splits["train"], splits["test"],
            OverlapParams(exclude=frozenset({"id", "text", "x", "k"})), engine=InProcess(),
        )  # fmt: skip


# --- PII in parts ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pii_file(tmp_path_factory):
    from tests.fleet.datasets import build_pii

    return build_pii(tmp_path_factory.mktemp("pii") / "people.parquet")


def _state(scan):
    """Everything a scan accumulated (the undecided phone log and first-seen list aside)."""
    accs = {
        key: (a.count, a.valid, a.shaped, a.confidence, a.samples, a.rows, list(a.hit_rows),
              a.rule, a.phone_checked, a.phone_valid)
        for key, a in scan.acc.items()
    }  # fmt: skip
    columns = [
        (c.filled, c.whole, c.distinct, c.increasing, c.previous, c.first) for c in scan.columns
    ]
    return scan.rows, accs, columns


CUTS = {"every-group": None, "uneven": (1, 2, 9, 14), "whole": ()}


@pytest.mark.parametrize("max_rows", [0, 2345])
@pytest.mark.parametrize("cuts", list(CUTS.values()), ids=list(CUTS))
def test_pii_parts_merge_to_the_one_pass_report(pii_file, cuts, max_rows):
    """Parts split at row-group boundaries (also inside the first PHONE_CHECKS phone values of
    the unhinted ``contact`` column) merge to the single pass's state and report exactly."""
    import pyarrow.parquet as pq

    from mlsvs.datacheck.columnar import column_batches
    from mlsvs.datacheck.pii_scan import (
        PHONE_CHECKS,
        _limited,
        _merge,
        _Scan,
        _scan_batches,
        merge_parts,
        scan_pii,
        scan_pii_part,
    )

    source = source_for(pii_file, "people.parquet")
    meta = pq.ParquetFile(pii_file).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    cuts = tuple(range(1, len(sizes))) if cuts is None else cuts
    bounds = [0, *cuts, len(sizes)]
    parts = [
        scan_pii_part(source, row_groups=range(a, b), start=sum(sizes[:a]), max_rows=max_rows)
        for a, b in itertools.pairwise(bounds)
    ]
    header, batches = column_batches(source)
    single = _Scan(header)
    _scan_batches(single, _limited(batches, max_rows))
    assert _state(_merge(parts)) == _state(single)
    reference = scan_pii(source, max_rows=max_rows)
    assert merge_parts("people.parquet", parts) == reference
    assert reference.rows == (max_rows or sum(sizes))
    hits = {h.name for h in reference.hits}
    assert {"email:email", "contact:phone", "name:person_name", "memo:api_key"} <= hits
    contact = next(a for (i, _), a in single.acc.items() if header[i] == "contact")
    assert contact.phone_checked == PHONE_CHECKS < contact.shaped  # the budget ran out
    assert contact.phone_valid < PHONE_CHECKS  # and rejected some values


def test_pii_tasks_by_bytes_and_the_distributed_report(pii_file, tmp_path):
    """Tasks are runs of row groups of at least ``task_bytes``; ``distributed_pii`` (here on
    the local engine) gives ``scan_pii``'s report per file, errors in file order."""
    import pyarrow.parquet as pq

    from mlsvs.datacheck.errors import DataError
    from mlsvs.datacheck.pii_scan import scan_pii
    from mlsvs.fleet.data import distributed_pii, pii_tasks
    from mlsvs.fleet.engine import LocalEngine

    meta = pq.ParquetFile(pii_file).metadata
    group_bytes = [
        sum(meta.row_group(g).column(c).total_compressed_size for c in range(meta.num_columns))
        for g in range(meta.num_row_groups)
    ]
    csv = tmp_path / "a.csv"
    csv.write_text("email,x\nme@example.org,1\n")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    paths = [pii_file, csv, broken]
    tasks = pii_tasks(paths, max_rows=0, task_bytes=3 * max(group_bytes))
    mine = [t for t in tasks if t.file == 0]
    assert 4 <= len(mine) <= -(-meta.num_row_groups // 3) + 1
    assert [g for t in mine for g in t.groups] == list(range(meta.num_row_groups))
    assert [t.groups for t in tasks if t.file] == [None, None]
    limited = pii_tasks([pii_file], max_rows=1000, task_bytes=1)
    assert [t.groups for t in limited] == [(0,), (1,), (2,)]  # 400-row groups
    got = distributed_pii(
        paths, max_rows=0, address="", jobs=1, task_bytes=3 * max(group_bytes),
        engine=LocalEngine(),
    )  # fmt: skip
    assert got[0] == scan_pii(source_for(pii_file, str(pii_file)))
    assert got[1] == scan_pii(source_for(csv, str(csv)))
    assert isinstance(got[2], DataError) and "broken.parquet" in got[2].message
