"""CI/CD definitions as data: GitHub Actions workflows and GitLab CI pipelines.

Both are parsed with ``yaml.safe_load`` into one small model (workflow, jobs, steps, triggers,
ordering), so the checks judge release gates, schedules and deploy steps the same way on
either platform. There is no maintained schema library for either format, so the reader is
strict about the shapes it relies on and raises ``DocumentError`` for anything else.

YAML 1.1 reads the GitHub key ``on`` as the boolean ``True``; both spellings are accepted.
"""

from __future__ import annotations

import enum
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, load_yaml, mapping, strings

if TYPE_CHECKING:
    from collections.abc import Iterator


@enum.unique
class Platform(enum.StrEnum):
    """Where a pipeline definition runs."""

    GITHUB = "github_actions"
    GITLAB = "gitlab_ci"


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step: an action (``uses``) or a shell script (``run``)."""

    name: str
    uses: str = ""
    run: str = ""
    with_: tuple[tuple[str, str], ...] = ()
    continue_on_error: bool = False
    condition: str = ""

    @property
    def label(self) -> str:
        """How the step is named in messages."""
        return self.name or self.uses or (self.run.strip().splitlines() or [""])[0][:60]


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One job with its steps, in order."""

    id: str
    steps: tuple[Step, ...]
    needs: tuple[str, ...] = ()
    stage: str = ""
    environment: str = ""
    condition: str = ""
    continue_on_error: bool = False
    uses: str = ""
    """A reusable workflow called by this job (GitHub ``jobs.<id>.uses``)."""
    triggers: frozenset[str] = frozenset()
    """GitLab: the pipeline sources this job runs on, from ``rules``/``only`` (empty = all)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Workflow:
    """A parsed workflow file (GitHub) or pipeline (GitLab)."""

    path: str
    platform: Platform
    name: str
    events: frozenset[str]
    """GitHub: the ``on:`` events. GitLab: ``push``, ``tag``, ``schedule``, ``merge_request``
    as far as the jobs' rules say (a pipeline without rules runs on every push)."""
    push_tags: bool = False
    schedules: tuple[str, ...] = ()
    """Cron expressions (GitHub ``on.schedule``; GitLab schedules live in the project settings)."""
    jobs: tuple[Job, ...] = ()
    stages: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    """Definitions pulled in from elsewhere (GitLab ``include``): not visible here."""

    def job(self, job_id: str) -> Job | None:
        """The job called ``job_id``."""
        return next((j for j in self.jobs if j.id == job_id), None)

    def upstream(self, job: Job) -> frozenset[str]:
        """Every job that must succeed before ``job`` starts (transitive)."""
        if self.platform is Platform.GITLAB and not job.needs:
            index = self._stage_index(job.stage)
            return frozenset(
                j.id
                for j in self.jobs
                if self._stage_index(j.stage) < index and not j.continue_on_error
            )
        seen: set[str] = set()
        todo = list(job.needs)
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            found = self.job(current)
            if found is not None:
                todo.extend(self.upstream(found) if self.platform is Platform.GITLAB else ())
                todo.extend(found.needs)
        return frozenset(seen)

    def _stage_index(self, stage: str) -> int:
        try:
            return self.stages.index(stage)
        except ValueError:
            return len(self.stages)


_GITLAB_DEFAULT_STAGES = (".pre", "build", "test", "deploy", ".post")
_GITLAB_RESERVED = frozenset(
    {
        "stages",
        "variables",
        "default",
        "include",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "spec",
        "pages:deploy",
    }
)


def parse_workflow(text: str, path: str, platform: Platform) -> Workflow:
    """Parse one definition; ``DocumentError`` when it is not valid YAML of the expected shape."""
    data = mapping(load_yaml(text, path), path, "the document")
    if platform is Platform.GITHUB:
        return _github(data, path)
    return _gitlab(data, path)


def _flag(value: object) -> bool:
    """``continue-on-error`` / ``allow_failure``: true, or an expression that may be true."""
    if isinstance(value, bool):
        return value
    if isinstance(value, dict):
        return True  # allow_failure: {exit_codes: [...]} lets some failures pass
    return isinstance(value, str) and bool(value.strip()) and value.strip() != "false"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int | float | bool):
        return str(value)
    raise DocumentError(f"expected a scalar, got {type(value).__name__}")


