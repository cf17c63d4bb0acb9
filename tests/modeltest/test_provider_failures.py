"""Provider failures lead to the fail-safe (MLC1039, M5.3.7): a real httpx-based triage
function against the mocked provider's error, stall, refusal and garbage answers."""

from __future__ import annotations

import sys
import textwrap
from datetime import date

import pytest

from mlsvs.checks.behaviour.provider_failures import provider_failures_failsafe as check
from mlsvs.plugin import Capability, CheckContext, Project, Status

pytest.importorskip("httpx")
pytestmark = pytest.mark.network

HARDENED = '''
"""Ticket triage through a hosted chat model, with the fail-safe of the design (section 4.2)."""
import json
import os

import httpx

CATEGORIES = {"billing", "fraud", "account", "other"}
FALLBACK = "needs_human_review"


def classify_ticket(text):
    try:
        resp = httpx.post(
            os.environ["OPENAI_BASE_URL"] + "/chat/completions",
            headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]},
            json={"model": "gpt-4o-2024-08-06", "temperature": 0,
                  "messages": [{"role": "system", "content": "Answer JSON {category}"},
                               {"role": "user", "content": text}]},
            timeout=httpx.Timeout(2.0),
        )
        resp.raise_for_status()
        choice = resp.json()["choices"][0]
        if choice.get("finish_reason") != "stop" or choice["message"].get("refusal"):
            return FALLBACK
        category = json.loads(choice["message"]["content"])["category"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return FALLBACK
    return category if category in CATEGORIES else FALLBACK
'''

NAIVE = '''
"""Ticket triage: trusts the provider."""
import json
import os

import httpx


def classify_ticket(text):
    resp = httpx.post(
        os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        json={"model": "gpt-4o-2024-08-06",
              "messages": [{"role": "user", "content": text}]},
        timeout=httpx.Timeout(2.0),
    )
    content = resp.json()["choices"][0]["message"]["content"]
    try:
        return json.loads(content)["category"]
    except (TypeError, ValueError):
        return content
'''

SECTION = {
    "call": "triage:classify_ticket",
    "input": "I was charged twice for my card last Tuesday",
    "base_url_env": "OPENAI_BASE_URL",
    "ok_content": '{"category": "billing"}',
    "fallback": "needs_human_review",
    "timeout_s": 6,
}


def _run(tmp_path, code, section=SECTION, caps=(Capability.MODEL_EXECUTION,), name="triage"):
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(code))
    sys.modules.pop(name, None)
    project = Project(root=tmp_path, name="svc", traits=frozenset({"hosted_model_api"}))
    ctx = CheckContext(
        project=project,
        today=date(2026, 12, 1),
        settings={"failsafe": {"provider": section}},
        capabilities=frozenset(caps),
    )
    try:
        return list(check.run(ctx, project))
    finally:
        sys.modules.pop(name, None)
        if str(tmp_path) in sys.path:
            sys.path.remove(str(tmp_path))


def test_hardened_client_takes_the_fallback_for_every_failure(tmp_path):
    [o] = _run(tmp_path, HARDENED)
    assert o.status is Status.PASS, o.message
    assert "all 7 provider failures" in o.message and '"billing"' in o.message


def test_naive_client_crashes_hangs_or_passes_garbage_on(tmp_path):
    [o] = _run(tmp_path, NAIVE)
    assert o.status is Status.FAIL
    assert "server_error: crashed (KeyError" in o.message
    assert "timeout: crashed (ReadTimeout" in o.message
    assert 'invalid_content: passed on "Sure! Here is the category you asked"' in o.message
    assert "refusal: passed on null" in o.message


def test_fallback_always_or_bad_table_or_no_grant_is_not_a_pass(tmp_path):
    always = HARDENED.replace(
        "    return category if category in CATEGORIES else FALLBACK", "    return FALLBACK"
    )
    [o] = _run(tmp_path, always)
    assert o.status is Status.NOT_VERIFIED and "cannot be told apart" in o.message
    [o] = _run(tmp_path, HARDENED, caps=())
    assert o.status is Status.ERROR and "--allow model-exec" in o.message
    [o] = _run(tmp_path, HARDENED, section={**SECTION, "call": "triage"})
    assert o.status is Status.ERROR and "module:function" in o.message
    syntax = {**SECTION, "call": "broken:classify_ticket"}
    [o] = _run(tmp_path, "def classify_ticket(:\n", section=syntax, name="broken")
    assert o.status is Status.ERROR and "cannot import broken: SyntaxError" in o.message
    [o] = _run(tmp_path, "import json\n", section={**SECTION, "call": "other:f"}, name="other")
    assert o.status is Status.ERROR and "other" in o.message
