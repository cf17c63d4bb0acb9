"""MLC1007 (M5.3.5): the commit that switched a hosted model version against the dates of the
stored evaluation reports (promptfoo output, lm-evaluation-harness results)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from mlsvs.checks.pipeline.provider_switch import provider_switch_evaluated, read_evaluation
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, write

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

APP = '''"""Claims summariser: calls Azure OpenAI with a pinned model version."""

import os

from openai import AzureOpenAI

client = AzureOpenAI(
    azure_endpoint="https://oai-claims-prod.openai.azure.com",
    api_version="2024-10-21",
    api_key=os.environ["AZURE_OPENAI_KEY"],
)


def summarise(text: str) -> str:
    reply = client.chat.completions.create(
        model="{model}",
        messages=[{"role": "system", "content": "Summarise the claim."},
                  {"role": "user", "content": text}],
        temperature=0,
    )
    return reply.choices[0].message.content or ""
'''


def _promptfoo(model: str, timestamp: str, failures: int = 0) -> str:
    rows = [
        {
            "id": f"row-{i}",
            "provider": {"id": f"azureopenai:chat:{model}", "label": "summariser"},
            "prompt": {"raw": "Summarise the claim.", "label": "summary-v3"},
            "vars": {"claim": f"claim {i}"},
            "success": i >= failures,
            "score": 1.0 if i >= failures else 0.0,
            "latencyMs": 812,
        }
        for i in range(4)
    ]
    return json.dumps(
        {
            "evalId": f"eval-{model}-{timestamp[:10]}",
            "results": {
                "version": 3,
                "timestamp": timestamp,
                "prompts": [{"raw": "Summarise the claim.", "label": "summary-v3"}],
                "results": rows,
                "stats": {
                    "successes": 4 - failures,
                    "failures": failures,
                    "tokenUsage": {"total": 5120, "prompt": 4100, "completion": 1020},
                },
            },
            "config": {
                "description": "summariser regression suite",
                "providers": [f"azureopenai:chat:{model}"],
            },
            "shareableUrl": None,
        },
        indent=2,
    )


def _git(root, *args, date="2026-10-01T10:00:00+00:00"):
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_AUTHOR_NAME": "ml",
        "GIT_AUTHOR_EMAIL": "ml@example.com",
        "GIT_COMMITTER_NAME": "ml",
        "GIT_COMMITTER_EMAIL": "ml@example.com",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def _repo(tmp_path, report: str | None, switch_date: str):
    write(tmp_path, {"app/summarise.py": APP.replace("{model}", "gpt-4o-2024-05-13")})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "first version", date="2026-06-01T09:00:00+00:00")
    if report is not None:
        write(tmp_path, {"evals/gpt-4o-2024-08-06.json": report})
    write(tmp_path, {"app/summarise.py": APP.replace("{model}", "gpt-4o-2024-08-06")})
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "move to gpt-4o-2024-08-06", date=switch_date)
    return write(tmp_path, {})


def test_evaluation_before_the_switch_passes(tmp_path) -> None:
    project = _repo(
        tmp_path,
        _promptfoo("gpt-4o-2024-08-06", "2026-09-28T14:02:11.000Z"),
        "2026-10-01T10:00:00+00:00",
    )
    outcomes = run(provider_switch_evaluated, project)
    assert [o.status for o in outcomes] == [Status.PASS]
    assert "before the switch at 2026-10-01" in outcomes[0].message


def test_evaluation_after_the_switch_or_failing_or_missing_fails(tmp_path) -> None:
    late = _repo(
        tmp_path / "late",
        _promptfoo("gpt-4o-2024-08-06", "2026-10-03T08:00:00Z"),
        "2026-10-01T10:00:00+00:00",
    )
    outcome = run(provider_switch_evaluated, late)[0]
    assert outcome.status is Status.FAIL and "is later" in outcome.message
    failing = _repo(
        tmp_path / "failing",
        _promptfoo("gpt-4o-2024-08-06", "2026-09-28T14:02:11Z", failures=2),
        "2026-10-01T10:00:00+00:00",
    )
    outcome = run(provider_switch_evaluated, failing)[0]
    assert outcome.status is Status.FAIL and "failed 2 test(s)" in outcome.message
    other = _repo(
        tmp_path / "other",
        _promptfoo("gpt-4o-2024-05-13", "2026-05-28T14:02:11Z"),
        "2026-10-01T10:00:00+00:00",
    )
    outcome = run(provider_switch_evaluated, other)[0]
    assert (
        outcome.status is Status.FAIL
        and "no evaluation report of gpt-4o-2024-08-06" in outcome.message
    )


def test_uncommitted_switch_needs_an_evaluation_by_today(tmp_path) -> None:
    project = _repo(tmp_path, None, "2026-10-01T10:00:00+00:00")
    write(tmp_path, {"app/summarise.py": APP.replace("{model}", "gpt-4o-2024-11-20")})
    lm_eval = {
        "results": {"mmlu": {"acc,none": 0.861, "acc_stderr,none": 0.003}},
        "config": {
            "model": "openai-chat-completions",
            "model_args": "model=gpt-4o-2024-11-20,base_url=https://oai.example.com/v1",
            "batch_size": 1,
        },
        "date": 1764300000.0,  # 2025-11-28
        "lm_eval_version": "0.4.8",
    }
    project = write(tmp_path, {"evals/results_2025-11-28.json": json.dumps(lm_eval)})
    outcome = run(provider_switch_evaluated, project)[0]
    assert outcome.status is Status.PASS and "lm-evaluation-harness" in outcome.message


def test_no_history_no_model_or_unreadable_report_is_not_verified(tmp_path) -> None:
    project = write(tmp_path, {"app/summarise.py": APP.replace("{model}", "gpt-4o-2024-08-06")})
    assert [o.status for o in run(provider_switch_evaluated, project)] == [Status.NOT_VERIFIED]
    bare = write(tmp_path / "bare", {"app/main.py": "print('no model')\n"})
    assert [o.status for o in run(provider_switch_evaluated, bare)] == [Status.ABSTAINED]
    broken = write(tmp_path, {"evals/run.json": '{"evalId": "x", "results": {'})
    outcomes = run(provider_switch_evaluated, broken)
    assert outcomes[0].key == "unread" and Status.PASS not in {o.status for o in outcomes}


def test_reports_of_other_tools_are_not_evaluations() -> None:
    assert read_evaluation({"bomFormat": "CycloneDX"}, "bom.json") is None
    assert read_evaluation({"evalId": "x", "results": {"results": []}}, "e.json") is None
