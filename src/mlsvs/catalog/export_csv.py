"""CSV export: one row per requirement, list fields joined with ``; ``."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from mlsvs.catalog.export_json import effective_tags

if TYPE_CHECKING:
    from mlsvs.model.catalog import Standard

BASE_COLUMNS = (
    "chapter_id",
    "chapter_title",
    "section_id",
    "section_title",
    "id",
    "cite",
    "title",
    "text",
    "level",
    "method",
    "evidence",
    "pass_criteria",
    "fail_condition",
    "applicability",
    "cwe",
    "guidance_why",
    "guidance_how",
    "tools",
    "history",
)
JOIN = "; "


def export_csv(standard: Standard) -> str:
    """CSV with a header row; one mapping column per known framework (``map:<key>``)."""
    keys = [f.key for f in standard.frameworks]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*BASE_COLUMNS, *(f"map:{k}" for k in keys)])
    for chapter in standard.chapters:
        for section in chapter.sections:
            for req in section.requirements:
                writer.writerow(
                    [
                        chapter.id,
                        chapter.title,
                        section.id,
                        section.title,
                        req.id,
                        req.cite(standard.version),
                        req.title,
                        req.text,
                        str(int(req.level)),
                        req.verification.value,
                        JOIN.join(req.evidence),
                        req.pass_criteria,
                        req.fail_condition,
                        JOIN.join(effective_tags(req, chapter)),
                        JOIN.join(f"CWE-{c}" for c in req.cwe),
                        req.guidance.why,
                        req.guidance.how,
                        JOIN.join(req.guidance.tools),
                        JOIN.join(f"{h.version} {h.change.value}" for h in req.history),
                        *(JOIN.join(req.mappings.get(k, ())) for k in keys),
                    ]
                )
    return out.getvalue()
