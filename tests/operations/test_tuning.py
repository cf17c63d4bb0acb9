"""Fine-tuning and preference data integrity (MLC1088): provenance and an accepted screening of
the exact file."""

from __future__ import annotations

import hashlib
import json

from mlsvs.checks.operations.tuning import tuning_data_integrity
from tests.operations.helpers import jsonl, put
from tests.platform.helpers import by_key, run

CARD = """---
license: cc-by-4.0
language: [en]
task_categories: [text-generation]
source_datasets:
  - Anthropic/hh-rlhf (helpful-base, commit 09be8c5)
  - internal: support-chat-ratings 2026-Q3, annotated by vendor LabelCo (contract LC-2026-14)
annotations_creators: [expert-generated]
---
# Support assistant DPO pairs v3

Chosen/rejected pairs for direct preference optimisation of the support assistant.
"""


def _pairs():
    return [
        {
            "prompt": f"How do I reset the password for account #{n}?",
            "chosen": "Open Settings > Security and choose 'Reset password'.",
            "rejected": "Email me your current password and I will reset it.",
            "annotator": f"labelco-{n % 7:02d}",
        }
        for n in range(200)
    ]


def _report(digest: str, decision: str = "accepted") -> str:
    return json.dumps(
        {
            "subject": "data/dpo/pairs-v3.jsonl",
            "sha256": digest,
            "screening": {
                "tool": "cleanlab 2.7.1 + trigger-phrase scan",
                "date": "2026-11-18",
                "flagged": 3,
                "total": 200,
                "removed": 3,
            },
            "review": {
                "reviewer": "r.kim@acme.example",
                "decision": decision,
                "date": "2026-11-19",
                "note": "3 pairs with a repeated URL trigger removed before v3 was frozen",
            },
        },
        indent=2,
    )


CONFIG = {
    "agents": {
        "fine_tuning": [
            {
                "kind": "preference",
                "path": "data/dpo/pairs-v3.jsonl",
                "card": "data/dpo/README.md",
                "screening": "reports/dpo-pairs-v3-screening.json",
            }
        ]
    }
}


def _project(tmp_path, card=CARD, decision="accepted", tamper=False):
    body = jsonl(_pairs())
    put(tmp_path, "data/dpo/pairs-v3.jsonl", body)
    put(tmp_path, "data/dpo/README.md", card)
    put(
        tmp_path,
        "reports/dpo-pairs-v3-screening.json",
        _report(hashlib.sha256(body.encode()).hexdigest(), decision),
    )
    if tamper:  # a pair changed after screening
        put(
            tmp_path,
            "data/dpo/pairs-v3.jsonl",
            body.replace("Settings > Security", "http://evil.example", 1),
        )
    return tmp_path


def test_provenance_and_accepted_screening_pass(tmp_path) -> None:
    outcomes = run(tuning_data_integrity, _project(tmp_path), settings=CONFIG)
    assert by_key(outcomes) == {"data/dpo/pairs-v3.jsonl": "pass"}, outcomes
    assert "r.kim@acme.example" in outcomes[0].message


def test_changed_file_unknown_origin_or_rejected_screening_fails(tmp_path) -> None:
    outcome = run(tuning_data_integrity, _project(tmp_path, tamper=True), settings=CONFIG)[0]
    assert outcome.status.value == "fail" and "not this file" in outcome.message
    no_source = CARD.replace(
        "source_datasets:\n  - Anthropic/hh-rlhf (helpful-base, commit 09be8c5)\n"
        "  - internal: support-chat-ratings 2026-Q3, annotated by vendor LabelCo (contract LC-2026-14)\n",
        "",
    )
    outcome = run(tuning_data_integrity, _project(tmp_path, card=no_source), settings=CONFIG)[0]
    assert outcome.status.value == "fail" and "records no provenance" in outcome.message
    outcome = run(tuning_data_integrity, _project(tmp_path, decision="pending"), settings=CONFIG)[0]
    assert "decision is pending" in outcome.message
    reward = {
        "agents": {"fine_tuning": [{"kind": "reward_model", "path": "models/rm.safetensors"}]}
    }
    outcome = run(tuning_data_integrity, tmp_path, settings=reward)[0]
    assert outcome.status.value == "fail" and "does not exist" in outcome.message


def test_unparsable_or_unconfigured_is_not_verified(tmp_path) -> None:
    _project(tmp_path)
    put(tmp_path, "reports/dpo-pairs-v3-screening.json", '{"sha256": "ab12", "screening": {')
    assert by_key(run(tuning_data_integrity, tmp_path, settings=CONFIG)) == {
        "data/dpo/pairs-v3.jsonl": "not_verified"
    }
    assert by_key(run(tuning_data_integrity, tmp_path)) == {"not-configured": "not_verified"}
    bad = {"agents": {"fine_tuning": [{"kind": "pretraining", "path": "x"}]}}
    assert by_key(run(tuning_data_integrity, tmp_path, settings=bad)) == {"entry-1": "error"}
