"""Pure parts of the tester-style probes: routes, OpenAPI parsing, credential variants, growth,
the cost fit, CORS grants, artifact recognition and the spoof / cost / access judges."""

from __future__ import annotations

import base64
import dataclasses
import io
import itertools
import json
import random
import zipfile

import pytest

from mlsvs.probes.artifacts import artifact_format
from mlsvs.probes.attacks import ProbeTarget, cost_factors, discover, probe_spoofing
from mlsvs.probes.client import Request
from mlsvs.probes.cors import cors_grant, hostile_origins
from mlsvs.probes.cost import fit_cost
from mlsvs.probes.credentials import (
    SPOOF_HEADERS,
    SPOOF_TRIES,
    WRONG_CREDENTIAL,
    auth_variants,
    jwt_claims,
    unsigned_jwt,
)
from mlsvs.probes.growth import Axis, growers, padded
from mlsvs.probes.judge_access import judge_access, judge_cost, judge_quota
from mlsvs.probes.routes import Route, alias_routes, parse_document, public_by_convention, spec_urls
from mlsvs.probes.settings import ProbeSettings, parse_settings
from mlsvs.probes.spoofing import MAX_ROUNDS
from mlsvs.probes.spoofing import variant as spoof_variant
from mlsvs.probes.types import Burst, Exchange, Gravity, Observations, ProbeVerdict, RequestKind

SETTINGS = ProbeSettings()


def ex(kind: RequestKind, status: int | None, body: str = "", **kw: object) -> Exchange:
    base: dict[str, object] = {
        "kind": kind,
        "method": "POST",
        "path": "/predict",
        "port": 8000,
        "status": status,
        "body": body,
    }
    base.update(kw)
    return Exchange(**base)  # type: ignore[arg-type]


def obs(*exchanges: Exchange, **kw: object) -> Observations:
    base: dict[str, object] = {
        "endpoint": "e",
        "url": "http://127.0.0.1:8000/predict",
        "scheme": "http",
        "host": "127.0.0.1",
        "port": 8000,
        "loopback": True,
        "body_probes": True,
        "credential_declared": True,
        "credential_present": True,
        "exchanges": exchanges,
    }
    base.update(kw)
    return Observations(**base)  # type: ignore[arg-type]


OK = '{"labels": ["low"]}'
BASIC = (
    ex(RequestKind.BASELINE, 200, OK),
    ex(RequestKind.NO_AUTH, 401),
    ex(RequestKind.WRONG_AUTH, 401),
)


def test_alias_routes_cover_versions_prefixes_slashes_case_and_methods() -> None:
    labels = {r.label for r in alias_routes("/v1/predict", "POST")}
    assert {
        "POST /predict",
        "POST /api/predict",
        "POST /v1/predict/",
        "POST //v1/predict",
    } <= labels
    assert "POST /V1/PREDICT" in labels and "GET /v1/predict" in labels
    assert "POST /v1/predict" not in labels  # the endpoint itself is probed already
    assert len(labels) <= 16


def test_openapi_document_routes_base_path_and_skips() -> None:
    document = {
        "openapi": "3.0.0",
        "servers": [{"url": "https://api.example.com/ml"}],
        "paths": {
            "/predict": {"post": {}},
            "/models/{name}/predict": {"post": {}},
            "/items/{id}": {"get": {}},
            "/admin/reload": {"post": {}},
            "/cache": {"delete": {}},
        },
    }
    parsed = parse_document(json.dumps(document), "/ml/models/credit/predict")
    assert parsed is not None
    assert {r.label for r in parsed.routes} == {
        "POST /ml/predict",
        "POST /ml/models/credit/predict",
    }
    skipped = dict(parsed.skipped)
    assert skipped["GET /ml/items/{id}"] == "path parameters not known"
    assert skipped["POST /ml/admin/reload"].startswith("could change state")
    assert skipped["DELETE /ml/cache"].startswith("never sent")
    swagger = {"swagger": "2.0", "basePath": "/api", "paths": {"/score": {"post": {}}}}
    parsed2 = parse_document(json.dumps(swagger), "/api/score")
    assert parsed2 is not None and [r.path for r in parsed2.routes] == ["/api/score"]
    assert parse_document('{"paths": {}}', "/") is None  # not an API document
    assert parse_document("<html>", "/") is None


