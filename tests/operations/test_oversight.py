"""Human oversight: the drill shows override and stop by a named overseer (MLC1060); every
intervention is logged and reviewed (MLC1061)."""

from __future__ import annotations

from mlsvs.checks.operations.oversight import (
    interventions_logged_and_reviewed,
    overseer_override_and_stop,
)
from tests.operations.helpers import jsonl, put
from tests.platform.helpers import run, statuses

OVERSEERS = [
    {
        "name": "j.doe@bank.example",
        "role": "credit risk analyst",
        "competence": "model-oversight training 2026-09; reads SHAP explanations",
    },
    {
        "name": "a.lee@bank.example",
        "role": "head of credit decisioning",
        "competence": "model-oversight training 2026-03",
    },
]


def _inference(second: int, status: int = 200) -> dict[str, object]:
    return {
        "ts": f"2026-11-20T14:00:{second:02d}Z",
        "event": "inference",
        "request_id": f"req-{second:04d}",
        "output_id": f"out-{second:04d}",
        "model_id": "credit-gbm",
        "status": status,
        "output": {"decision": "decline", "score": 0.81},
    }


def _drill(after_stop_status: int = 503) -> list[dict[str, object]]:
    return [
        _inference(1),
        _inference(2),
        {
            "ts": "2026-11-20T14:00:03Z",
            "event": "override",
            "actor": "j.doe@bank.example",
            "output_id": "out-0002",
            "reason": "income evidence contradicts the score",
            "replacement": {"decision": "refer"},
        },
        _inference(4),
        {
            "ts": "2026-11-20T14:00:05Z",
            "event": "stop",
            "actor": "a.lee@bank.example",
            "reason": "drill: stop the decisioning service",
        },
        _inference(6, status=after_stop_status),
        _inference(7, status=after_stop_status),
        {"ts": "2026-11-20T14:05:00Z", "event": "resume", "actor": "a.lee@bank.example"},
        {**_inference(8), "ts": "2026-11-20T14:05:30Z"},
    ]


def _config(**extra: object) -> dict[str, dict[str, object]]:
    conf: dict[str, object] = {"overseers": OVERSEERS, "drill": "oversight/drill.jsonl"}
    conf.update(extra)
    return {"oversight": conf}


def test_drill_with_override_and_effective_stop_passes(tmp_path) -> None:
    put(tmp_path, "oversight/drill.jsonl", jsonl(_drill()))
    outcomes = run(overseer_override_and_stop, tmp_path, settings=_config())
    assert statuses(outcomes) == {"pass"}, outcomes
    assert "out-0002" in outcomes[0].message


def test_serving_after_stop_or_missing_override_fails(tmp_path) -> None:
    put(tmp_path, "oversight/drill.jsonl", jsonl(_drill(after_stop_status=200)))
    outcomes = run(overseer_override_and_stop, tmp_path, settings=_config())
    assert statuses(outcomes) == {"fail"}
    assert "2 answer(s) were served normally after the stop" in outcomes[0].message
    no_override = [r for r in _drill() if r.get("event") != "override"]
    put(tmp_path, "oversight/drill.jsonl", jsonl(no_override))
    outcomes = run(overseer_override_and_stop, tmp_path, settings=_config())
    assert "no override" in outcomes[0].message
    # an override by someone who is not a named overseer does not count
    stranger = [
        {**r, "actor": "intern@bank.example"} if r.get("event") == "override" else r
        for r in _drill()
    ]
    put(tmp_path, "oversight/drill.jsonl", jsonl(stranger))
    outcomes = run(overseer_override_and_stop, tmp_path, settings=_config())
    assert statuses(outcomes) == {"fail"}
    assert "intern@bank.example" in outcomes[0].message


def test_overseer_without_competence_fails(tmp_path) -> None:
    put(tmp_path, "oversight/drill.jsonl", jsonl(_drill()))
    bare = [{"name": "j.doe@bank.example", "role": "analyst"}]
    outcomes = run(overseer_override_and_stop, tmp_path, settings=_config(overseers=bare))
    assert statuses(outcomes) == {"fail"}


def test_unconfigured_or_unparsable_drill_is_not_verified(tmp_path) -> None:
    assert statuses(run(overseer_override_and_stop, tmp_path)) == {"abstained"}
    put(tmp_path, "oversight/drill.jsonl", '{"ts": "2026-11-20T14:00:01Z", "event": "overr')
    assert statuses(run(overseer_override_and_stop, tmp_path, settings=_config())) == {
        "not_verified"
    }
    untimed = [{**r, "ts": "yesterday"} for r in _drill()]
    put(tmp_path, "oversight/drill.jsonl", jsonl(untimed))
    assert statuses(run(overseer_override_and_stop, tmp_path, settings=_config())) == {
        "not_verified"
    }


