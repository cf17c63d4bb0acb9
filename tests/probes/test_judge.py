"""The pure judges, on hand-built observations (no network)."""

from __future__ import annotations

import dataclasses

import pytest

from mlsvs.probes.detect import LeakKind, decimals, error_leaks, internals_leaks, score_leaks
from mlsvs.probes.judge import (
    judge_authentication,
    judge_malformed,
    judge_rate_limit,
    judge_resources,
)
from mlsvs.probes.judge_content import judge_error_leakage, judge_management, judge_scores
from mlsvs.probes.judge_transport import judge_transport
from mlsvs.probes.settings import ProbeSettings
from mlsvs.probes.types import (
    MALFORMED_KINDS,
    Burst,
    Exchange,
    Failure,
    Gravity,
    Observations,
    ProbeVerdict,
    RequestKind,
    TlsInfo,
)

SETTINGS = ProbeSettings()
OK_BODY = '{"label": "repays", "confidence": 0.87}'


def ex(
    kind: RequestKind,
    status: int | None,
    body: str = "",
    *,
    ms: int = 5,
    path: str = "/predict",
    failure: Failure | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Exchange:
    return Exchange(
        kind=kind,
        method="POST",
        path=path,
        port=8000,
        status=status,
        body=body,
        elapsed_ms=ms,
        failure=failure,
        headers=headers,
    )


def obs(*exchanges: Exchange, burst: Burst | None = None, **kw: object) -> Observations:
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
        "burst": burst,
    }
    base.update(kw)
    return Observations(**base)  # type: ignore[arg-type]


BASE = ex(RequestKind.BASELINE, 200, OK_BODY)


@pytest.mark.parametrize(
    ("no_auth", "wrong_auth", "baseline", "expected"),
    [
        (401, 403, 200, ProbeVerdict.PASS),
        (200, 401, 200, ProbeVerdict.FAIL),
        (
            401,
            200,
            401,
            ProbeVerdict.FAIL,
        ),  # a success without credentials fails even if all else is off
        (500, 401, 200, ProbeVerdict.FAIL),
        (
            401,
            401,
            401,
            ProbeVerdict.ERROR,
        ),  # everyone rejected: the credential was never shown to work
        (404, 401, 200, ProbeVerdict.ERROR),  # not an auth rejection
        (429, 401, 200, ProbeVerdict.ERROR),
        (None, None, None, ProbeVerdict.ERROR),
    ],
)
def test_authentication(
    no_auth: int | None, wrong_auth: int | None, baseline: int | None, expected: ProbeVerdict
) -> None:
    failure = Failure.REFUSED if baseline is None else None
    o = obs(
        ex(RequestKind.BASELINE, baseline, failure=failure),
        ex(RequestKind.NO_AUTH, no_auth, failure=failure),
        ex(RequestKind.WRONG_AUTH, wrong_auth, failure=failure),
    )
    assert judge_authentication(o).verdict is expected


def _burst(**kw: object) -> Burst:
    base: dict[str, object] = {
        "planned": 60,
        "sent": 60,
        "window_ms": 10_000,
        "elapsed_ms": 900,
        "statuses": ((200, 60),),
    }
    base.update(kw)
    return Burst(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("burst", "expected"),
    [
        (_burst(), ProbeVerdict.FAIL),
        (
            _burst(
                sent=21,
                statuses=((200, 20), (429, 1)),
                first_limited=21,
                limited_status=429,
                retry_after="1",
            ),
            ProbeVerdict.PASS,
        ),
        (
            _burst(sent=10, statuses=((200, 10),)),
            ProbeVerdict.ERROR,
        ),  # window ran out: inconclusive
        (_burst(statuses=((200, 50), (500, 10))), ProbeVerdict.FAIL),
        (_burst(statuses=((200, 50),), failures=(("timed out", 10),)), ProbeVerdict.ERROR),
        (None, ProbeVerdict.ERROR),
    ],
)
def test_rate_limit(burst: Burst | None, expected: ProbeVerdict) -> None:
    assert judge_rate_limit(obs(BASE, burst=burst), SETTINGS).verdict is expected


def test_malformed_input() -> None:
    good = [ex(k, 422) for k in MALFORMED_KINDS]
    assert judge_malformed(obs(BASE, *good)).verdict is ProbeVerdict.PASS
    crashed = [*good[:-1], ex(MALFORMED_KINDS[-1], 500, "Traceback (most recent call last)")]
    result = judge_malformed(obs(BASE, *crashed))
    assert result.verdict is ProbeVerdict.FAIL and "non_finite → 500" in result.message
    coerced = [ex(MALFORMED_KINDS[0], 200), *good[1:]]
    assert judge_malformed(obs(BASE, *coerced)).verdict is ProbeVerdict.FAIL
    assert judge_malformed(obs(BASE, *good[:3])).verdict is ProbeVerdict.ERROR  # not all sent
    assert judge_malformed(obs(BASE, body_probes=False)).verdict is ProbeVerdict.NOT_APPLICABLE


