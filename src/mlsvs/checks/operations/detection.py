"""The adversarial and anomalous input detector, judged on the project's replay of known
adversarial and clean inputs through the serving path: detection and false-positive rates
(MLC1072, M10.2.3) and the action taken on flagged inputs (MLC1073, M10.2.7)::

    [detection]
    replay = "security/detector-replay-2026-11.jsonl"
    actions = ["blocked", "review"]      # the defined action(s) for a flagged input

The replay is JSON Lines, one record per replayed input: ``input_id``, ``kind``
(``adversarial`` or ``clean``), ``flagged`` (the detector's verdict, a boolean) and ``action``
(what the serving path did: ``blocked``, ``degraded``, ``review``, ``served`` ...); adversarial
records name their ``attack`` (the M6.2 attack that produced them). Rates carry 95 % Wilson
intervals; a verdict needs at least 20 adversarial inputs and ``1 / max_false_positive_rate``
clean ones (fewer cannot show the rate).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from mlsvs.checks.operations._records import (
    SampleError,
    items,
    not_configured,
    read_records,
    section,
    text,
)
from mlsvs.plugin import (
    DatasetArtifact,
    Document,
    Gap,
    GapReason,
    Measurement,
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

MIN_ADVERSARIAL = 20
SERVED = frozenset({"served", "allowed", "passed", "ok", "answered"})


def _replay(
    ctx: CheckContext, project: Project
) -> tuple[str, list[Mapping[str, object]]] | Outcome:
    conf = section(ctx, "detection")
    rel = conf.get("replay")
    if not conf:
        return not_configured("detection", "a replay of adversarial inputs through the detector")
    if not isinstance(rel, str):
        return errored("[detection] needs replay (a path to the replay's JSON Lines results)")
    try:
        records = read_records(project, rel)
    except SampleError as exc:
        return not_verified(f"{rel}: {exc}", exc.gap, key=rel)
    return rel, records


def _kind(record: Mapping[str, object]) -> str:
    return text(record, "kind", "label", "class").lower()


@check(
    id="MLC1072",
    title="The input detector's detection and false-positive rates on a replay meet the standard",
    requirements=["M10.2.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[Document, DatasetArtifact],
    remediation="Screen inputs with an adversarial or anomaly detector; replay the M6.2 "
    "adversarial set and a sample of clean traffic through it and record each verdict in the "
    "[detection] replay file.",
)
def detector_rates(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Share of replayed adversarial inputs flagged is at least ``min_detection_rate`` and share
    of clean inputs flagged at most ``max_false_positive_rate`` (point estimates, with 95 %
    Wilson intervals reported), on enough inputs to show both."""
    from mlsvs.modeltest.metrics import wilson

    loaded = _replay(ctx, project)
    if not isinstance(loaded, tuple):
        yield loaded
        return
    rel, records = loaded
    min_rate = float(ctx.parameter("M10.2.3.min_detection_rate", 0.8))
    max_fpr = float(ctx.parameter("M10.2.3.max_false_positive_rate", 0.01))
    bad = [n for n, r in enumerate(records, 1) if not isinstance(r.get("flagged"), bool)]
    if bad:
        yield not_verified(
            f"{rel}: record(s) {', '.join(map(str, bad[:5]))} have no boolean 'flagged'",
            Gap(item=rel, reason=GapReason.UNPARSEABLE, detail="flagged must be true or false"),
            key=rel,
        )
        return
    adversarial = [r for r in records if _kind(r) in {"adversarial", "attack", "anomalous"}]
    clean = [r for r in records if _kind(r) in {"clean", "benign", "normal"}]
    tp = sum(1 for r in adversarial if r["flagged"] is True)
    fp = sum(1 for r in clean if r["flagged"] is True)
    need_clean = math.ceil(1 / max_fpr)
    if len(adversarial) < MIN_ADVERSARIAL or len(clean) < need_clean:
        yield not_verified(
            f"{rel}: {len(adversarial)} adversarial and {len(clean)} clean input(s); at least "
            f"{MIN_ADVERSARIAL} and {need_clean} are needed to show the rates",
            Gap(item=rel, reason=GapReason.EMPTY, detail="replay too small"),
            key=rel,
        )
        return
    rate, fpr = tp / len(adversarial), fp / len(clean)
    (r_lo, r_hi), (f_lo, f_hi) = wilson(tp, len(adversarial)), wilson(fp, len(clean))
    attacks = sorted({text(r, "attack") or "?" for r in adversarial})
    measurements = (
        Measurement(
            name="detection_rate",
            value=rate,
            lower=r_lo,
            upper=r_hi,
            confidence=0.95,
            threshold=min_rate,
            parameters=(("adversarial", str(len(adversarial))), ("attacks", ",".join(attacks))),
        ),
        Measurement(
            name="false_positive_rate",
            value=fpr,
            lower=f_lo,
            upper=f_hi,
            confidence=0.95,
            threshold=max_fpr,
            parameters=(("clean", str(len(clean))),),
        ),
    )
    summary = (
        f"detection rate {rate:.3f} (95 % CI {r_lo:.3f}-{r_hi:.3f}, {tp}/{len(adversarial)}), "
        f"false-positive rate {fpr:.4f} (95 % CI {f_lo:.4f}-{f_hi:.4f}, {fp}/{len(clean)})"
    )
    problems = []
    if rate < min_rate:
        problems.append(f"detection rate below {min_rate:g}")
    if fpr > max_fpr:
        problems.append(f"false-positive rate above {max_fpr:g}")
    if problems:
        yield failed(
            f"{rel}: {summary}: " + "; ".join(problems), key=rel, measurements=measurements
        )
    else:
        yield passed(f"{rel}: {summary}", key=rel, measurements=measurements)


