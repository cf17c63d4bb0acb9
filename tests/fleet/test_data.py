"""The distributed leakage steps (row keys, the three partitioned reductions, the driver's
decision order) give ``find_overlap``'s exact ``Overlap``; run here without Ray (the Ray Data
plumbing of the same steps is tested in ``test_ray``)."""

from __future__ import annotations

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
