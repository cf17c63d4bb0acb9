"""Lineage between pipeline stages (M3.4.1) and of converted models (M4.4.3).

M3.4.1 reads DVC: every stage of ``dvc.yaml`` must be locked in ``dvc.lock`` with the command
it ran and an MD5 for each dependency and output; what one stage writes must be what the next
one read (same digest), and files present in the project must still match the lock (what
``dvc status`` would report). DVC itself re-hashes every dependency before running a stage,
which is the consuming stage's verification.

M4.4.3 asks every converted model (ONNX, TFLite, OpenVINO, Core ML, GGUF, TorchScript) for a
record naming its parent's digest and the conversion step: a DVC stage whose outputs include
it and whose dependencies include the parent model, SLSA provenance with the parent as a
resolved dependency, or a CycloneDX component with ``pedigree.ancestors``.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._dvc import Stage, file_md5, read_pipeline
from mlsvs.checks.pipeline._yaml import DocumentError
from mlsvs.checks.pipeline.records import models, statements
from mlsvs.discovery.classify import MODEL_SUFFIXES
from mlsvs.plugin import (
    BomDocument,
    DatasetArtifact,
    Document,
    DocumentKind,
    Gap,
    GapReason,
    ModelArtifact,
    ModelFormat,
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

DERIVED_FORMATS = frozenset(
    {
        ModelFormat.ONNX,
        ModelFormat.TFLITE,
        ModelFormat.OPENVINO,
        ModelFormat.COREML,
        ModelFormat.GGUF,
        ModelFormat.TORCHSCRIPT,
    }
)


def pipelines(project: Project) -> tuple[list[tuple[str, tuple[Stage, ...]]], list[Gap], list[str]]:
    """(dvc.yaml, stages) per pipeline, unreadable files, and pipelines without a lock."""
    found: list[tuple[str, tuple[Stage, ...]]] = []
    gaps: list[Gap] = []
    unlocked: list[str] = []
    for doc in project.of_type(Document):
        if doc.document != DocumentKind.DVC_PIPELINE:
            continue
        lock_rel = (PurePosixPath(doc.path).parent / "dvc.lock").as_posix()
        lock = project.root / lock_rel
        try:
            stages = read_pipeline(
                doc.absolute, doc.path, lock if lock.is_file() else None, lock_rel
            )
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        if not lock.is_file():
            unlocked.append(doc.path)
        found.append((doc.path, stages))
    return found, gaps, unlocked


def judge_stages(
    root_dir: str, stages: tuple[Stage, ...], project: Project
) -> tuple[list[str], int]:
    """(problems, files verified in place) of one pipeline."""
    problems: list[str] = []
    verified = 0
    written: dict[str, tuple[str, str]] = {}
    for stage in stages:
        for out in stage.locked_outs:
            written[out.path] = (stage.name, out.md5)
    for stage in stages:
        if stage.locked_cmd is None:
            problems.append(f"stage {stage.name!r} was never locked: no digest for its outputs")
            continue
        if "${" not in stage.cmd and stage.locked_cmd != stage.cmd:
            problems.append(f"stage {stage.name!r} changed since it was locked (cmd differs)")
        locked_paths = {e.path for e in (*stage.locked_deps, *stage.locked_outs)}
        unhashed = [
            p for p in (*stage.deps, *stage.outs) if "${" not in p and p not in locked_paths
        ]
        unhashed += [e.path for e in (*stage.locked_deps, *stage.locked_outs) if not e.md5]
        if unhashed:
            problems.append(
                f"stage {stage.name!r}: no digest for {', '.join(sorted(set(unhashed))[:4])}"
            )
        for dep in stage.locked_deps:
            producer = written.get(dep.path)
            if producer and dep.md5 and producer[1] and producer[1] != dep.md5:
                problems.append(
                    f"stage {stage.name!r} read {dep.path} {dep.md5[:8]}, but stage "
                    f"{producer[0]!r} wrote {producer[1][:8]}"
                )
        for entry in (*stage.locked_deps, *stage.locked_outs):
            if not entry.md5 or entry.md5.endswith(".dir"):
                continue
            path = project.root / root_dir / entry.path
            if not path.is_file():
                continue  # kept in the DVC cache or remote, not in the repository
            try:
                digests = file_md5(path, dvc3=entry.dvc3)
            except OSError:
                problems.append(f"{entry.path}: unreadable")
                continue
            if entry.md5 not in digests:
                problems.append(
                    f"{entry.path} no longer matches dvc.lock (changed since stage "
                    f"{stage.name!r} ran)"
                )
            else:
                verified += 1
    return problems, verified


@check(
    id="MLC868",
    title="Every pipeline stage is locked with digests and consumes what the previous stage wrote",
    requirements=["M3.4.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(Document, DatasetArtifact, ModelArtifact),
    remediation="Define the pipeline as DVC stages with deps and outs, run 'dvc repro' and "
    "commit dvc.lock; never edit intermediate artifacts outside a stage.",
)
def stages_verified(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """dvc.yaml + dvc.lock: locked stages, digests for every input and output, unbroken chain."""
    found, gaps, unlocked = pipelines(project)
    if gaps:
        yield not_verified("DVC pipeline files could not be read", gaps)
    if not found:
        if not gaps:
            yield not_verified(
                "no staged pipeline definition (dvc.yaml): the lineage of intermediate "
                "artifacts between stages is not recorded in the repository",
                Gap(item="dvc.yaml", reason=GapReason.NOT_PRESENT, detail="no DVC pipeline"),
            )
        return
    for path, stages in found:
        if path in unlocked:
            yield failed(f"{path}: no dvc.lock: no stage output has a recorded digest", key=path)
            continue
        problems, verified = judge_stages(str(PurePosixPath(path).parent), stages, project)
        outputs = sum(len(s.locked_outs) for s in stages)
        facts = (
            ("stages", str(len(stages))),
            ("outputs", str(outputs)),
            ("verified", str(verified)),
        )
        if problems:
            yield failed(f"{path}: {'; '.join(problems[:6])}", key=path, facts=facts)
        else:
            yield passed(
                f"{path}: {len(stages)} stage(s) locked, {outputs} output(s) with digests, "
                f"{verified} file(s) match dvc.lock",
                key=path,
                facts=facts,
            )


def _is_model_path(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in MODEL_SUFFIXES


def _bom_lineage(project: Project) -> tuple[dict[str, str], list[Gap]]:
    """sha256 of a BOM component -> its first ancestor's sha256 (CycloneDX pedigree)."""
    out: dict[str, str] = {}
    gaps: list[Gap] = []
    for bom in project.of_type(BomDocument):
        if bom.bom != "cyclonedx":
            continue
        try:
            data = json.loads(bom.absolute.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            gaps.append(Gap(item=bom.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        for component in data.get("components", []) if isinstance(data, dict) else []:
            if not isinstance(component, dict):
                continue
            own = _sha256(component.get("hashes"))
            pedigree = component.get("pedigree")
            ancestors = pedigree.get("ancestors", []) if isinstance(pedigree, dict) else []
            parent = next(
                (h for a in ancestors if isinstance(a, dict) and (h := _sha256(a.get("hashes")))),
                "",
            )
            if own and parent:
                out[own] = parent
    return out, gaps


def _sha256(hashes: object) -> str:
    for item in hashes if isinstance(hashes, list) else []:
        if isinstance(item, dict) and str(item.get("alg", "")).upper() == "SHA-256":
            return str(item.get("content", "")).lower()
    return ""


@check(
    id="MLC869",
    title="Every converted model names its parent's digest and the conversion step",
    requirements=["M4.4.3"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(ModelArtifact, Document, BomDocument, SignatureFile, DatasetArtifact),
    remediation="Convert models in a DVC stage (deps: the parent model, outs: the export), or "
    "record the parent in SLSA provenance or the BOM component's pedigree.ancestors.",
)
def derived_lineage(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """ONNX/TFLite/OpenVINO/Core ML/GGUF/TorchScript models and the record of their parent."""
    derived = [m for m in project.of_type(ModelArtifact) if m.format in DERIVED_FORMATS]
    if not derived:
        if project.of_type(ModelArtifact):
            yield not_applicable(
                "no converted model (ONNX, TFLite, OpenVINO, Core ML, GGUF, "
                "TorchScript) in the project"
            )
        else:
            yield abstained(
                "no model file in the project: deployed derived models are not visible here"
            )
        return
    digests, gaps = models(project)
    by_path = {m.path: m.sha256 for m in digests}
    found, pipeline_gaps, _ = pipelines(project)
    found_statements, statement_gaps = statements(project)
    bom, bom_gaps = _bom_lineage(project)
    gaps += pipeline_gaps + statement_gaps + bom_gaps
    if gaps:
        yield not_verified("lineage records could not be read", gaps)
    for model in derived:
        sha = by_path.get(model.path, "")
        record = ""
        for path, stages in found:
            base = PurePosixPath(path).parent
            for stage in stages:
                outs = {(base / o.path).as_posix(): o for o in stage.locked_outs}
                parents = [d for d in stage.locked_deps if _is_model_path(d.path) and d.md5]
                if model.path in outs and parents:
                    record = f"DVC stage {stage.name!r} ({stage.cmd[:60]}) from {parents[0].path}"
        for statement in found_statements:
            if any(s == sha for _, s in statement.subjects):
                sources = [
                    m.uri
                    for m in statement.materials()
                    if _is_model_path(m.uri) and m.digests.get("sha256")
                ]
                if sources:
                    record = record or f"provenance {statement.source} from {sources[0]}"
        if not record and sha in bom:
            record = f"BOM pedigree: parent sha256 {bom[sha][:12]}..."
        if record:
            yield passed(f"{model.path}: {record}", key=model.path, facts=(("lineage", record),))
        else:
            yield failed(
                f"{model.path} ({model.format.value}) has no lineage record naming its parent "
                "digest and conversion step",
                key=model.path,
            )
