"""Crosswalk between two versions of the standard: where every old requirement ID went.

Derived from the newer version's own records (requirement history and tombstones), so the
crosswalk cannot drift from the catalog: an old ID is ``kept`` (unchanged), ``reworded``,
``level_changed``, ``parameterised``, ``remapped``, ``split`` (kept for one obligation, the others
in new IDs), ``merged`` (another ID absorbed, or this one absorbed elsewhere), ``moved`` or
``withdrawn``. Pure functions; ``render_crosswalk`` writes JSON, CSV or Markdown.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.errors import UsageError
from mlsvs.model.catalog import id_sort_key

if TYPE_CHECKING:
    from mlsvs.model.catalog import Requirement, Standard

CROSSWALK_FORMATS = ("json", "csv", "markdown")
# The most telling change first: an ID that was split is "split" even if it was also reworded.
_PRIORITY = (
    "split",
    "merged",
    "moved",
    "level_changed",
    "reworded",
    "parameterised",
    "remapped",
)
_SPLIT_FROM = re.compile(r"\bsplit from (M\d+\.\d+\.\d+)", re.IGNORECASE)


def _semver(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


@dataclass(frozen=True, slots=True, kw_only=True)
class CrosswalkEntry:
    """Where one requirement ID of the old version went in the new one."""

    old_id: str
    old_title: str
    old_level: int
    relation: str
    new_ids: tuple[str, ...]
    """The new requirements that carry the old obligation (empty only for ``withdrawn``)."""
    new_levels: tuple[int, ...]
    changes: tuple[str, ...]
    """Every kind of change recorded between the two versions, in history order."""
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Crosswalk:
    """Every old ID mapped, plus the requirements that are new without an old source."""

    old_version: str
    new_version: str
    entries: tuple[CrosswalkEntry, ...]
    added: tuple[tuple[str, str, int], ...]
    """(ID, title, level) of new requirements with no old source."""

    def id_map(self) -> dict[str, tuple[str, ...]]:
        """Old ID -> new IDs (for comparing assessments across versions)."""
        return {e.old_id: e.new_ids for e in self.entries}


def _in_range(version: str, old: str, new: str) -> bool:
    return _semver(old) < _semver(version) <= _semver(new)


def _children(new: Standard, old_version: str) -> dict[str, list[str]]:
    """Old ID -> new IDs added (in range) with a 'Split from <old ID>' note."""
    found: dict[str, list[str]] = {}
    for req in new.requirements.values():
        for h in req.history:
            if h.change.value != "added" or not _in_range(h.version, old_version, new.version):
                continue
            for parent in _SPLIT_FROM.findall(h.note):
                found.setdefault(parent, []).append(req.id)
    return found


def _entry_for_live(
    old_req: Requirement, new_req: Requirement, children: list[str], old_version: str, new: Standard
) -> CrosswalkEntry:
    entries = [h for h in new_req.history if _in_range(h.version, old_version, new.version)]
    kinds = [h.change.value for h in entries]
    # An ID whose obligations were partly moved into new IDs is "split" whatever else changed.
    relation = "split" if children else next((k for k in _PRIORITY if k in kinds), "kept")
    ids = (new_req.id, *sorted(children, key=id_sort_key))
    return CrosswalkEntry(
        old_id=old_req.id,
        old_title=old_req.title,
        old_level=int(old_req.level),
        relation=relation,
        new_ids=ids,
        new_levels=tuple(int(new.requirements[i].level) for i in ids),
        changes=tuple(kinds),
        note=" ".join(h.note for h in entries if h.note),
    )


def crosswalk(old: Standard, new: Standard) -> Crosswalk:
    """Map every requirement ID of ``old`` into ``new`` (``new`` must be the later version)."""
    if _semver(old.version) >= _semver(new.version):
        raise UsageError(
            f"crosswalk goes from an older to a newer version, not {old.version} -> {new.version}"
        )
    children = _children(new, old.version)
    tombstones = {t.id: t for t in new.withdrawn}
    entries: list[CrosswalkEntry] = []
    for rid in sorted(old.requirements, key=id_sort_key):
        old_req = old.requirements[rid]
        if rid in new.requirements:
            entries.append(
                _entry_for_live(
                    old_req, new.requirements[rid], children.get(rid, []), old.version, new
                )
            )
            continue
        tomb = tombstones.get(rid)
        ids: tuple[str, ...] = ()
        kinds: tuple[str, ...] = ()
        if tomb is None:  # the lineage rule of the loader makes this unreachable for bundled data
            relation, note = "missing", "not in the newer version"
        else:
            relation, ids, note = tomb.change.value, tomb.replaced_by, tomb.note
            kinds = (tomb.change.value,)
        entries.append(
            CrosswalkEntry(
                old_id=rid,
                old_title=old_req.title,
                old_level=int(old_req.level),
                relation=relation,
                new_ids=tuple(ids),
                new_levels=tuple(
                    int(new.requirements[i].level) for i in ids if i in new.requirements
                ),
                changes=tuple(kinds),
                note=note,
            )
        )
    covered = {i for e in entries for i in e.new_ids}
    added = tuple(
        (r.id, r.title, int(r.level))
        for r in sorted(new.requirements.values(), key=lambda r: id_sort_key(r.id))
        if r.id not in covered
    )
    return Crosswalk(
        old_version=old.version, new_version=new.version, entries=tuple(entries), added=added
    )


def carriers(target: Standard, written_for: Standard) -> dict[str, tuple[str, ...]]:
    """Requirement IDs of ``written_for`` that ``target`` lacks -> the IDs of ``target`` that
    carry their obligations.

    A check written for 1.1.0 that judges M9.2.5 (split from M9.2.3 in 1.1.0) judges M9.2.3
    under 1.0.0, where that obligation was still part of M9.2.3: without this, 1.0.0's M9.2.3
    would be decided on the one clause that kept the ID. Under a newer ``target`` a withdrawn
    ID maps to what replaced it. IDs with no carrier (added without an old source) are absent.
    """
    if _semver(target.version) == _semver(written_for.version):
        return {}
    if _semver(target.version) < _semver(written_for.version):
        back: dict[str, set[str]] = {}
        for entry in crosswalk(target, written_for).entries:
            for new_id in entry.new_ids:
                if new_id not in target.requirements:
                    back.setdefault(new_id, set()).add(entry.old_id)
        return {k: tuple(sorted(v, key=id_sort_key)) for k, v in back.items()}
    return {
        e.old_id: ids
        for e in crosswalk(written_for, target).entries
        if e.old_id not in target.requirements
        and (ids := tuple(i for i in e.new_ids if i in target.requirements))
    }


def crosswalk_dict(cw: Crosswalk) -> dict[str, Any]:
    """JSON-ready form."""
    counts: dict[str, int] = {}
    for e in cw.entries:
        counts[e.relation] = counts.get(e.relation, 0) + 1
    return {
        "from": cw.old_version,
        "to": cw.new_version,
        "summary": dict(sorted(counts.items())) | {"added": len(cw.added)},
        "requirements": [
            {
                "old_id": e.old_id,
                "old_cite": f"v{cw.old_version}-{e.old_id}",
                "old_title": e.old_title,
                "old_level": e.old_level,
                "relation": e.relation,
                "new_ids": list(e.new_ids),
                "new_cites": [f"v{cw.new_version}-{i}" for i in e.new_ids],
                "new_levels": list(e.new_levels),
                "changes": list(e.changes),
                "note": e.note,
            }
            for e in cw.entries
        ],
        "added": [{"id": i, "title": t, "level": lv} for i, t, lv in cw.added],
    }


def _csv(cw: Crosswalk) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["old_id", "old_title", "old_level", "relation", "new_ids", "new_levels", "changes", "note"]
    )
    for e in cw.entries:
        writer.writerow(
            [
                e.old_id,
                e.old_title,
                e.old_level,
                e.relation,
                " ".join(e.new_ids),
                " ".join(str(lv) for lv in e.new_levels),
                " ".join(e.changes),
                e.note,
            ]
        )
    for i, title, level in cw.added:
        writer.writerow(["", "", "", "added", i, level, "added", title])
    return buffer.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(cw: Crosswalk) -> str:
    data = crosswalk_dict(cw)
    summary = ", ".join(f"{v} {k}" for k, v in data["summary"].items())
    lines = [
        f"# Crosswalk MLSVS {cw.old_version} -> {cw.new_version}",
        "",
        f"Every {cw.old_version} requirement and where it went ({summary}).",
        "",
        f"| {cw.old_version} | Relation | {cw.new_version} | Levels | Note |",
        "|---|---|---|---|---|",
    ]
    for e in cw.entries:
        levels = f"L{e.old_level} -> " + (
            ", ".join(f"L{lv}" for lv in e.new_levels) if e.new_levels else "-"
        )
        lines.append(
            f"| {e.old_id} | {e.relation} | {', '.join(e.new_ids) or '-'} | {levels} | "
            f"{_cell(e.note)} |"
        )
    if cw.added:
        lines += ["", f"## New in {cw.new_version} without a {cw.old_version} source", ""]
        lines += ["| ID | Level | Title |", "|---|---|---|"]
        lines += [f"| {i} | L{lv} | {_cell(t)} |" for i, t, lv in cw.added]
    return "\n".join(lines) + "\n"


def render_crosswalk(cw: Crosswalk, fmt: str) -> str:
    """``json``, ``csv`` or ``markdown`` text."""
    if fmt == "json":
        return json.dumps(crosswalk_dict(cw), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return _csv(cw)
    if fmt in {"markdown", "md"}:
        return _markdown(cw)
    raise UsageError(f"unknown crosswalk format {fmt!r} (known: {', '.join(CROSSWALK_FORMATS)})")