def test_docs_page_spec_urls_same_host_only() -> None:
    page = "SwaggerUIBundle({url: '/openapi.json', dom_id: '#swagger-ui'}) <redoc spec-url=\"https://evil/x.json\">"
    assert spec_urls(page) == ("/openapi.json",)


def test_public_by_convention() -> None:
    assert public_by_convention(Route(method="GET", path="/healthz", source="openapi"), ())
    assert not public_by_convention(Route(method="POST", path="/healthz", source="openapi"), ())
    assert public_by_convention(Route(method="POST", path="/demo", source="openapi"), ("/demo",))


def test_auth_variants_are_all_invalid_and_include_jwt_attacks() -> None:
    key = "sk-live-abcdefgh12345678"
    variants = auth_variants("Bearer", key, 1_700_000_000)
    names = {v.name for v in variants}
    assert {"scheme lower-case", "double space", "tab separator", "empty value"} <= names
    assert {"expired JWT", "unsigned JWT (alg none)", "truncated credential"} <= names
    valid = f"Bearer {key}"
    assert all(v.value != valid for v in variants)
    expired = next(v for v in variants if v.name == "expired JWT")
    assert expired.value is not None
    claims = jwt_claims(expired.value.split(" ", 1)[1])
    assert claims is not None and int(str(claims["exp"])) < 1_700_000_000
    token = unsigned_jwt(1_700_000_000)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "none" and token.endswith(".")
    # A JWT credential gets the classic attacks built from its own claims.
    jwt_key = unsigned_jwt(1_700_000_000, {"sub": "svc"}) + "c2lnbmF0dXJl"
    jwt_names = {v.name for v in auth_variants("Bearer", jwt_key, 1_700_000_000)}
    assert "credential JWT, alg none" in jwt_names
    bare = {v.name for v in auth_variants("", key, 1_700_000_000)}
    assert "scheme lower-case" not in bare and "padded wrong key" in bare


def test_growth_keeps_the_shape_valid() -> None:
    template = {"instances": [[1.0, 2.0, 3.0]], "options": {"top_k": 1}}
    [batch] = [g for g in growers(template) if g.axis is Axis.BATCH]
    grown = json.loads(batch.body(5))
    assert grown["instances"] == [[1.0, 2.0, 3.0]] * 5 and grown["options"] == {"top_k": 1}
    big = batch.body(batch.factor_for(100_000))
    assert 100_000 <= len(big) < 100_100
    text = {"inputs": "the quick brown fox"}
    [length] = growers(text)
    assert length.axis is Axis.LENGTH
    assert json.loads(length.body(3))["inputs"] == " ".join(["the quick brown fox"] * 3)
    assert growers({"features": [1, 2, 3]}) == ()  # one fixed row: nothing to grow
    pad = padded({"features": [1, 2, 3]}, 5000)
    assert len(pad) == 5000 and json.loads(pad) == {"features": [1, 2, 3]}


def test_cost_fit_separates_linear_from_quadratic_under_noise() -> None:
    rng = random.Random(7)
    sizes = [500 * 2**k for k in range(6)]

    def points(cost: object) -> list[tuple[int, list[float]]]:
        return [
            (s, [cost(s) * rng.uniform(0.9, 1.1) + rng.uniform(0, 2) for _ in range(3)])  # type: ignore[operator]
            for s in sizes
        ]

    linear = fit_cost(points(lambda s: 4 + s / 400))
    quadratic = fit_cost(points(lambda s: 4 + (s / 4000) ** 2))
    flat = fit_cost(points(lambda s: 4.0))
    assert linear is not None and not linear.super_linear(1.5)
    assert quadratic is not None and quadratic.super_linear(1.5) and quadratic.exponent >= 1.7
    assert flat is not None and not flat.measurable and not flat.super_linear(1.5)
    assert fit_cost([(100, [1.0]), (200, [2.0])]) is None


def test_cost_factors_are_bounded_and_geometric() -> None:
    assert cost_factors(1, 6) == (1,)
    factors = cost_factors(512, 6)
    assert factors[0] == 1 and factors[-1] == 512 and len(factors) <= 6
    assert all(b > a for a, b in itertools.pairwise(factors))


