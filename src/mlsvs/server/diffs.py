"""Run-to-run comparison through ``mlsvs.render.diff`` (crosswalked across catalog versions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsvs.model.assessment import Assessment
    from mlsvs.render.diff import AssessmentDiff


def id_map(old: str, new: str) -> dict[str, tuple[str, ...]] | None:
    """Old ID -> new IDs when two runs used different bundled versions (None otherwise)."""
    from mlsvs.catalog.crosswalk import crosswalk
    from mlsvs.server.ingest import known_versions
    from mlsvs.server.ingest import standard_for as load_standard

    if old == new or not {old, new} <= known_versions():
        return None
    older, newer = sorted((old, new), key=lambda v: tuple(int(p) for p in v.split(".")))
    forward = crosswalk(load_standard(older), load_standard(newer)).id_map()
    if older == old:
        return dict(forward)
    backward: dict[str, list[str]] = {}
    for source, targets in forward.items():
        for target in targets:
            backward.setdefault(target, []).append(source)
    return {k: tuple(v) for k, v in backward.items()}


def compare(old: Assessment, new: Assessment) -> AssessmentDiff:
    """The diff of two stored runs (regressions first in every view)."""
    from mlsvs.render.diff import diff_assessments

    return diff_assessments(old, new, id_map=id_map(old.standard.version, new.standard.version))
