"""Not-applicable claims (MLC863) and hosted model pinning (MLC864) on realistic projects."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.pipeline._hosted import Provider, hosted_calls, pinned
from mlsvs.checks.pipeline.claims import not_applicable_justified, weak_reason
from mlsvs.checks.pipeline.hosted import hosted_versions_pinned
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

ALL_TAGS = (
    "exposes_inference_api",
    "trains_in_house",
    "uses_third_party_model",
    "hosted_model_api",
    "genai",
    "processes_personal_data",
    "online_learning",
    "federated",
    "on_device",
    "agentic",
    "uses_rag",
    "high_stakes_decisions",
    "human_oversight",
    "uses_third_party_data",
)
FASTAPI_APP = """\
import onnxruntime as ort
from fastapi import FastAPI

app = FastAPI()
session = ort.InferenceSession("models/scorer.onnx")


@app.post("/predict")
def predict(features: list[float]) -> dict[str, float]:
    [scores] = session.run(None, {"input": [features]})
    return {"score": float(scores[0][1])}
"""


def _with_profile(project, traits: set[str], denied: dict[str, str]):  # type: ignore[no-untyped-def]
    return dataclasses.replace(project, traits=frozenset(traits), denied_traits=denied)


def test_reasons() -> None:
    assert weak_reason("n/a") and weak_reason("Not applicable.") and weak_reason("no API")
    assert not weak_reason("batch scoring only: results are written to S3, no network service")


def test_every_trait_declared_or_denied_with_a_fact(tmp_path: Path) -> None:
    from mlsvs.catalog import load_standard

    tags = {t.id for t in load_standard(None).tags}
    project = write(tmp_path, {"train.py": "import json\n"})
    denied = {t: f"the system has no {t.replace('_', ' ')} component at all" for t in tags}
    denied.pop("trains_in_house")
    good = _with_profile(project, {"trains_in_house"}, denied)
    assert statuses(run(not_applicable_justified, good)) == [Status.PASS]
    silent = _with_profile(project, {"trains_in_house"}, {})
    [outcome] = run(not_applicable_justified, silent)
    assert outcome.status is Status.FAIL and "neither declared nor denied" in outcome.message
    weak = _with_profile(project, {"trains_in_house"}, {**denied, "genai": "n/a"})
    [outcome] = run(not_applicable_justified, weak)
    assert outcome.status is Status.FAIL and "denied trait genai" in outcome.message


def test_denial_contradicted_by_discovery(tmp_path: Path) -> None:
    from mlsvs.catalog import load_standard

    tags = {t.id for t in load_standard(None).tags}
    project = write(tmp_path, {"serve.py": FASTAPI_APP})
    assert any(e.trait == "exposes_inference_api" for e in project.trait_evidence)
    denied = {t: f"the system has no {t.replace('_', ' ')} component at all" for t in tags}
    [outcome] = run(not_applicable_justified, _with_profile(project, set(), denied))
    assert (
        outcome.status is Status.FAIL and "contradicted by the project: serve.py" in outcome.message
    )


@pytest.mark.parametrize(
    ("model", "ok"),
    [
        ("gpt-4o-2024-08-06", True),
        ("gpt-4-0613", True),
        ("gpt-4o", False),
        ("chatgpt-4o-latest", False),
        ("claude-3-5-sonnet-20241022", True),
        ("claude-3-5-sonnet-latest", False),
        ("claude-sonnet-4-5", False),
        ("gemini-1.5-pro-002", True),
        ("gemini-1.5-pro", False),
        ("anthropic.claude-3-haiku-20240307-v1:0", True),
        ("amazon.titan-embed-text-v2:0", True),
        ("claude-3-5-sonnet-v2@20241022", True),
        ("mistral-large-2411", True),
        ("text-embedding-3-small", True),
    ],
)
def test_pinned_model_ids(model: str, ok: bool) -> None:
    assert pinned(model) is ok


SERVICE = '''\
"""Scores support tickets with a hosted LLM and embeds them for retrieval."""
import json
import os

import boto3
import vertexai
from anthropic import Anthropic
from openai import AzureOpenAI
from vertexai.generative_models import GenerativeModel

CLAUDE = "claude-3-5-sonnet-20241022"
bedrock = boto3.client("bedrock-runtime", region_name="eu-central-1")
azure = AzureOpenAI(
    azure_endpoint="https://support-scoring-weu.openai.azure.com",
    api_version="2024-10-21",
    api_key=os.environ["AZURE_OPENAI_API_KEY"],
)
vertexai.init(project="acme-support", location="europe-west4")


class Scorer:
    def __init__(self) -> None:
        self.claude = Anthropic()

    def triage(self, ticket: str) -> str:
        reply = self.claude.messages.create(
            model=CLAUDE, max_tokens=256, messages=[{"role": "user", "content": ticket}]
        )
        return reply.content[0].text


def embed(text: str) -> list[float]:
    body = json.dumps({"inputText": text})
    response = bedrock.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=body)
    return json.loads(response["body"].read())["embedding"]


def summarise(text: str) -> str:
    result = azure.chat.completions.create(
        model="gpt-4o-2024-08-06", messages=[{"role": "user", "content": text}]
    )
    return result.choices[0].message.content or ""


def classify(text: str) -> str:
    return GenerativeModel("gemini-1.5-pro-002").generate_content(text).text
'''


def test_calls_are_found_with_models_and_regions() -> None:
    calls = {(c.provider, c.model, c.region) for c in hosted_calls(SERVICE)}
    assert (Provider.BEDROCK, "amazon.titan-embed-text-v2:0", "eu-central-1") in calls
    assert (
        Provider.AZURE_OPENAI,
        "gpt-4o-2024-08-06",
        "https://support-scoring-weu.openai.azure.com",
    ) in calls
    assert (Provider.VERTEX, "gemini-1.5-pro-002", "europe-west4") in calls
    assert (Provider.ANTHROPIC, "claude-3-5-sonnet-20241022", None) in calls


def test_hosted_check_fails_alias_and_missing_region(tmp_path: Path) -> None:
    project = write(tmp_path, {"support/service.py": SERVICE})
    outcomes = run(hosted_versions_pinned, project)
    by_status = sorted(o.status.value for o in outcomes)
    assert by_status == ["fail", "pass", "pass", "pass"]
    [anthropic] = [o for o in outcomes if o.status is Status.FAIL]
    assert "no region" in anthropic.message
    regional = SERVICE.replace(
        "from anthropic import Anthropic", "from anthropic import AnthropicVertex as Anthropic"
    ).replace("Anthropic()", 'Anthropic(region="europe-west1", project_id="acme-support")')
    project = write(tmp_path, {"support/service.py": regional})
    assert set(statuses(run(hosted_versions_pinned, project))) == {Status.PASS}
    alias = SERVICE.replace('"gpt-4o-2024-08-06"', '"gpt-4o"')
    outcomes = run(hosted_versions_pinned, write(tmp_path, {"support/service.py": alias}))
    assert any("moving alias" in o.message for o in outcomes if o.status is Status.FAIL)


def test_notebook_dynamic_model_and_broken_file(tmp_path: Path) -> None:
    cell = (
        "from openai import OpenAI\nimport os\nclient = OpenAI(base_url='https://eu.api.openai.com/v1')\n"
        "r = client.responses.create(model=os.environ['MODEL'], input='hi')\n"
    )
    notebook = json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "source": cell,
                    "metadata": {},
                    "outputs": [],
                    "execution_count": 1,
                }
            ],
            "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )
    project = write(tmp_path, {"explore.ipynb": notebook, "bad.py": "def f(:\n"})
    outcomes = run(hosted_versions_pinned, project)
    assert sorted(o.status.value for o in outcomes) == ["not_verified", "not_verified"]
    assert {g.item for o in outcomes for g in o.gaps} == {"bad.py", "explore.ipynb:4"}
    nothing = write(tmp_path / "none", {"app.py": "print('no hosted model')\n"})
    assert statuses(run(hosted_versions_pinned, nothing)) == [Status.NOT_VERIFIED]


def test_denial_with_unparseable_code_is_not_verified(tmp_path: Path) -> None:
    from mlsvs.catalog import load_standard

    tags = {t.id for t in load_standard(None).tags}
    project = write(tmp_path, {"serve.py": FASTAPI_APP[:80]})
    denied = {t: f"the system has no {t.replace('_', ' ')} component at all" for t in tags}
    [outcome] = run(not_applicable_justified, _with_profile(project, set(), denied))
    assert outcome.status is Status.NOT_VERIFIED and outcome.gaps[0].item == "serve.py"
