"""Schemathesis against the OpenAPI document: no 5xx, responses match their schemas."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")


def test_openapi_document_describes_the_api(loaded):
    doc = loaded.client().get("/api/v1/openapi.json").json()
    paths = set(doc["paths"])
    assert {
        "/api/v1/runs",
        "/api/v1/systems",
        "/api/v1/systems/{system_id}/runs",
        "/api/v1/runs/{run_id}/diff",
        "/api/v1/standard/search",
        "/api/v1/health",
    } <= paths
    assert not any(p.startswith("/admin") for p in paths)


@pytest.mark.slow
def test_schemathesis_fuzzes_the_api_without_server_errors(loaded, corpus):
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", loaded.app)
    headers = {"authorization": f"Bearer {loaded.tokens['read']}"}
    ingest = {"authorization": f"Bearer {loaded.tokens['ingest']}"}
    failures = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        use = ingest if operation.method.upper() == "POST" else headers
        test = settings(
            max_examples=8,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )(given(case=operation.as_strategy())(_checker(use, calls)))
        try:
            test()
        except Exception as exc:  # noqa: BLE001 - collect all operations' failures, report together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= 6 * 2, calls
    assert 200 in calls and any(c >= 400 for c in calls)


def _checker(headers, calls):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        response_schema_conformance,
        status_code_conformance,
    )

    def check(case):
        response = case.call(headers=headers)
        calls.append(response.status_code)
        case.validate_response(
            response,
            checks=(not_a_server_error, status_code_conformance, response_schema_conformance),
        )

    return check
