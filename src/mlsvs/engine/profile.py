"""Verification profiles: the buyer's or assessor's assignments of the standard's parameters.

A profile is a TOML, YAML or JSON file (an OSCAL profile from ``mlsvs oscal profile`` too)
given with ``mlsvs verify --profile FILE``; the project's own
configuration can never set parameters (the verified party must not choose its own bar). The
file holds a ``profile`` table (name, issuer, role, optional standard version and target level)
and a ``parameters`` table of ``"<requirement id>.<name>" = value``. Every assignment must name
an assignable parameter of the standard in use, have its type, and lie within the bounds the
standard fixes; every violation is reported as ``file:line: message``. The schema is committed
as ``schemas/verification-profile.schema.json``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsvs.errors import ConfigError
from mlsvs.model.assessment import ParameterSetting, ProfileRef, SetBy
from mlsvs.model.catalog import Level, value_has_type

if TYPE_CHECKING:
    from mlsvs.model.catalog import Parameter, ParameterValue, Standard

ROLES = ("buyer", "assessor")
_PROFILE_KEYS = frozenset({"name", "issuer", "role", "standard", "level", "note"})
_TOP_KEYS = frozenset({"profile", "parameters"})


class ProfileError(ConfigError):
    """A verification profile is malformed or assigns a parameter out of the standard's bounds."""

    def __init__(
        self, message: str, *, problems: tuple[str, ...] = (), path: str | None = None
    ) -> None:
        super().__init__(message, path=path)
        self.problems = problems

    def diagnostics(self) -> str:
        """The summary line followed by every problem, one ``file:line: message`` per line."""
        head = super().diagnostics()
        return "\n".join((head, *(f"  {p}" for p in self.problems)))


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """A parsed profile file: metadata, raw assignments and the line of each key."""

    path: str
    sha256: str
    name: str = ""
    issuer: str = ""
    role: str = ""
    standard: str | None = None
    level: Level | None = None
    assignments: Mapping[str, object] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)
    """``profile.<key>`` / ``parameters.<key>`` -> 1-based line (1 when unknown)."""

    def where(self, key: str) -> str:
        """``file:line`` of a key."""
        return f"{self.path}:{self.lines.get(key, 1)}"

    def ref(self) -> ProfileRef:
        """What reports record about the profile."""
        return ProfileRef(
            path=self.path, sha256=self.sha256, name=self.name, issuer=self.issuer, role=self.role
        )


