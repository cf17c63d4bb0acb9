"""Probe settings from ``[probes]`` (global) and ``[probes.endpoints.NAME]`` (per endpoint).

Every numeric setting has a hard cap so a configuration can never turn a probe into a
denial-of-service tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from mlsvs.errors import ConfigError
from mlsvs.probes.standard import THRESHOLDS as STANDARD

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeSettings:
    """Bounds and expectations of the probes for one endpoint (hashable: a cache key)."""

    timeout_s: float = 5.0
    """Per-request timeout (connect and each read)."""
    burst: int = 60
    """Requests in the rate-limit burst: a limit must answer before this many (a threshold)."""
    burst_window_s: float = 10.0
    """The burst stops when this much time has passed."""
    burst_concurrency: int = 4
    max_body_bytes: int = 16 * MIB
    """The largest body the server may accept (a threshold): valid-shaped bodies just over it
    (a bigger batch, a longer text, JSON padding) must be refused."""
    nesting_depth: int = 10_000
    slow_body_s: float = 5.0
    """How long a body is trickled before the probe gives up (the server should cut it off)."""
    max_reject_s: float = 2.0
    """A hostile request must be answered within this time to count as rejected quickly."""
    max_score_decimals: int = 3
    allow_score_vector: bool = False
    """Set when returning the full score vector is justified (documented in the model card)."""
    expected_fields: tuple[str, ...] = ()
    """Field names a successful response may contain; anything else is over-exposure."""
    management_paths: tuple[str, ...] = ()
    """Extra management paths to try besides the built-in list."""
    management_ports: tuple[int, ...] = ()
    """Other ports on the same host to try the management paths on (e.g. TorchServe 8081)."""
    ca_file: str = ""
    """A CA bundle (PEM) to trust instead of the system store, for private CAs."""
    rate_limit_statuses: tuple[int, ...] = (429,)
    """Statuses that mean "limited" (503 also counts when it carries Retry-After)."""
    retry_after_max_s: float = 5.0
    """The baseline request waits at most this long for a Retry-After before giving up."""
    max_total_s: float = 120.0
    """Time budget of one endpoint's probes before the burst; later requests are not sent."""
    max_routes: int = 48
    """Routes (aliases, OpenAPI operations) probed for authentication; the rest are reported
    as not covered."""
    public_paths: tuple[str, ...] = ()
    """Routes that are public by design (besides health/readiness/docs conventions)."""
    cost_max_bytes: int = 64 * 1024
    """Largest request of the cost curve (latency against batch size / input length)."""
    cost_points: int = 6
    cost_repeats: int = 3
    max_cost_exponent: float = 1.5
    """Latency growing faster than size**this is super-linear (a threshold)."""
    max_request_s: float = 10.0
    """No valid request up to ``cost_max_bytes`` may take longer (a threshold)."""


_CAPS: Mapping[str, float] = {
    "timeout_s": 30.0,
    "burst": 500,
    "burst_window_s": 60.0,
    "burst_concurrency": 16,
    "max_body_bytes": 64 * MIB,
    "nesting_depth": 100_000,
    "slow_body_s": 30.0,
    "max_reject_s": 30.0,
    "max_score_decimals": 17,
    "retry_after_max_s": 30.0,
    "max_total_s": 540.0,
    "max_routes": 200,
    "cost_max_bytes": MIB,
    "cost_points": 10,
    "cost_repeats": 7,
    "max_cost_exponent": 4.0,
    "max_request_s": 60.0,
}
_MINIMUM: Mapping[str, float] = {
    "timeout_s": 0.1,
    "burst": 1,
    "burst_window_s": 0.1,
    "burst_concurrency": 1,
    "max_body_bytes": 1024,
    "nesting_depth": 2,
    "slow_body_s": 0.5,
    "max_reject_s": 0.1,
    "max_score_decimals": 0,
    "retry_after_max_s": 0.0,
    "max_total_s": 1.0,
    "max_routes": 1,
    "cost_max_bytes": 1024,
    "cost_points": 3,
    "cost_repeats": 1,
    "max_cost_exponent": 1.05,
    "max_request_s": 0.1,
}
_FIELDS = {f.name for f in fields(ProbeSettings)}
KNOWN_KEYS = frozenset(_FIELDS | {"endpoints"})
THRESHOLDS = frozenset(STANDARD)
"""Settings the standard sets per level: a configuration may make them stricter (smaller),
never looser."""


