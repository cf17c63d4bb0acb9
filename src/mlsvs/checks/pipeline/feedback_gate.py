"""Feedback and production data reach training only through a quarantine gate (M2.3.5).

Read from the DVC pipelines (``dvc.yaml``) a project holds: the data flow is the stages'
``deps`` and ``outs``. A *feedback source* is a dependency no stage produces whose path names
feedback, production, user or online data. Walking upstream from every training stage, each
path from a feedback source must pass a *gate stage* (named or run as quarantine, screening,
admission or gate) that takes the batch's *approval record* as a dependency (a path naming an
approval, sign-off or review). The approval records present in the project must name who
approved (``approved_by`` / ``approver``). That the person reviewed the screening results is the
attestation's part (the method is hybrid).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline.lineage import pipelines
from mlsvs.plugin import (
    Document,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from mlsvs.checks.pipeline._dvc import Stage
    from mlsvs.plugin import CheckContext, Outcome

FEEDBACK = re.compile(
    r"(feedback|production|prod[-_/]|user[-_]?(data|logs?|submissions?|reports?)|online|"
    r"incoming|inference[-_]logs?|flagged|corrections?)",
    re.I,
)
TRAINING = re.compile(r"(^|[\W_])(train|retrain|fit|fine[-_]?tune|finetune)", re.I)
GATE = re.compile(r"(quarantin|screen|admit|admission|gate)", re.I)
APPROVAL = re.compile(r"(approv|sign[-_]?off|review)", re.I)
_CODE = frozenset({".py", ".sh", ".ipynb", ".r", ".sql", ".toml", ".cfg"})
APPROVER_KEYS = ("approved_by", "approver", "approvers", "signed_off_by")


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """What one training stage of a pipeline receives from feedback sources."""

    stage: str
    gated: tuple[tuple[str, str], ...]
    """(feedback source, gate stage) for every gated path."""
    ungated: tuple[tuple[str, str], ...]
    """(feedback source, last stage before training, or the training stage) per open path."""


def _norm(path: str) -> str:
    return PurePosixPath(path.strip().removeprefix("./")).as_posix().rstrip("/")


def _producer(path: str, stages: Sequence[Stage]) -> Stage | None:
    for stage in stages:
        for out in map(_norm, stage.outs):
            if path == out or path.startswith(out + "/"):
                return stage
    return None


def _is_data(path: str) -> bool:
    """A feedback/production data path (not the code or an approval record)."""
    return (
        bool(FEEDBACK.search(path))
        and not APPROVAL.search(path)
        and PurePosixPath(path).suffix not in _CODE
    )


def is_gate(stage: Stage) -> bool:
    """A quarantine/screening stage that reads an approval record."""
    return bool(GATE.search(f"{stage.name} {stage.cmd}")) and any(
        APPROVAL.search(d) for d in stage.deps
    )


def flows(stages: Sequence[Stage]) -> list[Flow]:
    """The feedback flows into each training stage (pure: the stages only)."""
    out = []
    for train in stages:
        if not TRAINING.search(train.name) or GATE.search(train.name):
            continue
        gated: set[tuple[str, str]] = set()
        ungated: set[tuple[str, str]] = set()
        seen: set[str] = set()
        todo = [(_norm(d), train.name) for d in train.deps]
        while todo:
            dep, via = todo.pop()
            producer = _producer(dep, stages)
            if producer is not None and is_gate(producer):
                gated.update((_norm(d), producer.name) for d in producer.deps if _is_data(d))
                continue
            if _is_data(dep):
                # feedback data read by a stage that is no gate: it enters ungated
                ungated.add((dep, via))
                continue
            if producer is None or producer.name in seen or producer.name == train.name:
                continue
            seen.add(producer.name)
            todo += [(_norm(d), producer.name) for d in producer.deps]
        if gated or ungated:
            out.append(
                Flow(stage=train.name, gated=tuple(sorted(gated)), ungated=tuple(sorted(ungated)))
            )
    return out


def approver(path: str, text: str) -> str:
    """Who approved, from a JSON/YAML approval record ('' when it names no one)."""
    import yaml

    data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    if not isinstance(data, dict):
        return ""
    for key in APPROVER_KEYS:
        value = data.get(key)
        if isinstance(value, dict):
            value = value.get("name") or value.get("email")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value if v)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _approvals(
    root: PurePosixPath, stages: Sequence[Stage], project: Project
) -> tuple[list[str], list[str], list[Gap]]:
    """(records naming an approver, records naming none, unreadable) read by gate stages."""
    import yaml

    named: list[str] = []
    anonymous: list[str] = []
    gaps: list[Gap] = []
    for stage in stages:
        if not is_gate(stage):
            continue
        for dep in stage.deps:
            if not APPROVAL.search(dep) or PurePosixPath(dep).suffix not in {
                ".json",
                ".yaml",
                ".yml",
            }:
                continue
            rel = (root / _norm(dep)).as_posix()
            path = project.root / rel
            if not path.is_file():
                continue  # produced per batch at run time: the attestation covers it
            try:
                who = approver(rel, path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
                gaps.append(Gap(item=rel, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
                continue
            (named if who else anonymous).append(rel)
    return named, anonymous, gaps


@check(
    id="MLC882",
    title="Feedback and production data enter training only through an approved quarantine stage",
    requirements=["M2.3.5"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(Document,),
    remediation="Route feedback and production data into a quarantine stage of the pipeline "
    "(dvc.yaml) that runs the poisoning screening and reads the batch's approval record "
    "(approvals/<batch>.yaml with approved_by); train only on that stage's output.",
)
def feedback_quarantined(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every path from a feedback or production source to a training stage passes a
    quarantine stage that reads an approval record naming the approver."""
    found, gaps, _ = pipelines(project)
    if gaps:
        yield not_verified("DVC pipeline definitions could not be read", gaps)
    if not found:
        if not gaps:
            yield abstained(
                "no DVC pipeline (dvc.yaml) in the project shows how data reaches training"
            )
        return
    judged = 0
    for rel, stages in found:
        root = PurePosixPath(rel).parent
        named, anonymous, record_gaps = _approvals(root, stages, project)
        if record_gaps:
            yield not_verified(f"{rel}: approval records could not be read", record_gaps, key=rel)
        for flow in flows(stages):
            judged += 1
            where = f"{rel} stage {flow.stage!r}"
            facts = (("gates", ",".join(sorted({g for _, g in flow.gated}))),)
            if flow.ungated:
                paths = "; ".join(f"{src} -> {via}" for src, via in flow.ungated[:5])
                yield failed(
                    f"{where} trains on feedback/production data without a quarantine stage "
                    f"that reads an approval record: {paths}",
                    key=f"{rel}:{flow.stage}",
                    facts=facts,
                )
            elif anonymous:
                yield failed(
                    f"{where}: approval record(s) {', '.join(anonymous)} name no approver "
                    f"({' / '.join(APPROVER_KEYS[:2])})",
                    key=f"{rel}:{flow.stage}",
                    facts=facts,
                )
            else:
                gates = sorted({g for _, g in flow.gated})
                yield passed(
                    f"{where}: feedback reaches training only through {', '.join(gates)}"
                    + (f" (approved in {', '.join(named)})" if named else ""),
                    key=f"{rel}:{flow.stage}",
                    facts=facts,
                )
    if not judged and not gaps:
        yield abstained("no training stage of the DVC pipelines reads feedback or production data")