def _interventions() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for day in range(3, 29, 5):
        out.append(_inference(day))
        out.append(
            {
                "ts": f"2026-10-{day:02d}T09:30:00Z",
                "event": "override",
                "actor": "j.doe@bank.example",
                "output_id": f"out-10{day:02d}",
                "reason": "applicant's documents contradict the model's income feature",
            }
        )
    out.append(
        {
            "ts": "2026-11-25T16:00:00Z",
            "event": "stop",
            "actor": "a.lee@bank.example",
            "reason": "upstream feature store served stale data",
        }
    )
    return out


REVIEWS = [
    {
        "ts": "2026-11-03T10:00:00Z",
        "reviewer": "model risk committee",
        "period_start": "2026-10-01T00:00:00Z",
        "period_end": "2026-10-31T23:59:59Z",
        "interventions_reviewed": 6,
        "finding": "overrides cluster on self-employed applicants; retraining ticket ML-812",
    }
]


def _log_config(**extra: object) -> dict[str, dict[str, object]]:
    conf: dict[str, object] = {
        "log": "oversight/interventions.jsonl",
        "reviews": "oversight/reviews.jsonl",
    }
    conf.update(extra)
    return {"oversight": conf}


def test_logged_and_reviewed_interventions_pass(tmp_path) -> None:
    put(tmp_path, "oversight/interventions.jsonl", jsonl(_interventions()))
    put(tmp_path, "oversight/reviews.jsonl", jsonl(REVIEWS))
    outcomes = run(interventions_logged_and_reviewed, tmp_path, settings=_log_config())
    assert statuses(outcomes) == {"pass"}, outcomes
    assert "7 intervention(s)" in outcomes[0].message


def test_unlogged_reason_or_unreviewed_period_fails(tmp_path) -> None:
    events = _interventions()
    events[1] = {k: v for k, v in events[1].items() if k != "reason"}
    put(tmp_path, "oversight/interventions.jsonl", jsonl(events))
    put(tmp_path, "oversight/reviews.jsonl", jsonl(REVIEWS))
    outcomes = run(interventions_logged_and_reviewed, tmp_path, settings=_log_config())
    assert statuses(outcomes) == {"fail"}
    assert "1 intervention(s) lack reason" in outcomes[0].message
    # September's overrides were never reviewed
    september = [
        {**e, "ts": str(e["ts"]).replace("2026-10-", "2026-09-")} for e in _interventions()
    ]
    put(tmp_path, "oversight/interventions.jsonl", jsonl(september))
    outcomes = run(interventions_logged_and_reviewed, tmp_path, settings=_log_config())
    assert statuses(outcomes) == {"fail"}
    assert "fall in no reviewed period" in outcomes[0].message
    # the only review is older than the interval
    put(tmp_path, "oversight/interventions.jsonl", jsonl(_interventions()))
    outcomes = run(
        interventions_logged_and_reviewed,
        tmp_path,
        settings=_log_config(review_interval_days=14),
    )
    assert "older than 14 days" in outcomes[0].message


def test_reviews_missing_or_log_unreadable_is_not_verified(tmp_path) -> None:
    put(tmp_path, "oversight/interventions.jsonl", jsonl(_interventions()))
    outcomes = run(
        interventions_logged_and_reviewed,
        tmp_path,
        settings={"oversight": {"log": "oversight/interventions.jsonl"}},
    )
    assert statuses(outcomes) == {"not_verified"}
    put(tmp_path, "oversight/interventions.jsonl", "\x00\x01not json\n")
    outcomes = run(interventions_logged_and_reviewed, tmp_path, settings=_log_config())
    assert statuses(outcomes) == {"not_verified"}
    assert statuses(run(interventions_logged_and_reviewed, tmp_path)) == {"abstained"}


def test_drill_without_a_request_after_the_stop_is_not_verified(tmp_path) -> None:
    quiet = [r for r in _drill() if r.get("status") != 503]
    put(tmp_path, "oversight/drill.jsonl", jsonl(quiet))
    outcomes = run(overseer_override_and_stop, tmp_path, settings=_config())
    assert statuses(outcomes) == {"not_verified"}
    assert "does not show that the stop took effect" in outcomes[0].message
