"""Per-source contribution to retraining batches capped (M2.3.8), measured on the batches.

Retraining batches are the datasets under feedback/retraining/production paths (``feedback``,
``retrain``, ``production``, ``incoming``, ``online`` ...). Each batch must attribute its rows to
a source (a column such as ``user_id``, ``source``, ``device_id``, ``customer_id``), and no
source may contribute more than ``max_source_share`` of the batch's rows. CSV/TSV and JSON
Lines are read with the standard library; other formats are a gap.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.plugin import (
    DatasetArtifact,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

SHARE_PARAMETER = "M2.3.8.max_source_share"
_BATCH = re.compile(r"feedback|retrain|production|prod[-_]|incoming|online|user[-_]?data", re.I)
SOURCE_COLUMNS = (
    "source_id",
    "source",
    "user_id",
    "user",
    "device_id",
    "customer_id",
    "contributor",
    "submitter",
    "account_id",
    "client_id",
    "tenant_id",
)
MAX_ROWS = 5_000_000


def _sources(dataset: DatasetArtifact) -> tuple[str, Counter[str]]:
    """(source column, rows per source) of a CSV/TSV/JSONL batch; ValueError when unusable."""
    counts: Counter[str] = Counter()
    column = ""
    with dataset.absolute.open(encoding="utf-8", newline="") as handle:
        if dataset.format in {"csv", "tsv"}:
            reader = csv.DictReader(handle, delimiter="\t" if dataset.format == "tsv" else ",")
            fields = [f.strip().lower() for f in reader.fieldnames or []]
            column = next((c for c in SOURCE_COLUMNS if c in fields), "")
            if not column:
                return "", counts
            original = (reader.fieldnames or [])[fields.index(column)]
            for index, row in enumerate(reader):
                if index >= MAX_ROWS:
                    raise ValueError(f"more than {MAX_ROWS} rows")
                counts[str(row.get(original) or "")] += 1
        elif dataset.format == "jsonl":
            for index, line in enumerate(handle):
                if index >= MAX_ROWS:
                    raise ValueError(f"more than {MAX_ROWS} rows")
                if not line.strip():
                    continue
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError(f"line {index + 1} is not an object")
                if not column:
                    column = next((c for c in SOURCE_COLUMNS if c in record), "")
                    if not column:
                        return "", counts
                counts[str(record.get(column) or "")] += 1
        else:
            raise ValueError(f"{dataset.format} batches are not read by this check")
    return column, counts


@check(
    id="MLC879",
    title="No source contributes more than max_source_share of a retraining batch",
    requirements=["M2.3.8"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(DatasetArtifact,),
    remediation="Record the contributing user/device/source on every feedback row and cap each "
    "source's share when the retraining batch is built (sample down heavy contributors).",
)
def source_share_capped(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """The largest source share of every retraining batch, against the standard's cap."""
    limit: object = ctx.parameter(SHARE_PARAMETER, 0.01)
    cap = float(limit) if isinstance(limit, int | float) and not isinstance(limit, bool) else 0.01
    batches = [d for d in project.of_type(DatasetArtifact) if _BATCH.search(d.path)]
    if not batches:
        yield abstained(
            "no retraining batch (feedback/, retrain/, production/ ...) is in the project: "
            "where online_learning holds, the batches are not visible here"
        )
        return
    for batch in batches:
        try:
            column, counts = _sources(batch)
        except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
            reason = GapReason.UNREADABLE if isinstance(exc, OSError) else GapReason.UNPARSEABLE
            yield not_verified(
                f"{batch.path} could not be read",
                Gap(item=batch.path, reason=reason, detail=str(exc)[:160]),
                key=batch.path,
            )
            continue
        if not column:
            yield failed(
                f"{batch.path}: rows are not attributed to a source (no "
                f"{'/'.join(SOURCE_COLUMNS[:4])} ... column)",
                key=batch.path,
            )
            continue
        total = sum(counts.values())
        if not total:
            yield not_verified(
                f"{batch.path}: empty batch",
                Gap(item=batch.path, reason=GapReason.EMPTY, detail="no rows"),
                key=batch.path,
            )
            continue
        source, top = counts.most_common(1)[0]
        share = top / total
        facts = (
            ("column", column),
            ("rows", str(total)),
            ("sources", str(len(counts))),
            ("max_share", f"{share:.4f}"),
            ("cap", f"{cap:g}"),
        )
        name = PurePosixPath(batch.path).name
        if share > cap:
            yield failed(
                f"{batch.path}: {column} {source!r} contributes {share:.2%} of {total} "
                f"rows (cap {cap:.2%})",
                key=batch.path,
                facts=facts,
            )
        else:
            yield passed(
                f"{name}: largest {column} share {share:.2%} of {total} rows, within {cap:.2%}",
                key=batch.path,
                facts=facts,
            )
