"""Adapted models re-evaluated after transfer learning (MLC1040, M3.4.3): SLSA provenance and
PEFT adapters, with evaluation records bound to the adapted digest."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import numpy as np

from mlsvs.checks.pipeline.adapted import adapted_models_reevaluated as check
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, write
from tests.pipeline.test_records import COMMIT, DATA_SHA, MODEL, SHA, TRAIN_CSV, slsa

if TYPE_CHECKING:
    from pathlib import Path

BASE_COMMIT = "9b2f6c1e0d4a7b3c5e8f1a2d4c6b8e0f2a4c6e8b"
BASE_SHA = "ab" * 32
DEPS = [
    {"uri": "git+https://github.com/acme/credit-risk@refs/heads/main",
     "digest": {"gitCommit": COMMIT}},
    {"uri": "data/train.csv", "name": "training data", "digest": {"sha256": DATA_SHA}},
    {"uri": "hf://acme/credit-scorer-base", "name": "base model",
     "digest": {"sha256": BASE_SHA, "gitCommit": BASE_COMMIT}},
    {"uri": "pkg:docker/ghcr.io/acme/trainer@sha256:" + "3c" * 32,
     "digest": {"sha256": "3c" * 32}},
]  # fmt: skip


def _eval(sha: str, results: list[dict[str, object]], **extra: object) -> str:
    return json.dumps(
        {
            "tool": {"name": "mlsvs", "version": "1.1.0"},
            "suite": {"definition": "mlsvs.toml [model_tests]", "repository_commit": COMMIT},
            "artifact": {"path": "models/scorer.txt", "sha256": sha},
            "results": results,
            **extra,
        }
    )


FULL = [
    {"check": "MLC601", "test": "clean_accuracy", "status": "pass"},
    {"check": "MLC602", "test": "blackbox_evasion", "status": "pass", "robust_accuracy": 0.71},
    {"check": "MLC1030", "test": "subgroup_robustness", "status": "pass"},
    {"test": "backdoor_trigger_scan", "tool": "neural-cleanse", "anomaly_index": 1.3},
]


def _files(provenance: dict[str, object], evaluation: str) -> dict[str, str | bytes]:
    return {
        "models/scorer.txt": MODEL,
        "data/train.csv": TRAIN_CSV,
        "attestations/scorer.intoto.json": json.dumps(provenance),
        "records/evaluation-2026-11-30.json": evaluation,
    }


def test_fine_tuned_model_with_base_digest_and_own_evaluation_passes(tmp_path: Path) -> None:
    files = _files(slsa(deps=DEPS), _eval(SHA, FULL, reviewed_by="m.keller@acme.example"))
    [o] = run(check, write(tmp_path, files))
    assert o.status is Status.PASS, o.message
    assert ("reviewed_by", "m.keller@acme.example") in o.facts
    assert "hf://acme/credit-scorer-base@" in o.message


def test_inherited_or_partial_evaluation_and_unpinned_base_fail(tmp_path: Path) -> None:
    base_only = _files(slsa(deps=DEPS), _eval(BASE_SHA, FULL))
    [o] = run(check, write(tmp_path / "a", base_only))
    assert o.status is Status.FAIL and "only the base's" in o.message
    no_triggers = _files(slsa(deps=DEPS), _eval(SHA, FULL[:3]))
    [o] = run(check, write(tmp_path / "b", no_triggers))
    assert o.status is Status.FAIL and "no trigger/backdoor screening" in o.message
    unpinned = [*DEPS[:2], {"uri": "hf://acme/credit-scorer-base", "name": "base model"}, DEPS[3]]
    [o] = run(check, write(tmp_path / "c", _files(slsa(deps=unpinned), _eval(SHA, FULL))))
    assert o.status is Status.FAIL and "not identified by digest" in o.message


def test_model_trained_from_scratch_is_not_applicable_unknown_is_not_verified(tmp_path):
    scratch = [d for d in DEPS if d.get("name") != "base model"]
    [o] = run(check, write(tmp_path / "s", _files(slsa(deps=scratch), _eval(SHA, FULL))))
    assert o.status is Status.NOT_APPLICABLE
    bare = {"models/scorer.txt": MODEL}
    [o] = run(check, write(tmp_path / "u", bare))
    assert o.status is Status.NOT_VERIFIED and "no provenance" in o.message
    broken = _files(slsa(deps=DEPS), "{not json")
    outcomes = run(check, write(tmp_path / "x", broken))
    assert Status.NOT_VERIFIED in {o.status for o in outcomes}
    assert Status.PASS not in {o.status for o in outcomes}


def test_peft_adapter_pinned_revision_and_own_test_result(tmp_path: Path) -> None:
    from safetensors.numpy import save

    weights = save({
        "base_model.model.classifier.lora_A.weight": np.full((4, 16), 0.01, dtype=np.float32),
        "base_model.model.classifier.lora_B.weight": np.zeros((2, 4), dtype=np.float32),
    })  # fmt: skip
    sha = hashlib.sha256(weights).hexdigest()
    config = {
        "peft_type": "LORA", "task_type": "SEQ_CLS", "r": 4, "lora_alpha": 8,
        "base_model_name_or_path": "acme/credit-bert-base", "revision": BASE_COMMIT,
        "target_modules": ["classifier"],
    }  # fmt: skip
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "adapters/credit/adapter_model.safetensors", "digest": {"sha256": sha}}],
        "predicateType": "https://in-toto.io/attestation/test-result/v0.1",
        "predicate": {"result": "PASSED", "passedTests": ["pgd_robust_accuracy", "strip_trigger_screen"],
                      "failedTests": [], "warnedTests": []},
    }  # fmt: skip
    files: dict[str, str | bytes] = {
        "adapters/credit/adapter_model.safetensors": weights,
        "adapters/credit/adapter_config.json": json.dumps(config),
        "release/adapter-eval.intoto.jsonl": json.dumps(statement) + "\n",
    }
    outcomes = run(check, write(tmp_path, files))
    got = {o.key: o for o in outcomes}
    o = got["adapters/credit/adapter_model.safetensors"]
    assert o.status is Status.PASS, o.message
    statement["predicate"]["failedTests"] = ["strip_trigger_screen"]  # type: ignore[index]
    files["release/adapter-eval.intoto.jsonl"] = json.dumps(statement) + "\n"
    o = {x.key: x for x in run(check, write(tmp_path / "f", files))}[
        "adapters/credit/adapter_model.safetensors"
    ]
    assert o.status is Status.FAIL and "failed strip_trigger_screen" in o.message
    config["revision"] = "main"
    files["adapters/credit/adapter_config.json"] = json.dumps(config)
    outcomes = run(check, write(tmp_path / "m", files))
    o = {x.key: x for x in outcomes}["adapters/credit/adapter_model.safetensors"]
    assert o.status is Status.FAIL and "acme/credit-bert-base" in o.message
