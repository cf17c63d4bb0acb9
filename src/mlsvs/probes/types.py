"""Values produced by endpoint probes: what was sent, what came back, and what it means."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mlsvs.model.coverage import Gap


@enum.unique
class Area(enum.StrEnum):
    """A requirement area judged from the probes (one check per area)."""

    AUTHENTICATION = "authentication"
    RATE_LIMIT = "rate_limit"
    MALFORMED_INPUT = "malformed_input"
    RESOURCE_LIMITS = "resource_limits"
    ERROR_LEAKAGE = "error_leakage"
    RESPONSE_INTERNALS = "response_internals"
    MANAGEMENT_SURFACE = "management_surface"
    TRANSPORT = "transport"
    SCORE_EXPOSURE = "score_exposure"
    CORS = "cors"
    COST = "cost"


@enum.unique
class RequestKind(enum.StrEnum):
    """What a request was meant to test; recorded in every piece of evidence."""

    BASELINE = "baseline"
    """A valid request with the configured credential."""
    NO_AUTH = "no_auth"
    WRONG_AUTH = "wrong_auth"
    MALFORMED_JSON = "malformed_json"
    WRONG_TYPES = "wrong_types"
    MISSING_FIELDS = "missing_fields"
    HUGE_NUMBERS = "huge_numbers"
    LONG_INTEGER = "long_integer"
    NON_FINITE = "non_finite"
    DEEP_NESTING = "deep_nesting"
    SLOW_BODY = "slow_body"
    LIVENESS = "liveness"
    """The valid request again, after the hostile ones: is the server still answering?"""
    BURST = "burst"
    CONTROL = "control"
    """A path that cannot exist, to recognise catch-all responses."""
    MANAGEMENT = "management"
    DISCOVERY = "discovery"
    """A request for the server's API description (OpenAPI / Swagger document, docs page)."""
    ROUTE_NO_AUTH = "route_no_auth"
    """The valid request, without a credential, on a discovered or aliased route."""
    AUTH_VARIANT = "auth_variant"
    """A wrong, malformed, expired or oddly spelled credential (``variant`` says which)."""
    QUERY_CREDENTIAL = "query_credential"
    """The credential in the query string instead of the header."""
    CORS = "cors"
    OVERSIZED_VALID = "oversized_valid"
    """A valid-shaped request over the body limit (a big batch, a long text, or padding)."""
    COST_POINT = "cost_point"
    """One point of the cost curve: a valid request grown along a batch or length axis."""
    SPOOF_PRIME = "spoof_prime"
    """The valid request again, until the limit answers: the real client is back at its limit."""
    SPOOF = "spoof"
    """After the limit hit: a valid request with a forged client-IP header."""
    SPOOF_CONTROL = "spoof_control"
    """The same request without the forged header: is the limit still in force?"""


MALFORMED_KINDS = (
    RequestKind.MALFORMED_JSON,
    RequestKind.WRONG_TYPES,
    RequestKind.MISSING_FIELDS,
    RequestKind.HUGE_NUMBERS,
    RequestKind.LONG_INTEGER,
    RequestKind.NON_FINITE,
)
RESOURCE_KINDS = (RequestKind.OVERSIZED_VALID, RequestKind.DEEP_NESTING, RequestKind.SLOW_BODY)


@enum.unique
class Failure(enum.StrEnum):
    """Why no HTTP response came back."""

    REFUSED = "connection refused"
    TIMEOUT = "timed out"
    TLS = "TLS handshake failed"
    CERTIFICATE = "certificate verification failed"
    CLOSED = "connection closed without a response"
    PROTOCOL = "malformed HTTP response"
    NETWORK = "network error"
    STILL_OPEN = "server still waiting when the probe stopped"
    """Only for slow bodies: the server kept reading a body sent byte by byte."""


@enum.unique
class ProbeVerdict(enum.StrEnum):
    """The judgement of one area."""

    PASS = "pass"  # noqa: S105
    FAIL = "fail"
    ERROR = "error"
    """Could not verify: never counts as a pass."""
    NOT_VERIFIED = "not_verified"
    """Part of the area could not be tested (``gaps`` say what): never counts as a pass."""
    NOT_APPLICABLE = "not_applicable"


