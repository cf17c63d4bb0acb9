"""Training pipelines as reviewed code (M3.1.1): a pipeline definition, and a review rule.

The review rule is read from what GitHub exports into the repository: repository rulesets
(``.github/rulesets/*.json``, the JSON the rulesets page exports) or the Probot/Settings app
file ``.github/settings.yml``. A ``CODEOWNERS`` file alone names reviewers but does not make
review mandatory, and GitLab approval rules live in the project settings: neither is enough,
so the requirement stays not verified until the rule is exported.

Training jobs in CI must run only reviewed code: third-party actions they use must be pinned to
a commit SHA (a tag can be moved to unreviewed code), and they must not execute notebooks.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._workflows import load_workflows
from mlsvs.checks.pipeline._yaml import DocumentError, items, mapping, read_json, read_yaml
from mlsvs.plugin import (
    DeploymentConfig,
    Document,
    DocumentKind,
    Gap,
    GapReason,
    Project,
    Severity,
    SourceFile,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.pipeline._ci import Job, Workflow
    from mlsvs.plugin import CheckContext, Outcome

_TRAIN_RUN = re.compile(
    r"\bpython3?\s+(?:-m\s+)?\S*train\w*(?:\.py)?\b|\bdvc\s+(?:repro|exp\s+run)\b|\bmlflow\s+run\b"
    r"|\bkfp\s+run\b|\bzenml\s+pipeline\s+run\b|\bsagemaker\b.*create-training-job"
)
_NOTEBOOK_RUN = re.compile(
    r"\bpapermill\b|\bjupyter\s+(?:nbconvert|execute)\b.*(?:--execute|\.ipynb)"
)
_SHA = re.compile(r"@[0-9a-f]{40}$")
_DEFAULT_REFS = frozenset({"~DEFAULT_BRANCH", "~ALL"})


def _ruleset(data: object, rel: str) -> tuple[int, str]:
    """(required approvals, why not) of a GitHub ruleset export for the default branch."""
    doc = mapping(data, rel, "a ruleset")
    if doc.get("target", "branch") != "branch":
        return 0, f"{rel}: targets {doc.get('target')}, not branches"
    if doc.get("enforcement") != "active":
        return 0, f"{rel}: enforcement is {doc.get('enforcement')!r}, not 'active'"
    conditions = mapping(doc.get("conditions") or {}, rel, "'conditions'")
    ref_name = mapping(conditions.get("ref_name") or {}, rel, "'ref_name'")
    include = {str(r) for r in items(ref_name.get("include"))}
    exclude = {str(r) for r in items(ref_name.get("exclude"))}
    default = {"refs/heads/main", "refs/heads/master", *_DEFAULT_REFS}
    if not include & default or exclude & default:
        return 0, f"{rel}: does not apply to the default branch"
    bypass = [
        a
        for a in items(doc.get("bypass_actors"))
        if isinstance(a, dict) and a.get("bypass_mode") != "pull_request"
    ]
    if bypass:
        return 0, f"{rel}: {len(bypass)} bypass actor(s) may push without review"
    approvals = 0
    for rule in items(doc.get("rules")):
        if isinstance(rule, dict) and rule.get("type") == "pull_request":
            params = mapping(rule.get("parameters") or {}, rel, "'parameters'")
            count = params.get("required_approving_review_count", 0)
            approvals = max(approvals, count if isinstance(count, int) else 0)
    if approvals < 1:
        return 0, f"{rel}: no pull_request rule with required_approving_review_count >= 1"
    return approvals, ""


def _settings(data: object, rel: str) -> tuple[int, str]:
    """(required approvals, why not) from a Probot Settings ``.github/settings.yml``."""
    doc = mapping(data, rel, "settings")
    repository = doc.get("repository") if isinstance(doc.get("repository"), dict) else {}
    default = (
        str(repository.get("default_branch", "main")) if isinstance(repository, dict) else "main"
    )
    for branch in items(doc.get("branches")):
        if not isinstance(branch, dict) or branch.get("name") != default:
            continue
        protection = branch.get("protection")
        reviews = (
            protection.get("required_pull_request_reviews")
            if isinstance(protection, dict)
            else None
        )
        count = (
            reviews.get("required_approving_review_count", 0) if isinstance(reviews, dict) else 0
        )
        if isinstance(count, int) and count >= 1:
            return count, ""
        return 0, f"{rel}: branch {default!r} does not require an approving review"
    return 0, f"{rel}: no protection for the default branch {default!r}"


def _review_rules(project: Project) -> tuple[list[str], list[str], list[Gap]]:
    """(rules requiring review, rules that do not, unreadable rule files)."""
    good: list[str] = []
    bad: list[str] = []
    gaps: list[Gap] = []
    for doc in project.of_type(Document):
        path = PurePosixPath(doc.path)
        if path.parent.as_posix().endswith(".github/rulesets") and path.suffix == ".json":
            parse, reader = _ruleset, read_json
        elif path.as_posix().endswith(".github/settings.yml"):
            parse, reader = _settings, read_yaml
        else:
            continue
        try:
            approvals, why = parse(reader(doc.absolute, doc.path), doc.path)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        if approvals:
            good.append(f"{doc.path} ({approvals} approval(s))")
        else:
            bad.append(why)
    return good, bad, gaps


def training_jobs(workflows: tuple[Workflow, ...]) -> list[tuple[Workflow, Job]]:
    """CI jobs that train a model."""
    return [
        (w, j)
        for w in workflows
        for j in w.jobs
        if any(_TRAIN_RUN.search(s.run) or _NOTEBOOK_RUN.search(s.run) for s in j.steps)
    ]


def _definitions(project: Project, jobs: list[tuple[Workflow, Job]]) -> list[str]:
    found = [d.path for d in project.of_type(Document) if d.document == DocumentKind.DVC_PIPELINE]
    found += [
        s.path
        for s in project.of_type(SourceFile)
        if s.language == "python" and re.search(r"(^|[_/-])(train|pipeline)", s.path.lower())
    ]
    found += [f"{w.path}#{j.id}" for w, j in jobs]
    return found


@check(
    id="MLC861",
    title="Training pipelines are code in the repository and the default branch requires review",
    requirements=["M3.1.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(Document, DeploymentConfig, SourceFile),
    remediation="Define training as code (dvc.yaml, a training script, a CI job), require "
    "an approving review on the default branch (export the ruleset to .github/rulesets/), pin "
    "actions in training jobs to commit SHAs and do not execute notebooks in CI.",
)
def reviewed_pipelines(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """A pipeline definition exists, review is mandatory, training jobs run reviewed code."""
    loaded = load_workflows(project)
    good, bad, gaps = _review_rules(project)
    gaps = [*gaps, *loaded.gaps]
    if gaps:
        yield not_verified("pipeline or review rule files could not be read", gaps)
    jobs = training_jobs(loaded.workflows)
    definitions = _definitions(project, jobs)
    notebooks = [s.path for s in project.of_type(SourceFile) if s.language == "notebook"]
    problems: list[str] = []
    if not definitions:
        problems.append(
            "no training pipeline defined as code (dvc.yaml, train*.py, a CI training job)"
            + (f"; only notebooks: {', '.join(notebooks[:5])}" if notebooks else "")
        )
    for workflow, job in jobs:
        for step in job.steps:
            if _NOTEBOOK_RUN.search(step.run):
                problems.append(f"{workflow.path} job {job.id!r} trains by executing a notebook")
            uses = step.uses
            if uses and not uses.startswith(("./", "docker://")) and not _SHA.search(uses):
                problems.append(
                    f"{workflow.path} job {job.id!r} runs action {uses!r} by a movable tag, "
                    "not a reviewed commit SHA"
                )
    problems.extend(bad if not good else [])
    facts = tuple(("pipeline", d) for d in definitions[:10]) + tuple(("review", g) for g in good)
    if problems:
        yield failed("; ".join(problems), facts=facts)
    elif not good:
        yield not_verified(
            "training pipeline defined as code, but no mandatory-review rule is in the "
            "repository (CODEOWNERS alone does not require review; GitLab approval rules are "
            "project settings): export the ruleset to .github/rulesets/ or .github/settings.yml",
            Gap(
                item=".github/rulesets",
                reason=GapReason.NOT_PRESENT,
                detail="branch protection is a hosting-platform setting",
            ),
            facts=facts,
        )
    else:
        yield passed(
            f"training defined as code ({', '.join(definitions[:4])}); default branch requires "
            f"review: {', '.join(good)}",
            facts=facts,
        )