def _toml_lines(text: str) -> dict[str, int]:
    """Line of each ``key = ...`` under ``[profile]`` / ``[parameters]`` (tomllib has none)."""
    lines: dict[str, int] = {}
    table = ""
    header = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\"' -]+?)\s*\]\s*(#.*)?$")
    assign = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_.-]+))\s*=""")
    for number, line in enumerate(text.splitlines(), start=1):
        head = header.match(line)
        if head:
            table = head[1].strip("\"'")
            lines.setdefault(table, number)
            continue
        key = assign.match(line)
        if key:
            name = key[1] or key[2] or key[3]
            lines.setdefault(f"{table}.{name}" if table else name, number)
            lines.setdefault(f"{table}.{name.split('.')[0]}" if table else name, number)
    return lines


def _parse_text(path: Path, text: str) -> tuple[dict[str, Any], dict[str, int]]:
    display = str(path)
    if path.suffix.lower() == ".json":
        return _parse_json(display, text), {}
    if path.suffix.lower() in {".yaml", ".yml"}:
        from mlsvs.catalog.yamlsource import parse_text

        source, problems = parse_text(text, file=display)
        if source is None or problems:
            raise ProfileError("invalid profile", problems=tuple(str(p) for p in problems))
        if not isinstance(source.data, dict):
            raise ProfileError("a profile must be a mapping", path=display)
        lines = {".".join(str(p) for p in k): v for k, v in source.lines.items() if len(k) <= 2}
        return source.data, lines
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"malformed TOML: {exc}", path=display) from None
    return data, _toml_lines(text)


def _parse_json(display: str, text: str) -> dict[str, Any]:
    """A JSON profile: the TOML tables as JSON, or an OSCAL profile (``mlsvs oscal profile``)."""
    import json

    from mlsvs.catalog.oscal import is_oscal_profile, verification_profile_from_oscal

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"malformed JSON: {exc.msg} (line {exc.lineno})", path=display) from None
    if is_oscal_profile(data):
        return verification_profile_from_oscal(data, source=display)
    if not isinstance(data, dict):
        raise ProfileError("a profile must be a JSON object", path=display)
    return data


def load_profile(path: Path | str) -> Profile:
    """Read and check the structure of a profile file (bounds are checked by ``resolve``)."""
    file = Path(path)
    display = str(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ProfileError(f"cannot read profile: {exc.strerror or exc}", path=display) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileError("profile is not UTF-8 text", path=display) from None
    data, lines = _parse_text(file, text)
    problems: list[str] = []

    def at(key: str) -> str:
        return f"{display}:{lines.get(key, 1)}"

    problems.extend(
        f"{at(key)}: unknown key {key!r} (allowed: parameters, profile)"
        for key in sorted(set(data) - _TOP_KEYS)
    )
    meta = data.get("profile", {})
    if not isinstance(meta, dict):
        problems.append(f"{at('profile')}: 'profile' must be a table")
        meta = {}
    for key in sorted(set(meta) - _PROFILE_KEYS):
        allowed = ", ".join(sorted(_PROFILE_KEYS))
        problems.append(f"{at('profile.' + key)}: unknown key {key!r} (allowed: {allowed})")
    problems.extend(
        f"{at('profile.' + key)}: profile.{key} must be a string"
        for key in ("name", "issuer", "role", "standard", "level", "note")
        if key in meta and not isinstance(meta[key], str)
    )
    role = meta.get("role", "")
    if not role:
        problems.append(f"{at('profile')}: profile.role is required (buyer or assessor)")
    elif isinstance(role, str) and role not in ROLES:
        problems.append(f"{at('profile.role')}: role must be buyer or assessor, not {role!r}")
    level: Level | None = None
    if isinstance(meta.get("level"), str):
        try:
            level = Level.parse(meta["level"])
        except ValueError as exc:
            problems.append(f"{at('profile.level')}: {exc}")
    assignments = data.get("parameters", {})
    if not isinstance(assignments, dict):
        problems.append(f"{at('parameters')}: 'parameters' must be a table")
        assignments = {}
    if problems:
        raise ProfileError(
            f"invalid profile ({len(problems)} problem(s))", problems=tuple(problems)
        )
    standard = meta.get("standard")
    return Profile(
        path=display,
        sha256=hashlib.sha256(raw).hexdigest(),
        name=str(meta.get("name", "")),
        issuer=str(meta.get("issuer", "")),
        role=str(role),
        standard=str(standard).removeprefix("v") if standard else None,
        level=level,
        assignments=dict(assignments),
        lines=lines,
    )


def _check(param: Parameter, value: object) -> str:
    """Why ``value`` may not be assigned to ``param`` ('' when it may)."""
    if param.assignable is None:
        return f"{param.key} is fixed by the standard and cannot be assigned"
    if not value_has_type(value, param.type):
        return f"{param.key} must be of type {param.type}, got {type(value).__name__}"
    assert isinstance(value, bool | int | float | str)  # noqa: S101 - narrowed by value_has_type
    if not param.assignable.admits(value):
        return (
            f"{param.key} = {value!r} is outside the bounds the standard fixes "
            f"({param.assignable.describe()})"
        )
    return ""


def resolve(
    standard: Standard, level: Level, profile: Profile | None = None
) -> tuple[ParameterSetting, ...]:
    """Every parameter's value for a run at ``level``: the standard's, or the profile's.

    A requirement whose entry level is above ``level`` uses its own entry level's value.
    ``ProfileError`` lists every assignment that is unknown, fixed, mistyped or out of bounds.
    """
    params = standard.parameters
    problems: list[str] = []
    if profile is not None:
        if profile.standard and profile.standard != standard.version:
            problems.append(
                f"{profile.where('profile.standard')}: profile is for MLSVS {profile.standard}, "
                f"this run uses {standard.version}"
            )
        for key, value in profile.assignments.items():
            where = profile.where(f"parameters.{key}")
            param = params.get(key)
            if param is None:
                hint = (
                    ' (quote dotted keys: "M6.2.1.epsilon" = ...)'
                    if isinstance(value, dict)
                    else ""
                )
                problems.append(
                    f"{where}: unknown parameter {key!r} in MLSVS {standard.version}{hint} "
                    "(list them: mlsvs catalog parameters)"
                )
                continue
            reason = _check(param, value)
            if reason:
                problems.append(f"{where}: {reason}")
    if problems:
        raise ProfileError(
            f"verification profile rejected ({len(problems)} problem(s))", problems=tuple(problems)
        )
    settings = []
    for key, param in params.items():
        used = max(level, min(param.values))
        default: ParameterValue = param.value_at(used)
        assigned = profile.assignments.get(key) if profile is not None else None
        value = assigned if isinstance(assigned, bool | int | float | str) else default
        settings.append(
            ParameterSetting(
                key=key,
                requirement=param.requirement,
                value=value,
                standard_value=default,
                unit=param.unit,
                level=used,
                set_by=SetBy.PROFILE if assigned is not None else SetBy.STANDARD,
            )
        )
    return tuple(settings)
