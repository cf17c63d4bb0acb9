"""Provider model changes re-evaluated before switching (MLC1007, M5.3.5).

The model versions in force are the constant model ids of the hosted model calls in the
project's Python code (the same reading as MLC864). The *switch* to a version is the newest
commit, in the project's git history, that changed the occurrences of that id in the file that
calls it and left the id there (``git log -S``; an uncommitted change is a switch happening
now). The *evaluation* is a stored report of a run against that exact version, in one of two
formats:

* promptfoo's output file (``promptfoo eval -o results.json``): ``results.timestamp``, each
  result's ``provider.id`` (``openai:gpt-4o-2024-08-06``) and ``success``, ``results.stats``;
* EleutherAI lm-evaluation-harness results (``results_*.json``): ``config.model_args``
  naming ``model=<id>``, ``date`` (a Unix time) and ``results``.

Pass: every version in force has an evaluation dated no later than its switch, and promptfoo
reports for it have no failed test. git is read with ``git log`` only, with the repository's
hooks, pager and file-system monitor disabled; no git history (or no git) is not verified.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, read_json
from mlsvs.checks.pipeline.hosted import project_calls
from mlsvs.plugin import (
    Document,
    Gap,
    GapReason,
    Project,
    Severity,
    SourceFile,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from mlsvs.plugin import CheckContext, Outcome

_GIT_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """One stored evaluation run of a model version."""

    path: str
    tool: str
    models: frozenset[str]
    when: dt.datetime
    failures: int


def _time(value: object) -> dt.datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
    if isinstance(value, str) and value.strip():
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _model_of(provider_id: str) -> str:
    """``openai:gpt-4o-2024-08-06`` -> ``gpt-4o-2024-08-06`` (``bedrock:converse:x`` -> x)."""
    return provider_id.rsplit(":", 1)[-1] if ":" in provider_id else provider_id


def read_evaluation(data: object, path: str) -> Evaluation | None:
    """A promptfoo or lm-evaluation-harness report (None when ``data`` is neither)."""
    if not isinstance(data, dict):
        return None
    results = data.get("results")
    if "evalId" in data and isinstance(results, dict):
        rows = results.get("results")
        when = _time(results.get("timestamp"))
        if not isinstance(rows, list) or when is None:
            return None
        models: set[str] = set()
        failures = 0
        for row in rows:
            if not isinstance(row, dict):
                continue
            provider = row.get("provider")
            ident = provider.get("id") if isinstance(provider, dict) else provider
            if isinstance(ident, str):
                models.add(_model_of(ident))
            failures += row.get("success") is False
        return Evaluation(
            path=path, tool="promptfoo", models=frozenset(models), when=when, failures=failures
        )
    config = data.get("config")
    if isinstance(config, dict) and "model_args" in config and isinstance(results, dict):
        when = _time(data.get("date"))
        args = str(config.get("model_args") or "")
        found = {
            part.split("=", 1)[1].strip()
            for part in args.split(",")
            if part.strip().startswith(("model=", "pretrained="))
        }
        if when is None or not found:
            return None
        return Evaluation(
            path=path, tool="lm-evaluation-harness", models=frozenset(found), when=when, failures=0
        )
    return None


def _git(root: Path, *args: str) -> str | None:
    """Output of a read-only git command in ``root``; None when git or the history is absent."""
    exe = shutil.which("git")
    if exe is None:
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"})
    try:
        done = subprocess.run(
            [
                exe,
                "-c",
                "core.fsmonitor=false",
                "-c",
                "core.hooksPath=/dev/null",
                "--no-pager",
                *args,
            ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def switch_time(root: Path, path: str, model: str, now: dt.datetime) -> dt.datetime | None:
    """When ``model`` came into ``path``: the newest commit that changed its occurrences and
    left it in the file; ``now`` when the change is not committed; None without history."""
    if _git(root, "rev-parse", "--is-inside-work-tree") is None:
        return None
    log = _git(root, "log", "--format=%H %cI", f"-S{model}", "--", path)
    if log is None:
        return None
    for line in log.splitlines():
        commit, _, stamp = line.partition(" ")
        content = _git(root, "show", f"{commit}:./{path}")
        if content is not None and model in content:
            return _time(stamp)
    return now


def _evaluations(project: Project) -> tuple[list[Evaluation], list[Gap]]:
    found: list[Evaluation] = []
    gaps: list[Gap] = []
    for doc in project.of_type(Document):
        if not doc.path.endswith(".json"):
            continue
        try:
            data = read_json(doc.absolute, doc.path)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        evaluation = read_evaluation(data, doc.path)
        if evaluation is not None:
            found.append(evaluation)
    return found, gaps


def _judge(model: str, since: dt.datetime, evaluations: list[Evaluation]) -> tuple[bool, str]:
    runs = [e for e in evaluations if model in e.models]
    before = [e for e in runs if e.when <= since]
    if not runs:
        return False, f"no evaluation report of {model}"
    if not before:
        first = min(runs, key=lambda e: e.when)
        return False, (
            f"{model} was switched to at {since.isoformat()}, its first evaluation "
            f"({first.path}) is later, {first.when.isoformat()}"
        )
    latest = max(before, key=lambda e: e.when)
    if latest.failures:
        return False, f"{latest.path} ({latest.tool}) failed {latest.failures} test(s) of {model}"
    return True, (
        f"{model} evaluated by {latest.path} ({latest.tool}, "
        f"{latest.when.date().isoformat()}) before the switch at {since.date().isoformat()}"
    )


@check(
    id="MLC1007",
    title="Each hosted model version in force was evaluated before the code switched to it",
    requirements=["M5.3.5"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(SourceFile, Document),
    remediation="Run the evaluation suite (promptfoo, lm-evaluation-harness) against the new "
    "model version, commit its report, and only then change the pinned model id.",
)
def provider_switch_evaluated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Each hosted model id in force was evaluated no later than the switch to it.

    Model ids of the hosted model calls against the dates of stored evaluation reports and
    the commit that switched to each id.
    """
    calls, gaps = project_calls(project)
    evaluations, doc_gaps = _evaluations(project)
    if gaps or doc_gaps:
        yield not_verified(
            "source files or reports could not be read", [*gaps, *doc_gaps], key="unread"
        )
    pinned_models: Mapping[tuple[str, str], int] = {
        (path, call.model): call.line for path, call in calls if call.model
    }
    if not pinned_models:
        if not gaps:
            yield abstained(
                "no hosted model call with a constant model id in the Python code: the "
                "version in force, and its switch, are not visible",
                key="no-model",
            )
        return
    now = dt.datetime.combine(ctx.today, dt.time(23, 59, 59), tzinfo=dt.UTC)
    for (path, model), line in sorted(pinned_models.items()):
        key = f"{path}:{line}"
        since = switch_time(project.root, path, model, now)
        if since is None:
            yield not_verified(
                f"{key}: no git history, so when the code switched to {model} is not known",
                Gap(item=key, reason=GapReason.NOT_PRESENT, detail="not a git work tree"),
                key=key,
            )
            continue
        ok, text = _judge(model, since, evaluations)
        facts = (("model", model), ("switched", since.isoformat()))
        yield (passed if ok else failed)(f"{key}: {text}", key=key, facts=facts)
