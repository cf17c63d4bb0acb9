"""Plain-data (JSON-ready) and text views of dataset-check results, for the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsvs.datacheck.leakage import EntityLeak, TimeLeak
    from mlsvs.datacheck.overlap import Overlap
    from mlsvs.datacheck.pii_scan import PiiReport
    from mlsvs.datacheck.quality import QualityStats
    from mlsvs.datacheck.verify import EvidenceResult

Json = dict[str, object]


def evidence_json(result: EvidenceResult) -> Json:
    """One verified manifest / DVC / checksum file."""
    return {
        "source": result.source,
        "kind": result.kind,
        "algorithm": result.algorithm,
        "ok": result.ok,
        "files": [
            {
                "path": f.path,
                "state": f.state.value,
                "detail": f.detail,
                **(
                    {
                        "records": {
                            "header_changed": f.records.header_changed,
                            "changed": f.records.changed,
                            "added": f.records.added,
                            "removed": f.records.removed,
                            "changed_rows": list(f.records.changed_rows),
                            "added_rows": list(f.records.added_rows),
                            "removed_rows": list(f.records.removed_rows),
                        }
                    }
                    if f.records
                    else {}
                ),
            }
            for f in result.files
        ],
    }


def evidence_lines(result: EvidenceResult) -> list[str]:
    """``path: state detail`` per file that is not a plain match, then a summary."""
    lines = [
        f"{f.path}: {f.state.value}" + (f" ({f.detail})" if f.detail else "")
        for f in result.files
        if f.state.value != "match"
    ]
    matched = sum(f.state.value == "match" for f in result.files)
    verdict = "OK" if result.ok else "FAILED"
    lines.append(f"{result.source}: {verdict}: {matched} of {len(result.files)} file(s) match")
    return lines


def overlap_json(result: Overlap) -> Json:
    """Overlap between two splits."""
    return {
        "earlier": result.earlier,
        "later": result.later,
        "columns": list(result.columns),
        "text_columns": list(result.text_columns),
        "rows_earlier": result.rows_earlier,
        "rows_later": result.rows_later,
        "exact": result.exact,
        "near": result.near,
        "examples": list(result.examples),
    }


def overlap_line(group: str, result: Overlap) -> str:
    """One summary line (plus examples)."""
    head = (
        f"{group}: {result.later} vs {result.earlier}: {result.exact} exact + {result.near} near "
        f"duplicate(s) of {result.rows_later} {result.later} row(s)"
    )
    return "\n".join([head, *(f"  {e}" for e in result.examples)])


def entity_json(leak: EntityLeak) -> Json:
    """Entity leakage."""
    return {
        "column": leak.column,
        "entities": leak.entities_later,
        "leaked": leak.leaked,
        "examples": list(leak.examples),
    }


def time_json(leak: TimeLeak) -> Json:
    """Temporal leakage."""
    return {
        "column": leak.column,
        "later_start": leak.later_start,
        "earlier_end": leak.earlier_end,
        "leaked_rows": leak.leaked_rows,
        "rows_earlier": leak.rows_earlier,
        "examples": list(leak.examples),
    }


def pii_json(report: PiiReport) -> Json:
    """PII found in one file (masked samples only)."""
    return {
        "path": report.path,
        "rows": report.rows,
        "rows_with_pii": report.rows_with_pii,
        "by_entity": report.by_entity(),
        "columns": [
            {
                "column": h.column,
                "entity": h.entity.value,
                "count": h.count,
                "confidence": h.confidence.name.lower(),
                "samples": list(h.samples),
                "rows": list(h.rows),
                "reason": h.reason,
                **({"rule": h.rule} if h.rule else {}),
            }
            for h in report.hits
        ],
        "dismissed": [
            {"column": d.column, "entity": d.entity.value, "shaped": d.shaped, "reason": d.reason}
            for d in report.dismissed
        ],
        "engine": report.engine,
    }


def pii_lines(report: PiiReport) -> list[str]:
    """One line per column/entity and a per-file summary."""
    lines = [
        f"{report.path}: {h.column}: {h.count} {h.entity.value} "
        f"[{h.confidence.name.lower()}] rows {','.join(map(str, h.rows))} "
        f"e.g. {', '.join(h.samples)}"
        for h in report.hits
    ]
    lines += [
        f"{report.path}: {d.column}: not {d.entity.value}: {d.reason}" for d in report.dismissed
    ]
    totals = ", ".join(f"{k}={v}" for k, v in report.by_entity().items()) or "none"
    lines.append(
        f"{report.path}: {report.rows_with_pii} of {report.rows} row(s) with PII ({totals})"
    )
    return lines


def quality_json(
    stats: QualityStats, thresholds: dict[str, float | None], verdict: str, reasons: list[str]
) -> Json:
    """The measured rates, their limits, the verdict and what they were computed on."""
    rates = {
        "label_noise_rate": stats.noise_rate,
        "label_issue_rate": stats.label_issue_rate,
        "duplicate_rate": stats.duplicate_rate,
        "outlier_rate": stats.outlier_rate,
        "class_imbalance": stats.class_imbalance,
    }
    measurements: dict[str, Json] = {
        k: {"value": v, "threshold": thresholds.get(k)} for k, v in rates.items()
    }
    measurements["label_noise_rate"] |= {
        "lower": stats.noise_lower, "upper": stats.noise_upper, "confidence": 0.95,
    }  # fmt: skip
    return {
        "rows": stats.rows,
        "sample": stats.sample,
        "verdict": verdict,
        "reasons": reasons,
        "measurements": measurements,
        "label_issue_rows": list(stats.label_issues),
        "model": stats.model,
        "model_kappa": stats.kappa,
        "bootstrap_rounds": stats.bootstrap_rounds,
        "class_counts": dict(stats.class_counts),
        "label_issues_per_class": dict(stats.label_issues_per_class),
        "features": list(stats.features),
        "ignored": list(stats.ignored),
        "cv_folds": stats.folds,
        "method": stats.method,
    }
