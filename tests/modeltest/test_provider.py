"""MLC659 (M5.3.4): the project's provider-response validator against mocked bad responses."""

from __future__ import annotations

import json
from datetime import date

from mlsvs.checks.behaviour.provider_validation import provider_responses_validated as chk
from mlsvs.modeltest.provider import mutations
from mlsvs.plugin import Capability, CheckContext, Project, Status

VALID = {
    "id": "chatcmpl-9x",
    "object": "chat.completion",
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": '{"label": "refund", "risk_score": 0.32}'},
        }
    ],
    "usage": {"prompt_tokens": 212, "completion_tokens": 14, "total_tokens": 226},
    "risk_score": 0.32,
}

STRICT = """
import json
import math


class ProviderError(ValueError):
    pass


def parse_completion(raw: bytes):
    doc = json.loads(raw)
    if not isinstance(doc, dict):
        raise ProviderError("not an object")
    choices = doc.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ProviderError("no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict) or not isinstance(message.get("content"), str):
        raise ProviderError("no content")
    score = doc.get("risk_score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score) \\
            or not 0.0 <= score <= 1.0:
        raise ProviderError("risk_score out of range")
    return {"text": message["content"], "risk_score": float(score)}
"""

LAX = """
import json


def parse_completion(raw: bytes):
    try:
        doc = json.loads(raw or b"{}")
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    choices = doc.get("choices") or [{}]
    text = ((choices[0] or {}).get("message") or {}).get("content", "")
    return {"text": str(text), "risk_score": doc.get("risk_score", 0.0)}
"""


def _run(tmp_path, source, **extra):
    (tmp_path / "app").mkdir(exist_ok=True)
    (tmp_path / "app" / "llm_client.py").write_text(source)
    (tmp_path / "fixtures").mkdir(exist_ok=True)
    (tmp_path / "fixtures" / "provider_ok.json").write_text(json.dumps(VALID, indent=1))
    section = {
        "validator": "app/llm_client.py:parse_completion",
        "valid_response": "fixtures/provider_ok.json",
        "ranges": {"risk_score": [0, 1]},
        **extra,
    }
    project = Project(root=tmp_path, name="p", traits=frozenset({"hosted_model_api"}))
    ctx = CheckContext(
        project=project,
        today=date(2026, 12, 2),
        settings={"hosted_model": section},
        capabilities=frozenset({Capability.MODEL_EXECUTION}),
    )
    [o] = chk.run(ctx, project)
    return o


def test_mutations_cover_shape_types_and_ranges():
    names = [
        m.name for m in mutations(VALID, ("choices.0.message.content",), {"risk_score": (0, 1)})
    ]
    assert "not JSON (truncated)" in names and "choices.0.message.content wrong type" in names
    assert {"risk_score NaN", "risk_score above range", "risk_score below range"} <= set(names)


def test_strict_validator_passes(tmp_path):
    o = _run(tmp_path, STRICT)
    assert o.status is Status.PASS, o.message


def test_lax_validator_fails_naming_what_it_accepted(tmp_path):
    o = _run(tmp_path, LAX)
    assert o.status is Status.FAIL, o.message
    assert "accepted 15 of 17" in o.message and "empty body" in o.message
    assert "risk_score above range" in dict(o.facts)["accepted"]


def test_validator_that_rejects_everything_proves_nothing(tmp_path):
    o = _run(tmp_path, "def parse_completion(raw):\n    raise ValueError('no')\n")
    assert o.status is Status.ERROR and "rejects the valid response" in o.message


def test_fail_closed_without_section_grant_or_field(tmp_path):
    project = Project(root=tmp_path, name="p", traits=frozenset({"hosted_model_api"}))
    ctx = CheckContext(
        project=project,
        today=date(2026, 12, 2),
        settings={},
        capabilities=frozenset({Capability.MODEL_EXECUTION}),
    )
    [o] = chk.run(ctx, project)
    assert o.status is Status.ERROR and "[tool.mlsvs.hosted_model]" in o.message
    o = _run(tmp_path, STRICT, ranges={"confidence": [0, 1]})
    assert o.status is Status.ERROR and "no field confidence" in o.message
