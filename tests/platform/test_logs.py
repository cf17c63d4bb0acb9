"""Structured inference logging and kill-switch activations, from the project's log samples."""

from __future__ import annotations

import json

from mlsvs.checks.platform.logs import inference_logging_structured, kill_switch_logged
from tests.platform.helpers import by_key, run, statuses, write

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "fraud-scorer inference log line",
    "type": "object",
    "required": ["ts", "event", "model_id", "model_sha256"],
    "properties": {
        "ts": {"type": "string"},
        "event": {"enum": ["startup", "inference", "kill_switch"]},
        "model_id": {"type": "string", "minLength": 1},
        "model_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "status": {"type": "integer"},
        "latency_ms": {"type": "number", "minimum": 0},
    },
}
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def _record(number: int, **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "ts": f"2026-11-30T10:00:{number:02d}.000Z",
        "event": "inference",
        "model_id": "fraud-gbm",
        "model_sha256": DIGEST,
        "principal": f"key:{number:012x}",
        "request_id": f"req-{number:04d}",
        "input_sha256": f"{number:064x}",
        "status": 200,
        "output": {"label": "legit", "score": 0.12},
        "latency_ms": 4.5 + number,
    }
    record.update(changes)
    return record


def _project(tmp_path, records, drill=None):
    lines = [
        {
            "ts": "2026-11-30T09:59:59.000Z",
            "event": "startup",
            "model_id": "fraud-gbm",
            "model_sha256": DIGEST,
        },
        *records,
    ]
    files = {
        "monitoring/inference.schema.json": json.dumps(SCHEMA, indent=2),
        "monitoring/samples/inference.jsonl": "".join(json.dumps(r) + "\n" for r in lines),
    }
    if drill is not None:
        files["monitoring/samples/drill.jsonl"] = "".join(json.dumps(r) + "\n" for r in drill)
    return write(tmp_path, files)


CONFIG = {
    "monitoring": {
        "inference_log": {
            "schema": "monitoring/inference.schema.json",
            "samples": ["monitoring/samples/inference.jsonl"],
            "select": {"event": "inference"},
        },
        "kill_switch": {"log": "monitoring/samples/drill.jsonl"},
    }
}


def test_complete_structured_log_passes(tmp_path) -> None:
    records = [_record(n) for n in range(1, 30)]
    records.append(_record(30, status=401, output=None, principal="unauthenticated"))
    root = _project(tmp_path, records)
    outcomes = run(inference_logging_structured, root, settings=CONFIG)
    assert statuses(outcomes) == {"pass"}
    assert "30 inference event(s)" in outcomes[0].message


def test_missing_digest_or_invalid_record_fails(tmp_path) -> None:
    records = [_record(n) for n in range(1, 10)]
    no_input = dict(_record(10))
    del no_input["input_sha256"]
    root = _project(tmp_path, [*records, no_input, _record(11, model_sha256="not-a-digest")])
    outcomes = run(inference_logging_structured, root, settings=CONFIG)
    assert statuses(outcomes) == {"fail"}
    assert "input_fingerprint" in outcomes[0].message
    assert "do not validate" in outcomes[0].message
    ok_output_null = [_record(1, output=None)]  # a 200 answer must carry its output
    root = _project(tmp_path / "b", ok_output_null)
    assert "output" in run(inference_logging_structured, root, settings=CONFIG)[0].message


def test_unconfigured_or_unreadable_is_not_verified(tmp_path) -> None:
    root = _project(tmp_path, [_record(1)])
    assert statuses(run(inference_logging_structured, root)) == {"abstained"}
    (root / "monitoring/samples/inference.jsonl").write_text('{"ts": "2026-11-30T1')
    outcomes = by_key(run(inference_logging_structured, root, settings=CONFIG))
    assert outcomes == {"monitoring/samples/inference.jsonl": "not_verified"}


def test_kill_switch_activation_logged(tmp_path) -> None:
    activation = {
        "ts": "2026-11-30T11:00:00.000Z",
        "event": "kill_switch",
        "state": "activated",
        "model_id": "fraud-gbm",
        "actor": "on-call ML engineer",
        "reason": "quarterly drill",
    }
    back = {
        "ts": "2026-11-30T11:02:00.000Z",
        "event": "kill_switch",
        "state": "deactivated",
        "model_id": "fraud-gbm",
        "actor": "on-call ML engineer",
    }
    root = _project(tmp_path, [_record(1)], drill=[_record(2), activation, back])
    assert statuses(run(kill_switch_logged, root, settings=CONFIG)) == {"pass"}
    anonymous = {k: v for k, v in activation.items() if k != "actor"}
    root = _project(tmp_path / "b", [_record(1)], drill=[anonymous, back])
    outcomes = run(kill_switch_logged, root, settings=CONFIG)
    assert statuses(outcomes) == {"fail"} and "actor" in outcomes[0].message
    root = _project(tmp_path / "c", [_record(1)], drill=[_record(2), back])
    assert statuses(run(kill_switch_logged, root, settings=CONFIG)) == {"fail"}
