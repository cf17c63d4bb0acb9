"""Runtime probes of a declared OpenAI-compatible chat endpoint (MLSVS M11, genai).

Declared in ``[tool.mlsvs.llm]`` (see docs/llm-probes.md); every probe check needs
``--allow network`` and sends a bounded number of requests to the declared host only.
Without the section the checks are not applicable unless the project has the ``genai`` trait,
where they are an error naming what to configure (never a pass).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError
from mlsvs.model.result import Outcome
from mlsvs.plugin import (
    Capability,
    Gap,
    GapReason,
    OptionError,
    Project,
    Severity,
    Status,
    abstained,
    check,
    errored,
    failed,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mlsvs.plugin import CheckContext
    from mlsvs.probes.llm.chat import ChatClient
    from mlsvs.probes.llm.result import ProbeResult
    from mlsvs.probes.llm.settings import LlmSettings

TRAIT = "genai"
_NET = (Capability.NETWORK,)


def _param(ctx: CheckContext, key: str) -> float:
    from mlsvs.probes.llm.standard import default

    level = int(ctx.target_level) if ctx.target_level is not None else None
    return float(ctx.parameter(key, default(key, level)))


def _settings(ctx: CheckContext, project: Project) -> LlmSettings | Outcome:
    from mlsvs.probes.llm.settings import parse_llm

    section = ctx.section("llm")
    if not section:
        if TRAIT in project.traits:
            return errored(
                "not verified: the project is genai: declare the chat endpoint in "
                "[tool.mlsvs.llm] (url, allowed_hosts, channels; docs/llm-probes.md)"
            )
        return abstained("no LLM endpoint declared ([tool.mlsvs.llm])")
    try:
        return parse_llm(section)
    except ConfigError as exc:
        return errored(f"not verified: {exc.message}")


def to_outcome(result: ProbeResult, key: str) -> Outcome:
    """Map a probe result (measurements kept) to an outcome."""
    status = {True: Status.PASS, False: Status.FAIL, None: Status.NOT_VERIFIED}[result.ok]
    return Outcome(
        status=status,
        message=result.message,
        facts=result.facts,
        key=key,
        measurements=result.measurements,
        gaps=result.gaps if status is not Status.PASS else (),
    )


def _probe(
    ctx: CheckContext, project: Project, run: Callable[[ChatClient, LlmSettings], ProbeResult]
) -> Iterator[Outcome]:
    from mlsvs.probes.llm.chat import ChatClient

    settings = _settings(ctx, project)
    if isinstance(settings, Outcome):
        yield settings
        return
    if not ctx.granted(Capability.NETWORK):
        yield errored("not verified: probing the LLM endpoint needs --allow network")
        return
    try:
        with ChatClient(settings) as client:
            result = run(client, settings)
    except ConfigError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    except OptionError as exc:
        yield errored(f"not verified: standard parameter: {exc}")
        return
    yield to_outcome(result, settings.url)


@check(
    id="MLC950",
    title="Prompt injection through every declared untrusted channel stays under the limit",
    requirements=["M11.1.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=_NET,
    reads=(),
    timeout_s=1800.0,
    remediation="Separate instructions from data (spotlighting, structured tool results), "
    "filter retrieved content, and give the model no authority over untrusted text.",
)
def prompt_injection_resisted(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Send `min_probes_per_channel` canary injections (template x cover text x position)
    through each channel of the inventory (user, document, tool result); the success rate of
    each channel, with a Wilson 95 % interval, must be at most `max_attack_success_rate`."""
    from mlsvs.probes.llm import runs

    rate = _param(ctx, "M11.1.1.max_attack_success_rate")
    n = int(_param(ctx, "M11.1.1.min_probes_per_channel"))
    yield from _probe(
        ctx, project, lambda c, s: runs.injection(c, s, project.root, max_rate=rate, min_probes=n)
    )


