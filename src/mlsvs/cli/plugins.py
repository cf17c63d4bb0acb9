"""``mlsvs plugins``: what loaded from which distribution, and what failed."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """``mlsvs plugins`` takes no options."""
    parser.add_argument("--strict", action="store_true", help="exit 2 if any plugin failed")


def run(args: argparse.Namespace) -> int:
    """Print checks per source module, renderers, and load failures."""
    from importlib.metadata import entry_points

    from mlsvs.api import load_catalog
    from mlsvs.engine.registry import GROUP, load_registry

    registry = load_registry(load_catalog())
    print(f"checks ({GROUP}):")
    per_source = Counter(c.source.rsplit(".", 1)[0] for c in registry.checks)
    for source, count in sorted(per_source.items()):
        print(f"  {source}: {count} check(s)")
    print("renderers (mlsvs.renderers):")
    for ep in sorted(entry_points(group="mlsvs.renderers"), key=lambda e: e.name):
        dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else "unknown"
        print(f"  {ep.name}: {ep.value} ({dist})")
    if registry.problems:
        print("problems:")
        for problem in registry.problems:
            print(f"  {problem.message}")
    return 2 if args.strict and registry.problems else 0