def test_resources() -> None:
    quick = [
        dataclasses.replace(ex(RequestKind.OVERSIZED_VALID, 413), variant="padding"),
        ex(RequestKind.DEEP_NESTING, 400),
        ex(RequestKind.SLOW_BODY, 408, ms=2000),
        ex(RequestKind.LIVENESS, 200),
    ]
    assert judge_resources(obs(BASE, *quick), SETTINGS).verdict is ProbeVerdict.PASS
    slow = dataclasses.replace(quick[0], elapsed_ms=9000)
    assert "only after 9000 ms" in judge_resources(obs(BASE, slow, *quick[1:]), SETTINGS).message
    still = ex(RequestKind.SLOW_BODY, None, failure=Failure.STILL_OPEN, ms=5000)
    assert (
        judge_resources(obs(BASE, quick[0], quick[1], still, quick[3]), SETTINGS).verdict
        is ProbeVerdict.FAIL
    )
    closed = ex(RequestKind.SLOW_BODY, None, failure=Failure.CLOSED, ms=1000)
    assert (
        judge_resources(obs(BASE, quick[0], quick[1], closed, quick[3]), SETTINGS).verdict
        is ProbeVerdict.PASS
    )
    dead = ex(RequestKind.LIVENESS, None, failure=Failure.REFUSED)
    result = judge_resources(obs(BASE, *quick[:3], dead), SETTINGS)
    assert result.verdict is ProbeVerdict.FAIL and result.gravity is Gravity.HIGH
    reset = ex(RequestKind.OVERSIZED_VALID, None, failure=Failure.CLOSED)
    assert judge_resources(obs(BASE, reset, *quick[1:]), SETTINGS).verdict is ProbeVerdict.ERROR


def test_transport() -> None:
    remote = obs(scheme="http", host="10.1.2.3", loopback=False)
    assert judge_transport(remote).verdict is ProbeVerdict.FAIL
    assert judge_transport(obs(BASE)).verdict is ProbeVerdict.PASS
    unreachable = obs(ex(RequestKind.BASELINE, None, failure=Failure.REFUSED))
    assert judge_transport(unreachable).verdict is ProbeVerdict.ERROR
    https = {"scheme": "https", "host": "api.example", "loopback": False}
    good = TlsInfo(version="TLSv1.3", legacy_accepted=False, weak_cipher="", days_left=90)
    assert judge_transport(obs(BASE, tls=good, **https)).verdict is ProbeVerdict.PASS
    untested = dataclasses.replace(good, legacy_accepted=None, legacy_reason="this OpenSSL")
    result = judge_transport(obs(BASE, tls=untested, **https))
    assert result.verdict is ProbeVerdict.NOT_VERIFIED and result.message.startswith("not verified")
    assert [g.item for g in result.gaps] == ["TLS 1.0/1.1 handshake"]
    no_weak_test = dataclasses.replace(good, weak_cipher=None)
    assert (
        judge_transport(obs(BASE, tls=no_weak_test, **https)).verdict is ProbeVerdict.NOT_VERIFIED
    )
    weak = dataclasses.replace(good, weak_cipher="AES128-SHA")
    assert judge_transport(obs(BASE, tls=weak, **https)).verdict is ProbeVerdict.FAIL
    old = TlsInfo(version="TLSv1.1")
    assert judge_transport(obs(BASE, tls=old, **https)).verdict is ProbeVerdict.FAIL
    legacy = TlsInfo(version="TLSv1.2", legacy_accepted=True)
    assert judge_transport(obs(BASE, tls=legacy, **https)).verdict is ProbeVerdict.FAIL
    cert = TlsInfo(failure=Failure.CERTIFICATE, reason="self-signed certificate")
    assert judge_transport(obs(tls=cert, **https)).verdict is ProbeVerdict.FAIL
    broken = TlsInfo(failure=Failure.TLS, reason="wrong version number")
    assert judge_transport(obs(tls=broken, **https)).verdict is ProbeVerdict.ERROR


def test_error_leakage() -> None:
    clean = [ex(k, 400, '{"error": "invalid request"}') for k in MALFORMED_KINDS]
    assert judge_error_leakage(obs(BASE, *clean)).verdict is ProbeVerdict.PASS
    banner = ex(RequestKind.BASELINE, 200, OK_BODY, headers=(("server", "gunicorn/21.2.0"),))
    result = judge_error_leakage(obs(banner, *clean))
    assert result.verdict is ProbeVerdict.FAIL and result.gravity is Gravity.LOW
    trace = ex(
        MALFORMED_KINDS[0],
        500,
        'Traceback (most recent call last):\n  File "/app/serve.py", line 3\nKeyError: x',
    )
    result = judge_error_leakage(obs(BASE, trace, *clean[1:]))
    assert result.verdict is ProbeVerdict.FAIL and result.gravity is Gravity.HIGH
    assert judge_error_leakage(obs(BASE)).verdict is ProbeVerdict.ERROR  # nothing provoked an error


