"""Training provenance (MLC865) and evaluation binding (MLC866) from SLSA, in-toto and MLflow."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline.records import evaluation_bound, training_provenance
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

# A LightGBM text model: the model is data, its bytes are what the records bind to.
MODEL = (
    "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=4\n"
    "objective=binary sigmoid:1\nfeature_names=age income debt_ratio open_lines delinquencies\n"
    "feature_infos=[18:95] [0:480] [0:1.4] [0:29] [0:58]\ntree_sizes=345\n\nTree=0\n"
    "num_leaves=2\nnum_cat=0\nsplit_feature=2\nsplit_gain=41.7\nthreshold=0.43\n"
    "decision_type=2\nleft_child=-1\nright_child=-2\nleaf_value=-0.21 0.34\n"
    "leaf_weight=120 80\nleaf_count=120 80\ninternal_value=0\ninternal_weight=0\n"
    "internal_count=200\nis_linear=0\nshrinkage=1\n\nend of trees\n"
)
TRAIN_CSV = "age,income,debt_ratio,open_lines,delinquencies,default\n" + "".join(
    f"{20 + i % 60},{30 + i % 300},{(i % 14) / 10},{i % 20},{i % 7},{i % 2}\n" for i in range(200)
)
SHA = hashlib.sha256(MODEL.encode()).hexdigest()
DATA_SHA = hashlib.sha256(TRAIN_CSV.encode()).hexdigest()
COMMIT = "442c4bb2449182fcb51c13054a655d5cafc2555b"
IMAGE_DIGEST = "sha256:" + "3c" * 32


def slsa(**changes: object) -> dict[str, object]:
    dependencies = [
        {
            "uri": "git+https://github.com/acme/credit-risk@refs/heads/main",
            "digest": {"gitCommit": COMMIT},
        },
        {"uri": "data/train.csv", "name": "training data", "digest": {"sha256": DATA_SHA}},
        {
            "uri": "pkg:docker/ghcr.io/acme/trainer@sha256:" + "3c" * 32,
            "digest": {"sha256": "3c" * 32},
        },
    ]
    statement: dict[str, object] = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "models/scorer.txt", "digest": {"sha256": SHA}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://acme.example/ml-training/v1",
                "externalParameters": {
                    "entry_point": "train.py",
                    "hyperparameters": {"num_leaves": 2, "learning_rate": 0.1},
                    "seed": 0,
                },
                "internalParameters": {"runner": "github-hosted"},
                "resolvedDependencies": changes.pop("deps", dependencies),
            },
            "runDetails": {
                "builder": {
                    "id": "https://github.com/acme/credit-risk/.github/workflows/train.yml@refs/heads/main"
                },
                "metadata": {
                    "invocationId": "https://github.com/acme/credit-risk/actions/runs/118/attempts/1",
                    "startedOn": "2026-11-30T08:12:00Z",
                },
            },
        },
    }
    statement.update(changes)
    return statement


def dsse(statement: dict[str, object]) -> str:
    payload = base64.b64encode(json.dumps(statement).encode()).decode()
    return json.dumps(
        {
            "payloadType": "application/vnd.in-toto+json",
            "payload": payload,
            "signatures": [{"keyid": "", "sig": base64.b64encode(b"\x30" * 70).decode()}],
        }
    )


def test_slsa_provenance_in_a_dsse_envelope_passes(tmp_path: Path) -> None:
    files = {
        "models/scorer.txt": MODEL,
        "data/train.csv": TRAIN_CSV,
        "attestations/scorer.intoto.json": dsse(slsa()),
    }
    [outcome] = run(training_provenance, write(tmp_path, files))
    assert outcome.status is Status.PASS, outcome.message


def test_provenance_with_mutable_inputs_or_gaps_fails(tmp_path: Path) -> None:
    deps = [
        {
            "uri": "git+https://github.com/acme/credit-risk@refs/heads/main",
            "digest": {"gitCommit": COMMIT},
        },
        {"uri": "s3://acme-ml/credit/train/latest/", "name": "training data"},
        {"uri": "pkg:docker/ghcr.io/acme/trainer:latest"},
    ]
    files = {
        "models/scorer.txt": MODEL,
        "data/train.csv": TRAIN_CSV,
        "scorer.provenance.json": json.dumps(slsa(deps=deps)),
    }
    [outcome] = run(training_provenance, write(tmp_path, files))
    assert outcome.status is Status.FAIL
    assert "s3://acme-ml/credit/train/latest/ (a mutable name)" in outcome.message
    assert "trainer:latest (a mutable name)" in outcome.message
    tampered = {
        **files,
        "data/train.csv": TRAIN_CSV + "99,1,0.1,1,0,1\n",
        "scorer.provenance.json": json.dumps(slsa()),
    }
    [outcome] = run(training_provenance, write(tmp_path / "t", tampered))
    assert outcome.status is Status.FAIL and "differs from the file" in outcome.message
    [outcome] = run(training_provenance, write(tmp_path / "none", {"models/scorer.txt": MODEL}))
    assert outcome.status is Status.FAIL and "no provenance record" in outcome.message


RUN_ID = "8e9f1c2d3b4a5f6e7d8c9b0a1f2e3d4c"
MLMODEL = f"""\
artifact_path: model
flavors:
  lightgbm:
    code: null
    data: model.lgb
    lgb_version: 4.5.0
    model_class: lightgbm.basic.Booster
  python_function:
    data: model.lgb
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.lightgbm
    python_version: 3.11.7
is_signature_from_type_hint: false
mlflow_version: 2.18.0
model_size_bytes: 1342
model_uuid: 7d6b0a1e2f3c4d5e6f708192a3b4c5d6
run_id: {RUN_ID}
signature:
  inputs: '[{{"type": "double", "name": "age", "required": true}}, {{"type": "double", "name":
    "income", "required": true}}]'
  outputs: '[{{"type": "tensor", "tensor-spec": {{"dtype": "float64", "shape": [-1]}}}}]'
  params: null
