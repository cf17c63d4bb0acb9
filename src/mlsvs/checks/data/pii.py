"""Personal data and secrets in training data (MLSVS M2.5.1)."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

from mlsvs.checks.data._common import matches, settings, shown, uncovered
from mlsvs.datacheck.errors import DataError
from mlsvs.datacheck.pii_scan import scan_pii
from mlsvs.datacheck.table import TABULAR_FORMATS, TableSource
from mlsvs.plugin import (
    DatasetArtifact,
    Severity,
    check,
    errored,
    failed,
    not_applicable,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.datacheck.pii_scan import ColumnHit
    from mlsvs.datacheck.settings import PiiAllow
    from mlsvs.plugin import CheckContext, Outcome


def allowed_by(path: str, hit: ColumnHit, allow: tuple[PiiAllow, ...]) -> PiiAllow | None:
    """The reviewed exception covering ``hit`` in ``path``, if any."""
    for entry in allow:
        if (
            fnmatch.fnmatchcase(path, entry.path)
            and (entry.column == "*" or entry.column == hit.column)
            and (not entry.entity or entry.entity == hit.entity.value)
        ):
            return entry
    return None


def _describe(hit: ColumnHit) -> str:
    rows = ",".join(map(str, hit.rows))
    samples = ", ".join(hit.samples)
    level = hit.confidence.name.lower()
    return f"{hit.column}: {hit.count} {hit.entity.value} [{level}] (rows {rows}; e.g. {samples})"


@check(
    id="MLC220",
    title="Training data holds no unreviewed personal data or secrets",
    requirements=["M2.5.1"],
    applies_to=DatasetArtifact,
    severity=Severity.HIGH,
    remediation="Remove, pseudonymise or tokenise the columns before training; record a "
    "reviewed exception in [datasets] pii_allow = [{ref = 'path:column', reason = '...'}].",
)
def no_unreviewed_pii(ctx: CheckContext, dataset: DatasetArtifact) -> Iterator[Outcome]:
    """Regex + validator scan (Luhn, IBAN mod-97, phone digit counts ...) with masked samples."""
    if dataset.format not in TABULAR_FORMATS:
        yield not_applicable(f"{dataset.format} arrays hold no text to scan")
        return
    try:
        conf = settings(ctx)
    except DataError as exc:
        yield errored(exc.message)
        return
    if not matches(dataset.path, conf.training_data):
        yield not_applicable("not training data ([datasets] training_data)")
        return
    source = TableSource(path=dataset.absolute, display=dataset.path, format=dataset.format)
    try:
        report = scan_pii(source, max_rows=conf.pii_max_rows)
    except DataError as exc:
        yield uncovered(exc, dataset.path)
        return
    relevant = [h for h in report.hits if h.confidence >= conf.pii_min_confidence]
    reviewed = [(h, a) for h in relevant if (a := allowed_by(dataset.path, h, conf.pii_allow))]
    open_hits = [h for h in relevant if allowed_by(dataset.path, h, conf.pii_allow) is None]
    facts = [
        ("rows", str(report.rows)),
        ("rows_with_pii", str(report.rows_with_pii)),
        *((f"count.{k}", str(v)) for k, v in report.by_entity().items()),
        *((f"reviewed.{h.name}", a.reason or "(no reason given)") for h, a in reviewed),
        *((f"dismissed.{d.name}", d.reason) for d in report.dismissed),
        *((f"evidence.{h.name}", h.reason) for h in report.hits),
    ]
    if open_hits:
        yield failed(
            f"{len(open_hits)} column/entity finding(s) of unreviewed personal data or secrets "
            f"in {report.rows} row(s): {shown([_describe(h) for h in open_hits], 6)}",
            facts=(*facts, *((f"column.{h.name}", str(h.count)) for h in open_hits)),
        )
        return
    note = f"; {len(reviewed)} reviewed exception(s)" if reviewed else ""
    below = len(report.hits) - len(relevant)
    low = f"; {below} low-confidence finding(s) below the threshold" if below else ""
    if report.dismissed:
        low += "; not personal data: " + shown(
            [f"{d.name} ({d.reason})" for d in report.dismissed], 3
        )
    yield passed(
        f"no unreviewed personal data in {report.rows} row(s){note}{low}", facts=tuple(facts)
    )
