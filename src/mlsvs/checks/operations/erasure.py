"""Erasure requests traced through lineage (MLC1066, M7.3.2) and followed by retraining or
unlearning (MLC1065, M7.3.5), from the project's erasure register, training run log and
(optionally) dataset lineage::

    [privacy.erasure]
    requests = "privacy/erasure-requests.jsonl"   # one record per data subject request
    training = "ml/training-runs.jsonl"           # one record per training run
    lineage = "lineage/datasets.jsonl"            # {"dataset": "x@v3", "derived_from": [...]}

A request's trace is its ``subject_ref`` (a pseudonymous subject identifier), the
``affected_datasets`` (``name@version``) the lineage query found it in and the
``affected_models``. The trace is complete when every dataset version derived from an affected
one is listed and every model whose training run read an affected dataset (``datasets``) is
listed.

A request record has ``request_id``, ``received_at``, ``status`` (``open``/``closed``) and
``affected_models`` (the models lineage found the subject in; ``[]`` when none). A run record
has ``model``, ``kind`` (``retrain``, ``unlearn``, ``fine_tune``...), ``completed_at`` and either
``erasure_requests`` (the requests it applied) or ``data_snapshot_at`` (the time of the training
data snapshot, which must postdate the request's ``erased_at``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mlsvs.checks.operations._records import (
    SampleError,
    items,
    not_configured,
    read_records,
    section,
    text,
    timestamp,
    today_utc,
)
from mlsvs.plugin import (
    DatasetArtifact,
    Document,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.plugin import CheckContext, Outcome

REMOVING_RUNS = frozenset({"retrain", "retraining", "unlearn", "unlearning", "full_retrain"})


def _applies(run: Mapping[str, object], request: Mapping[str, object], rid: str) -> bool:
    """Whether a run removed the request's data: it names the request, or it trained on a
    snapshot taken after the data was erased."""
    named = {str(x) for x in items(run.get("erasure_requests"))}
    if rid in named:
        return True
    snapshot = timestamp(run.get("data_snapshot_at"))
    erased = timestamp(request.get("erased_at"))
    return snapshot is not None and erased is not None and snapshot >= erased


@check(
    id="MLC1065",
    title="Every affected model is retrained or unlearned within max_erasure_days of an "
    "erasure request",
    requirements=["M7.3.5"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[Document, DatasetArtifact],
    remediation="Record each erasure request with the models lineage finds the subject in, "
    "and log each retraining or unlearning run with the requests it applied; finish them within "
    "max_erasure_days and point [privacy.erasure] at both logs.",
)
def erasure_retraining(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """For every erasure request, each affected model has a retraining or unlearning run that
    applied it (or trained on a snapshot taken after the erasure) completed within
    ``max_erasure_days`` of the request; an open request past the limit fails."""
    conf = section(ctx, "privacy", "erasure")
    if not conf:
        yield not_configured("privacy.erasure", "that erased data leaves the models")
        return
    requests_path, training_path = conf.get("requests"), conf.get("training")
    if not isinstance(requests_path, str) or not isinstance(training_path, str):
        yield errored("[privacy.erasure] needs requests and training (paths to JSON Lines logs)")
        return
    limit = int(ctx.parameter("M7.3.5.max_erasure_days", 30))
    try:
        requests = read_records(project, requests_path)
        runs = read_records(project, training_path)
    except SampleError as exc:
        yield not_verified(str(exc), exc.gap, key=exc.gap.item)
        return
    now = today_utc(ctx)
    problems: list[str] = []
    unreadable: list[Gap] = []
    judged = 0
    for number, request in enumerate(requests, 1):
        rid = text(request, "request_id", "id") or f"record {number}"
        received = timestamp(request.get("received_at") or request.get("ts"))
        affected = request.get("affected_models")
        if received is None or not isinstance(affected, list):
            unreadable.append(
                Gap(
                    item=f"{requests_path}: {rid}",
                    reason=GapReason.UNPARSEABLE,
                    detail="needs received_at (ISO 8601) and affected_models (a list)",
                )
            )
            continue
        deadline = received + dt.timedelta(days=limit)
        status = text(request, "status").lower()
        judged += 1
        for model in (str(m) for m in affected):
            done = [
                completed
                for run in runs
                if text(run, "model", "model_id") == model
                and text(run, "kind", "type").lower() in REMOVING_RUNS
                and _applies(run, request, rid)
                and (completed := timestamp(run.get("completed_at"))) is not None
                and completed >= received
            ]
            if done and min(done) <= deadline:
                continue
            if done:
                late = (min(done) - received).days
                problems.append(f"{rid}: {model} retrained after {late} days")
            elif status == "closed" or now > deadline:
                problems.append(
                    f"{rid}: no retraining or unlearning of {model} applied it"
                    + ("" if status == "closed" else f" and {limit} days have passed")
                )
    facts = (("requests", str(len(requests))), ("max_erasure_days", str(limit)))
    if problems:
        yield failed(
            f"{len(problems)} affected model(s) still reflect erased data past {limit} days: "
            + "; ".join(problems[:5]),
            key=requests_path,
            facts=facts,
        )
        return
    if unreadable:
        yield not_verified(
            f"{len(unreadable)} erasure request(s) in {requests_path} cannot be judged",
            unreadable,
            key=requests_path,
            facts=facts,
        )
        return
    yield passed(
        f"{judged} erasure request(s): every affected model was retrained or unlearned within "
        f"{limit} days (or the request is open and inside the limit)",
        key=requests_path,
        facts=facts,
    )


def _derived(lineage: list[Mapping[str, object]]) -> dict[str, set[str]]:
    """parent dataset version -> the versions derived from it directly."""
    out: dict[str, set[str]] = {}
    for record in lineage:
        child = text(record, "dataset", "output")
        for parent in items(record.get("derived_from") or record.get("inputs")):
            if child:
                out.setdefault(str(parent), set()).add(child)
    return out


def closure(start: set[str], derived: Mapping[str, set[str]]) -> set[str]:
    """Every dataset version reachable from ``start`` through derivations."""
    seen = set(start)
    todo = list(start)
    while todo:
        for child in derived.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


@check(
    id="MLC1066",
    title="Erasure requests are traced through lineage to every dataset version and model",
    requirements=["M7.3.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[Document, DatasetArtifact],
    remediation="Record, for each erasure request, the subject reference and the dataset "
    "versions and models the lineage query found; keep training runs' input dataset versions "
    "and dataset derivations in the logs [privacy.erasure] names.",
)
def erasure_traced(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every erasure request names its subject reference, the affected dataset versions and
    models; every version derived from an affected one (lineage) and every model trained on
    one (training runs) is in the trace."""
    conf = section(ctx, "privacy", "erasure")
    if not conf:
        yield not_configured("privacy.erasure", "that erasure requests reach datasets and models")
        return
    requests_path, training_path = conf.get("requests"), conf.get("training")
    lineage_path = conf.get("lineage")
    if not isinstance(requests_path, str) or not isinstance(training_path, str):
        yield errored("[privacy.erasure] needs requests and training (paths to JSON Lines logs)")
        return
    try:
        requests = read_records(project, requests_path)
        runs = read_records(project, training_path)
        lineage = read_records(project, lineage_path) if isinstance(lineage_path, str) else []
    except SampleError as exc:
        yield not_verified(str(exc), exc.gap, key=exc.gap.item)
        return
    derived = _derived(lineage)
    trained: dict[str, set[str]] = {}
    for run in runs:
        model = text(run, "model", "model_id")
        for dataset in items(run.get("datasets") or run.get("inputs")):
            if model:
                trained.setdefault(str(dataset), set()).add(model)
    untraced: list[Gap] = []
    problems: list[str] = []
    for number, request in enumerate(requests, 1):
        rid = text(request, "request_id", "id") or f"record {number}"
        datasets = request.get("affected_datasets")
        models = request.get("affected_models")
        if (
            not text(request, "subject_ref", "subject_id")
            or not isinstance(datasets, list)
            or (not isinstance(models, list))
        ):
            untraced.append(
                Gap(
                    item=f"{requests_path}: {rid}",
                    reason=GapReason.NOT_PRESENT,
                    detail="needs subject_ref, affected_datasets and affected_models",
                )
            )
            continue
        listed = {str(d) for d in datasets}
        reach = closure(listed, derived)
        if missed := sorted(reach - listed):
            problems.append(f"{rid}: derived dataset version(s) {', '.join(missed[:4])} missing")
        should = {m for d in reach for m in trained.get(d, ())}
        if gone := sorted(should - {str(m) for m in models}):
            problems.append(
                f"{rid}: model(s) trained on affected data missing: {', '.join(gone[:4])}"
            )
    facts = (
        ("requests", str(len(requests))),
        ("training runs", str(len(runs))),
        ("derivations", str(sum(len(v) for v in derived.values()))),
    )
    if problems:
        yield failed(
            "lineage reaches datasets or models the erasure trace does not list: "
            + "; ".join(problems[:5]),
            key=requests_path,
            facts=facts,
        )
        return
    if untraced:
        yield not_verified(
            f"{len(untraced)} erasure request(s) in {requests_path} carry no complete trace",
            untraced,
            key=requests_path,
            facts=facts,
        )
        return
    yield passed(
        f"{len(requests)} erasure request(s) traced: every derived dataset version and every "
        "model trained on affected data is listed",
        key=requests_path,
        facts=facts,
    )
