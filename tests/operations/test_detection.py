"""The input detector's rates on a replay (MLC1072) and the action on flagged inputs
(MLC1073)."""

from __future__ import annotations

import random

from mlsvs.checks.operations.detection import detector_rates, flagged_inputs_actioned
from tests.operations.helpers import jsonl, put
from tests.platform.helpers import run, statuses

CONFIG = {"detection": {"replay": "security/replay.jsonl", "actions": ["blocked", "review"]}}
THRESHOLD = 0.62  # the detector's score threshold in the serving config


def _replay(n_adv: int = 60, n_clean: int = 400, adv_mean: float = 0.9, seed: int = 7):
    """Scores as a feature-squeezing detector gives them: L1 distance between the model's
    output on the input and on its squeezed copy; flagged above the threshold."""
    rng = random.Random(seed)
    out = []
    for i in range(n_adv):
        score = min(1.0, max(0.0, rng.gauss(adv_mean, 0.12)))
        flagged = score > THRESHOLD
        out.append(
            {
                "input_id": f"adv-{i:04d}",
                "kind": "adversarial",
                "attack": "pgd-linf-eps8" if i % 2 else "square-linf-eps8",
                "score": round(score, 4),
                "flagged": flagged,
                "action": "blocked" if flagged else "served",
            }
        )
    for i in range(n_clean):
        score = min(1.0, max(0.0, rng.gauss(0.18, 0.1)))
        flagged = score > THRESHOLD
        out.append(
            {
                "input_id": f"clean-{i:05d}",
                "kind": "clean",
                "source": "prod-sample-2026-11-28",
                "score": round(score, 4),
                "flagged": flagged,
                "action": "review" if flagged else "served",
            }
        )
    return out


def test_detector_meeting_both_rates_passes(tmp_path) -> None:
    put(tmp_path, "security/replay.jsonl", jsonl(_replay()))
    outcomes = run(detector_rates, tmp_path, settings=CONFIG)
    assert statuses(outcomes) == {"pass"}, outcomes
    names = {m.name: m for m in outcomes[0].measurements}
    assert names["detection_rate"].value >= 0.8
    assert names["detection_rate"].lower is not None
    assert names["false_positive_rate"].value <= 0.01


def test_weak_detector_or_noisy_one_fails(tmp_path) -> None:
    put(tmp_path, "security/replay.jsonl", jsonl(_replay(adv_mean=0.6)))
    outcomes = run(detector_rates, tmp_path, settings=CONFIG)
    assert statuses(outcomes) == {"fail"}
    assert "detection rate below 0.8" in outcomes[0].message
    noisy = _replay()
    for record in noisy[60:70]:
        record["flagged"] = True
    put(tmp_path, "security/replay.jsonl", jsonl(noisy))
    outcomes = run(detector_rates, tmp_path, settings=CONFIG)
    assert "false-positive rate above 0.01" in outcomes[0].message
    # L3 asks 0.9: the same detector that passes L2 may not
    put(tmp_path, "security/replay.jsonl", jsonl(_replay(adv_mean=0.75)))
    l2 = run(detector_rates, tmp_path, settings=CONFIG)
    l3 = run(detector_rates, tmp_path, settings=CONFIG, **{"M10.2.3.min_detection_rate": 0.9})
    assert statuses(l2) == {"pass"} and statuses(l3) == {"fail"}


def test_small_or_broken_replay_is_not_verified(tmp_path) -> None:
    put(tmp_path, "security/replay.jsonl", jsonl(_replay(n_clean=50)))
    assert statuses(run(detector_rates, tmp_path, settings=CONFIG)) == {"not_verified"}
    broken = _replay()
    broken[3]["flagged"] = "yes"
    put(tmp_path, "security/replay.jsonl", jsonl(broken))
    assert statuses(run(detector_rates, tmp_path, settings=CONFIG)) == {"not_verified"}
    put(tmp_path, "security/replay.jsonl", jsonl(_replay())[:-9])
    assert statuses(run(detector_rates, tmp_path, settings=CONFIG)) == {"not_verified"}
    assert statuses(run(flagged_inputs_actioned, tmp_path, settings=CONFIG)) == {"not_verified"}
    assert statuses(run(detector_rates, tmp_path)) == {"abstained"}


def test_flagged_inputs_follow_the_defined_action(tmp_path) -> None:
    put(tmp_path, "security/replay.jsonl", jsonl(_replay()))
    outcomes = run(flagged_inputs_actioned, tmp_path, settings=CONFIG)
    assert statuses(outcomes) == {"pass"}, outcomes
    leaky = _replay()
    flagged = [r for r in leaky if r["flagged"]]
    flagged[0]["action"] = "served"
    flagged[1]["action"] = "degraded"  # not the defined action here
    put(tmp_path, "security/replay.jsonl", jsonl(leaky))
    outcomes = run(flagged_inputs_actioned, tmp_path, settings=CONFIG)
    assert statuses(outcomes) == {"fail"}
    assert "1 flagged input(s) served normally" in outcomes[0].message
    assert "undefined action (degraded)" in outcomes[0].message
    allowed = {"detection": {**CONFIG["detection"], "actions": ["served"]}}
    assert statuses(run(flagged_inputs_actioned, tmp_path, settings=allowed)) == {"error"}
