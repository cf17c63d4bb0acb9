"""Checks written for one version of the standard, run against another."""

from __future__ import annotations

import re

from mlsvs.catalog import load_standard
from mlsvs.engine import registry as reg
from mlsvs.model.check import Check
from mlsvs.plugin import Project, Severity, check, passed


def _make(requirements: list[str]) -> Check[Project]:
    @check(
        id="TST950",
        title="maps to requirements",
        requirements=requirements,
        applies_to=Project,
        severity=Severity.LOW,
    )
    def probe(ctx, project):  # type: ignore[no-untyped-def]
        """Pass."""
        yield passed("ok")

    return probe


def test_unknown_ids_are_tolerated_while_one_id_is_known() -> None:
    old = load_standard("1.0.0")
    assert reg._invalid(_make(["M5.1.1", "M5.1.5"]), old) == ""  # M5.1.5 is new in 1.1.0
    assert reg._unknown_requirements(_make(["M5.1.1", "M5.1.5"]), old) == ["M5.1.5"]
    assert "maps to no requirement of mlsvs 1.0.0" in reg._invalid(_make(["M5.1.5"]), old)


def test_every_builtin_check_maps_to_valid_ids_of_both_versions() -> None:
    for version in ("1.0.0", "1.1.0"):
        standard = load_standard(version)
        loaded = reg.load_registry(standard)
        assert loaded.checks
        disabled = [p.message for p in loaded.problems if "disabled" in p.message]
        # A check for requirements added in 1.1.0 only (M9.2.5, M8.5.11 ...) has nothing to
        # decide under 1.0.0: disabled there, and said so. Any other disabled check is a bug.
        disabled = [m for m in disabled if not _only_new_requirements(m, standard)]
        assert disabled == [], (version, disabled)
    new = load_standard("1.1.0")
    unknown = [
        (c.check.id, r)
        for c in reg.load_registry(new).checks
        for r in c.check.requirements
        if r not in new.requirements
    ]
    assert unknown == []


def _only_new_requirements(message: str, standard: object) -> bool:
    ids = message.rsplit(": ", 1)[-1].split(", ")
    known = standard.requirements  # type: ignore[attr-defined]
    newer = load_standard("1.1.0").requirements
    return all(i not in known and i in newer for i in ids)


def test_attesting_a_withdrawn_id_names_its_successor() -> None:
    from mlsvs.engine.attestations import _unknown_requirement

    new = load_standard("1.1.0")
    assert "withdrawn in mlsvs 1.1.0 (merged into M1.2.2)" in _unknown_requirement("M6.2.3", new)
    assert _unknown_requirement("M9.9.9", new) == "M9.9.9 is not a requirement of mlsvs 1.1.0"


def test_under_an_older_version_a_split_off_obligation_is_judged_where_it_was() -> None:
    """M9.2.5 was split from M9.2.3 in 1.1.0: under 1.0.0 its check judges M9.2.3 too, so
    1.0.0's M9.2.3 is no longer decided on the one clause that kept the ID."""
    from mlsvs.catalog.crosswalk import carriers

    old, new = load_standard("1.0.0"), load_standard("1.1.0")
    carried = carriers(old, new)
    split_off = {
        r.id: parent
        for r in new.requirements.values()
        for h in r.history
        if h.change.value == "added"
        for parent in re.findall(r"[Ss]plit from (M\d+\.\d+\.\d+)", h.note)
    }
    assert split_off, "the bundled 1.1.0 records its splits"
    for child, parent in split_off.items():
        assert parent in carried[child], (child, parent)
    translated = reg._translated(_make(["M9.2.5", "M9.2.3"]), old, carried)
    assert translated.requirements == ("M9.2.3",)
    assert reg._translated(_make(["M9.2.5"]), new, carriers(new, new)).requirements == ("M9.2.5",)
    # a withdrawn ID that a check written for 1.0.0 names maps to its successor in 1.1.0
    assert carriers(new, old)["M6.2.3"] == ("M1.2.2",)
    under_old = {c.check.id: c.check.requirements for c in reg.load_registry(old).checks}
    under_new = {c.check.id: c.check.requirements for c in reg.load_registry(new).checks}
    moved = [cid for cid, ids in under_new.items() if "M9.2.5" in ids]
    assert moved and all("M9.2.3" in under_old[cid] for cid in moved)
