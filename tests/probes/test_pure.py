"""Pure parts of the probes: wire format, bodies, redaction, settings, cache."""

from __future__ import annotations

import json
import threading

import pytest

from mlsvs.errors import ConfigError
from mlsvs.probes.bodies import (
    LONG_INTEGER_DIGITS,
    TemplateError,
    malformed_bodies,
    nested_body,
    parse_template,
)
from mlsvs.probes.cache import ProbeCache, credential_digest
from mlsvs.probes.redact import REDACTED, Redactor, excerpt
from mlsvs.probes.settings import ProbeSettings, parse_settings
from mlsvs.probes.surface import management_paths
from mlsvs.probes.types import RequestKind
from mlsvs.probes.wire import WireError, body_complete, parse_response, parse_url, request_head

TEMPLATE = {"features": [35, 52.0, 0.3]}


def test_parse_url() -> None:
    a = parse_url("https://Example.org/v1/models/m:predict?x=1")
    assert (a.scheme, a.host, a.port, a.path) == (
        "https",
        "example.org",
        443,
        "/v1/models/m:predict?x=1",
    )
    assert not a.loopback
    assert parse_url("http://127.0.0.2:81").loopback
    assert parse_url("http://[::1]:8080/p").host_header == "[::1]:8080"
    for bad in ("ftp://h/", "http:///p", "http://u:p@h/", "http://h:99999/"):
        with pytest.raises(WireError):
            parse_url(bad)


def test_request_head_refuses_header_injection() -> None:
    with pytest.raises(WireError):
        request_head(
            method="POST",
            path="/",
            host_header="h",
            headers=(("X", "a\r\nB: c"),),
            content_length=0,
        )
    with pytest.raises(WireError):
        request_head(method="PO ST", path="/", host_header="h", headers=(), content_length=None)
    head = request_head(
        method="POST", path="/p", host_header="h:1", headers=(("X-K", "v"),), content_length=3
    )
    assert head.startswith(b"POST /p HTTP/1.1\r\nHost: h:1\r\n")
    assert b"Connection: close\r\n" in head and head.endswith(b"Content-Length: 3\r\n\r\n")


def test_parse_response_chunked_and_interim() -> None:
    raw = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 413 Payload Too Large\r\nTransfer-Encoding: chunked\r\nServer: x\r\n\r\n"
        b"4\r\nbody\r\n3;ext=1\r\n!!!\r\n0\r\n\r\n"
    )
    response = parse_response(raw)
    assert response.status == 413
    assert response.body == b"body!!!"
    assert ("server", "x") in response.headers
    head = (("content-length", "4"),)
    assert body_complete(head, b"abcd", method="POST")
    assert not body_complete(head, b"ab", method="POST")
    with pytest.raises(WireError):
        parse_response(b"SSH-2.0-OpenSSH\r\n\r\n")


def test_malformed_bodies_are_each_malformed_in_their_own_way() -> None:
    bodies = dict(malformed_bodies(TEMPLATE))
    assert set(bodies) == {
        RequestKind.MALFORMED_JSON,
        RequestKind.WRONG_TYPES,
        RequestKind.MISSING_FIELDS,
        RequestKind.HUGE_NUMBERS,
        RequestKind.LONG_INTEGER,
        RequestKind.NON_FINITE,
    }
    with pytest.raises(ValueError):
        json.loads(bodies[RequestKind.MALFORMED_JSON])
    assert json.loads(bodies[RequestKind.WRONG_TYPES]) == {"features": ["not-a-number"] * 3}
    assert json.loads(bodies[RequestKind.MISSING_FIELDS]) == {}
    assert json.loads(bodies[RequestKind.HUGE_NUMBERS])["features"][0] == float("inf")
    assert bodies[RequestKind.NON_FINITE] == b'{"features":[NaN,NaN,NaN]}'
    assert str(9) * LONG_INTEGER_DIGITS in bodies[RequestKind.LONG_INTEGER].decode()
    # Without numbers, one is added where the server has to read it.
    assert (
        dict(malformed_bodies({"text": "hi"}))[RequestKind.NON_FINITE]
        == b'{"text":"hi","mlsvs_number":NaN}'
    )


def test_nested_bodies() -> None:
    deep = nested_body(50)
    assert deep.count(b"[") == 50 and deep.endswith(b"]}")
    with pytest.raises(TemplateError):
        parse_template("{not json")
    assert parse_template('{"a": 1}') == {"a": 1}


def test_redactor_covers_echoed_forms() -> None:
    secret = 's3cr3t-"key"-value'
    redactor = Redactor.for_secrets(secret)
    echoed = json.dumps({"auth": secret}) + " raw " + secret
    assert secret not in redactor.text(echoed)
    assert json.dumps(secret)[1:-1] not in redactor.text(echoed)
    assert redactor.text(echoed).count(REDACTED) == 2
    assert secret not in repr(redactor)
    assert Redactor.for_secrets(None).text("abc") == "abc"
    assert len(excerpt("x" * 500)) == 200
    assert "\x1b" not in excerpt("a\x1b[31mred")


def test_settings_merge_and_caps() -> None:
    section = {"burst": 30, "endpoints": {"a": {"burst": 10, "expected_fields": ["label"]}}}
    assert parse_settings(section, "a") == ProbeSettings(burst=10, expected_fields=("label",))
    assert parse_settings(section, "b").burst == 30
    assert parse_settings({"timeout_s": 2}, "x").timeout_s == 2.0
    for bad, message in (
        ({"burst": 501}, "probes.burst: must be between 1 and 500"),
        ({"max_body_bytes": 1 << 40}, "probes.max_body_bytes: must be between"),
        ({"burst": True}, "probes.burst: must be a number"),
        ({"nope": 1}, "probes.nope: unknown probe setting"),
        ({"management_paths": ["http://evil/"]}, "must be a path on the endpoint's host"),
        ({"management_ports": [0]}, "between 1 and 65535"),
        ({"endpoints": {"a": {"slow_body_s": 100}}}, "probes.endpoints.a.slow_body_s"),
    ):
        with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
            parse_settings(bad, "a")


def test_management_paths_include_tf_serving_metadata_and_declared() -> None:
    paths = [m.path for m in management_paths("/v1/models/credit:predict", ("/internal/reload",))]
    assert "/v1/models/credit/metadata" in paths
    assert paths[-1] == "/internal/reload"
    assert "/api/2.0/mlflow/experiments/search?max_results=1" in paths


def test_cache_runs_once_per_owner_and_key() -> None:
    cache = ProbeCache(max_entries=2)
    calls: list[int] = []
    barrier = threading.Barrier(4)

    def compute() -> object:
        calls.append(1)
        return object()

    owner = object()
    results: list[object] = []

    def worker() -> None:
        barrier.wait()
        results.append(cache.get(owner, "k", compute))  # type: ignore[arg-type]

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len({id(r) for r in results}) == 1
    cache.get(object(), "k", compute)  # type: ignore[arg-type]
    assert len(calls) == 2
    assert credential_digest("a") != credential_digest("b")
    assert credential_digest(None) == ""
