"""Argument helpers shared by ``mlsvs catalog`` and ``mlsvs procurement``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import CatalogError, UsageError

if TYPE_CHECKING:
    import argparse

    from mlsvs.model.catalog import Level, Standard, Verification


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """``--standard-version`` and ``--catalog`` (an overlay directory)."""
    parser.add_argument(
        "--standard-version",
        metavar="V",
        help="bundled standard version, e.g. 1.0.0 (default: the newest released one)",
    )
    parser.add_argument(
        "--catalog",
        metavar="DIR",
        type=Path,
        help="load an overlay/fork catalog directory (standard.yaml + chapters/) instead",
    )


def load(args: argparse.Namespace) -> Standard:
    """The standard the options name; an invalid catalog is reported in one line."""
    from mlsvs.catalog import load_standard

    try:
        return load_standard(args.standard_version, directory=args.catalog)
    except CatalogError as exc:
        if not exc.problems:
            raise
        where = args.catalog if args.catalog is not None else "(bundled)"
        raise CatalogError(
            f"{exc.message}; first: {exc.problems[0]}; "
            f"run 'mlsvs catalog validate {where}' to list them all"
        ) from None


def split(values: list[str] | None) -> frozenset[str]:
    """Repeatable, comma-separated option values as a set."""
    return frozenset(v.strip() for raw in values or () for v in raw.split(",") if v.strip())


def level(text: str | None) -> Level | None:
    """``L2``/``2`` -> ``Level.L2``; a ``UsageError`` for anything else."""
    from mlsvs.model.catalog import Level

    if text is None:
        return None
    try:
        return Level.parse(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def methods(values: frozenset[str]) -> frozenset[Verification]:
    """Verification methods by name; a ``UsageError`` for an unknown one."""
    from mlsvs.model.catalog import Verification

    known = {v.value: v for v in Verification}
    unknown = sorted(values - set(known))
    if unknown:
        raise UsageError(f"unknown method {unknown[0]!r} (choose from {', '.join(known)})")
    return frozenset(known[v] for v in values)


def check_known(kind: str, values: frozenset[str], known: set[str]) -> None:
    """``UsageError`` naming the first value of ``values`` not in ``known``."""
    unknown = sorted(values - known)
    if unknown:
        raise UsageError(f"unknown {kind} {unknown[0]!r} (known: {', '.join(sorted(known))})")


def write(text: str, output: Path | None) -> None:
    """Write to ``output`` (UTF-8) or to stdout."""
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