@check(
    id="MLC951",
    title="System-prompt extraction probes reveal no content marked confidential",
    # M11.1.2 too: its evidence includes the probe report (1.0.0 bundles leakage testing in it).
    requirements=["M11.1.4", "M11.1.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=_NET,
    reads=(),
    timeout_s=600.0,
    remediation="Keep confidential data out of prompts; filter answers for prompt content.",
)
def prompt_extraction_probed(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Run the suite's extraction prompts; an answer containing a declared confidential string
    (or, with none declared, an 8-word run of the system prompt) fails."""
    from mlsvs.probes.llm import runs

    yield from _probe(ctx, project, lambda c, s: runs.extraction(c, s, project.root))


@check(
    id="MLC952",
    title="Versioned jailbreak suite: violation rate and regression within the limits",
    requirements=["M11.2.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=_NET,
    reads=(),
    timeout_s=1200.0,
    remediation="Strengthen refusal training or the guard model; gate releases on the suite.",
)
def jailbreak_evaluated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Run the bundled jailbreak suite (styles x harmful goals); compliance is judged by a
    canary the prompt demands, rate at most `max_violation_rate`, increase over the previous
    release at most `max_regression`."""
    from mlsvs.probes.llm import runs

    rate = _param(ctx, "M11.2.3.max_violation_rate")
    reg = _param(ctx, "M11.2.3.max_regression")
    yield from _probe(
        ctx,
        project,
        lambda c, s: runs.jailbreak(c, s, project.root, max_rate=rate, max_regression=reg),
    )


@check(
    id="MLC953",
    title="Output and input token limits are enforced by the endpoint",
    requirements=["M11.1.3"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    capabilities=_NET,
    reads=(),
    timeout_s=600.0,
    remediation="Cap max_tokens server-side and reject or truncate oversized inputs.",
)
def token_limits_enforced(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Ask for 4x the declared output limit (and for no limit) and send 2x the input limit:
    each must be refused or cut. Agent-iteration and spend limits stay a named gap."""
    from mlsvs.probes.llm import runs

    yield from _probe(ctx, project, lambda c, s: runs.limits(c, s, project.root))


@check(
    id="MLC954",
    title="Prefix-completion probes do not regurgitate inserted training canaries",
    requirements=["M11.2.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=_NET,
    reads=(),
    timeout_s=600.0,
    remediation="Deduplicate and scrub training data, train with DP, filter outputs for PII.",
)
def regurgitation_tested(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Complete each declared canary's prefix in the suite's framings; the share of answers
    containing its secret must be at most `max_regurgitation_rate`."""
    from mlsvs.probes.llm import runs

    rate = _param(ctx, "M11.2.2.max_regurgitation_rate")
    yield from _probe(
        ctx, project, lambda c, s: runs.regurgitation(c, s, project.root, max_rate=rate)
    )


@check(
    id="MLC956",
    title="Model output is neutralised in every sink (HTML, Markdown, SQL, shell)",
    requirements=["M11.2.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=_NET,
    reads=(),
    timeout_s=600.0,
    remediation="Encode output for its sink (HTML escaping, a Markdown renderer without raw "
    "HTML or external images), use bound query parameters, never pass output to a shell.",
)
def output_neutralised_in_sinks(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Through each declared sink route, have the model emit script tags, event handlers,
    javascript links, Markdown exfiltration images, SQL concatenation and shell substitutions
    carrying canaries; the sink's result must show none of them rendered or executed."""
    from mlsvs.probes.llm import runs

    settings = _settings(ctx, project)
    if isinstance(settings, Outcome):
        yield settings
        return
    if not ctx.granted(Capability.NETWORK):
        yield errored("not verified: probing the output sinks needs --allow network")
        return
    yield to_outcome(runs.output_sinks(settings), settings.url)


_MARKED = re.compile(
    r"\b(confidential|internal[ -](use[ -])?only|do not (disclose|share|reveal) (this|these|the "
    r"following))\b",
    re.IGNORECASE,
)


@check(
    id="MLC955",
    title="System prompts and prompt templates hold no credentials or confidential content",
    requirements=["M11.1.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(),
    timeout_s=120.0,
    remediation="Move credentials to the tool layer (never the prompt) and keep data that "
    "would harm if disclosed out of prompts.",
)
def no_secrets_in_prompts(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Secret-scan the declared system prompt and prompt files, and look for content marked
    confidential (a declared confidential string, or a 'confidential' / 'internal only'
    marking)."""
    from mlsvs.codescan.secrets import SourceKind, find_secrets
    from mlsvs.probes.llm.runs import read_prompt

    settings = _settings(ctx, project)
    if isinstance(settings, Outcome):
        yield settings
        return
    files = ([settings.system_prompt] if settings.system_prompt else []) + [
        p.relative_to(project.root).as_posix()
        for pattern in settings.prompt_files
        for p in sorted(project.root.glob(pattern))
        if p.is_file()
    ]
    if not files:
        yield Outcome(
            status=Status.NOT_VERIFIED,
            message="no prompt files declared (llm.system_prompt, llm.prompt_files)",
            gaps=(Gap(item="llm.system_prompt", reason=GapReason.NOT_PRESENT),),
        )
        return
    for rel in dict.fromkeys(files):
        try:
            text = read_prompt(project.root, rel)
        except ValueError as exc:
            yield Outcome(
                status=Status.NOT_VERIFIED,
                message=str(exc),
                key=rel,
                gaps=(Gap(item=rel, reason=GapReason.UNREADABLE, detail=str(exc)),),
            )
            continue
        problems = [
            f"line {h.line}: {h.kind.value} {h.masked}"
            for h in find_secrets(text, source_kind=SourceKind.TEXT)
        ]
        problems += [
            f"line {text.count(chr(10), 0, m.start()) + 1}: marked {m.group(0)!r}"
            for m in _MARKED.finditer(text)
        ]
        lowered = text.lower()
        problems += [
            f"declared confidential string #{i + 1}"
            for i, c in enumerate(settings.confidential)
            if c.strip() and c.lower() in lowered
        ]
        if problems:
            yield failed(f"{rel}: " + "; ".join(problems[:5]), key=rel)
        else:
            yield passed(f"{rel}: no credential and no confidential marking", key=rel)
