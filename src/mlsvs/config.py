"""Configuration: ``mlsvs.toml`` or ``[tool.mlsvs]`` in ``pyproject.toml``, frozen after loading.

Precedence: defaults < config file < ``MLSVS_JOBS`` < command-line flags (applied by the CLI with
``dataclasses.replace``). Unknown keys are errors that name the file and line. Extension sections
(``[tool.mlsvs.model_tests]`` …) belong to the checks that read them: the loader only checks that
they are tables, and each check validates its own keys.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError
from mlsvs.model.level import Level
from mlsvs.util.config_file import find_config
from mlsvs.util.config_file import read_config_text as _read_text

if TYPE_CHECKING:
    import datetime as dt

    # Imported where used: every command loads a configuration, and `mlsvs scan` needs none of
    # these model modules (tests/scanner/test_startup_imports.py keeps it that way). Config's
    # annotations stay strings (postponed evaluation); nothing resolves them at run time.
    from mlsvs.model.artifact import Capability, Endpoint  # noqa: TC004
    from mlsvs.model.attestation import Waiver  # noqa: TC004


# Sections owned by checks and commands; each validates its own keys.
EXTENSION_SECTIONS = frozenset(
    {
        "scanner",
        "code",
        "secrets",
        "signing",
        "advisories",
        "dependencies",
        "bom",
        "monitoring",
        "model_tests",
        "datasets",
        "probes",
        "documentation",
        "evidence",
        "third_party",
        "llm",
        "mlops",
        "kill_switch",
        "hosted_model",
        "oversight",
        "privacy",
        "agents",
        "detection",
        "drills",
        "tenants",
        "failsafe",
        "auxiliary",
    }
)

_TOP_KEYS = frozenset(
    {
        "name",
        "level",
        "standard",
        "traits",
        "denied_traits",
        "include",
        "exclude",
        "attestations",
        "allow",
        "jobs",
        "timeout",
        "select",
        "ignore",
        "waivers",
        "checks",
        "policy",
        "limits",
        "endpoints",
    }
    | EXTENSION_SECTIONS
)
_WAIVER_KEYS = frozenset(
    {"id", "check", "requirement", "paths", "reason", "expires", "approved_by"}
)
_ENDPOINT_KEYS = frozenset(
    {
        "name",
        "url",
        "method",
        "auth_env",
        "auth_header",
        "auth_scheme",
        "request_template",
        "health_path",
    }
)
_POLICY_KEYS = frozenset({"waivers_satisfy"})
_LIMIT_KEYS = frozenset({"max_files", "max_file_mb", "max_depth"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Discovery limits; hitting one is recorded as a problem, never silent."""

    max_files: int = 50_000
    max_file_mb: int = 65_536
    """Files larger than this are listed but not read at all."""
    max_depth: int = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The validated configuration of one run."""

    source: str | None = None
    """The file the configuration came from (None: defaults only)."""
    name: str = ""
    level: Level = Level.L1
    standard: str | None = None
    traits: frozenset[str] = frozenset()
    denied_traits: Mapping[str, str] = field(default_factory=dict)
    """Traits the project says do not hold, each with the reason (``[denied_traits]``).
    Discovery's evidence of an undeclared trait makes its requirements *not verified*
    unless the trait is denied here."""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    attestations: tuple[str, ...] = ("attestations",)
    allow: frozenset[Capability] = frozenset()
    """Capabilities granted for this run (from the command line or API caller only)."""
    requested: frozenset[Capability] = frozenset()
    """Capabilities the project's configuration asks for; never granted by the file itself."""
    jobs: int = 0
    """0 = min(8, cpu count)."""
    timeout_s: float = 300.0
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    check_options: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    settings: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    endpoints: tuple[Endpoint, ...] = ()
    waivers_satisfy: bool = False
    limits: Limits = field(default_factory=Limits)
    digest: str = ""

    @property
    def effective_jobs(self) -> int:
        """Worker threads to use."""
        return self.jobs if self.jobs > 0 else min(8, os.cpu_count() or 1)


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """Load the configuration for the project at ``root`` (defaults when none exists)."""
    path = explicit if explicit is not None else find_config(root)
    if path is None:
        return Config(name=root.resolve().name, digest=_digest({}))
    if not path.is_file():
        raise ConfigError("configuration file not found", path=str(path))
    import tomllib  # only when there is a file to parse

    text = _read_text(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise ConfigError(f"invalid TOML: {exc}", path=str(path), line=line) from None
    if path.name == "pyproject.toml":
        table = document.get("tool", {}).get("mlsvs")
        prefix = "tool.mlsvs"
        if not isinstance(table, dict):
            raise ConfigError("no [tool.mlsvs] table", path=str(path))
    else:
        table, prefix = document, ""
    return _parse(table, _Source(path=path, text=text, prefix=prefix), root)


@dataclass(frozen=True, slots=True)
class _Source:
    path: Path
    text: str
    prefix: str

    def error(self, message: str, *keys: str) -> ConfigError:
        dotted = ".".join(k for k in (self.prefix, *keys) if k)
        return ConfigError(
            f"{dotted}: {message}" if dotted else message,
            path=str(self.path),
            line=_line_of(self.text, keys[-1] if keys else ""),
        )


_NOT_BY_THE_PROJECT = ("parameters", "profile")


def _parse(table: Mapping[str, object], src: _Source, root: Path) -> Config:
    for key in _NOT_BY_THE_PROJECT:
        if key in table:
            raise src.error(
                "the standard's parameters are set by the standard or by the buyer's or "
                "assessor's verification profile (mlsvs verify --profile FILE), never by the "
                "verified project's configuration",
                key,
            )
    unknown = sorted(set(table) - _TOP_KEYS)
    if unknown:
        known = ", ".join(sorted(_TOP_KEYS))
        raise src.error(f"unknown key (known keys: {known})", unknown[0])
    for section in EXTENSION_SECTIONS & set(table):
        if not isinstance(table[section], dict):
            raise src.error("must be a table", section)
    level_raw = table.get("level", "L1")
    try:
        level = Level.parse(level_raw if isinstance(level_raw, str | int) else "")
    except ValueError as exc:
        raise src.error(str(exc), "level") from None
    policy = _table(table, "policy", _POLICY_KEYS, src)
    traits = frozenset(_strings(table, "traits", src))
    denied = _denied_traits(table, src)
    both = sorted(traits & set(denied))
    if both:
        raise src.error(f"{both[0]} is both declared in traits and denied", "denied_traits")
    return Config(
        source=str(src.path),
        name=_string(table, "name", src) or root.resolve().name,
        level=level,
        standard=_string(table, "standard", src) or None,
        traits=traits,
        denied_traits=denied,
        include=_strings(table, "include", src),
        exclude=_strings(table, "exclude", src),
        attestations=_strings(table, "attestations", src) or ("attestations",),
        requested=_capabilities(table, src),
        jobs=_int(table, "jobs", src, 0),
        timeout_s=float(_int(table, "timeout", src, 300)),
        select=_strings(table, "select", src),
        ignore=_strings(table, "ignore", src),
        waivers=_waivers(table, src),
        check_options=_check_options(table, src),
        settings=_settings(table),
        endpoints=_endpoints(table, src),
        waivers_satisfy=bool(policy.get("waivers_satisfy", False)),
        limits=_limits(table, src),
        digest=_digest(table),
    )


def _denied_traits(table: Mapping[str, object], src: _Source) -> Mapping[str, str]:
    value = table.get("denied_traits", {})
    if not isinstance(value, dict):
        raise src.error('must be a table of trait = "reason"', "denied_traits")
    denied: dict[str, str] = {}
    for trait, reason in sorted(value.items()):
        if not isinstance(reason, str) or not reason.strip():
            raise src.error(
                "each denied trait needs a non-empty reason string", "denied_traits", trait
            )
        denied[trait] = reason.strip()
    return denied


def _settings(table: Mapping[str, object]) -> Mapping[str, Mapping[str, object]]:
    return {k: dict(v) for k, v in table.items() if k in EXTENSION_SECTIONS and isinstance(v, dict)}


def _string(table: Mapping[str, object], key: str, src: _Source) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise src.error("must be a string", key)
    return value


def _strings(table: Mapping[str, object], key: str, src: _Source) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise src.error("must be a list of strings", key)
    return tuple(value)


def _int(table: Mapping[str, object], key: str, src: _Source, default: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise src.error("must be a non-negative integer", key)
    return value


def _table(
    table: Mapping[str, object], key: str, allowed: frozenset[str], src: _Source
) -> Mapping[str, object]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise src.error("must be a table", key)
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise src.error(f"unknown key (known: {', '.join(sorted(allowed))})", key, unknown[0])
    return value


def _capabilities(table: Mapping[str, object], src: _Source) -> frozenset[Capability]:
    names = _strings(table, "allow", src)
    if not names:
        return frozenset()
    from mlsvs.model.artifact import Capability

    granted: set[Capability] = set()
    for name in names:
        try:
            granted.add(Capability(name))
        except ValueError:
            known = ", ".join(c.value for c in Capability)
            raise src.error(f"unknown capability {name!r} (known: {known})", "allow") from None
    return frozenset(granted)


def _limits(table: Mapping[str, object], src: _Source) -> Limits:
    raw = _table(table, "limits", _LIMIT_KEYS, src)
    defaults = Limits()
    return Limits(
        max_files=_int(raw, "max_files", src, defaults.max_files),
        max_file_mb=_int(raw, "max_file_mb", src, defaults.max_file_mb),
        max_depth=_int(raw, "max_depth", src, defaults.max_depth),
    )


def _check_options(table: Mapping[str, object], src: _Source) -> Mapping[str, Mapping[str, object]]:
    raw = table.get("checks", {})
    if not isinstance(raw, dict):
        raise src.error("must be a table of check IDs", "checks")
    options: dict[str, Mapping[str, object]] = {}
    for check_id, values in raw.items():
        if not isinstance(values, dict):
            raise src.error("must be a table of options", "checks", check_id)
        options[check_id] = dict(values)
    return options


def parse_date(value: object, what: str) -> dt.date:
    """A TOML/YAML date or an ISO ``YYYY-MM-DD`` string; ``ValueError`` otherwise."""
    import datetime as dt  # only configurations with dates (waivers) need it

    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{what} must be a date (YYYY-MM-DD)")


def _waivers(table: Mapping[str, object], src: _Source) -> tuple[Waiver, ...]:
    raw = table.get("waivers", [])
    if not isinstance(raw, list):
        raise src.error("must be an array of tables ([[waivers]])", "waivers")
    if not raw:
        return ()
    from mlsvs.model.attestation import Waiver

    waivers: list[Waiver] = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise src.error("each waiver must be a table", "waivers")
        unknown = sorted(set(item) - _WAIVER_KEYS)
        if unknown:
            raise src.error(f"waiver {index}: unknown key", "waivers", unknown[0])
        for mandatory in ("reason", "expires"):
            if not item.get(mandatory):
                raise src.error(f"waiver {index}: {mandatory!r} is mandatory", "waivers")
        if not item.get("check") and not item.get("requirement"):
            raise src.error(f"waiver {index}: name a 'check' or a 'requirement'", "waivers")
        try:
            expires = parse_date(item["expires"], "expires")
        except ValueError as exc:
            raise src.error(f"waiver {index}: {exc}", "waivers", "expires") from None
        paths = item.get("paths", [])
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise src.error(f"waiver {index}: paths must be a list of globs", "waivers", "paths")
        waivers.append(
            Waiver(
                id=str(item.get("id") or f"waiver-{index}"),
                check=str(item["check"]) if item.get("check") else None,
                requirement=str(item["requirement"]) if item.get("requirement") else None,
                paths=tuple(paths),
                reason=str(item["reason"]),
                expires=expires,
                approved_by=str(item.get("approved_by", "")),
            )
        )
    return tuple(waivers)


def _endpoints(table: Mapping[str, object], src: _Source) -> tuple[Endpoint, ...]:
    raw = table.get("endpoints", [])
    if not isinstance(raw, list):
        raise src.error("must be an array of tables ([[endpoints]])", "endpoints")
    if not raw:
        return ()
    from mlsvs.model.artifact import Endpoint

    endpoints: list[Endpoint] = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise src.error("each endpoint must be a table", "endpoints")
        unknown = sorted(set(item) - _ENDPOINT_KEYS)
        if unknown:
            raise src.error(f"endpoint {index}: unknown key", "endpoints", unknown[0])
        url = item.get("url")
        if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
            raise src.error(f"endpoint {index}: 'url' must be an http(s) URL", "endpoints", "url")
        values = {k: v for k, v in item.items() if k in _ENDPOINT_KEYS}
        if not all(isinstance(v, str) for v in values.values()):
            raise src.error(f"endpoint {index}: values must be strings", "endpoints")
        values.setdefault("name", f"endpoint-{index}")
        endpoints.append(Endpoint(**values))
    return tuple(endpoints)


_EMPTY_DIGEST = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
"""``_digest({})``, the digest of the defaults (tests/scanner/test_startup_imports.py checks it):
a project without a configuration file, e.g. ``mlsvs scan`` anywhere, never starts hashlib."""


def _digest(table: Mapping[str, object]) -> str:
    if not table:
        return _EMPTY_DIGEST
    import hashlib  # ~3 ms of OpenSSL start-up on every command otherwise

    canonical = json.dumps(table, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _line_of(text: str, key: str) -> int | None:
    """Best-effort line of ``key`` (tomllib keeps no positions): first assignment or header."""
    if not key:
        return None
    pattern = re.compile(
        rf"^\s*(\[\[?[^\]]*\b{re.escape(key)}\]\]?|[\"']?{re.escape(key)}[\"']?\s*=)"
    )
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            return number
    return None


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None
