"""``mlsvs catalog``: list, show, export and validate the requirement catalog."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.cli import _catalog_args as common
from mlsvs.errors import CatalogError, UsageError

if TYPE_CHECKING:
    import argparse

EXPORT_FORMATS = "json, json-flat, csv, markdown, cyclonedx, sarif-taxonomy"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``list``, ``show``, ``export`` and ``validate`` subcommands."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    lst = sub.add_parser("list", help="list requirements, optionally filtered")
    lst.add_argument(
        "--level",
        metavar="L",
        help="requirements that apply at this level: entry level <= L (cumulative), e.g. L2",
    )
    lst.add_argument(
        "--only-level", metavar="L", help="requirements whose entry level is exactly L"
    )
    lst.add_argument("--chapter", action="append", metavar="ID", help="chapter, e.g. M4 (repeat)")
    lst.add_argument(
        "--method",
        action="append",
        metavar="M",
        help="verification method: a-static, a-runtime, hybrid or attest (repeat or comma)",
    )
    lst.add_argument(
        "--tag", action="append", metavar="TAG", help="carries this applicability tag (repeat)"
    )
    lst.add_argument(
        "--maps",
        action="append",
        metavar="ID",
        help="maps to this foreign ID, e.g. ML06, AML.T0010, C6.1.1, 'Art. 15(5)' "
        "or framework_key:ID (repeat)",
    )
    lst.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    common.add_source_options(lst)

    show = sub.add_parser("show", help="show one requirement (M4.1.2 or v1.0.0-M4.1.2) or chapter")
    show.add_argument("id", metavar="ID")
    common.add_source_options(show)

    exp = sub.add_parser("export", help="export the catalog in a machine-readable format")
    exp.add_argument(
        "-f", "--format", required=True, metavar="FMT[:PATH]",
        help=EXPORT_FORMATS + "; FMT:PATH writes the file (like -o PATH)",
    )  # fmt: skip
    exp.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here, not stdout")
    common.add_source_options(exp)

    cw = sub.add_parser(
        "crosswalk",
        help="map every requirement ID of an older version to a newer one",
        description="Where every requirement of OLD went in NEW: kept, reworded, level_changed, "
        "parameterised, remapped, split, merged, moved or withdrawn, with the new IDs; plus "
        "the requirements that are new. Derived from NEW's history and tombstones.",
    )
    cw.add_argument("old", metavar="OLD", help="older bundled version, e.g. 1.0.0")
    cw.add_argument("new", metavar="NEW", help="newer bundled version, e.g. 1.1.0")
    cw.add_argument(
        "-f", "--format", default="markdown", metavar="FMT", help="json, csv or markdown (default)"
    )
    cw.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here, not stdout")

    par = sub.add_parser(
        "parameters",
        help="list the standard's parameters with their value per level",
        description="Every parameter (<requirement id>.<name>) with meaning, unit, the "
        "standard's value at L1/L2/L3, whether a verification profile may assign it and within "
        "which bounds, and the source of the values.",
    )
    par.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    common.add_source_options(par)

    val = sub.add_parser(
        "validate",
        help="validate a catalog directory (default: every bundled version)",
        description="Validate DIR (standard.yaml + chapters/). Reference data (frameworks.yaml, "
        "atlas/atlas-<v>.yaml, owasp-ml-top10-<edition>.yaml) is read from DIR, else from "
        "DIR/../.. (the bundled layout), else the bundled copy is used.",
    )
    val.add_argument("directory", nargs="?", type=Path, metavar="DIR")


def run(args: argparse.Namespace) -> int:
    """Dispatch to the chosen action."""
    action: str = args.action
    if action == "list":
        return _list(args)
    if action == "show":
        return _show(args)
    if action == "export":
        return _export(args)
    if action == "crosswalk":
        return _crosswalk(args)
    if action == "parameters":
        return _parameters(args)
    return _validate(args)


def _crosswalk(args: argparse.Namespace) -> int:
    from mlsvs.catalog import load_standard
    from mlsvs.catalog.crosswalk import CROSSWALK_FORMATS, crosswalk, render_crosswalk
    from mlsvs.cli._common import split_format

    split_format(args)
    if args.format not in (*CROSSWALK_FORMATS, "md"):
        known = ", ".join(CROSSWALK_FORMATS)
        raise UsageError(f"unknown crosswalk format {args.format!r} (known: {known})")
    result = crosswalk(load_standard(args.old), load_standard(args.new))
    common.write(render_crosswalk(result, args.format), args.output)
    return 0


def _parameters(args: argparse.Namespace) -> int:
    import json

    from mlsvs.catalog.export_json import parameter_dict
    from mlsvs.model.catalog import Level

    standard = common.load(args)
    params = list(standard.parameters.values())
    if args.json:
        records = [parameter_dict(p) for p in params]
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
        return 0

    def value(p: object, level: Level) -> str:
        values = getattr(p, "values", {})
        return (
            f"{values[level]:g}"
            if isinstance(values.get(level), float)
            else str(values.get(level, "-"))
        )

    for p in params:
        bounds = p.assignable.describe() if p.assignable else "fixed"
        cells = "  ".join(f"{value(p, lv):>9}" for lv in Level)
        print(f"{p.key:<44} {cells}  {p.unit:<22} {bounds}")
    print(f"{len(params)} parameter(s) in MLSVS {standard.version}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    import json

    from mlsvs.catalog.export_json import effective_tags, requirement_dict
    from mlsvs.catalog.select import Filter, select

    standard = common.load(args)
    chapters = common.split(args.chapter)
    common.check_known("chapter", chapters, {c.id for c in standard.chapters})
    tags = common.split(args.tag)
    common.check_known("applicability tag", tags, {t.id for t in standard.tags})
    flt = Filter(
        level=common.level(args.level),
        only_level=common.level(args.only_level),
        chapters=chapters,
        methods=common.methods(common.split(args.method)),
        tags=tags,
        maps=frozenset(m.strip() for m in args.maps or () if m.strip()),
    )
    chosen = select(standard, flt)
    if args.json:
        records = [
            {**requirement_dict(r, standard.version), "applicability": list(effective_tags(r, c))}
            for c, r in chosen
        ]
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
        return 0
    for chapter, req in chosen:
        tags_text = ",".join(effective_tags(req, chapter)) or "-"
        line = f"{req.id:<9} {req.level}  {req.verification.value:<9}  {tags_text:<24}  {req.title}"
        print(line.rstrip())
    print(f"{len(chosen)} requirement(s)", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    from mlsvs.catalog.markdown import chapter_md, requirement_md

    standard = common.load(args)
    wanted: str = args.id.strip()
    try:
        req = standard.requirement(wanted)
    except KeyError as exc:
        try:
            chapter = standard.chapter(wanted)
        except KeyError:
            detail = exc.args[0] if "cites version" in str(exc.args[0]) else None
            tomb = next((t for t in standard.withdrawn if t.id == wanted), None)
            if tomb is not None:
                successors = ", ".join(tomb.replaced_by) or "no successor"
                detail = (
                    f"{wanted} was withdrawn in MLSVS {tomb.version} ({tomb.change.value} into "
                    f"{successors}): {tomb.note}"
                )
            message = detail or f"unknown requirement ID {wanted!r} in MLSVS {standard.version}"
            raise UsageError(message) from None
        print("\n".join(chapter_md(chapter, standard)))
        return 0
    chapter = standard.chapter(req.chapter)
    print("\n".join(requirement_md(req, chapter, standard, heading="#")).rstrip())
    return 0


def _export(args: argparse.Namespace) -> int:
    from mlsvs.cli._common import split_format

    split_format(args)
    from mlsvs.catalog.exports import export

    standard = common.load(args)
    common.write(export(standard, args.format), args.output)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from mlsvs.catalog import load_directory, validate_directory
    from mlsvs.catalog.loader import BUNDLED

    directories: list[Path] = (
        [args.directory]
        if args.directory is not None
        else sorted(p for p in BUNDLED.iterdir() if p.is_dir())
    )
    for directory in directories:
        if not directory.is_dir():
            raise UsageError(f"{directory} is not a directory")
        problems = validate_directory(directory)
        if problems:
            raise CatalogError(
                f"catalog {directory} is invalid ({len(problems)} problem(s))",
                problems=tuple(str(p) for p in problems),
            )
        standard = load_directory(directory)
        print(
            f"{directory}: valid: {standard.name} {standard.version} ({standard.status}), "
            f"{len(standard.requirements)} requirements in {len(standard.chapters)} chapters"
        )
    return 0