def test_cors_grants() -> None:
    origins = dict(hostile_origins("https", "api.example.com"))
    assert origins["prefix match"] == "https://api.example.com.mlsvs-probe.invalid"
    evil = origins["unrelated origin"]

    def response(headers: tuple[tuple[str, str], ...]) -> Exchange:
        return ex(RequestKind.CORS, 200, headers=headers)

    reflected = cors_grant(
        "x",
        evil,
        response(
            (("access-control-allow-origin", evil), ("access-control-allow-credentials", "true"))
        ),
    )
    assert reflected is not None and reflected.gravity is Gravity.HIGH
    star = cors_grant("x", evil, response((("access-control-allow-origin", "*"),)))
    assert star is not None and star.gravity is Gravity.LOW
    other = response((("access-control-allow-origin", "https://app.example.com"),))
    assert cors_grant("x", evil, other) is None
    assert cors_grant("x", evil, response(())) is None


def test_artifact_formats() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a", b"x")
    assert artifact_format(buffer.getvalue()).startswith("zip")
    assert artifact_format(b"\x80\x04\x95abc") == "pickle"
    header = b'{"w":{"dtype":"F32"}}'
    assert artifact_format(len(header).to_bytes(8, "little") + header) == "safetensors"
    assert artifact_format(b"\x89HDF\r\n\x1a\n....").startswith("HDF5")
    assert artifact_format(b'{"labels": ["low"]}') == ""


def test_access_judge() -> None:
    assert judge_access(obs(*BASIC), SETTINGS).verdict is ProbeVerdict.PASS
    lower = ex(RequestKind.AUTH_VARIANT, 200, OK, variant="scheme lower-case")
    judged = judge_access(obs(*BASIC, lower), SETTINGS)
    assert judged.verdict is ProbeVerdict.FAIL and judged.gravity is Gravity.HIGH
    alias = ex(RequestKind.ROUTE_NO_AUTH, 200, OK, path="/v1/predict", variant="alias")
    assert "answers like the model" in judge_access(obs(*BASIC, alias), SETTINGS).message
    query = ex(RequestKind.QUERY_CREDENTIAL, 200, OK, variant="?api_key=")
    assert judge_access(obs(*BASIC, query), SETTINGS).gravity is Gravity.MEDIUM
    control = ex(RequestKind.CONTROL, 200, "<html>app</html>", method="GET")
    spa = ex(RequestKind.ROUTE_NO_AUTH, 200, "<html>app</html>", method="GET", variant="method")
    assert judge_access(obs(*BASIC, control, spa), SETTINGS).verdict is ProbeVerdict.PASS
    unsupported = ex(RequestKind.ROUTE_NO_AUTH, 501, method="PUT", variant="method")
    assert judge_access(obs(*BASIC, unsupported), SETTINGS).verdict is ProbeVerdict.PASS
    silent = ex(RequestKind.ROUTE_NO_AUTH, None, path="//predict", variant="alias")
    gapped = judge_access(obs(*BASIC, silent), SETTINGS)
    assert gapped.verdict is ProbeVerdict.PASS and [g.item for g in gapped.gaps] == [
        "POST //predict"
    ]
    uncovered = judge_access(obs(*BASIC, uncovered=(("POST /x", "over max_routes=48"),)), SETTINGS)
    assert [g.reason.value for g in uncovered.gaps] == ["limit"]


def _limited_burst() -> Burst:
    return Burst(
        planned=60,
        sent=21,
        window_ms=10_000,
        elapsed_ms=100,
        statuses=((200, 20), (429, 1)),
        first_limited=21,
        limited_status=429,
        retry_after="1",
    )


def _spoof_rounds(rounds: list[tuple[int, int]], header: str = "X-Forwarded-For") -> list[Exchange]:
    """(forged status, control status) per round for ``header``; other headers are held."""
    out: list[Exchange] = []
    for h in SPOOF_HEADERS:
        mine = rounds if h == header else [(429, 429)]
        for i, (spoofed, control) in enumerate(mine):
            tag = spoof_variant(h, i)
            out += [
                ex(RequestKind.SPOOF_PRIME, 200, variant=tag),
                ex(RequestKind.SPOOF_PRIME, 429, variant=tag),
            ]
            out += [ex(RequestKind.SPOOF, spoofed, variant=tag) for _ in range(3)]
            out.append(ex(RequestKind.SPOOF_CONTROL, control, variant=tag))
    return out


