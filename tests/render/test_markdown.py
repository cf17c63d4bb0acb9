from __future__ import annotations

import io
import re

from mlsvs.render.markdown import MAX_ROWS, MarkdownRenderer, code


def _render(a) -> str:
    out = io.StringIO()
    MarkdownRenderer().render(a, out)
    return out.getvalue()


def _cells(row: str) -> list[str]:
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def test_tables_keep_their_shape_with_hostile_text(assessment):
    text = _render(assessment)
    tables = [
        [line for line in block.splitlines() if line.startswith("|")]
        for block in text.split("\n\n")
        if block.lstrip().startswith("|")
    ]
    assert len(tables) == 3  # chapters, blocking, findings
    for rows in tables:
        widths = {len(_cells(r)) for r in rows}
        assert len(widths) == 1, rows
    assert "<script" not in text
    assert "&lt;script&gt;" in text
    assert "\x1b" not in text


def test_summary_blocking_and_collapsible_details(assessment):
    text = _render(assessment)
    assert text.startswith("## ❌ OWASP MLSVS 1.0.0: level none (target L2, not met)")
    assert "**To reach L1:**" in text
    assert text.count("<details>") == text.count("</details>") == 3
    assert "| low (waived W-001) | MLC202 |" in text
    assert "`exposes_inference_api`" in text


def test_passing_report_is_short(passing):
    text = _render(passing)
    assert text.startswith("## ✅")
    assert "Failed and errored" not in text and "To reach" not in text
    assert "Skipped checks (1)" in text


def test_long_lists_are_cut(assessment):
    import dataclasses

    many = tuple(
        dataclasses.replace(assessment.findings[1], id=f"{i:064x}") for i in range(MAX_ROWS + 7)
    )
    text = _render(dataclasses.replace(assessment, findings=many))
    assert "…and 7 more" in text


def test_code_span_survives_backticks():
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
