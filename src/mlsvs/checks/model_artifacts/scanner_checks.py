"""Model-artifact checks backed by the mlsvs scanner (MLSVS M4.1, M11.3).

Every check reads the same cached scan of an artifact, so a file is parsed once however many
checks look at it. Nothing is ever loaded.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from mlsvs.plugin import (
    Location,
    ModelArtifact,
    ModelFormat,
    Severity,
    check,
    errored,
    failed,
    not_applicable,
    passed,
)
from mlsvs.scanner import Rule, cached_scan
from mlsvs.scanner.settings import options_from
from mlsvs.scanner.template import template_problems

if TYPE_CHECKING:
    from collections.abc import Iterator

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
    {Rule.PKL001, Rule.PKL002, Rule.PKL003, Rule.PKL004, Rule.PKL005, Rule.PKL009, Rule.TS001,
     Rule.NPY001, Rule.ZIP001, Rule.ZIP002, Rule.ZIP003, Rule.ZIP004, Rule.ZIP005, Rule.ZIP006,
     Rule.ZIP007}
)  # fmt: skip
PARSE_RULES = frozenset(
    {Rule.GEN001, Rule.GEN002, Rule.GEN003, Rule.PKL006, Rule.PKL007, Rule.PKL008, Rule.ARC001,
     Rule.ARC002}
)  # fmt: skip
HAZARD_RULES = frozenset(
    {Rule.KRS001, Rule.KRS002, Rule.TF001, Rule.TF002, Rule.ONX001, Rule.ONX002, Rule.ST001,
     Rule.GGUF001}
)  # fmt: skip


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
    ctx: CheckContext, model: ModelArtifact, rules: frozenset[Rule], clean: str
) -> Iterator[Outcome]:
    try:
        report = _scan(ctx, model)
    except ValueError as exc:
        yield errored(f"invalid [scanner] configuration: {exc}")
        return
    hits = [f for f in report.findings if f.rule in rules]
    yield from (_outcome(f) for f in hits)
    if not hits:
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
    fmt = model.format
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
    """Fail closed on unidentified, corrupt, truncated or over-limit artifacts."""
    yield from _report(ctx, model, PARSE_RULES, "artifact identified and fully parsed")


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
    if model.format is ModelFormat.GGUF:
        try:
            report = _scan(ctx, model)
        except ValueError as exc:
            yield errored(f"invalid [scanner] configuration: {exc}")
            return
        for f in report.findings:
            if f.rule is Rule.GGUF002:
                found = True
                yield _outcome(f)
    if sidecar.is_file():
        for problem in _sidecar_problems(sidecar):
            found = True
            yield failed(
                f"tokenizer_config.json chat_template {problem}",
                location=Location(pointer="/chat_template"),
                key=hashlib.sha256(problem.encode()).hexdigest()[:12],
                rule=Rule.GGUF002.value,
            )
    if not found:
        yield passed("chat templates show no injection indicators")


def _sidecar_problems(path: object) -> list[str]:
    from pathlib import Path

    try:
        config = json.loads(Path(str(path)).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"could not be read: {type(exc).__name__}"]
    template = config.get("chat_template") if isinstance(config, dict) else None
    texts: list[str] = []
    if isinstance(template, str):
        texts.append(template)
    elif isinstance(template, list):
        texts += [t.get("template", "") for t in template if isinstance(t, dict)]
    return [p for text in texts for p in template_problems(str(text))]
