"""The project's CI/CD definitions, parsed once per check run, with what could not be read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._ci import Job, Platform, Step, Workflow, parse_workflow
from mlsvs.checks.pipeline._yaml import DocumentError, read_text
from mlsvs.plugin import DeploymentConfig, Gap, GapReason

if TYPE_CHECKING:
    from mlsvs.plugin import Project

CI_KINDS = {"github_actions": Platform.GITHUB, "gitlab_ci": Platform.GITLAB}


@dataclass(frozen=True, slots=True, kw_only=True)
class Workflows:
    """Parsed definitions and the files that could not be parsed."""

    workflows: tuple[Workflow, ...]
    gaps: tuple[Gap, ...]
    files: tuple[str, ...]


def load_workflows(project: Project) -> Workflows:
    """Every GitHub Actions workflow and GitLab CI file discovery found."""
    parsed: list[Workflow] = []
    gaps: list[Gap] = []
    files: list[str] = []
    for config in project.of_type(DeploymentConfig):
        platform = CI_KINDS.get(config.config)
        if platform is None:
            continue
        files.append(config.path)
        try:
            parsed.append(
                parse_workflow(read_text(config.absolute, config.path), config.path, platform)
            )
        except DocumentError as exc:
            reason = GapReason.UNREADABLE if "cannot read" in str(exc) else GapReason.UNPARSEABLE
            gaps.append(Gap(item=config.path, reason=reason, detail=str(exc)))
    gaps.extend(g for g in project.gaps if _could_be_ci(g))
    return Workflows(workflows=tuple(parsed), gaps=tuple(gaps), files=tuple(files))


def _could_be_ci(gap: Gap) -> bool:
    return ".github/workflows/" in gap.item or gap.item.endswith(".gitlab-ci.yml")


# What promotes or ships a model: deploys, registry promotions, image pushes, releases.
_DEPLOY_RUN = re.compile(
    r"\bkubectl\s+(?:apply|set\s+image|rollout\s+restart|replace)\b|\bhelm\s+(?:upgrade|install)\b"
    r"|\bdocker\s+push\b|\bgh\s+release\s+create\b|\bsagemaker\s+(?:create|update)-endpoint\b"
    r"|\bgcloud\s+(?:ai\s+endpoints\s+deploy-model|run\s+deploy)\b"
    r"|\baz\s+ml\s+online-(?:deployment|endpoint)\s+(?:create|update)\b"
    r"|transition_model_version_stage|set_registered_model_alias|\bhuggingface-cli\s+upload\b"
    r"|\bterraform\s+apply\b|\bkustomize\s+build\b.*\|\s*kubectl\s+apply|\bskaffold\s+run\b"
    r"|\bmlsvs\s+push\b|\bargocd\s+app\s+sync\b|\bflux\s+reconcile\b"
)
_DEPLOY_USES = (
    "docker/build-push-action",
    "azure/k8s-deploy",
    "azure/webapps-deploy",
    "google-github-actions/deploy-cloudrun",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "softprops/action-gh-release",
    "helm/",
)
_PROD = re.compile(r"prod", re.I)


def deploy_step(step: Step) -> bool:
    """Whether the step ships something (a deploy, a push, a registry promotion)."""
    if step.run and _DEPLOY_RUN.search(step.run):
        return True
    uses = step.uses.lower()
    if uses.startswith("docker/build-push-action"):
        # `push: ${{ github.event_name != 'pull_request' }}` may be true: count it.
        return dict(step.with_).get("push", "false").strip().lower() not in {"false", ""}
    return any(uses.startswith(prefix) for prefix in _DEPLOY_USES)


def release_jobs(workflow: Workflow) -> tuple[Job, ...]:
    """Jobs that release: a deploy step, or a production environment."""
    return tuple(
        job
        for job in workflow.jobs
        if any(deploy_step(s) for s in job.steps) or _PROD.search(job.environment)
    )
