"""Generate docs/requirements, docs/coverage, docs/checks, docs/cli.md and schemas/.

python scripts/gen_docs.py            # write the files
python scripts/gen_docs.py --check    # exit 1 and list drifted files (CI)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsvs.model.catalog import Standard

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    """Generate or check; returns the exit code."""
    from mlsvs.catalog.docs import drift, generate, write
    from mlsvs.catalog.loader import BUNDLED, load_standard
    from mlsvs.catalog.reference import load_references
    from mlsvs.errors import MlsvsError

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file would change")
    parser.add_argument("--standard-version", metavar="V", help="default: newest final")
    args = parser.parse_args(argv)
    try:
        standard = load_standard(args.standard_version)
        refs, _ = load_references(BUNDLED / standard.version)
    except MlsvsError as exc:
        print(f"gen_docs: error: {exc.diagnostics()}", file=sys.stderr)
        return 2
    files = generate(standard, refs)
    files.update(_engine_files(standard))
    if args.check:
        drifted = drift(ROOT, files)
        for path in drifted:
            print(f"drifted: {path}", file=sys.stderr)
        if drifted:
            print("run: python scripts/gen_docs.py", file=sys.stderr)
        return 1 if drifted else 0
    for path in write(ROOT, files):
        print(f"wrote {path}")
    return 0


def _engine_files(standard: Standard) -> dict[str, str]:
    """Check pages, requirement coverage, the CLI reference and the results JSON Schema."""
    import json

    from mlsvs.cli.reference import cli_reference
    from mlsvs.engine.checkdocs import check_pages
    from mlsvs.engine.registry import load_registry
    from mlsvs.render.json import results_json_schema

    registry = load_registry(standard)
    files = check_pages(registry, standard)
    files["docs/cli.md"] = cli_reference()
    files["schemas/results.schema.json"] = (
        json.dumps(results_json_schema(), indent=2, sort_keys=True) + "\n"
    )
    from mlsvs.procurement.annex_json import annex_json_schema

    files["schemas/procurement-annex.schema.json"] = (
        json.dumps(annex_json_schema(), indent=2, sort_keys=True) + "\n"
    )
    return files


if __name__ == "__main__":
    sys.exit(main())
