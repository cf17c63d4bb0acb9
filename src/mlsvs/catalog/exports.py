"""The export formats of ``mlsvs catalog export``: name -> pure ``Standard -> str`` function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mlsvs.errors import UsageError
from mlsvs.model.catalog import Standard


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportFormat:
    """One export format: its function and the usual file suffix."""

    name: str
    suffix: str
    description: str
    render: Callable[[Standard], str]


def formats() -> dict[str, ExportFormat]:
    """Every export format, by name (in help order)."""
    from mlsvs.catalog.export_csv import export_csv
    from mlsvs.catalog.export_cyclonedx import export_cyclonedx
    from mlsvs.catalog.export_json import export_json, export_json_flat
    from mlsvs.catalog.export_sarif import export_sarif_taxonomy
    from mlsvs.catalog.markdown import export_markdown

    table = (
        ExportFormat(name="json", suffix=".json", description="nested JSON", render=export_json),
        ExportFormat(
            name="json-flat",
            suffix=".json",
            description="one object per requirement",
            render=export_json_flat,
        ),
        ExportFormat(
            name="csv", suffix=".csv", description="one row per requirement", render=export_csv
        ),
        ExportFormat(
            name="markdown", suffix=".md", description="the whole standard", render=export_markdown
        ),
        ExportFormat(
            name="cyclonedx",
            suffix=".cdx.json",
            description="CycloneDX 1.6 standards definition",
            render=export_cyclonedx,
        ),
        ExportFormat(
            name="sarif-taxonomy",
            suffix=".sarif",
            description="SARIF 2.1.0 taxonomy",
            render=export_sarif_taxonomy,
        ),
    )
    return {f.name: f for f in table}


FORMAT_NAMES = ("json", "json-flat", "csv", "markdown", "cyclonedx", "sarif-taxonomy")


def export(standard: Standard, format_name: str) -> str:
    """Render ``standard`` in ``format_name``; ``UsageError`` for an unknown format."""
    table = formats()
    chosen = table.get(format_name)
    if chosen is None:
        raise UsageError(f"unknown export format {format_name!r} (choose from {', '.join(table)})")
    return chosen.render(standard)