utc_time_created: '2026-11-30 08:31:07.512345'
"""


def _mlruns(image: bool = True, commit: str = COMMIT) -> dict[str, str]:
    base = f"mlruns/412733815164521013/{RUN_ID}"
    files = {
        f"{base}/meta.yaml": (
            f"artifact_uri: mlflow-artifacts:/412733815164521013/{RUN_ID}/artifacts\n"
            "end_time: 1764491467512\nentry_point_name: ''\nexperiment_id: '412733815164521013'\n"
            f"lifecycle_stage: active\nrun_id: {RUN_ID}\nrun_name: lgbm-credit-0\n"
            f"run_uuid: {RUN_ID}\nsource_name: ''\nsource_type: 4\nsource_version: ''\n"
            "start_time: 1764491101044\nstatus: 3\ntags: []\nuser_id: ci\n"
        ),
        f"{base}/params/learning_rate": "0.1",
        f"{base}/params/num_leaves": "2",
        f"{base}/params/seed": "0",
        f"{base}/metrics/auc": "1764491467001 0.812 0\n",
        f"{base}/tags/mlflow.source.git.commit": commit,
        f"{base}/tags/mlflow.source.name": "train.py",
        f"{base}/tags/mlflow.user": "ci",
        f"{base}/inputs/b1e0c6f2a7d94c3e8f5a1b2c3d4e5f60/meta.yaml": (
            "destination_id: " + RUN_ID + "\ndestination_type: RUN\n"
            "source_id: 9a8b7c6d5e4f30211a2b3c4d5e6f7081\nsource_type: DATASET\n"
            "tags:\n  mlflow.data.context: training\n"
        ),
        "mlruns/412733815164521013/datasets/9a8b7c6d5e4f30211a2b3c4d5e6f7081/meta.yaml": (
            'digest: 6a1f0c2e\nname: credit-train\nprofile: \'{"num_rows": 200, '
            '"num_elements": 1200}\'\nsource: \'{"uri": "data/train.csv"}\'\n'
            "source_type: local\n"
        ),
    }
    if image:
        files[f"{base}/tags/mlflow.docker.image.id"] = IMAGE_DIGEST
    return files


def test_mlflow_run_metadata(tmp_path: Path) -> None:
    files = {"models/scorer/model.lgb": MODEL, "models/scorer/MLmodel": MLMODEL, **_mlruns()}
    [outcome] = run(training_provenance, write(tmp_path, files))
    assert outcome.status is Status.PASS, outcome.message
    files = {
        "models/scorer/model.lgb": MODEL,
        "models/scorer/MLmodel": MLMODEL,
        **_mlruns(image=False, commit="main"),
    }
    [outcome] = run(training_provenance, write(tmp_path / "b", files))
    assert outcome.status is Status.FAIL
    assert "code commit" in outcome.message and "container image digest" in outcome.message
    orphan = {"models/scorer/model.lgb": MODEL, "models/scorer/MLmodel": MLMODEL}
    [outcome] = run(training_provenance, write(tmp_path / "o", orphan))
    assert outcome.status is Status.FAIL and "not in mlruns/" in outcome.message
    broken = {"models/scorer/model.lgb": MODEL, "models/scorer/MLmodel": "flavors: [unclosed\n"}
    outcomes = run(training_provenance, write(tmp_path / "x", broken))
    assert Status.NOT_VERIFIED in statuses(outcomes)


def test_test_result_attestation_binds_evaluation(tmp_path: Path) -> None:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "models/scorer.txt", "digest": {"sha256": SHA}}],
        "predicateType": "https://in-toto.io/attestation/test-result/v0.1",
        "predicate": {
            "result": "PASSED",
            "configuration": [
                {
                    "name": "eval-suite",
                    "uri": f"git+https://github.com/acme/eval-suite@{COMMIT}",
                    "digest": {"gitCommit": COMMIT},
                }
            ],
            "url": "https://github.com/acme/credit-risk/actions/runs/119",
            "passedTests": ["clean_accuracy", "blackbox_evasion", "membership_inference"],
            "warnedTests": [],
            "failedTests": [],
        },
    }
    files = {"models/scorer.txt": MODEL, "release/eval.intoto.jsonl": json.dumps(statement) + "\n"}
    [outcome] = run(evaluation_bound, write(tmp_path, files))
    assert outcome.status is Status.PASS and "eval-suite" in outcome.message
    other = json.loads(json.dumps(statement))
    other["subject"][0]["digest"]["sha256"] = "0" * 64
    files["release/eval.intoto.jsonl"] = json.dumps(other)
    [outcome] = run(evaluation_bound, write(tmp_path / "o", files))
    assert outcome.status is Status.FAIL and "refer to other digests" in outcome.message


def test_evaluation_record_json(tmp_path: Path) -> None:
    record = {
        "tool": {"name": "mlsvs", "version": "0.1.0"},
        "suite": {"definition": "mlsvs.toml [model_tests]", "repository_commit": COMMIT},
        "artifact": {"path": "models/scorer.txt", "sha256": SHA},
        "results": [{"check": "MLC601", "status": "pass"}],
    }
    files = {"models/scorer.txt": MODEL, "records/evaluation-2026-11-30.json": json.dumps(record)}
    assert statuses(run(evaluation_bound, write(tmp_path, files))) == [Status.PASS]
    del record["suite"]
    files["records/evaluation-2026-11-30.json"] = json.dumps(record)
    [outcome] = run(evaluation_bound, write(tmp_path / "n", files))
    assert outcome.status is Status.FAIL and "suite version" in outcome.message