@check(
    id="MLC1073",
    title="Replayed flagged inputs are blocked, degraded or sent to review as defined, none "
    "served normally",
    requirements=["M10.2.7"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[Document, DatasetArtifact],
    remediation="Wire the detector's verdict into the serving path so a flagged input is "
    "blocked, degraded or routed to review; declare the action in [detection] actions and "
    "record what the service did with each replayed input.",
)
def flagged_inputs_actioned(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every replayed input the detector flagged got one of the defined actions; a flagged
    input served normally (or given another action) fails."""
    loaded = _replay(ctx, project)
    if not isinstance(loaded, tuple):
        yield loaded
        return
    rel, records = loaded
    defined = {str(a).lower() for a in items(section(ctx, "detection").get("actions"))}
    if not defined:
        yield errored("[detection] needs actions (the defined action(s) for a flagged input)")
        return
    if defined & SERVED:
        yield errored(f"[detection] actions lists a normal answer ({', '.join(defined & SERVED)})")
        return
    flagged = [r for r in records if r.get("flagged") is True]
    if not flagged:
        yield not_verified(
            f"{rel}: no replayed input was flagged, so nothing shows what happens to one",
            Gap(item=rel, reason=GapReason.EMPTY, detail="no flagged records"),
            key=rel,
        )
        return
    unrecorded = [r for r in flagged if not text(r, "action", "outcome")]
    served = [r for r in flagged if text(r, "action", "outcome").lower() in SERVED]
    other = [
        r
        for r in flagged
        if (a := text(r, "action", "outcome").lower()) and a not in SERVED and a not in defined
    ]
    facts = (("flagged", str(len(flagged))), ("actions", ",".join(sorted(defined))))
    if served or other:
        parts = []
        if served:
            parts.append(
                f"{len(served)} flagged input(s) served normally "
                f"({', '.join(text(r, 'input_id') or '?' for r in served[:4])})"
            )
        if other:
            parts.append(
                f"{len(other)} given an undefined action "
                f"({', '.join(sorted({text(r, 'action', 'outcome') for r in other})[:4])})"
            )
        yield failed(f"{rel}: " + "; ".join(parts), key=rel, facts=facts)
        return
    if unrecorded:
        yield not_verified(
            f"{rel}: {len(unrecorded)} flagged input(s) have no recorded action",
            Gap(item=rel, reason=GapReason.NOT_PRESENT, detail="action missing"),
            key=rel,
            facts=facts,
        )
        return
    yield passed(
        f"{rel}: all {len(flagged)} flagged input(s) got a defined action "
        f"({', '.join(sorted({text(r, 'action', 'outcome') for r in flagged}))})",
        key=rel,
        facts=facts,
    )