@pytest.mark.parametrize(
    ("rounds", "expected"),
    [
        ([(429, 429)], ProbeVerdict.PASS),
        # forged addresses served, the real client still limited, twice in a row
        ([(200, 429), (200, 429)], ProbeVerdict.FAIL),
        # once looks like a bypass, then a forged request is refused: a refill coincidence
        ([(200, 429), (429, 429)], ProbeVerdict.PASS),
        ([(200, 200), (429, 429)], ProbeVerdict.PASS),
        # the limit lifted for everyone in every round: cannot tell
        ([(200, 200), (200, 200), (200, 200)], ProbeVerdict.ERROR),
        ([(200, 429), (200, 200), (200, 200)], ProbeVerdict.ERROR),
    ],
)
def test_quota_judge_with_forged_addresses(
    rounds: list[tuple[int, int]], expected: ProbeVerdict
) -> None:
    o = obs(BASIC[0], *_spoof_rounds(rounds), burst=_limited_burst())
    assert judge_quota(o, SETTINGS).verdict is expected
    assert (
        judge_quota(obs(BASIC[0], burst=_limited_burst()), SETTINGS).verdict is ProbeVerdict.ERROR
    )


def test_quota_judge_without_priming_cannot_tell() -> None:
    tag = spoof_variant("X-Forwarded-For", 0)
    unprimed = [ex(RequestKind.SPOOF_PRIME, 200, variant=tag) for _ in range(3)]
    rest = [
        e for e in _spoof_rounds([(429, 429)], "X-Real-IP") if "X-Forwarded-For" not in e.variant
    ]
    o = obs(BASIC[0], *unprimed, *rest, burst=_limited_burst())
    assert judge_quota(o, SETTINGS).verdict is ProbeVerdict.ERROR


class _Bucket:
    """A token bucket on a simulated clock: each request takes ``step`` seconds."""

    def __init__(self, refill_per_step: float, keyed_on: str | None) -> None:
        self.refill = refill_per_step
        self.keyed_on = keyed_on
        self.tokens: dict[str, float] = {}

    def send(self, request: Request) -> Exchange:
        for key in self.tokens:
            self.tokens[key] = min(20.0, self.tokens[key] + self.refill)
        forged = dict(request.headers).get(self.keyed_on or "", "")
        key = forged or "real"
        tokens = self.tokens.setdefault(key, 0.0 if key == "real" else 20.0)
        if tokens >= 1:
            self.tokens[key] = tokens - 1
            return ex(request.kind, 200, variant=request.variant)
        return ex(request.kind, 429, variant=request.variant)


def _judge_against(bucket: _Bucket) -> tuple[ProbeVerdict, int]:
    target = ProbeTarget(
        method="POST",
        path="/predict",
        valid_body=b"{}",
        auth_header="authorization",
        auth_scheme="Bearer",
        credential="k",
    )
    sent: list[Exchange] = []

    def send(request: Request) -> Exchange:
        sent.append(bucket.send(request))
        return sent[-1]

    probe_spoofing(send, target, _limited_burst(), SETTINGS.rate_limit_statuses)
    return judge_quota(obs(BASIC[0], *sent, burst=_limited_burst()), SETTINGS).verdict, len(sent)


