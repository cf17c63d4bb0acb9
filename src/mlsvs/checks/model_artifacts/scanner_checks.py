"""Model-artifact checks backed by the mlsvs scanner (MLSVS M4.1, M11.3).

Every check reads the same cached scan of an artifact, so a file is parsed once however many
checks look at it. Nothing is ever loaded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.plugin import (
    Gap,
    GapReason,
    Location,
    ModelArtifact,
    ModelFormat,
    Severity,
    check,
    errored,
    failed,
    not_applicable,
    not_verified,
    passed,
)
from mlsvs.scanner import ScanRule, cached_scan
from mlsvs.scanner.settings import options_from
from mlsvs.scanner.template import template_problems

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from mlsvs.plugin import CheckContext, Outcome
    from mlsvs.scanner import ScanFinding, ScanReport

# How risky each code-executing format is to load, with today's default loaders.
FORMAT_RISK: dict[ModelFormat, Severity] = {
    ModelFormat.PICKLE: Severity.HIGH,
    ModelFormat.JOBLIB: Severity.HIGH,
    ModelFormat.PYTORCH_LEGACY: Severity.HIGH,
    ModelFormat.NUMPY_ARCHIVE: Severity.MEDIUM,
    ModelFormat.PYTORCH_ZIP: Severity.MEDIUM,
    ModelFormat.TORCHSCRIPT: Severity.MEDIUM,
}
CODE_RULES = frozenset(
    {
        ScanRule.PKL001,
        ScanRule.PKL002,
        ScanRule.PKL003,
        ScanRule.PKL004,
        ScanRule.PKL005,
        ScanRule.PKL009,
        ScanRule.TS001,
        ScanRule.NPY001,
        ScanRule.ZIP001,
        ScanRule.ZIP002,
        ScanRule.ZIP003,
        ScanRule.ZIP004,
        ScanRule.ZIP005,
        ScanRule.ZIP006,
        ScanRule.ZIP007,
    }
)
PARSE_RULES = frozenset(
    {
        ScanRule.GEN001,
        ScanRule.GEN002,
        ScanRule.GEN003,
        ScanRule.PKL006,
        ScanRule.PKL007,
        ScanRule.PKL008,
        ScanRule.ARC001,
        ScanRule.ARC002,
    }
)
HAZARD_RULES = frozenset(
    {
        ScanRule.KRS001,
        ScanRule.KRS002,
        ScanRule.TF001,
        ScanRule.TF002,
        ScanRule.ONX001,
        ScanRule.ONX002,
        ScanRule.ST001,
        ScanRule.GGUF001,
    }
)


# Scanner findings that mean part of the file was never analysed, and what kind of gap that is.
COVERAGE_RULES: dict[ScanRule, GapReason] = {
    ScanRule.GEN001: GapReason.UNSUPPORTED,
    ScanRule.GEN002: GapReason.UNPARSEABLE,
    ScanRule.GEN003: GapReason.UNREADABLE,
    ScanRule.PKL006: GapReason.UNPARSEABLE,
    ScanRule.PKL008: GapReason.TOO_LARGE,
    ScanRule.ARC001: GapReason.TOO_LARGE,
    ScanRule.ARC002: GapReason.UNSUPPORTED,
}
# Parse findings that are properties of the file itself (corrupt, unidentifiable), so the
# "parses completely" check fails on them; the other coverage rules leave it not verified.
FILE_DEFECT_RULES = frozenset({ScanRule.GEN001, ScanRule.GEN002, ScanRule.PKL006, ScanRule.PKL007})


def coverage_gaps(model: ModelArtifact, report: ScanReport) -> tuple[Gap, ...]:
    """What the scan of ``model`` could not analyse (unreadable, unparseable, over budget)."""
    gaps = []
    for f in report.findings:
        reason = COVERAGE_RULES.get(f.rule)
        if reason is None:
            continue
        item = f"{model.path}!{f.location.member}" if f.location.member else model.path
        gaps.append(Gap(item=item, reason=reason, detail=f"{f.rule.value}: {f.message}"[:300]))
    if report.errors and not gaps:
        gaps.append(Gap(item=model.path, reason=GapReason.UNREADABLE, detail=report.errors[0]))
    return tuple(sorted(set(gaps), key=lambda g: (g.item, g.reason.value, g.detail)))


def _scan(ctx: CheckContext, model: ModelArtifact) -> ScanReport:
    options = options_from(ctx.section("scanner"))
    return cached_scan(model.absolute, options)


def _outcome(f: ScanFinding) -> Outcome:
    digest = hashlib.sha256(
        f"{f.rule}|{f.location.member}|{f.location.pointer}|{f.message}".encode()
    ).hexdigest()[:12]
    return failed(
        f"{f.rule.value} {f.rule.info.title}: {f.message}",
        location=Location(
            offset=f.location.offset, member=f.location.member, pointer=f.location.pointer
        ),
        facts=(("rule", f.rule.value), *f.facts),
        key=digest,
        severity=f.severity,
        rule=f.rule.value,
    )


def _report(
    ctx: CheckContext, model: ModelArtifact, rules: frozenset[ScanRule], clean: str
) -> Iterator[Outcome]:
    try:
        report = _scan(ctx, model)
    except ValueError as exc:
        yield errored(f"invalid [scanner] configuration: {exc}")
        return
    hits = [f for f in report.findings if f.rule in rules]
    yield from (_outcome(f) for f in hits)
    gaps = coverage_gaps(model, report)
    if hits:
        return
    if gaps:
        # A parse that stopped early proves nothing about what came after: never a pass.
        yield not_verified(
            f"scan incomplete ({len(gaps)} gap(s)); {clean} in the part that was read",
            gaps,
            facts=(("format", report.format.value),),
        )
    else:
        yield passed(clean, facts=(("format", report.format.value),))


@check(
    id="MLC101",
    title="Model artifacts use a format that cannot run code when loaded",
    requirements=["M4.1.1"],
    applies_to=ModelArtifact,
    severity=Severity.HIGH,
    remediation="Convert weights to safetensors, ONNX or GGUF; until then load only with "
    "torch.load(weights_only=True) / numpy.load(allow_pickle=False) behind a scan gate.",
)
def format_cannot_execute(ctx: CheckContext, model: ModelArtifact) -> Iterator[Outcome]:
    """Fail on pickle-based formats (severity by format); unidentified files fail closed.

    A clean scan does not make a pickle safe to load: the scanner sees today's file, not the
    one the loader will read tomorrow, so the format itself is the finding.
    """
    try:
        report = _scan(ctx, model)
    except ValueError as exc:
        yield errored(f"invalid [scanner] configuration: {exc}")
        return
    unread = [g for g in coverage_gaps(model, report) if g.reason is GapReason.UNREADABLE]
    if unread:
        yield not_verified("the file could not be read, so its format is unknown", unread)
        return
    # The scan reads the content now; discovery's identification is the fallback.
    fmt = report.format if report.format is not ModelFormat.UNKNOWN else model.format
    if fmt is ModelFormat.UNKNOWN:
        yield failed("format could not be identified from the content", severity=Severity.MEDIUM)
    elif fmt.executes_code_on_load:
        yield failed(
            f"{fmt.value} files can run arbitrary code when loaded",
            severity=FORMAT_RISK.get(fmt, Severity.HIGH),
            facts=(("format", fmt.value),),
        )
    else:
        yield passed(f"{fmt.value} cannot run code on load", facts=(("format", fmt.value),))


@check(
    id="MLC102",
    title="Model artifacts contain no dangerous or unknown callables or embedded code",
    requirements=["M4.1.2"],
    applies_to=ModelArtifact,
    severity=Severity.CRITICAL,
    remediation="Do not load flagged files. Allow reviewed callables with "
    "[tool.mlsvs.scanner] allow; regenerate files with container anomalies.",
)
def no_unsafe_callables(ctx: CheckContext, model: ModelArtifact) -> Iterator[Outcome]:
    """Emulate every pickle stream and container member; report what would run on load."""
    yield from _report(ctx, model, CODE_RULES, "scan found no callables outside the allowlist")


@check(
    id="MLC103",
    title="Model artifacts are identifiable and parse completely",
    requirements=["M4.1.3"],
    applies_to=ModelArtifact,
    severity=Severity.MEDIUM,
    remediation="Regenerate corrupt or truncated files; store models in a recognised format.",
)
def artifact_parses(ctx: CheckContext, model: ModelArtifact) -> Iterator[Outcome]:
    """Fail on unidentified, corrupt or truncated artifacts; not verified when unreadable,
    over a scan limit or in a container format that cannot be opened here."""
    try:
        report = _scan(ctx, model)
    except ValueError as exc:
        yield errored(f"invalid [scanner] configuration: {exc}")
        return
    defects = [f for f in report.findings if f.rule in FILE_DEFECT_RULES]
    yield from (_outcome(f) for f in defects)
    gaps = [
        g
        for g in coverage_gaps(model, report)
        if not g.detail.startswith(tuple(r.value for r in FILE_DEFECT_RULES))
    ]
    if defects:
        return
    if gaps:
        yield not_verified(f"scan incomplete ({len(gaps)} gap(s))", gaps)
    else:
        yield passed(
            "artifact identified and fully parsed", facts=(("format", report.format.value),)
        )


@check(
    id="MLC104",
    title="Non-pickle model formats are free of code paths",
    requirements=["M4.1.4"],
    applies_to=ModelArtifact,
    severity=Severity.HIGH,
    remediation="Remove Lambda/custom-module references, file-system ops, external data "
    "outside the model directory and custom op domains; regenerate malformed headers.",
)
def no_format_hazards(ctx: CheckContext, model: ModelArtifact) -> Iterator[Outcome]:
    """Keras Lambda/modules, TF file ops, ONNX external data/custom ops, header validity."""
    yield from _report(ctx, model, HAZARD_RULES, "no format-specific code paths found")


@check(
    id="MLC105",
    title="LLM chat templates are free of template injection",
    requirements=["M11.3.1"],
    applies_to=ModelArtifact,
    severity=Severity.CRITICAL,
    remediation="Replace the chat template with a reviewed one; render templates only in a "
    "sandboxed Jinja2 environment.",
)
def chat_template_is_safe(ctx: CheckContext, model: ModelArtifact) -> Iterator[Outcome]:
    """GGUF ``tokenizer.chat_template`` and a sibling ``tokenizer_config.json`` chat_template."""
    sidecar = model.absolute.parent / "tokenizer_config.json"
    if model.format is not ModelFormat.GGUF and not sidecar.is_file():
        yield not_applicable("no GGUF metadata or tokenizer_config.json next to the model")
        return
    found = False
    gaps: list[Gap] = []
    if model.format is ModelFormat.GGUF:
        try:
            report = _scan(ctx, model)
        except ValueError as exc:
            yield errored(f"invalid [scanner] configuration: {exc}")
            return
        gaps.extend(coverage_gaps(model, report))
        for f in report.findings:
            if f.rule is ScanRule.GGUF002:
                found = True
                yield _outcome(f)
    if sidecar.is_file():
        problems, unread = _sidecar_problems(sidecar)
        if unread:
            rel = str(PurePosixPath(model.path).parent / "tokenizer_config.json")
            gaps.append(Gap(item=rel, reason=GapReason.UNPARSEABLE, detail=unread))
        for problem in problems:
            found = True
            yield failed(
                f"tokenizer_config.json chat_template {problem}",
                location=Location(pointer="/chat_template"),
                key=hashlib.sha256(problem.encode()).hexdigest()[:12],
                rule=ScanRule.GGUF002.value,
            )
    if found:
        return
    if gaps:
        yield not_verified("chat templates could not all be read", gaps)
    else:
        yield passed("chat templates show no injection indicators")


def _sidecar_problems(path: Path) -> tuple[list[str], str]:
    """(template problems, why the file could not be read or parsed: '' when it could)."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return [], f"unreadable: {exc.strerror or type(exc).__name__}"
    except ValueError as exc:
        return [], f"not valid UTF-8 JSON: {type(exc).__name__}"
    template = config.get("chat_template") if isinstance(config, dict) else None
    texts: list[str] = []
    if isinstance(template, str):
        texts.append(template)
    elif isinstance(template, list):
        texts += [t.get("template", "") for t in template if isinstance(t, dict)]
    return [p for text in texts for p in template_problems(str(text))], ""