@enum.unique
class Gravity(enum.StrEnum):
    """How serious a failure is; the check maps it to a ``Severity``."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """One request and its response (or why there was none). Already redacted."""

    kind: RequestKind
    method: str
    path: str
    """Path and query that were requested (never credentials)."""
    port: int
    status: int | None = None
    failure: Failure | None = None
    reason: str = ""
    """Detail of ``failure`` (the OS or TLS error text)."""
    elapsed_ms: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    """Response headers, names lower-cased, in the order received."""
    body: str = ""
    """Response body as text, capped; used for analysis, excerpted for evidence."""
    sent_bytes: int = 0
    variant: str = ""
    """Which variant of the probe this was (an auth spelling, a route source, an origin ...)."""
    reflected: tuple[str, ...] = ()
    """Labels of the credentials found (and redacted) in this response: a reflection."""
    body_format: str = ""
    """The model-file or archive format the body starts like ("pickle", "zip", ...), if any."""

    @property
    def answered(self) -> bool:
        """Whether an HTTP status came back."""
        return self.status is not None

    def header(self, name: str) -> str | None:
        """The first value of a response header (case-insensitive)."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k == wanted), None)

    def describe(self) -> str:
        """``kind: 500 in 12 ms`` or ``kind: timed out (reason)``."""
        if self.status is not None:
            return f"{self.kind}: {self.status} in {self.elapsed_ms} ms"
        detail = f" ({self.reason})" if self.reason else ""
        failure = self.failure.value if self.failure else "no response"
        return f"{self.kind}: {failure}{detail} after {self.elapsed_ms} ms"


@dataclass(frozen=True, slots=True, kw_only=True)
class Burst:
    """A bounded burst of valid requests."""

    planned: int
    sent: int
    window_ms: int
    """The time allowed for the burst."""
    elapsed_ms: int
    statuses: tuple[tuple[int, int], ...]
    """(status, count), sorted by status."""
    failures: tuple[tuple[str, int], ...] = ()
    """(failure, count) for requests without a response."""
    first_limited: int | None = None
    """1-based position of the first limiting response, if any."""
    limited_status: int | None = None
    retry_after: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsInfo:
    """What the TLS handshake showed (https endpoints only)."""

    version: str = ""
    cipher: str = ""
    not_after: str = ""
    days_left: int | None = None
    legacy_accepted: bool | None = None
    """Whether a TLS 1.0/1.1-only handshake succeeded (None: could not be tested)."""
    legacy_reason: str = ""
    """Why the legacy handshake could not be tested (the local OpenSSL's answer)."""
    weak_cipher: str | None = None
    """A weak suite (no forward secrecy, NULL, anonymous, RC4, 3DES, export) the server chose
    when offered only those; "" when it refused them all; None when it could not be tested."""
    weak_reason: str = ""
    failure: Failure | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AreaResult:
    """The judgement of one area, with its evidence."""

    area: Area
    verdict: ProbeVerdict
    message: str
    facts: tuple[tuple[str, str], ...] = ()
    """Evidence: status codes, timings, redacted excerpts (≤ 200 characters), request kinds."""
    gravity: Gravity | None = None
    gaps: tuple[Gap, ...] = ()
    """What the probes could not cover in this area (routes not sent, handshakes this OpenSSL
    cannot offer); a PASS with gaps is "not verified" in the requirement's verdict."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Observations:
    """Everything the probes saw for one endpoint: the input of the judges."""

    endpoint: str
    url: str
    scheme: str
    host: str
    port: int
    loopback: bool
    body_probes: bool
    """Whether the endpoint takes a request body (POST/PUT/PATCH)."""
    credential_declared: bool
    credential_present: bool
    setup_error: str = ""
    """Why probing could not start (bad template, missing credential variable ...)."""
    tls: TlsInfo | None = None
    exchanges: tuple[Exchange, ...] = ()
    burst: Burst | None = None
    routes: tuple[str, ...] = ()
    """Every route the probes found and tested for authentication (``METHOD /path``)."""
    uncovered: tuple[tuple[str, str], ...] = ()
    """(route, why) for routes found but not probed (budget, path parameters, state-changing)."""
    axes: tuple[tuple[str, str], ...] = ()
    """(axis, outcome) for every way the valid request was grown (batch, length, padding)."""

    def of(self, kind: RequestKind) -> tuple[Exchange, ...]:
        """Every exchange of one kind, in the order sent."""
        return tuple(e for e in self.exchanges if e.kind is kind)

    def first(self, kind: RequestKind) -> Exchange | None:
        """The first exchange of one kind, if it was sent."""
        return next((e for e in self.exchanges if e.kind is kind), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeReport:
    """Observations and judgements for one endpoint."""

    observations: Observations
    results: tuple[AreaResult, ...]
    duration_ms: int

    @property
    def endpoint(self) -> str:
        """Name of the endpoint."""
        return self.observations.endpoint

    def result(self, area: Area) -> AreaResult:
        """The judgement of one area (every area is always judged)."""
        for r in self.results:
            if r.area is area:
                return r
        raise KeyError(area)
