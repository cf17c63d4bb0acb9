"""Measure the bundled catalogs: compound requirements, self-set bars, parameters, mappings.

python scripts/catalog_stats.py [VERSION ...]     # default: every bundled version

"Compound" = the requirement text states more than one obligation by the measure of
``mlsvs.catalog.semantics.compound_clauses`` (a second "that"-clause or a second finite verb
joined by "and"). "Self-set bar" = a pass/fail phrase such as "declared threshold" that lets the
verified party choose its own bar (``self_set_bars``).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def main(argv: list[str]) -> int:
    """Print one line of measurements per version."""
    import yaml

    from mlsvs.catalog import load_standard
    from mlsvs.catalog.loader import BUNDLED, bundled_versions
    from mlsvs.catalog.schema import RequirementModel
    from mlsvs.catalog.semantics import compound_clauses, self_set_bars

    for version in argv or sorted(bundled_versions()):
        standard = load_standard(version)
        models = []
        for path in sorted(Path(BUNDLED / version / "chapters").glob("*.yaml")):
            for section in yaml.safe_load(path.read_text("utf-8"))["sections"]:
                models += [RequirementModel.model_validate(r) for r in section["requirements"]]
        reqs = list(standard.requirements.values())
        compound = sum(1 for r in reqs if compound_clauses(r.text) > 1)
        bars = sum(1 for m in models if self_set_bars(m))
        mitigations: Counter[str] = Counter()
        for r in reqs:
            for key, ids in r.mappings.items():
                if key.startswith("mitre_atlas"):
                    mitigations.update(i for i in ids if i.startswith("AML.M"))
        top = ", ".join(f"{k} x{v}" for k, v in mitigations.most_common(3))
        levels = Counter(int(r.level) for r in reqs)
        print(
            f"MLSVS {version}: {len(reqs)} requirements (L1 {levels[1]}, L2 {levels[2]}, "
            f"L3 {levels[3]}); compound {compound} ({compound / len(reqs):.0%}); self-set bars "
            f"{bars}; parameters {len(standard.parameters)}; withdrawn {len(standard.withdrawn)}; "
            f"most used ATLAS mitigations: {top}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
