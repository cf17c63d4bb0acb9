"""Release gates, reviewed pipelines and advisory schedules on realistic CI definitions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.pipeline._ci import Platform, invocations, parse_workflow
from mlsvs.checks.pipeline.advisories import advisory_monitoring, longest_gap_days
from mlsvs.checks.pipeline.gates import release_gate
from mlsvs.checks.pipeline.reviews import reviewed_pipelines
from mlsvs.model.catalog import Level
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"
RELEASE = f"""\
name: release
on:
  push:
    tags: ["v*"]
  workflow_dispatch:
permissions: {{contents: read}}
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: {CHECKOUT}
      - run: |
          pip install -r requirements.txt
          pytest -q
  gate:
    needs: test
    runs-on: ubuntu-24.04
    steps:
      - uses: {CHECKOUT}
      - run: pip install mlsvs==0.1.0
      - name: gate
        run: >-
          mlsvs verify . --level {{level}} --profile profiles/bank.toml
          -f json:results.json
      - name: regressions
        run: mlsvs diff previous/results.json results.json
  publish:
    needs: [gate]
    runs-on: ubuntu-24.04
    environment:
      name: production
      url: https://scoring.example.com
    steps:
      - uses: {CHECKOUT}
      - uses: docker/build-push-action@48aba3b46d1b1fec4febb7c5d0c644b249a11355
        with:
          push: true
          tags: registry.example.com/scoring:${{{{ github.ref_name }}}}
      - run: helm upgrade --install scoring charts/scoring --set image.tag=${{{{ github.ref_name }}}}
"""


def _release(level: str = "L2", **swap: str) -> str:
    text = RELEASE.replace("{level}", level)
    for old, new in swap.items():
        text = text.replace(old.replace("_", " "), new)
    return text


def test_yaml_on_key_and_multiline_commands_are_parsed() -> None:
    flow = parse_workflow(_release(), ".github/workflows/release.yml", Platform.GITHUB)
    assert flow.events == {"push", "workflow_dispatch"} and flow.push_tags
    gate = flow.job("gate")
    assert gate is not None and flow.upstream(flow.job("publish")) == {"gate", "test"}  # type: ignore[arg-type]
    [verify] = invocations(gate.steps[2].run)
    assert verify.command == "verify" and verify.value("--level") == "L2"
    assert verify.value("--profile") == "profiles/bank.toml" and not verify.swallowed
    [swallowed] = invocations("set -e\nmlsvs verify . || true\n")
    assert swallowed.swallowed


def test_gate_passes_on_blocking_verify_and_diff(tmp_path: Path) -> None:
    project = write(tmp_path, {".github/workflows/release.yml": _release()})
    outcomes = run(release_gate, project, level=Level.L2)
    assert statuses(outcomes) == [Status.PASS]
    assert outcomes[0].key == ".github/workflows/release.yml#publish"


@pytest.mark.parametrize(
    ("text", "level", "why"),
    [
        (_release("L1"), Level.L2, "below the level in force"),
        (
            _release(**{"-f json:results.json": "-f json:results.json || true"}),
            Level.L2,
            "cannot block",
        ),
        (
            _release().replace("mlsvs diff previous/results.json results.json", "echo skip"),
            Level.L2,
            "no blocking regression gate",
        ),
        (
            _release().replace("needs: [gate]", "needs: [test]"),
            Level.L2,
            "without running 'mlsvs verify'",
        ),
        (
            _release().replace("--profile profiles/bank.toml", "--ignore 'MLC6*'"),
            Level.L2,
            "leaves checks out",
        ),
        (
            _release().replace("    needs: [gate]\n", "    needs: [gate]\n    if: always()\n"),
            Level.L2,
            "runs even when",
        ),
    ],
)
def test_gate_fails(tmp_path: Path, text: str, level: Level, why: str) -> None:
    project = write(tmp_path, {".github/workflows/release.yml": text})
    [outcome] = run(release_gate, project, level=level)
    assert outcome.status is Status.FAIL and why in outcome.message


GITLAB = """\
stages: [test, gate, deploy]
variables:
  PIP_CACHE_DIR: "$CI_PROJECT_DIR/.cache/pip"
.python:
  image: python:3.12-slim@sha256:2b0079146a74e23bf4ae8f6a28e1b484c6292f6fb904cbb51825b4a19812fcd8
  before_script:
    - pip install mlsvs==0.1.0
unit:
  extends: .python
  stage: test
  script: [pytest -q]
mlsvs:
  extends: .python
  stage: gate
  script:
    - mlsvs verify . --level L1 -f json:results.json
    - mlsvs diff baseline/results.json results.json
  artifacts: {paths: [results.json]}
deploy-production:
  stage: deploy
  image: bitnami/kubectl:1.31
  environment: {name: production}
  rules:
    - if: $CI_COMMIT_TAG
  script:
    - kubectl apply -f deploy/k8s.yaml