def _github(data: dict[str, object], path: str) -> Workflow:
    # ``mapping`` stringified the keys: YAML 1.1's boolean ``on`` arrives as "True".
    triggers = data.get("on", data.get("True"))
    if triggers is None:
        raise DocumentError(f"{path}: a workflow needs 'on:' triggers")
    events: set[str] = set()
    schedules: list[str] = []
    push_tags = False
    if isinstance(triggers, str):
        events.add(triggers)
    elif isinstance(triggers, list):
        events.update(str(t) for t in triggers)
    elif isinstance(triggers, dict):
        for event, spec in triggers.items():
            events.add(str(event))
            if event == "schedule":
                schedules.extend(
                    entry["cron"]
                    for entry in (spec if isinstance(spec, list) else [])
                    if isinstance(entry, dict) and isinstance(entry.get("cron"), str)
                )
            if event == "push" and isinstance(spec, dict):
                push_tags = bool(spec.get("tags"))
    else:
        raise DocumentError(f"{path}: 'on:' must be an event, a list or a mapping")
    raw_jobs = mapping(data.get("jobs"), path, "'jobs'")
    jobs: list[Job] = []
    for job_id, raw in raw_jobs.items():
        spec = mapping(raw, path, f"job {job_id!r}")
        try:
            jobs.append(_github_job(job_id, spec, path))
        except DocumentError as exc:
            raise DocumentError(f"{path}: job {job_id!r}: {exc}") from None
    return Workflow(
        path=path,
        platform=Platform.GITHUB,
        name=_text(data.get("name")) or path,
        events=frozenset(events),
        push_tags=push_tags,
        schedules=tuple(schedules),
        jobs=tuple(jobs),
    )


def _environment(value: object) -> str:
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)


def _github_job(job_id: str, spec: dict[str, object], path: str) -> Job:
    raw_steps = spec.get("steps", [])
    if not isinstance(raw_steps, list):
        raise DocumentError("'steps' must be a list")
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps):
        step = mapping(raw, path, f"step {index + 1}")
        with_ = mapping(step.get("with") or {}, path, "'with'")
        steps.append(
            Step(
                name=_text(step.get("name")),
                uses=_text(step.get("uses")),
                run=_text(step.get("run")),
                with_=tuple((k, _text(v)) for k, v in with_.items() if not isinstance(v, dict)),
                continue_on_error=_flag(step.get("continue-on-error", False)),
                condition=_text(step.get("if")),
            )
        )
    return Job(
        id=job_id,
        steps=tuple(steps),
        needs=strings(spec.get("needs")),
        environment=_environment(spec.get("environment")),
        condition=_text(spec.get("if")),
        continue_on_error=_flag(spec.get("continue-on-error", False)),
        uses=_text(spec.get("uses")),
    )


def _gitlab(data: dict[str, object], path: str) -> Workflow:
    stages = strings(data.get("stages")) or _GITLAB_DEFAULT_STAGES[1:4]
    stages = (".pre", *stages, ".post")
    includes = _includes(data.get("include"))
    templates: dict[str, object] = {
        k: v for k, v in data.items() if k.startswith(".") and isinstance(v, dict)
    }
    jobs: list[Job] = []
    events: set[str] = set()
    for name, raw in data.items():
        if name in _GITLAB_RESERVED or name.startswith(".") or not isinstance(raw, dict):
            continue
        spec = _extended({str(k): v for k, v in raw.items()}, templates, path)
        if not any(key in spec for key in ("script", "trigger", "run")):
            continue
        try:
            job = _gitlab_job(name, spec, data)
        except DocumentError as exc:
            raise DocumentError(f"{path}: job {name!r}: {exc}") from None
        jobs.append(job)
        events.update(job.triggers or {"push", "merge_request"})
    if not jobs and not includes:
        raise DocumentError(f"{path}: no job with a script")
    return Workflow(
        path=path,
        platform=Platform.GITLAB,
        name=path,
        events=frozenset(events),
        push_tags="tag" in events,
        jobs=tuple(jobs),
        stages=stages,
        includes=includes,
    )


def _includes(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value] if value else []
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.append(", ".join(f"{k}: {v}" for k, v in item.items() if isinstance(v, str | list)))
    return tuple(out)


def _extended(
    spec: dict[str, object], templates: dict[str, object], path: str, depth: int = 0
) -> dict[str, object]:
    """``extends:`` resolved against hidden jobs of the same file (deep merge of mappings)."""
    parents = strings(spec.get("extends"))
    if not parents:
        return spec
    if depth > 10:
        raise DocumentError(f"{path}: 'extends' nests more than 10 levels")
    merged: dict[str, object] = {}
    for parent in parents:
        template = templates.get(parent)
        if isinstance(template, dict):
            merged.update(
                _extended({str(k): v for k, v in template.items()}, templates, path, depth + 1)
            )
    merged.update({k: v for k, v in spec.items() if k != "extends"})
    return merged


def _script(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_script(v) for v in value)
    return ""


