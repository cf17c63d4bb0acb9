"""Erasure requests followed by retraining or unlearning (MLC1065, M7.3.5), from the project's
erasure register and training run log::

    [privacy.erasure]
    requests = "privacy/erasure-requests.jsonl"   # one record per data subject request
    training = "ml/training-runs.jsonl"           # one record per retraining/unlearning run

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