"""


def test_gitlab_stages_order_the_gate(tmp_path: Path) -> None:
    project = write(tmp_path, {".gitlab-ci.yml": GITLAB})
    assert statuses(run(release_gate, project)) == [Status.PASS]
    allowed = GITLAB.replace("  artifacts:", "  allow_failure: true\n  artifacts:")
    project = write(tmp_path, {".gitlab-ci.yml": allowed})
    [outcome] = run(release_gate, project)
    assert outcome.status is Status.FAIL and "without running 'mlsvs verify'" in outcome.message
    needs = GITLAB.replace("  rules:", "  needs: [unit]\n  rules:")
    project = write(tmp_path, {".gitlab-ci.yml": needs})
    assert statuses(run(release_gate, project)) == [Status.FAIL]


def test_gate_missing_ci_and_broken_yaml(tmp_path: Path) -> None:
    project = write(tmp_path, {"train.py": "print('train')\n"})
    assert statuses(run(release_gate, project)) == [Status.FAIL]
    project = write(tmp_path, {".github/workflows/release.yml": "on: [push\njobs: {}\n"})
    outcomes = run(release_gate, project)
    assert statuses(outcomes) == [Status.NOT_VERIFIED]
    assert "invalid YAML" in outcomes[0].gaps[0].detail


RULESET = {
    "id": 1843021,
    "name": "main",
    "target": "branch",
    "source_type": "Repository",
    "source": "acme/scoring",
    "enforcement": "active",
    "conditions": {"ref_name": {"exclude": [], "include": ["~DEFAULT_BRANCH"]}},
    "rules": [
        {"type": "deletion"},
        {"type": "non_fast_forward"},
        {
            "type": "pull_request",
            "parameters": {
                "required_approving_review_count": 1,
                "dismiss_stale_reviews_on_push": True,
                "require_code_owner_review": True,
                "require_last_push_approval": False,
                "required_review_thread_resolution": False,
                "allowed_merge_methods": ["squash"],
            },
        },
    ],
    "bypass_actors": [],
}
TRAIN_WORKFLOW = f"""\
name: train
on:
  workflow_dispatch:
    inputs:
      epochs: {{type: number, default: 20}}
jobs:
  train:
    runs-on: [self-hosted, gpu]
    steps:
      - uses: {CHECKOUT}
      - run: pip install -r requirements.txt
      - run: dvc pull && dvc repro train
"""


def test_reviewed_pipeline_passes_with_ruleset(tmp_path: Path) -> None:
    files = {
        ".github/rulesets/main.json": json.dumps(RULESET, indent=2),
        ".github/CODEOWNERS": "/train.py @acme/ml\n",
        ".github/workflows/train.yml": TRAIN_WORKFLOW,
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps: [train.py]\n",
        "train.py": "import json\n",
    }
    project = write(tmp_path, files)
    [outcome] = run(reviewed_pipelines, project)
    assert outcome.status is Status.PASS, outcome.message
    assert "dvc.yaml" in outcome.message and "main.json" in outcome.message


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"enforcement": "evaluate"}, "not 'active'"),
        (
            {
                "bypass_actors": [
                    {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}
                ]
            },
            "bypass actor",
        ),
        ({"rules": [{"type": "deletion"}]}, "required_approving_review_count"),
        (
            {"conditions": {"ref_name": {"include": ["refs/heads/release"], "exclude": []}}},
            "default branch",
        ),
    ],
)
def test_ruleset_that_does_not_require_review_fails(
    tmp_path: Path, change: dict[str, object], why: str
) -> None:
    files = {".github/rulesets/main.json": json.dumps(RULESET | change), "train.py": "x = 1\n"}
    [outcome] = run(reviewed_pipelines, write(tmp_path, files))
    assert outcome.status is Status.FAIL and why in outcome.message


def test_unpinned_action_and_notebook_training_fail(tmp_path: Path) -> None:
    workflow = TRAIN_WORKFLOW.replace(CHECKOUT, "actions/checkout@v4").replace(
        "dvc pull && dvc repro train", "papermill notebooks/train.ipynb out.ipynb"
    )
    files = {
        ".github/rulesets/main.json": json.dumps(RULESET),
        ".github/workflows/train.yml": workflow,
    }
    [outcome] = run(reviewed_pipelines, write(tmp_path, files))
    assert outcome.status is Status.FAIL
    assert "executing a notebook" in outcome.message and "movable tag" in outcome.message


def test_codeowners_alone_is_not_verified(tmp_path: Path) -> None:
    files = {".github/CODEOWNERS": "* @acme/ml\n", "src/train_model.py": "x = 1\n"}
    [outcome] = run(reviewed_pipelines, write(tmp_path, files))
    assert outcome.status is Status.NOT_VERIFIED and "CODEOWNERS alone" in outcome.message


def test_probot_settings_file(tmp_path: Path) -> None:
    settings = """\
