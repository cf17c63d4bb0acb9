"""Adapted models re-evaluated after transfer learning (MLC1040, M3.4.3).

A model is adapted when its SLSA provenance (an in-toto statement whose subject is the model
file) lists a base model among its resolved dependencies (a ``hf://`` / Hugging Face URI, or a
dependency named ``base model`` / ``checkpoint``), or when a PEFT ``adapter_config.json`` beside
it names ``base_model_name_or_path``. For each adapted model:

- the base must be identified by digest: a SHA-256 or a 40-hex commit in the dependency's
  digests (PEFT: ``revision``); a base known only by name fails;
- an evaluation for the *adapted* model's own SHA-256 must exist — an in-toto test-result
  statement or an evaluation record (JSON named ``*eval*`` with ``artifact.sha256``) — and it
  must report robustness (``robust``, ``evasion``, ``adversarial``, ``corruption``) and
  trigger screening (``backdoor``, ``trigger``, ``neural_cleanse``, ``poison``) results. An
  evaluation bound only to the base's digest is the base's, not the adapted model's: it fails.

That a person reviewed the results is the hybrid requirement's attestation; a reviewer named
in the record (``reviewed_by``) is recorded as a fact. Models whose provenance names no base
are not adapted; a model with no provenance at all leaves the question open (not verified).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._provenance import SLSA, TEST_RESULT, Statement, is_commit, is_sha256
from mlsvs.checks.pipeline._yaml import DocumentError, read_json
from mlsvs.checks.pipeline.records import models, statements
from mlsvs.plugin import (
    Document,
    Gap,
    GapReason,
    ModelArtifact,
    Project,
    Severity,
    SignatureFile,
    abstained,
    check,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_BASE = re.compile(
    r"^(hf://|pkg:huggingface/|https://huggingface\.co/)|\b(base[-_ ]?model|checkpoint|"
    r"pretrained|foundation)\b",
    re.I,
)
ROBUSTNESS = re.compile(r"robust|evasion|adversarial|corruption|pgd|square|hopskipjump", re.I)
TRIGGERS = re.compile(r"backdoor|trigger|neural[-_ ]?cleanse|poison|trojan|strip\b", re.I)


@dataclass(frozen=True, slots=True, kw_only=True)
class Base:
    """The base an adapted model was derived from."""

    name: str
    digest: str
    """A SHA-256 or commit; empty when the base is known only by name."""
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """One evaluation result bound to a digest."""

    source: str
    sha256: str
    tests: tuple[str, ...]
    reviewer: str = ""
    failed: tuple[str, ...] = ()
    """Tests the record reports as failed."""


def _words(value: object) -> list[str]:
    """Every key and string value in a JSON value (the tests a record reports)."""
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(str(k))
            out += _words(v)
    elif isinstance(value, list):
        for v in value:
            out += _words(v)
    elif isinstance(value, str):
        out.append(value)
    return out


def evaluations(project: Project, found: list[Statement]) -> tuple[list[Evaluation], list[Gap]]:
    """Test-result statements and ``*eval*.json`` records, with the tests they report."""
    gaps: list[Gap] = []
    out: list[Evaluation] = []
    for st in found:
        if st.predicate_type != TEST_RESULT:
            continue
        listed: dict[str, list[str]] = {}
        for key in ("passedTests", "warnedTests", "failedTests"):
            value = st.predicate.get(key)
            listed[key] = [str(t) for t in value] if isinstance(value, list) else []
        tests = tuple(t for key in listed for t in listed[key])
        out += [
            Evaluation(
                source=st.source, sha256=sha, tests=tests, failed=tuple(listed["failedTests"])
            )
            for _, sha in st.subjects
        ]
    for doc in project.of_type(Document):
        name = PurePosixPath(doc.path).name.lower()
        if not (name.endswith(".json") and "eval" in name):
            continue
        try:
            data = read_json(doc.absolute, doc.path)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        if not isinstance(data, dict):
            continue
        artifact = data.get("artifact")
        sha = str(artifact.get("sha256", "")) if isinstance(artifact, dict) else ""
        sha = (sha or str(data.get("artifact_sha256", data.get("model_sha256", "")))).lower()
        if is_sha256(sha):
            reviewer = data.get("reviewed_by") or data.get("reviewer") or ""
            out.append(
                Evaluation(
                    source=doc.path,
                    sha256=sha.removeprefix("sha256:"),
                    tests=tuple(_words(data.get("results", data.get("metrics", [])))),
                    reviewer=str(reviewer),
                )
            )
    return out, gaps


def bases(
    project: Project, found: list[Statement], sha256: str, path: str
) -> tuple[list[Base], bool, list[Gap]]:
    """(bases of the model, whether any provenance covers it, gaps)."""
    gaps: list[Gap] = []
    out: list[Base] = []
    covered = False
    for st in found:
        if not any(st.predicate_type.startswith(s) for s in SLSA):
            continue
        if all(sha != sha256 for _, sha in st.subjects):
            continue
        covered = True
        for m in st.materials():
            if not _BASE.search(f"{m.uri} {m.name}"):
                continue
            digest = next(
                (v for v in m.digests.values() if is_sha256(v) or is_commit(v)), ""
            ) or next((p for p in re.split(r"[@:]", m.uri) if is_commit(p)), "")
            out.append(Base(name=m.uri or m.name, digest=digest, source=st.source))
    folder = PurePosixPath(path).parent
    config = project.root / folder / "adapter_config.json"
    if config.is_file():
        rel = (folder / "adapter_config.json").as_posix()
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            gaps.append(Gap(item=rel, reason=GapReason.UNPARSEABLE, detail=str(exc)[:200]))
            data = {}
        base = data.get("base_model_name_or_path") if isinstance(data, dict) else None
        if isinstance(base, str) and base:
            covered = True
            revision = str(data.get("revision") or "")
            digest = revision if is_commit(revision) or is_sha256(revision) else ""
            if not any(b.name.endswith(base) for b in out):
                out.append(Base(name=base, digest=digest, source=rel))
    return out, covered, gaps


def judge(model_sha: str, found: list[Base], evals: list[Evaluation]) -> tuple[list[str], str]:
    """(problems, what passed) for one adapted model (pure)."""
    problems = [
        f"base {b.name} ({b.source}) is not identified by digest" for b in found if not b.digest
    ]
    mine = [e for e in evals if e.sha256 == model_sha]
    base_digests = {b.digest.lower().removeprefix("sha256:") for b in found if b.digest}
    inherited = [e for e in evals if e.sha256 in base_digests]
    if not mine:
        why = "no evaluation for the adapted model's digest"
        if inherited:
            why += f" (only the base's: {inherited[0].source})"
        problems.append(why)
        return problems, ""
    robust = [e for e in mine if any(ROBUSTNESS.search(t) for t in e.tests)]
    screened = [e for e in mine if any(TRIGGERS.search(t) for t in e.tests)]
    if not robust:
        problems.append(f"{mine[0].source} reports no robustness result for the adapted model")
    if not screened:
        problems.append(f"{mine[0].source} reports no trigger/backdoor screening")
    for e in mine:
        bad = [t for t in e.failed if ROBUSTNESS.search(t) or TRIGGERS.search(t)]
        if bad:
            problems.append(f"{e.source}: the adapted model failed {', '.join(bad)}")
    shown = ", ".join(sorted({e.source for e in robust + screened}))
    return problems, shown


@check(
    id="MLC1040",
    title="Fine-tuned models name the base digest and have their own robustness and trigger tests",
    requirements=["M3.4.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(ModelArtifact, Document, SignatureFile),
    remediation="Record the base model's digest (SLSA resolvedDependencies or the adapter's "
    "pinned revision) and run the robustness and backdoor-trigger suite on every adapted "
    "artifact, bound to its own sha256.",
)
def adapted_models_reevaluated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every model whose provenance names a base: base digest known, own evaluation with
    robustness and trigger-screening results."""
    found, gaps = models(project)
    records, statement_gaps = statements(project)
    evals, eval_gaps = evaluations(project, records)
    gaps += statement_gaps + eval_gaps
    if not found:
        yield abstained("no model file in the project: whether it is adapted cannot be told here")
        return
    adapted = 0
    unknown: list[str] = []
    for model in found:
        model_bases, covered, base_gaps = bases(project, records, model.sha256, model.path)
        gaps += base_gaps
        if not covered:
            unknown.append(model.path)
            continue
        if not model_bases:
            continue
        adapted += 1
        problems, shown = judge(model.sha256, model_bases, evals)
        facts = (
            ("model", model.path),
            ("sha256", model.sha256),
            *(("base", f"{b.name}@{b.digest or '?'}") for b in model_bases),
            *(
                ("reviewed_by", e.reviewer)
                for e in evals
                if e.sha256 == model.sha256 and e.reviewer
            ),
        )
        if problems:
            yield failed(f"{model.path}: " + "; ".join(problems), key=model.path, facts=facts)
        else:
            names = ", ".join(f"{b.name}@{b.digest[:12]}" for b in model_bases)
            yield passed(
                f"{model.path}: adapted from {names}; its own evaluation ({shown}) reports "
                "robustness and trigger screening",
                key=model.path,
                facts=facts,
            )
    if gaps:
        yield not_verified("model, provenance or evaluation files could not be read", gaps)
    if unknown:
        yield not_verified(
            f"no provenance for {', '.join(unknown[:5])}: whether it was fine-tuned from a "
            "base model is unknown",
            [
                Gap(item=u, reason=GapReason.NOT_PRESENT, detail="no SLSA provenance")
                for u in unknown
            ],
            key="no-provenance",
        )
    elif not adapted and not gaps:
        yield not_applicable("the provenance of every model names no base model: none is adapted")