@pytest.mark.parametrize("refill", [0.0, 0.1, 0.19, 0.2, 0.34, 0.5, 0.8, 1.0, 1.5])
def test_honest_and_spoofable_limiters_on_a_simulated_clock(refill: float) -> None:
    """``refill``: tokens the real client's bucket regains while one request travels."""
    verdict, sent = _judge_against(_Bucket(refill, keyed_on=None))
    assert verdict is not ProbeVerdict.FAIL
    burst = _limited_burst().first_limited or 0
    assert sent <= len(SPOOF_HEADERS) * MAX_ROUNDS * (burst + 1 + SPOOF_TRIES + 1)
    verdict, _ = _judge_against(_Bucket(refill, keyed_on="X-Forwarded-For"))
    # A spoofable limiter never passes. The bypass shows while the real client's bucket earns
    # well under a token between a limited prime and the control (SPOOF_TRIES + 1 requests,
    # on top of the fraction a limited answer leaves); beyond that the limit does not bind at
    # this request rate for the real client either, and the honest answer is "cannot tell".
    if refill * (SPOOF_TRIES + 1) < 0.5:
        assert verdict is ProbeVerdict.FAIL
    else:
        assert verdict in {ProbeVerdict.FAIL, ProbeVerdict.ERROR}


def test_cost_judge() -> None:
    axes = (("batch", "accepted at twice the example's size"),)

    def point(factor: int, ms: int, status: int | None = 200) -> Exchange:
        return ex(
            RequestKind.COST_POINT,
            status,
            OK,
            variant=f"batch|{factor}|0",
            sent_bytes=100 * factor,
            elapsed_ms=ms,
        )

    quadratic = [point(f, 5 + f * f // 10) for f in (1, 2, 4, 8, 16, 32, 64)]
    judged = judge_cost(obs(BASIC[0], *quadratic, axes=axes), SETTINGS)
    assert judged.verdict is ProbeVerdict.FAIL and "super-linearly" in judged.message
    linear = [point(f, 5 + f) for f in (1, 2, 4, 8, 16, 32, 64)]
    assert judge_cost(obs(BASIC[0], *linear, axes=axes), SETTINGS).verdict is ProbeVerdict.PASS
    slow = [point(1, 5), point(2, 8), point(4, 11_000)]
    assert judge_cost(obs(BASIC[0], *slow, axes=axes), SETTINGS).gravity is Gravity.HIGH
    timed_out = [point(1, 5), point(2, 8), point(4, 5000, None)]
    timed_out[-1] = dataclasses.replace(timed_out[-1], failure=None)
    assert judge_cost(obs(BASIC[0], *timed_out, axes=axes), SETTINGS).verdict is ProbeVerdict.FAIL
    assert judge_cost(obs(BASIC[0]), SETTINGS).verdict is ProbeVerdict.NOT_APPLICABLE


def test_standard_thresholds_only_tighten() -> None:
    loose = parse_settings(
        {"burst": 500, "max_request_s": 60}, "e", {"burst": 30, "max_request_s": 2.0}
    )
    assert loose.burst == 30 and loose.max_request_s == 2.0
    strict = parse_settings({"burst": 10}, "e", {"burst": 30})
    assert strict.burst == 10
    assert parse_settings({}, "e", {"max_body_bytes": 4 << 20}).max_body_bytes == 4 << 20
    assert WRONG_CREDENTIAL not in repr(strict)


def _target() -> ProbeTarget:
    return ProbeTarget(
        method="POST",
        path="/predict",
        valid_body=b"{}",
        auth_header="Authorization",
        auth_scheme="Bearer",
        credential="k" * 20,
    )


def test_discovery_follows_the_docs_page_and_notices_truncation() -> None:
    spec = json.dumps({"openapi": "3.1.0", "paths": {"/score": {"post": {}}}})
    sent: list[str] = []

    def send(request: Request) -> Exchange:
        sent.append(request.path)
        if request.path == "/docs":
            return ex(RequestKind.DISCOVERY, 200, "SwaggerUIBundle({url: '/custom/spec.json'})")
        if request.path == "/custom/spec.json":
            return ex(RequestKind.DISCOVERY, 200, spec)
        return ex(RequestKind.DISCOVERY, 404)

    document, where = discover(send, _target())
    assert where == "/custom/spec.json"
    assert document is not None and [r.label for r in document.routes] == ["POST /score"]
    assert len(sent) <= 16  # bounded

    def huge(request: Request) -> Exchange:
        return ex(RequestKind.DISCOVERY, 200, '{"openapi": "3.1.0", "paths": {' + " " * 300_000)

    truncated, _ = discover(huge, _target())
    assert truncated is not None and truncated.routes == ()
    assert "larger than the probe reads" in truncated.skipped[0][1]
