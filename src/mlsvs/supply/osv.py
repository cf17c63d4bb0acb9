"""OSV records and the matcher: ECOSYSTEM ranges (introduced/fixed/last_affected) and ``versions``.

Pure functions over plain data; version comparison is PEP 440 via ``packaging``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from mlsvs.supply.errors import AdvisoryError
from mlsvs.supply.requirements import canonical

if TYPE_CHECKING:
    from packaging.version import Version


@dataclass(frozen=True, slots=True, kw_only=True)
class Range:
    """One OSV range: ordered ``(event, version)`` pairs."""

    type: str
    events: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Affected:
    """The affected versions of one PyPI package in one advisory."""

    name: str
    ranges: tuple[Range, ...] = ()
    versions: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    """One OSV record, reduced to what matching and reporting need."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    modified: str = ""
    affected: tuple[Affected, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """The ID and its aliases, sorted (CVE, GHSA, PYSEC)."""
        return tuple(sorted({self.id, *self.aliases}))


def _str(obj: Mapping[str, object], key: str) -> str:
    value = obj.get(key, "")
    return value if isinstance(value, str) else ""


def parse_record(obj: object, *, ecosystem: str = "PyPI") -> Advisory | None:
    """Parse one OSV JSON object. None when withdrawn or without an ``ecosystem`` package."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("id"), str):
        raise AdvisoryError("OSV record without an 'id'")
    if obj.get("withdrawn"):
        return None
    affected: list[Affected] = []
    for entry in obj.get("affected") or ():
        if not isinstance(entry, Mapping):
            raise AdvisoryError(f"{obj['id']}: malformed 'affected' entry")
        package = entry.get("package")
        if (
            not isinstance(package, Mapping)
            or _str(package, "ecosystem").split(":")[0] != ecosystem
        ):
            continue
        ranges = []
        for rng in entry.get("ranges") or ():
            if not isinstance(rng, Mapping) or _str(rng, "type") not in {"ECOSYSTEM", "SEMVER"}:
                continue  # GIT ranges name commits, not releases
            events = tuple(
                (key, str(value))
                for event in rng.get("events") or ()
                if isinstance(event, Mapping)
                for key, value in event.items()
                if key in {"introduced", "fixed", "last_affected", "limit"}
            )
            ranges.append(Range(type=_str(rng, "type"), events=events))
        versions = entry.get("versions") or ()
        affected.append(
            Affected(
                name=canonical(_str(package, "name")),
                ranges=tuple(ranges),
                versions=frozenset(str(v) for v in versions)
                if isinstance(versions, list)
                else frozenset(),
            )
        )
    if not affected:
        return None
    aliases = obj.get("aliases") or ()
    return Advisory(
        id=obj["id"],
        aliases=tuple(sorted(str(a) for a in aliases)) if isinstance(aliases, list) else (),
        summary=_str(obj, "summary") or _str(obj, "details")[:200],
        modified=_str(obj, "modified"),
        affected=tuple(affected),
    )


def in_range(rng: Range, version: str) -> bool | None:
    """OSV range evaluation; None when a version in play is not PEP 440 (cannot decide).

    Two readings, and a version is affected when either says so (a miss is worse than a
    duplicate): the OSV algorithm (events sorted by version, ``introduced`` opens, ``fixed``
    closes, ``last_affected`` closes after itself; at equal versions closing events come first,
    so ``fixed 3.1.1`` + ``introduced 3.1.1`` leaves 3.1.1 affected), and the events paired in
    the order written (``introduced``/``fixed`` pairs). Real records merge several intervals
    into one range and sometimes overlap them (PYSEC-2021-114 lists ``[2.11, 2.11.7)`` next to
    ``[0, 2.11.6)``), which the sorted walk alone gets wrong. ``limit`` bounds the whole range.
    """
    from packaging.version import InvalidVersion, Version

    try:
        target = Version(version)
        # "introduced: 0" is the start of time, below every pre-release too (0.0.0b1 < 0).
        floor = min(target, Version("0"))
        events = [
            (kind, floor if kind == "introduced" and value == "0" else Version(value))
            for kind, value in rng.events
        ]
    except InvalidVersion:
        return None
    if any(kind == "limit" and target >= bound for kind, bound in events):
        return False
    bounds = [(kind, bound) for kind, bound in events if kind != "limit"]
    walk = False
    for kind, bound in sorted(bounds, key=lambda e: (e[1], e[0] == "introduced")):
        if kind == "introduced" and target >= bound:
            walk = True
        elif (kind == "fixed" and target >= bound) or (kind == "last_affected" and target > bound):
            walk = False
    return walk or _in_pairs(bounds, target)


def _in_pairs(bounds: list[tuple[str, Version]], target: Version) -> bool:
    """Membership in the intervals the events form in the order they are written."""
    low: Version | None = None
    for kind, bound in bounds:
        if kind == "introduced":
            if low is not None and target >= low:
                return True  # an interval left open by the next "introduced"
            low = bound
        elif low is not None:
            inside = target < bound if kind == "fixed" else target <= bound
            if target >= low and inside:
                return True
            low = None
    return low is not None and target >= low


def is_affected(affected: Affected, version: str) -> bool | None:
    """Whether ``version`` is affected; None when undecidable (invalid versions only)."""
    from packaging.version import InvalidVersion, Version

    if version in affected.versions:
        return True
    undecided = False
    try:
        wanted = Version(version)
        if any(_same(wanted, listed) for listed in affected.versions):
            return True
    except InvalidVersion:
        undecided = True
    for rng in affected.ranges:
        verdict = in_range(rng, version)
        if verdict:
            return True
        undecided = undecided or verdict is None
    return None if undecided else False


def _same(wanted: object, listed: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(listed) == wanted
    except InvalidVersion:
        return False


class Index(Protocol):
    """What a database answers: advisories for ``name==version``."""

    @property
    def count(self) -> int:
        """Number of advisories held."""
        ...

    def match(self, name: str, version: str) -> tuple[tuple[Advisory, ...], bool]:
        """Advisories affecting ``name==version`` and whether any entry was undecidable."""
        ...

    def packages(self) -> frozenset[str]:
        """Names with at least one advisory."""
        ...


class AdvisoryIndex:
    """Advisories by package name (built once, then read-only)."""

    __slots__ = ("_by_name", "_count")

    def __init__(self, advisories: tuple[Advisory, ...], *, count: int | None = None) -> None:
        """``count``: the database's size when only some of its records were loaded."""
        by_name: dict[str, list[tuple[Advisory, Affected]]] = {}
        for advisory in advisories:
            for affected in advisory.affected:
                by_name.setdefault(affected.name, []).append((advisory, affected))
        self._by_name = by_name
        self._count = len(advisories) if count is None else count

    @property
    def count(self) -> int:
        """Number of advisories held."""
        return self._count

    def match(self, name: str, version: str) -> tuple[tuple[Advisory, ...], bool]:
        """Advisories affecting ``name==version`` and whether any entry was undecidable."""
        hits: dict[str, Advisory] = {}
        undecided = False
        for advisory, affected in self._by_name.get(canonical(name), ()):
            verdict = is_affected(affected, version)
            if verdict:
                hits[advisory.id] = advisory
            undecided = undecided or verdict is None
        return tuple(hits[k] for k in sorted(hits)), undecided

    def packages(self) -> frozenset[str]:
        """Names with at least one advisory."""
        return frozenset(self._by_name)