def parse_settings(
    section: Mapping[str, object],
    endpoint: str,
    standard: Mapping[str, int | float] | None = None,
) -> ProbeSettings:
    """Merge the global ``probes`` section with its ``endpoints.<endpoint>`` table.

    ``standard`` holds the values the standard sets for the target level (``THRESHOLDS``
    only); a configured threshold is used only where it is stricter. Raises ``ConfigError``
    (one line, naming the key) on unknown keys, wrong types or values outside the caps.
    """
    merged: dict[str, object] = {}
    _collect(section, "probes", merged)
    per_endpoint = section.get("endpoints", {})
    if not isinstance(per_endpoint, Mapping):
        raise ConfigError("probes.endpoints: must be a table of endpoint names")
    own = per_endpoint.get(endpoint, {})
    if not isinstance(own, Mapping):
        raise ConfigError(f"probes.endpoints.{endpoint}: must be a table")
    _collect(own, f"probes.endpoints.{endpoint}", merged)
    defaults = ProbeSettings()
    values: dict[str, object] = {}
    for name, raw in merged.items():
        values[name] = _coerce(name, raw, getattr(defaults, name))
    for name, level_value in (standard or {}).items():
        if name not in THRESHOLDS:
            raise ValueError(f"{name} is not a threshold setting")
        configured = values.get(name)
        kind = type(getattr(defaults, name))
        bound = kind(min(_CAPS[name], max(_MINIMUM[name], level_value)))
        if isinstance(configured, int | float):
            bound = kind(min(bound, configured))
        values[name] = bound
    return ProbeSettings(**values)  # type: ignore[arg-type]


def _collect(table: Mapping[str, object], where: str, into: dict[str, object]) -> None:
    for key, value in table.items():
        if key == "endpoints" and where == "probes":
            continue
        if key not in _FIELDS:
            known = ", ".join(sorted(_FIELDS))
            raise ConfigError(f"{where}.{key}: unknown probe setting (known: {known})")
        into[key] = (where, value)


def _coerce(name: str, entry: object, default: object) -> object:
    where, raw = entry if isinstance(entry, tuple) else ("probes", entry)
    key = f"{where}.{name}"
    if isinstance(default, bool):
        if not isinstance(raw, bool):
            raise ConfigError(f"{key}: must be true or false")
        return raw
    if isinstance(default, int | float):
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ConfigError(f"{key}: must be a number")
        if isinstance(default, int) and not isinstance(raw, int):
            raise ConfigError(f"{key}: must be an integer")
        low, high = _MINIMUM[name], _CAPS[name]
        if not low <= raw <= high:
            raise ConfigError(f"{key}: must be between {low:g} and {high:g}")
        return type(default)(raw)
    if isinstance(default, str):
        if not isinstance(raw, str):
            raise ConfigError(f"{key}: must be a string")
        return raw
    return _coerce_tuple(key, name, raw)


def _coerce_tuple(key: str, name: str, raw: object) -> tuple[object, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{key}: must be a list")
    if name in {"management_ports", "rate_limit_statuses"}:
        high = 65535 if name == "management_ports" else 599
        if not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= high for v in raw):
            raise ConfigError(f"{key}: must be a list of integers between 1 and {high}")
        if len(raw) > 16:
            raise ConfigError(f"{key}: at most 16 entries")
        return tuple(raw)
    if not all(isinstance(v, str) for v in raw):
        raise ConfigError(f"{key}: must be a list of strings")
    if name in {"management_paths", "public_paths"}:
        if len(raw) > 64:
            raise ConfigError(f"{key}: at most 64 paths")
        bad = [
            p for p in raw if not p.startswith("/") or "://" in p or any(c in p for c in "\r\n ")
        ]
        if bad:
            raise ConfigError(f"{key}: {bad[0]!r} must be a path on the endpoint's host")
    return tuple(raw)
