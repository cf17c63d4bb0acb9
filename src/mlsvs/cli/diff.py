"""``mlsvs diff OLD.json NEW.json``: regressions between two runs (exit 1 if any)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from mlsvs.output.report import FindingsReport


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``mlsvs diff``."""
    parser.add_argument("old", metavar="OLD.json", help="results.json of the baseline run")
    parser.add_argument("new", metavar="NEW.json", help="results.json of the run to compare")
    from mlsvs.cli._common import add_format, add_quiet

    add_format(parser, ("text", "json", "markdown"))
    add_quiet(parser)


def _id_map(old: str, new: str) -> dict[str, tuple[str, ...]] | None:
    """Old ID -> new IDs when the runs used different bundled versions (None otherwise)."""
    from mlsvs.catalog import load_standard
    from mlsvs.catalog.crosswalk import crosswalk
    from mlsvs.catalog.loader import bundled_versions

    if old == new or not {old, new} <= set(bundled_versions()):
        return None
    older, newer = sorted((old, new), key=lambda v: tuple(int(p) for p in v.split(".")))
    forward = crosswalk(load_standard(older), load_standard(newer)).id_map()
    if older == old:
        return forward
    backward: dict[str, list[str]] = {}  # comparing a newer run with an older one
    for source, targets in forward.items():
        for target in targets:
            backward.setdefault(target, []).append(source)
    return {k: tuple(v) for k, v in backward.items()}


def run(args: argparse.Namespace) -> int:
    """Print the comparison; 1 when something regressed, 0 otherwise."""
    import functools
    import io

    from mlsvs.cli._common import emit, output_specs
    from mlsvs.errors import UsageError
    from mlsvs.render.diff import diff_assessments, render_diff
    from mlsvs.render.json import load_assessment

    specs = output_specs(args)
    old = load_assessment(args.old)
    new = load_assessment(args.new)
    result = diff_assessments(old, new, id_map=_id_map(old.standard.version, new.standard.version))

    def text(fmt: str) -> str:
        buffer = io.StringIO()
        render_diff(result, fmt, buffer)
        return buffer.getvalue()

    def no_report() -> FindingsReport:
        raise UsageError("diff writes text, json or markdown")

    emit(
        args,
        no_report,
        {fmt: functools.partial(text, fmt) for fmt in ("text", "json", "markdown")},
        specs,
    )
    return 1 if result.has_regressions else 0
