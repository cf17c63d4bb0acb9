"""Misinformation controls: expert-judged factual-error and citation rates (MLC1087)."""

from __future__ import annotations

from mlsvs.checks.operations.grounding import grounded_outputs
from tests.operations.helpers import jsonl, put
from tests.platform.helpers import run, statuses

CONFIG = {"agents": {"grounding": {"evaluation": "eval/expert-review.jsonl"}}}


def _verdicts(n: int = 120, errors: int = 3, unsupported: int = 4):
    out = []
    for i in range(n):
        cites = [
            {"id": f"KB-{1000 + i}", "supports": True},
            {"id": f"POL-{i % 17:03d}", "supports": not (i < unsupported)},
        ]
        out.append(
            {
                "question_id": f"q-{i:04d}",
                "domain": "consumer-credit-policy",
                "reviewer": ("c.ortiz" if i % 2 else "m.haddad") + "@compliance.example",
                "answer_sha256": f"{i:064x}",
                "factual_error": i >= n - errors,
                "citations": cites,
                "notes": "checked against policy manual v14",
            }
        )
    return out


def test_low_error_and_unsupported_rates_pass(tmp_path) -> None:
    put(tmp_path, "eval/expert-review.jsonl", jsonl(_verdicts()))
    outcomes = run(grounded_outputs, tmp_path, settings=CONFIG)
    assert statuses(outcomes) == {"pass"}, outcomes
    assert "3/120" in outcomes[0].message and "4/240" in outcomes[0].message


def test_rates_over_the_limit_fail(tmp_path) -> None:
    put(tmp_path, "eval/expert-review.jsonl", jsonl(_verdicts(errors=9)))
    outcomes = run(grounded_outputs, tmp_path, settings=CONFIG)
    assert statuses(outcomes) == {"fail"}
    assert "factual-error rate above 0.05" in outcomes[0].message
    put(tmp_path, "eval/expert-review.jsonl", jsonl(_verdicts(unsupported=20)))
    outcomes = run(grounded_outputs, tmp_path, settings=CONFIG)
    assert "unsupported-citation rate above 0.05" in outcomes[0].message
    put(tmp_path, "eval/expert-review.jsonl", jsonl(_verdicts()))  # 2.5 % fails L3's 2 %
    strict = run(
        grounded_outputs, tmp_path, settings=CONFIG, **{"M11.2.4.max_factual_error_rate": 0.02}
    )
    assert statuses(strict) == {"fail"}


def test_small_incomplete_or_unparsable_evaluation_is_not_verified(tmp_path) -> None:
    put(tmp_path, "eval/expert-review.jsonl", jsonl(_verdicts(n=12, errors=0, unsupported=0)))
    assert statuses(run(grounded_outputs, tmp_path, settings=CONFIG)) == {"not_verified"}
    anonymous = _verdicts()
    anonymous[5]["reviewer"] = ""
    put(tmp_path, "eval/expert-review.jsonl", jsonl(anonymous))
    assert statuses(run(grounded_outputs, tmp_path, settings=CONFIG)) == {"not_verified"}
    put(tmp_path, "eval/expert-review.jsonl", "question_id,factual_error\nq-1,false\n")
    assert statuses(run(grounded_outputs, tmp_path, settings=CONFIG)) == {"not_verified"}
    assert statuses(run(grounded_outputs, tmp_path)) == {"abstained"}
