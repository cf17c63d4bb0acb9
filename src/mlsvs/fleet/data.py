"""``mlsvs data leakage|pii|manifest --engine ray``: the dataset checks on a Ray cluster.

The answers are the single-machine ones (``datacheck.overlap.find_overlap``,
``datacheck.pii_scan.scan_pii``, ``datacheck.manifest.build_manifest``) on the same data; only
where the work runs changes. Every file must be readable at the same path on every node (a
shared or object-store-backed file system).

Leakage (Parquet splits, Ray Data): read tasks take runs of row groups as Arrow batches and turn
each row into keys with the single-machine normalisation (``normalise.normalise`` /
``normalise.quantise`` per distinct cell, ``columnar.as_strings`` for non-string columns,
``fastoverlap.quantised_texts`` and ``minhash.MinHasher`` for the text pass). Three hash
partitionings follow, each a Ray Data ``groupby`` on ``key % partitions``:

* exact keys: per key, the first evaluation row and the first training row holding it;
* quantised keys: per key, the first evaluation row, and every training row holding it;
* LSH band keys (text columns only): every (training, evaluation) pair sharing a band whose
  signatures agree on at least ``minhash_threshold`` of the slots.

Only matches come back to the driver, which applies ``find_overlap``'s decision order exactly: a
training row with an exact duplicate is not looked at for near ones, one with a quantised
duplicate not for MinHash ones, and an evaluation row's reported partner is the first training
row in the single-machine reading order (file, record batch, quantised before MinHash, row).

PII: one Ray task per run of a Parquet file's row groups, sized by the compressed bytes it
reads (``pii_scan.scan_pii_part``: Arrow batches through the vectorised pre-filters), the parts
merged per file in file order (``pii_scan.merge_parts``: the one-pass report exactly); other
formats one task per file. Manifests: one task per file (``sha256_stream`` / ``hash_records``),
results assembled in the single-machine order. Paths travel absolute (a worker's working
directory is not the driver's) and are shown as given.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.datacheck.errors import DataError, DataFileError
from mlsvs.errors import UsageError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path

    from mlsvs.datacheck.manifest import Manifest
    from mlsvs.datacheck.overlap import Overlap, OverlapParams
    from mlsvs.datacheck.pii_scan import PiiPart, PiiReport
    from mlsvs.datacheck.table import TableSource
    from mlsvs.fleet.engine import Engine

READ_BATCH = 65_536
"""Rows per record batch of ``columnar``'s Parquet reader: the single-machine pass confirms the
near duplicates of one batch (quantised, then MinHash) before reading the next, which decides
the reported partner when both kinds match."""
UNIT_ROWS = 262_144
"""Rows per read task (whole row groups, at least one)."""
HASH_SHUFFLE_ROWS = 10_000_000
"""Leakage inputs from this many rows on use Ray Data's hash shuffle (actors), smaller ones its
task-based sort shuffle (``_RayData.session``)."""
PII_TASK_BYTES = 64 << 20
"""Compressed Parquet bytes (what a task reads) per PII task: whole row groups, at least one."""
_ROW_BITS = 40
_MULT = 0x9E3779B97F4A7C15
_PAIRS = 1 << 15


@dataclass(frozen=True, slots=True)
class _Unit:
    split: int
    """0: earlier (training) split, 1: later (evaluation) split."""
    file: int
    path: str
    groups: tuple[int, ...]
    start: int


@dataclass(frozen=True, slots=True)
class _Plan:
    columns: tuple[str, ...]
    digits: int
    text: bool
    permutations: int
    bands: int
    shingle: int
    partitions: int


@contextlib.contextmanager
def ray_session(address: str, jobs: int) -> Iterator[Any]:
    """Ray, joined at ``address`` or started locally with ``jobs`` CPUs; shut down if started."""
    from mlsvs.fleet.engine import _ray
    from mlsvs.fleet.raystart import LOCAL_START_ATTEMPTS, start_ray

    ray = _ray()
    started = not ray.is_initialized()
    if started:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        kwargs["address"] = address or "local"
        if not address and jobs:
            kwargs["num_cpus"] = jobs
        start_ray(ray, kwargs, attempts=1 if address else LOCAL_START_ATTEMPTS)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def require_parquet(sources: Sequence[TableSource]) -> None:
    """``UsageError`` unless every source is a Parquet file (what the Ray path reads)."""
    for source in sources:
        if source.format != "parquet":
            raise UsageError(
                f"{source.display}: --engine ray reads Parquet datasets, not {source.format}"
            )


# --- leakage -------------------------------------------------------------------------------


def distributed_overlap(
    earlier: Sequence[TableSource],
    later: Sequence[TableSource],
    params: OverlapParams,
    *,
    names: tuple[str, str] = ("earlier", "later"),
    partitions: int = 0,
    engine: InProcess | None = None,
) -> Overlap:
    """``find_overlap`` on Ray Data (inside ``ray_session``); the same ``Overlap``.

    ``engine=InProcess()`` runs the same map and reduce steps here, without Ray.
    """
    from mlsvs.datacheck.minhash import require_numpy
    from mlsvs.datacheck.overlap import EXAMPLES, Overlap, _text_columns, shared_columns

    require_parquet([*earlier, *later])
    columns = shared_columns(earlier, later, params.exclude)
    if not columns:
        raise DataFileError(
            f"{later[0].display} and {earlier[0].display} share no column to compare"
        )
    text = _text_columns(later, columns) if params.near else ()
    if text:
        require_numpy()
    if engine is None and not partitions:
        from mlsvs.fleet.engine import _ray

        partitions = 2 * int(_ray().cluster_resources().get("CPU", 1))
    plan = _Plan(
        columns=columns, digits=params.near_digits, text=bool(text),
        permutations=params.permutations, bands=params.bands, shingle=params.shingle,
        partitions=max(2, partitions),
    )  # fmt: skip
    units, rows = _units(earlier, later)
    try:
        with contextlib.ExitStack() as stack:
            runner = engine or stack.enter_context(_RayData.session(sum(rows)))
            exact, near_rank = _matches(units, plan, params, runner)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - Ray Data wraps task errors in its own types
        cause = exc.__cause__ if isinstance(exc.__cause__, DataError) else None
        if cause is not None:
            raise cause from None
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        raise DataFileError(f"leakage on Ray failed (not verified): {first}"[:300]) from None

    def label(sources: Sequence[TableSource], pos: int) -> str:
        return f"{sources[pos >> _ROW_BITS].display}:{(pos & ((1 << _ROW_BITS) - 1)) + 1}"

    exact_labels = {label(later, k): label(earlier, v) for k, v in exact.items()}
    near_labels = {
        label(later, k): label(earlier, _unrank(r)) for k, r in near_rank.items() if k not in exact
    }
    examples = [f"{k} = {v} (exact)" for k, v in sorted(exact_labels.items(), key=_order)]
    examples = examples[:EXAMPLES]
    examples += [f"{k} ~ {v} (near)" for k, v in sorted(near_labels.items(), key=_order)[:EXAMPLES]]
    return Overlap(
        earlier=names[0], later=names[1], columns=columns, text_columns=text,
        rows_earlier=rows[0], rows_later=rows[1], exact=len(exact_labels),
        near=len(near_labels), examples=tuple(examples),
    )  # fmt: skip


def _item(unit: _Unit) -> dict[str, Any]:
    return {
        "split": unit.split, "file": unit.file, "path": unit.path, "groups": list(unit.groups),
        "start": unit.start,
    }  # fmt: skip


class _RayData:
    """The three partitioned reductions on Ray Data (the cluster's CPUs, Arrow blocks)."""

    @classmethod
    @contextlib.contextmanager
    def session(cls, rows: int) -> Iterator[_RayData]:
        """The engine for ``rows`` input rows; the driver's Ray Data settings restored after.

        Below ``HASH_SHUFFLE_ROWS`` the shuffles are Ray Data's task-based (pull) sort
        shuffle: its hash shuffle (the default) starts aggregator actors for every shuffle,
        which cost more than small data (the 1,400-row test splits, on 2 CPUs: 1.8 s for the
        three shuffles warm, against 25 s).
        """
        import ray.data
        from ray.data.context import ShuffleStrategy

        context = ray.data.DataContext.get_current()
        saved = context.enable_progress_bars, context.shuffle_strategy
        context.enable_progress_bars = False
        if rows < HASH_SHUFFLE_ROWS:
            context.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
        try:
            yield cls()
        finally:
            context.enable_progress_bars, context.shuffle_strategy = saved

    def keys(self, units: list[_Unit], plan: _Plan) -> Any:  # noqa: ANN401 - a Ray Dataset
        import ray.data

        items = [_item(u) for u in units]
        dataset: Any = ray.data.from_items(items, override_num_blocks=max(1, len(items)))
        return dataset.map_batches(
            _row_keys, fn_kwargs={"plan": plan}, batch_size=1, batch_format="pyarrow"
        ).materialize()

    def bands(self, keys: Any, plan: _Plan) -> Any:  # noqa: ANN401 - Ray Datasets
        return keys.map_batches(
            _explode_bands, fn_kwargs={"plan": plan}, batch_format="pyarrow", batch_size=4096
        )

    def reduce(
        self,
        data: Any,  # noqa: ANN401 - a Ray Dataset
        columns: list[str],
        by: str,
        fn: Callable[..., Any],
        partitions: int,
        **kwargs: Any,  # noqa: ANN401
    ) -> dict[str, list[int]]:
        # As many shuffle partitions as key partitions (``by`` holds ``key % partitions``):
        # Ray Data's default (``default_hash_shuffle_parallelism``, 200) makes hundreds of
        # mostly empty reduce tasks, which on small data cost more than the work.
        grouped = data.select_columns(columns).groupby(by, num_partitions=partitions)
        return _collect(grouped.map_groups(fn, fn_kwargs=kwargs, batch_format="pyarrow"))


class InProcess:
    """The same map and reduce functions over the partitions in this process (no Ray): the
    reference that the Ray Data plumbing is tested against, and a check of the reductions."""

    def keys(self, units: list[_Unit], plan: _Plan) -> list[Any]:
        import pyarrow as pa

        return [_row_keys(pa.Table.from_pylist([_item(u)]), plan) for u in units]

    def bands(self, keys: list[Any], plan: _Plan) -> list[Any]:
        return [_explode_bands(t, plan) for t in keys if t.num_rows]

    def reduce(
        self,
        data: list[Any],
        columns: list[str],
        by: str,
        fn: Callable[..., Any],
        partitions: int,
        **kwargs: Any,  # noqa: ANN401
    ) -> dict[str, list[int]]:
        import pyarrow as pa
        import pyarrow.compute as pc

        tables = [t.select(columns) for t in data if t.num_rows]
        out: dict[str, list[int]] = {"later": [], "earlier": [], "hit": []}
        if not tables:
            return out
        table = pa.concat_tables(tables)
        for part in pc.unique(table.column(by)).to_pylist():
            result = fn(table.filter(pc.equal(table.column(by), part)), **kwargs)
            for name in result.column_names:
                out[name].extend(result.column(name).to_pylist())
        return out


def _matches(
    units: list[_Unit], plan: _Plan, params: OverlapParams, engine: _RayData | InProcess
) -> tuple[dict[int, int], dict[int, tuple[int, int, int, int]]]:
    """Exact partners (later pos -> earlier pos) and near ones (later pos -> earlier rank)."""
    keys = engine.keys(units, plan)
    exact_pairs = engine.reduce(
        keys, ["split", "pos", "exact", "pe"], "pe", _reduce_exact, plan.partitions
    )
    pairs = zip(exact_pairs["later"], exact_pairs["earlier"], strict=True)
    exact = {later_pos: earlier_pos for later_pos, earlier_pos in pairs if later_pos >= 0}
    near_rank: dict[int, tuple[int, int, int, int]] = {}
    if not params.near:
        return exact, near_rank
    near = engine.reduce(keys, ["split", "pos", "near", "pn"], "pn", _reduce_near, plan.partitions)
    # An earlier row with an exact (or quantised) partner still counts as the near partner of
    # other later rows: one training row leaked as several edited test rows is found each time.
    for later_pos, earlier_pos in zip(near["later"], near["earlier"], strict=True):
        _keep_first(near_rank, later_pos, _rank(earlier_pos, 0))
    if plan.text:
        found = engine.reduce(
            engine.bands(keys, plan), ["band", "pb", "split", "pos", "sig"], "pb",
            _reduce_bands, plan.partitions, threshold=params.minhash_threshold,
        )  # fmt: skip
        confirmed = _confirm(found, units, plan, params.minhash_threshold)
        for later_pos, earlier_pos in confirmed:
            _keep_first(near_rank, later_pos, _rank(earlier_pos, 1))
    return exact, near_rank


def _confirm(
    found: dict[str, list[int]], units: list[_Unit], plan: _Plan, threshold: float
) -> list[tuple[int, int]]:
    """The (later, earlier) candidates whose *exact* Jaccard similarity reaches ``threshold``.

    The single-machine path decides candidates this way (``overlap._minhash``); the shuffle
    carries signatures only, so the driver reads the candidates' rows back (whole files that
    hold a candidate, each once) and compares their shingle sets.
    """
    import numpy as np

    from mlsvs.datacheck.minhash import MinHasher, Texts, exact_jaccard

    later = np.asarray(found["later"], dtype=np.int64)
    earlier = np.asarray(found["earlier"], dtype=np.int64)
    if not len(later):
        return []
    hasher = MinHasher.create(
        permutations=plan.permutations, bands=plan.bands, shingle=plan.shingle
    )
    paths = {(u.split, u.file): u.path for u in units}
    left_pos, li = np.unique(later, return_inverse=True)
    right_pos, ri = np.unique(earlier, return_inverse=True)
    left = Texts.from_strings(_texts_at(paths, 1, left_pos.tolist(), plan))
    right = Texts.from_strings(_texts_at(paths, 0, right_pos.tolist(), plan))
    similar = exact_jaccard(hasher.shingle_sets(left), hasher.shingle_sets(right), li, ri)
    keep = similar >= threshold
    return list(zip(later[keep].tolist(), earlier[keep].tolist(), strict=True))


def _texts_at(
    paths: dict[tuple[int, int], str], split: int, positions: list[int], plan: _Plan
) -> list[str]:
    """The quantised row texts (as the map step builds them) at ``positions`` of ``split``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlsvs.datacheck.columnar import as_strings
    from mlsvs.datacheck.fastoverlap import quantised_texts

    mask = (1 << _ROW_BITS) - 1
    by_file: dict[int, list[int]] = {}
    for pos in positions:
        by_file.setdefault(pos >> _ROW_BITS, []).append(pos & mask)
    texts: dict[int, str] = {}
    for file, rows in by_file.items():
        path = paths[(split, file)]
        try:
            table = pq.read_table(path, columns=list(plan.columns))
        except (pa.ArrowException, OSError) as exc:
            raise DataFileError(f"{path}: corrupt parquet file: {exc}") from None
        taken = []
        for name in plan.columns:
            column = table.column(name)
            chunks = [as_strings(c) for c in column.chunks] or [pa.array([], pa.string())]
            taken.append(pa.chunked_array(chunks, pa.string()).combine_chunks().take(rows))
        for row, text in zip(rows, quantised_texts(taken, plan.digits), strict=True):
            texts[(file << _ROW_BITS) + row] = text
    return [texts[p] for p in positions]


def _order(item: tuple[str, str]) -> tuple[str, int]:
    from mlsvs.datacheck.overlap import _order as order

    return order(item)


def _rank(pos: int, phase: int) -> tuple[int, int, int, int]:
    row = pos & ((1 << _ROW_BITS) - 1)
    return (pos >> _ROW_BITS, row // READ_BATCH, phase, row)


def _unrank(rank: tuple[int, int, int, int]) -> int:
    return (rank[0] << _ROW_BITS) | rank[3]


def _keep_first(
    table: dict[int, tuple[int, int, int, int]], key: int, rank: tuple[int, int, int, int]
) -> None:
    current = table.get(key)
    if current is None or rank < current:
        table[key] = rank


def _units(
    earlier: Sequence[TableSource], later: Sequence[TableSource]
) -> tuple[list[_Unit], tuple[int, int]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    units: list[_Unit] = []
    rows = [0, 0]
    for split, sources in enumerate((earlier, later)):
        for number, source in enumerate(sources):
            try:
                meta = pq.ParquetFile(source.path).metadata
            except (pa.ArrowException, OSError) as exc:
                raise DataFileError(f"{source.display}: corrupt parquet file: {exc}") from None
            path = _absolute(source.path)
            start = 0
            group: list[int] = []
            size = 0
            for index in range(meta.num_row_groups):
                group.append(index)
                size += meta.row_group(index).num_rows
                if size >= UNIT_ROWS:
                    units.append(_Unit(split, number, path, tuple(group), start))
                    start += size
                    group, size = [], 0
            if group:
                units.append(_Unit(split, number, path, tuple(group), start))
                start += size
            rows[split] += start
    return units, (rows[0], rows[1])


def _absolute(path: Path | str) -> str:
    """``path`` made absolute against this (the driver's) working directory: a Ray worker runs
    in a directory of its own, where a relative path names nothing (or another file)."""
    from pathlib import Path

    return str(Path(path).absolute())


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _row_keys(batch: Any, plan: _Plan) -> Any:  # noqa: ANN401 - pyarrow tables
    """One read unit -> a table of per-row keys (and MinHash signatures for the text pass)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from mlsvs.datacheck.columnar import as_strings
    from mlsvs.datacheck.normalise import normalise, quantise

    unit = batch.to_pylist()[0]
    try:
        table = pq.ParquetFile(unit["path"]).read_row_groups(
            unit["groups"], columns=list(plan.columns)
        )
    except (pa.ArrowException, OSError) as exc:
        raise DataFileError(f"{unit['path']}: corrupt parquet file: {exc}") from None
    n = table.num_rows
    exact = np.zeros(n, dtype=np.uint64)
    near = np.zeros(n, dtype=np.uint64)
    blank = np.ones(n, dtype=bool)
    strings = []
    with np.errstate(over="ignore"):
        for name in plan.columns:
            column = table.column(name)
            chunks = [as_strings(c) for c in column.chunks] or [pa.array([], pa.string())]
            cells = pa.chunked_array(chunks, pa.string()).combine_chunks()
            strings.append(cells)
            encoded = pc.dictionary_encode(cells)
            codes = encoded.indices.to_numpy(zero_copy_only=False)
            values = encoded.dictionary.to_pylist()
            e = np.fromiter((_digest(normalise(v)) for v in values), np.uint64, len(values))
            q = np.fromiter(
                (_digest(quantise(v, plan.digits)) for v in values), np.uint64, len(values)
            )
            b = np.fromiter((not v.strip() for v in values), bool, len(values))
            exact = exact * np.uint64(_MULT) + e[codes]
            near = near * np.uint64(_MULT) + q[codes]
            blank &= b[codes]
    pos = (np.int64(unit["file"]) << np.int64(_ROW_BITS)) + unit["start"] + np.arange(n)
    keep = np.flatnonzero(~blank)
    exact, near = _mix(exact[keep]), _mix(near[keep])
    parts = np.uint64(plan.partitions)
    out = {
        "split": np.full(len(keep), unit["split"], dtype=np.int8),
        "pos": pos[keep],
        "exact": exact,
        "near": near,
        "pe": (exact % parts).astype(np.int64),
        "pn": (near % parts).astype(np.int64),
    }
    if plan.text:
        from mlsvs.datacheck.fastoverlap import row_texts
        from mlsvs.datacheck.minhash import MinHasher, Texts

        hasher = MinHasher.create(
            permutations=plan.permutations, bands=plan.bands, shingle=plan.shingle
        )
        taken = [c.take(pa.array(keep)) for c in strings]
        signatures, bands = hasher.sketch(Texts.from_arrow(row_texts(taken, plan.digits)))
        width = 4 * plan.permutations
        flat = pa.py_buffer(np.ascontiguousarray(signatures).tobytes())
        sig = pa.Array.from_buffers(pa.binary(width), len(keep), [None, flat])
        band_list = pa.FixedSizeListArray.from_arrays(pa.array(bands.ravel()), plan.bands)
        return pa.table({**out, "sig": sig, "bands": band_list})
    return pa.table(out)


def _mix(keys: Any) -> Any:  # noqa: ANN401 - uint64 arrays
    import numpy as np

    z = keys.copy()
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def _collect(dataset: Any) -> dict[str, list[int]]:  # noqa: ANN401 - a Ray Dataset
    """The (small) match tables of a reduction, as Python lists."""
    out: dict[str, list[int]] = {}
    for batch in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
        for name in batch.column_names:
            out.setdefault(name, []).extend(batch.column(name).to_pylist())
    for name in ("later", "earlier", "hit"):
        out.setdefault(name, [])
    return out


def _groups(keys: Any, splits: Any, pos: Any) -> tuple[Any, Any, Any, Any]:  # noqa: ANN401
    """Rows sorted by (key, split, pos) and the start of each key's run."""
    import numpy as np

    order = np.lexsort((pos, splits, keys))
    k, s, p = keys[order], splits[order], pos[order]
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    return k, s, p, starts


def _first_later(splits: Any, starts: Any) -> tuple[Any, Any]:  # noqa: ANN401 - arrays
    """Per key run (rows sorted by key, split, pos): the index of its first later-split row
    (-1: none), and the run of every row."""
    import numpy as np

    lengths = np.diff(np.append(starts, len(splits)))
    run = np.repeat(np.arange(len(starts)), lengths)
    earlier = np.bincount(run[splits == 0], minlength=len(starts))
    first = np.where(earlier < lengths, starts + earlier, -1)
    return first, run


def _reduce_exact(table: Any) -> Any:  # noqa: ANN401 - pyarrow tables
    """Per exact key held by both splits: (first later row, first earlier row); every earlier
    row holding such a key (``hit``, ``later`` = -1)."""
    import numpy as np
    import pyarrow as pa

    keys = table.column("exact").to_numpy()
    splits = table.column("split").to_numpy()
    pos = table.column("pos").to_numpy()
    _, s, p, starts = _groups(keys, splits, pos)
    first_later, run = _first_later(s, starts)
    both = np.flatnonzero((first_later >= 0) & (s[starts] == 0))
    # Sorted by split within a run: earlier (0) rows first, so the run start is the first
    # earlier row of a key both splits hold.
    hit_rows = np.flatnonzero((s == 0) & (first_later[run] >= 0))
    later_out = np.concatenate((p[first_later[both]], np.full(len(hit_rows), -1, np.int64)))
    earlier_out = np.concatenate((p[starts[both]], np.full(len(hit_rows), -1, np.int64)))
    hit_out = np.concatenate((np.full(len(both), -1, dtype=np.int64), p[hit_rows]))
    return pa.table({"later": later_out, "earlier": earlier_out, "hit": hit_out})


def _reduce_near(table: Any) -> Any:  # noqa: ANN401 - pyarrow tables
    """Every (first later row of the key, earlier row) sharing a quantised key."""
    import numpy as np
    import pyarrow as pa

    keys = table.column("near").to_numpy()
    splits = table.column("split").to_numpy()
    pos = table.column("pos").to_numpy()
    _, s, p, starts = _groups(keys, splits, pos)
    first_later, run = _first_later(s, starts)
    earlier_rows = np.flatnonzero((s == 0) & (first_later[run] >= 0))
    return pa.table({"later": p[first_later[run[earlier_rows]]], "earlier": p[earlier_rows]})


def _explode_bands(table: Any, plan: _Plan) -> Any:  # noqa: ANN401 - pyarrow tables
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    bands = table.column("bands").combine_chunks().flatten().to_numpy()
    rows = np.repeat(np.arange(n), plan.bands)
    return pa.table({
        "band": bands,
        "pb": (bands % np.uint64(plan.partitions)).astype(np.int64),
        "split": pc.take(table.column("split"), pa.array(rows)),
        "pos": pc.take(table.column("pos"), pa.array(rows)),
        "sig": pc.take(table.column("sig"), pa.array(rows)),
    })  # fmt: skip


def _reduce_bands(table: Any, threshold: float) -> Any:  # noqa: ANN401 - pyarrow tables
    """Distinct (earlier, later) pairs sharing a band key whose signatures agree within
    ``ESTIMATE_MARGIN`` of ``threshold`` (candidates, as the single-machine path takes them)."""
    import numpy as np
    import pyarrow as pa

    from mlsvs.datacheck.minhash import EMPTY, ESTIMATE_MARGIN

    keys = table.column("band").to_numpy()
    splits = table.column("split").to_numpy()
    pos = table.column("pos").to_numpy()
    sig_col = table.column("sig").combine_chunks()
    width = sig_col.type.byte_width // 4
    raw = np.frombuffer(sig_col.buffers()[1], dtype=np.uint32)
    offset = sig_col.offset * width
    sigs = raw[offset : offset + len(sig_col) * width].reshape(len(sig_col), width)
    order = np.lexsort((pos, splits, keys))
    k, s = keys[order], splits[order]
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    ends = np.append(starts[1:], len(k))
    run = np.repeat(np.arange(len(starts)), ends - starts)
    earlier = np.bincount(run[s == 0], minlength=len(starts))
    shared = np.flatnonzero((earlier > 0) & (earlier < ends - starts))
    left: list[Any] = []
    right: list[Any] = []
    # Within a run, earlier rows (split 0) come first: [start, mid) earlier, [mid, end) later.
    for a, m, b in zip(
        starts[shared].tolist(), (starts + earlier)[shared].tolist(), ends[shared].tolist(),
        strict=True,
    ):  # fmt: skip
        e = np.arange(a, m)
        lat = np.arange(m, b)
        left.append(np.repeat(e, len(lat)))
        right.append(np.tile(lat, len(e)))
    if not left:
        empty = np.zeros(0, dtype=np.int64)
        return pa.table({"later": empty, "earlier": empty})
    qi, ci = order[np.concatenate(left)], order[np.concatenate(right)]
    found_e: list[Any] = []
    found_l: list[Any] = []
    for start in range(0, len(qi), _PAIRS):
        q, c = qi[start : start + _PAIRS], ci[start : start + _PAIRS]
        a_sig, b_sig = sigs[q], sigs[c]
        # Candidates only: the driver decides them on exact Jaccard (``_confirm``).
        keep = (a_sig == b_sig).mean(axis=1) >= threshold - ESTIMATE_MARGIN
        keep &= ~(a_sig == EMPTY).all(axis=1) & ~(b_sig == EMPTY).all(axis=1)
        found_e.append(pos[q[keep]])
        found_l.append(pos[c[keep]])
    pairs = np.unique(np.stack((np.concatenate(found_e), np.concatenate(found_l))), axis=1)
    return pa.table({"later": pairs[1], "earlier": pairs[0]})


# --- PII and manifests -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PiiTask:
    file: int
    groups: tuple[int, ...] | None
    """Row groups of a Parquet file; None: the whole file in one ``scan_pii``."""
    start: int


def pii_tasks(
    paths: Sequence[Path], *, max_rows: int, task_bytes: int = PII_TASK_BYTES
) -> list[_PiiTask]:
    """The PII tasks, in file order: a Parquet file's row groups in runs of at least
    ``task_bytes`` compressed bytes (those read), other files (and a Parquet file whose footer
    cannot be read: ``scan_pii`` reports why) whole. With ``max_rows``, row groups past it are
    not read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlsvs.datacheck.table import format_of

    tasks: list[_PiiTask] = []
    for number, path in enumerate(paths):
        if format_of(path) != "parquet":
            tasks.append(_PiiTask(number, None, 0))
            continue
        try:
            meta = pq.ParquetFile(path).metadata
        except (pa.ArrowException, OSError):
            tasks.append(_PiiTask(number, None, 0))
            continue
        start = first = 0
        group: list[int] = []
        size = 0
        for index in range(meta.num_row_groups):
            if max_rows and start >= max_rows:
                break
            row_group = meta.row_group(index)
            group.append(index)
            size += sum(
                row_group.column(c).total_compressed_size for c in range(row_group.num_columns)
            )
            start += row_group.num_rows
            if size >= task_bytes:
                tasks.append(_PiiTask(number, tuple(group), first))
                first, group, size = start, [], 0
        if group or first == 0:
            tasks.append(_PiiTask(number, tuple(group), first))
    return tasks


def _scan_part(
    path: str, display: str, groups: tuple[int, ...] | None, start: int, max_rows: int
) -> PiiReport | PiiPart | str:
    from pathlib import Path

    from mlsvs.datacheck.pii_scan import scan_pii, scan_pii_part
    from mlsvs.datacheck.table import source_for

    try:
        source = source_for(Path(path), display)
        if groups is None:
            return scan_pii(source, max_rows=max_rows)
        return scan_pii_part(source, row_groups=groups, start=start, max_rows=max_rows)
    except DataError as exc:
        return f"\0{exc.message}"


def distributed_pii(
    paths: Sequence[Path],
    *,
    max_rows: int,
    address: str,
    jobs: int,
    task_bytes: int = PII_TASK_BYTES,
    engine: Engine | None = None,
) -> list[PiiReport | DataError]:
    """``scan_pii`` of every file (shown as its path) on Ray, a task per run of row groups
    (``pii_tasks``) whose parts are merged in file order (``merge_parts``): the single-machine
    report, or the file's error (its first part's in file order; a task Ray could not run
    leaves the file not scanned). ``engine``: where the tasks run (default: Ray)."""
    from mlsvs.fleet.engine import RayEngine

    tasks = pii_tasks(paths, max_rows=max_rows, task_bytes=task_bytes)
    results: dict[int, PiiReport | PiiPart | str] = {}
    lost: dict[int, str] = {}
    calls = [
        (_absolute(paths[t.file]), str(paths[t.file]), t.groups, t.start, max_rows) for t in tasks
    ]
    engine = engine or RayEngine(address=address, jobs=jobs)
    engine.run(_scan_part, calls, results.__setitem__, lost.__setitem__)
    parts: list[list[int]] = [[] for _ in paths]
    for index, task in enumerate(tasks):
        parts[task.file].append(index)
    return [_file_report(p, parts[n], results, lost) for n, p in enumerate(paths)]


def _file_report(
    path: Path,
    indices: list[int],
    results: dict[int, PiiReport | PiiPart | str],
    lost: dict[int, str],
) -> PiiReport | DataError:
    """One file's report from its tasks' results, or its first error in file order."""
    from mlsvs.datacheck.pii_scan import PiiPart, merge_parts

    got: list[PiiPart] = []
    for index in indices:
        if index in lost or index not in results:
            return DataFileError(f"{path}: not scanned: {lost.get(index, 'no result')}")
        result = results[index]
        if isinstance(result, str):
            return DataFileError(result[1:])
        if not isinstance(result, PiiPart):
            return result  # a whole-file task: the only one of its file
        got.append(result)
    return merge_parts(str(path), got)


def _hash_file(base: Path, name: str, records: bool) -> tuple[str, int, Any]:
    from mlsvs.datacheck.manifest import sha256_stream
    from mlsvs.datacheck.records import hash_records
    from mlsvs.datacheck.table import TABULAR_FORMATS, format_of, source_for

    path = base / name
    try:
        digest = sha256_stream(path)
        hashes = None
        if records and format_of(name) in TABULAR_FORMATS:
            hashes = hash_records(source_for(path, name))
    except OSError as exc:
        return f"\0{name}: cannot read: {exc.strerror}", 0, None
    except DataError as exc:
        return f"\0{exc.message}", 0, None
    return digest, path.stat().st_size, hashes


def distributed_manifest(
    base: Path,
    roots: Sequence[str],
    *,
    records: bool,
    now: dt.datetime,
    exclude: Path | None,
    address: str,
    jobs: int,
) -> Manifest:
    """``build_manifest`` with every file hashed in its own Ray task (same manifest)."""
    import datetime as dt

    from mlsvs.datacheck.manifest import FileEntry, Manifest, collect_files
    from mlsvs.fleet.engine import RayEngine

    names = collect_files(base, roots, exclude=exclude)
    results: dict[int, tuple[str, int, Any]] = {}
    errors: list[str] = []

    def failed(index: int, message: str) -> None:
        errors.append(f"{names[index]}: {message}")

    RayEngine(address=address, jobs=jobs).run(
        _hash_file, [(base, n, records) for n in names], results.__setitem__, failed
    )
    if errors:
        raise DataFileError(errors[0])
    entries = []
    for index, name in enumerate(names):
        digest, size, hashes = results[index]
        if digest.startswith("\0"):
            raise DataFileError(digest[1:])
        entries.append(
            FileEntry(
                path=name, sha256=digest, size=size, rows=hashes.rows if hashes else None,
                records=hashes,
            )
        )  # fmt: skip
    created = now.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return Manifest(created=created, roots=tuple(roots), files=tuple(entries))