repository:
  name: scoring
  default_branch: main
branches:
  - name: main
    protection:
      required_pull_request_reviews:
        required_approving_review_count: 2
        require_code_owner_reviews: true
      enforce_admins: true
      required_status_checks: {strict: true, contexts: [mlsvs]}
      restrictions: null
"""
    files = {".github/settings.yml": settings, "pipelines/train.py": "x = 1\n"}
    [outcome] = run(reviewed_pipelines, write(tmp_path, files))
    assert outcome.status is Status.PASS and "2 approval" in outcome.message
    files[".github/settings.yml"] = settings.replace("count: 2", "count: 0")
    [outcome] = run(reviewed_pipelines, write(tmp_path, files))
    assert outcome.status is Status.FAIL


SCAN = f"""\
name: advisories
on:
  schedule:
    - cron: "{{cron}}"
  workflow_dispatch: {{}}
permissions: {{contents: read, security-events: write}}
jobs:
  osv:
    runs-on: ubuntu-24.04
    steps:
      - uses: {CHECKOUT}
      - run: osv-scanner scan --lockfile requirements.txt --format sarif --output osv.sarif
        continue-on-error: true
      - uses: github/codeql-action/upload-sarif@f09c1c0a94de965c15400f5634aa42fac8fb8f88
        with: {{sarif_file: osv.sarif}}
"""


def test_cron_gaps() -> None:
    assert longest_gap_days("17 6 * * 1", __import__("datetime").datetime(2026, 1, 1)) == 7
    assert longest_gap_days("0 3 1 * *", __import__("datetime").datetime(2026, 1, 1)) == 31
    with pytest.raises(ValueError, match="invalid cron"):
        longest_gap_days("61 * * * *", __import__("datetime").datetime(2026, 1, 1))


def test_advisory_schedule_against_the_parameter(tmp_path: Path) -> None:
    weekly = write(tmp_path, {".github/workflows/osv.yml": SCAN.replace("{cron}", "0 4 * * 1")})
    assert statuses(run(advisory_monitoring, weekly)) == [Status.PASS]
    # L2: the standard's interval is one day.
    outcomes = run(advisory_monitoring, weekly, parameters={"M5.4.1.max_scan_interval_days": 1})
    assert statuses(outcomes) == [Status.FAIL] and "less often" in outcomes[0].message
    untracked = SCAN.replace("{cron}", "0 4 * * *").split("      - uses: github/codeql")[0]
    project = write(tmp_path, {".github/workflows/osv.yml": untracked})
    assert statuses(run(advisory_monitoring, project)) == [Status.FAIL, Status.PASS]


def test_dependabot_and_nothing(tmp_path: Path) -> None:
    assert statuses(run(advisory_monitoring, write(tmp_path, {"x.py": "x = 1\n"}))) == [Status.FAIL]
    dependabot = """\
version: 2
updates:
  - package-ecosystem: "pip"
    directory: "/"
    schedule: {interval: "daily", time: "04:00", timezone: "Europe/Berlin"}
    open-pull-requests-limit: 10
    groups:
      ml: {patterns: ["torch*", "transformers", "onnx*"]}
  - package-ecosystem: "github-actions"
    directory: "/"
    schedule: {interval: "monthly"}
"""
    project = write(tmp_path, {".github/dependabot.yml": dependabot})
    outcomes = run(advisory_monitoring, project, parameters={"M5.4.1.max_scan_interval_days": 1})
    assert statuses(outcomes) == [Status.PASS] and "pip every 1 day" in outcomes[0].message
    project = write(
        tmp_path, {".github/dependabot.yml": dependabot.replace('"daily"', '"sometimes"')}
    )
    assert statuses(run(advisory_monitoring, project)) == [Status.NOT_VERIFIED]


def test_gate_profile_laxer_than_the_values_in_force(tmp_path: Path) -> None:
    profile = (
        '[profile]\nname = "bank"\nrole = "buyer"\nlevel = "L2"\n\n[parameters]\n'
        '"M7.2.1.max_tpr_at_low_fpr" = {value}\n'
    )
    in_force = {"M7.2.1.max_tpr_at_low_fpr": 0.005}
    files = {
        ".github/workflows/release.yml": _release(),
        "profiles/bank.toml": profile.format(value=0.02),
    }
    [outcome] = run(release_gate, write(tmp_path, files), level=Level.L2, parameters=in_force)
    assert outcome.status is Status.FAIL and "M7.2.1.max_tpr_at_low_fpr = 0.02" in outcome.message
    files["profiles/bank.toml"] = profile.format(value=0.005)
    [outcome] = run(release_gate, write(tmp_path / "s", files), level=Level.L2, parameters=in_force)
    assert outcome.status is Status.PASS