def test_management_surface() -> None:
    control = ex(RequestKind.CONTROL, 404, path="/.x")
    refused = [ex(RequestKind.MANAGEMENT, 401, path=p) for p in ("/admin", "/docs")]
    assert judge_management(obs(control, *refused)).verdict is ProbeVerdict.PASS
    docs = ex(RequestKind.MANAGEMENT, 200, "<html>swagger</html>", path="/docs")
    result = judge_management(obs(control, refused[0], docs))
    assert result.verdict is ProbeVerdict.FAIL and result.gravity is Gravity.LOW
    admin = ex(RequestKind.MANAGEMENT, 200, "{}", path="/admin")
    assert judge_management(obs(control, admin, docs)).gravity is Gravity.HIGH
    # A catch-all server answers everything with the same page: not evidence of exposure.
    spa = ex(RequestKind.CONTROL, 200, "<html>app</html>", path="/.x")
    same = ex(RequestKind.MANAGEMENT, 200, "<html>app</html>", path="/admin")
    assert judge_management(obs(spa, same)).verdict is ProbeVerdict.PASS
    assert judge_management(obs()).verdict is ProbeVerdict.ERROR


def test_detectors() -> None:
    leaks = {
        leak.kind
        for leak in error_leaks(
            ex(
                RequestKind.NO_AUTH,
                500,
                'File "/srv/app/main.py", line 9\nValueError: bad',
                headers=(("x-powered-by", "Express"),),
            )
        )
    }
    assert {LeakKind.TRACEBACK, LeakKind.EXCEPTION, LeakKind.FILE_PATH, LeakKind.BANNER} <= leaks
    assert (
        error_leaks(
            ex(RequestKind.NO_AUTH, 401, '{"error":"unauthorized"}', headers=(("server", "nginx"),))
        )
        == ()
    )
    assert {
        leak.kind
        for leak in error_leaks(
            ex(RequestKind.NO_AUTH, 401, "", headers=(("server", "nginx/1.25.3"),))
        )
    } == {LeakKind.VERSION_HEADER}
    nginx_page = ex(RequestKind.OVERSIZED_VALID, 413, "<hr><center>nginx/1.25.3</center>")
    assert [leak.kind for leak in error_leaks(nginx_page)] == [LeakKind.BANNER]
    internals = internals_leaks(
        '{"label": 1, "debug": {"model_path": "/models/clf.pkl"}, "model": "RandomForestClassifier(n=3)"}',
        (),
    )
    assert {leak.kind for leak in internals} == {
        LeakKind.DEBUG_FIELD,
        LeakKind.FILE_PATH,
        LeakKind.MODEL_INTERNALS,
    }
    assert internals_leaks(OK_BODY, ("label", "confidence")) == ()
    declared = internals_leaks('{"label": 1, "path": "/v1/x"}', ("label", "path"))
    assert declared == ()  # a declared field is not a debug field, whatever its name
    nested = internals_leaks('{"label": 1, "debug": {"took_ms": 3}}', ())
    assert [leak.detail for leak in nested] == ["/debug"]
    assert {leak.kind for leak in internals_leaks('{"label": 1, "extra": 2}', ("label",))} == {
        LeakKind.UNEXPECTED_FIELD
    }
    assert score_leaks(OK_BODY, max_decimals=3, allow_vector=False) == ()
    vector = score_leaks(
        '{"label": 1, "probabilities": [0.25, 0.75]}', max_decimals=3, allow_vector=False
    )
    assert [leak.kind for leak in vector] == [LeakKind.SCORE_VECTOR]
    assert score_leaks('{"probabilities": [0.25, 0.75]}', max_decimals=3, allow_vector=True) == ()
    precise = score_leaks('{"confidence": 0.873462}', max_decimals=3, allow_vector=False)
    assert [leak.kind for leak in precise] == [LeakKind.PRECISION]
    unnamed = score_leaks(
        '{"out": {"a": 0.2, "b": 0.3, "c": 0.5}}', max_decimals=3, allow_vector=False
    )
    assert [leak.kind for leak in unnamed] == [LeakKind.SCORE_VECTOR]
    assert (decimals("0.87"), decimals("1.5e-3"), decimals("12"), decimals("2.50")) == (2, 4, 0, 1)


def test_scores_judge_needs_a_successful_response() -> None:
    failing = obs(ex(RequestKind.BASELINE, 401))
    assert judge_scores(failing, SETTINGS).verdict is ProbeVerdict.ERROR
    assert judge_scores(obs(BASE), SETTINGS).verdict is ProbeVerdict.PASS