def _gitlab_job(name: str, spec: dict[str, object], top: dict[str, object]) -> Job:
    before = spec.get("before_script", top.get("before_script"))
    after = spec.get("after_script", top.get("after_script"))
    steps = [
        Step(name=f"{name}: {part}", run=_script(spec.get(part)))
        for part, present in (
            ("before_script", before),
            ("script", spec.get("script")),
            ("after_script", after),
        )
        if present
    ]
    if before:
        steps[0] = Step(name=f"{name}: before_script", run=_script(before))
    if after:
        steps[-1] = Step(name=f"{name}: after_script", run=_script(after), continue_on_error=True)
    needs: list[str] = []
    raw_needs = spec.get("needs")
    for item in raw_needs if isinstance(raw_needs, list) else []:
        if isinstance(item, str):
            needs.append(item)
        elif isinstance(item, dict) and isinstance(item.get("job"), str):
            needs.append(item["job"])
    trigger = spec.get("trigger")
    return Job(
        id=name,
        steps=tuple(steps),
        needs=tuple(needs),
        stage=_text(spec.get("stage")) or "test",
        environment=_environment(spec.get("environment")),
        condition=" ".join(_rule_conditions(spec)),
        continue_on_error=_flag(spec.get("allow_failure", False)),
        uses=_text(trigger) if isinstance(trigger, str) else "",
        triggers=_gitlab_triggers(spec),
    )


def _rule_conditions(spec: dict[str, object]) -> Iterator[str]:
    rules = spec.get("rules")
    for rule in rules if isinstance(rules, list) else []:
        if isinstance(rule, dict) and isinstance(rule.get("if"), str):
            yield rule["if"]


_SOURCE = re.compile(r"\$CI_PIPELINE_SOURCE\s*==\s*['\"](\w+)['\"]")


def _gitlab_triggers(spec: dict[str, object]) -> frozenset[str]:
    found: set[str] = set()
    for condition in _rule_conditions(spec):
        found.update(
            {
                "merge_request" if s == "merge_request_event" else s
                for s in _SOURCE.findall(condition)
            }
        )
        if "$CI_COMMIT_TAG" in condition:
            found.add("tag")
        if "$CI_COMMIT_BRANCH" in condition or "$CI_DEFAULT_BRANCH" in condition:
            found.add("push")
    only = spec.get("only")
    refs = strings(only) or (strings(only.get("refs")) if isinstance(only, dict) else ())
    for ref in refs:
        found.add(
            {"tags": "tag", "schedules": "schedule", "merge_requests": "merge_request"}.get(
                ref, "push"
            )
        )
    return frozenset(found)


# --- commands ---------------------------------------------------------------------------------

_MLSVS = re.compile(r"(?:^|[\s;&|(`])(?:python3?\s+-m\s+)?mlsvs\s+(\w[\w-]*)([^\n;&|]*)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Invocation:
    """One ``mlsvs <command> ...`` call inside a step's script."""

    command: str
    args: tuple[str, ...]
    line: str
    swallowed: bool
    """The script ignores the command's exit status (``|| true``, ``set +e`` ...)."""

    def value(self, flag: str) -> str | None:
        """The value of ``--flag VALUE`` or ``--flag=VALUE``."""
        for index, arg in enumerate(self.args):
            if arg == flag and index + 1 < len(self.args):
                return self.args[index + 1]
            if arg.startswith(flag + "="):
                return arg.split("=", 1)[1]
        return None

    def has(self, *flags: str) -> bool:
        """Whether any of ``flags`` is passed."""
        return any(a == f or a.startswith(f + "=") for a in self.args for f in flags)


_SWALLOW = re.compile(r"\|\|\s*(?:true|:|exit\s+0|echo\b)|;\s*exit\s+0\b")


def invocations(script: str) -> tuple[Invocation, ...]:
    """Every ``mlsvs`` command line in a shell script, with its arguments."""
    joined = re.sub(r"\\\n\s*", " ", script)
    out: list[Invocation] = []
    errexit_off = False
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if re.match(r"set\s+\+e\b", stripped):
            errexit_off = True
        for match in _MLSVS.finditer(line):
            try:
                args = tuple(shlex.split(match.group(2), comments=True))
            except ValueError:
                args = tuple(match.group(2).split())
            rest = line[match.end() :]
            out.append(
                Invocation(
                    command=match.group(1),
                    args=args,
                    line=stripped,
                    swallowed=errexit_off or bool(_SWALLOW.search(rest)),
                )
            )
    return tuple(out)


def step_invocations(step: Step) -> tuple[Invocation, ...]:
    """``mlsvs`` calls of a run step, or of an action whose name says mlsvs."""
    if step.run:
        return invocations(step.run)
    if "mlsvs" in step.uses.lower():
        args = dict(step.with_)
        command = args.get("command", "verify")
        flags: list[str] = []
        for key in ("level", "profile", "select", "ignore"):
            if key in args:
                flags += [f"--{key}", args[key]]
        return (Invocation(command=command, args=tuple(flags), line=step.uses, swallowed=False),)
    return ()
