"""Inference and kill-switch logs, judged on the project's own log samples: structured
inference logging (MLC845, M10.1.1) and logged kill-switch activations (MLC846, M10.3.6).

The samples and the schema are named in the configuration (they are often excluded from the
walk, and only the project knows which file is the last drill's log)::

    [monitoring.inference_log]
    schema = "monitoring/inference-log.schema.json"      # JSON Schema of one log line
    samples = ["monitoring/samples/baseline.jsonl"]      # JSON Lines written by the service
    select = { event = ["inference", "request"] }         # which records are inference events
    fields = { timestamp = "ts", model = "model_id", digest = "model_sha256" }  # renames

    [monitoring.kill_switch]
    log = "monitoring/samples/kill-switch-drill.jsonl"   # the last drill's log
    select = { event = "kill_switch", state = "activated" }

Every record must validate against the schema; every selected record must carry each listed
field with a non-empty value (``output`` may be null only in a record whose ``status`` is an
error, when no output was returned). Without the configuration nothing shows the logging, so
the requirements stay not verified.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.platform._sources import items, mapping
from mlsvs.plugin import (
    DatasetArtifact,
    Document,
    Gap,
    GapReason,
    MonitoringConfig,
    Project,
    Severity,
    abstained,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from mlsvs.plugin import CheckContext, Outcome

MAX_SAMPLE_BYTES = 64 * 1024 * 1024
MAX_RECORDS = 200_000
INFERENCE_FIELDS: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "ts", "time", "@timestamp"),
    "model": ("model_id", "model", "model_name"),
    "digest": ("model_sha256", "model_digest", "digest", "model_hash"),
    "principal": ("principal", "user", "caller", "client_id", "api_key_id"),
    "request_id": ("request_id", "requestId", "trace_id", "id"),
    "input_fingerprint": ("input_sha256", "input_hash", "input_fingerprint", "input_digest"),
    "output": ("output", "prediction", "response"),
    "latency": ("latency_ms", "latency", "duration_ms", "latency_s"),
}
KILL_SWITCH_FIELDS: dict[str, tuple[str, ...]] = {
    "actor": ("actor", "activated_by", "user", "principal"),
    "time": ("timestamp", "ts", "time", "@timestamp"),
    "reason": ("reason", "justification", "why"),
}


class SampleError(ValueError):
    """A configured file that could not be read (the message says why)."""

    def __init__(self, path: str, reason: GapReason, message: str) -> None:
        super().__init__(message)
        self.gap = Gap(item=path, reason=reason, detail=message[:300])


def _inside(project: Project, rel: str) -> Path:
    path = (project.root / rel).resolve()
    if not path.is_relative_to(project.root.resolve()):
        raise SampleError(rel, GapReason.UNSUPPORTED, "outside the project")
    return path


def read_records(project: Project, rel: str) -> list[Mapping[str, object]]:
    """The JSON objects of a JSON Lines file (a line that is not an object is an error)."""
    try:
        path = _inside(project, rel)
        if path.stat().st_size > MAX_SAMPLE_BYTES:
            raise SampleError(rel, GapReason.TOO_LARGE, "larger than 64 MiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SampleError(rel, GapReason.UNREADABLE, exc.strerror or "unreadable") from None
    except UnicodeDecodeError as exc:
        raise SampleError(rel, GapReason.UNPARSEABLE, f"not UTF-8 at byte {exc.start}") from None
    records: list[Mapping[str, object]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            raise SampleError(rel, GapReason.UNPARSEABLE, f"line {number} is not JSON") from None
        if not isinstance(value, dict):
            raise SampleError(rel, GapReason.UNPARSEABLE, f"line {number} is not an object")
        records.append(value)
        if len(records) > MAX_RECORDS:
            raise SampleError(rel, GapReason.TOO_LARGE, f"more than {MAX_RECORDS} records")
    if not records:
        raise SampleError(rel, GapReason.EMPTY, "no records")
    return records


def selected(record: Mapping[str, object], select: Mapping[str, object]) -> bool:
    """Whether a record matches ``select`` (field -> value or list of values)."""
    for key, wanted in select.items():
        allowed = items(wanted) if isinstance(wanted, list) else [wanted]
        if record.get(key) not in allowed:
            return False
    return True


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldMap:
    """Logical field -> the record key that holds it."""

    keys: Mapping[str, str]


def field_map(
    defaults: Mapping[str, tuple[str, ...]],
    configured: Mapping[str, object],
    records: list[Mapping[str, object]],
) -> FieldMap:
    """Configured renames first, then the first synonym any record carries."""
    seen = {k for r in records for k in r}
    keys = {}
    for logical, synonyms in defaults.items():
        given = configured.get(logical)
        if isinstance(given, str):
            keys[logical] = given
            continue
        keys[logical] = next((s for s in synonyms if s in seen), synonyms[0])
    return FieldMap(keys=keys)


def missing_fields(record: Mapping[str, object], fields: FieldMap) -> list[str]:
    """Logical fields a record lacks or leaves empty."""
    out = []
    for logical, key in fields.keys.items():
        value = record.get(key)
        if logical == "output" and value is None and key in record:
            status = record.get("status")
            if isinstance(status, int) and status >= 400:
                continue  # an error answer returned no output
        if _empty(value):
            out.append(logical)
    return out


def _section(ctx: CheckContext, name: str) -> Mapping[str, object]:
    return mapping(ctx.section("monitoring").get(name))


def _not_configured(name: str, what: str) -> Outcome:
    # nothing points at a log: abstain, so an attestation may stand in (no pass without one)
    return abstained(
        f"no [monitoring.{name}] in the configuration, so no log sample shows {what}",
        key="not-configured",
    )


@check(
    id="MLC845",
    title="Inference events are logged with a schema and every listed field",
    requirements=["M10.1.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[Document, DatasetArtifact, MonitoringConfig],
    remediation="Log every inference event as one JSON object with timestamp, model id and "
    "digest, principal, request id, input fingerprint, output and latency; declare its JSON "
    "Schema and point [monitoring.inference_log] at the schema and a recent log sample.",
)
def inference_logging_structured(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Log samples validate against the declared JSON Schema and every inference record carries
    timestamp, model identifier and digest, principal, request id, input fingerprint, output and
    latency, none of them empty."""
    import jsonschema

    conf = _section(ctx, "inference_log")
    if not conf:
        yield _not_configured("inference_log", "structured inference logging")
        return
    schema_path = conf.get("schema")
    samples = [s for s in items(conf.get("samples")) if isinstance(s, str)]
    if not isinstance(schema_path, str) or not samples:
        yield errored("[monitoring.inference_log] needs schema (a path) and samples (a list)")
        return
    try:
        path = _inside(project, schema_path)
        schema = json.loads(path.read_text(encoding="utf-8"))
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
    except SampleError as exc:
        yield not_verified(f"schema {schema_path}: {exc}", exc.gap, key=schema_path)
        return
    except (OSError, ValueError, jsonschema.SchemaError) as exc:
        gap = Gap(item=schema_path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:300])
        yield not_verified(
            f"schema {schema_path} is not a usable JSON Schema", gap, key=schema_path
        )
        return
    validator = validator_class(schema)
    select = mapping(conf.get("select"))
    fields_conf = mapping(conf.get("fields"))
    for sample in samples:
        try:
            records = read_records(project, sample)
        except SampleError as exc:
            yield not_verified(f"{sample}: {exc}", exc.gap, key=sample)
            continue
        invalid = []
        for number, record in enumerate(records, 1):
            error = next(iter(validator.iter_errors(record)), None)
            if error is not None:
                invalid.append(f"record {number}: {error.message[:120]}")
        events = [r for r in records if selected(r, select)]
        fields = field_map(INFERENCE_FIELDS, fields_conf, events)
        lacking: dict[str, int] = {}
        for number, record in enumerate(events, 1):
            if gone := missing_fields(record, fields):
                lacking.setdefault(",".join(gone), number)
        facts = (
            ("sample", sample),
            ("records", str(len(records))),
            ("events", str(len(events))),
            ("fields", ",".join(f"{k}={v}" for k, v in sorted(fields.keys.items()))),
        )
        problems = []
        if invalid:
            problems.append(
                f"{len(invalid)} record(s) do not validate against {schema_path} "
                f"({'; '.join(invalid[:3])})"
            )
        if not events:
            problems.append("no inference event in the sample")
        for absent, first in lacking.items():
            problems.append(f"inference event {first} (and maybe others) lacks {absent}")
        if problems:
            yield failed(f"{sample}: " + "; ".join(problems), key=sample, facts=facts)
        else:
            yield passed(
                f"{sample}: {len(records)} record(s) validate against {schema_path}; "
                f"{len(events)} inference event(s) carry every listed field",
                key=sample,
                facts=facts,
            )


@check(
    id="MLC846",
    title="Kill-switch activations are logged with actor, time and reason",
    requirements=["M10.3.6"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[Document, DatasetArtifact, MonitoringConfig],
    remediation="Log each kill-switch or safe-mode activation with who, when and why; point "
    "[monitoring.kill_switch] log at the last drill's log.",
)
def kill_switch_logged(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """The last drill's log holds an activation record with a non-empty actor, time and reason."""
    conf = _section(ctx, "kill_switch")
    if not conf:
        yield _not_configured("kill_switch", "kill-switch activations")
        return
    log = conf.get("log")
    if not isinstance(log, str):
        yield errored("[monitoring.kill_switch] needs log (a path to the last drill's log)")
        return
    try:
        records = read_records(project, log)
    except SampleError as exc:
        yield not_verified(f"{log}: {exc}", exc.gap, key=log)
        return
    select = mapping(conf.get("select")) or {"event": "kill_switch", "state": "activated"}
    activations = [r for r in records if selected(r, select)]
    fields = field_map(KILL_SWITCH_FIELDS, mapping(conf.get("fields")), activations)
    if not activations:
        yield failed(f"{log}: no activation record matching {dict(select)}", key=log)
        return
    lacking = [
        (n, gone) for n, r in enumerate(activations, 1) if (gone := missing_fields(r, fields))
    ]
    if lacking:
        n, gone = lacking[0]
        yield failed(f"{log}: activation {n} lacks {', '.join(gone)}", key=log)
    else:
        yield passed(
            f"{log}: {len(activations)} activation(s) logged with actor, time and reason",
            key=log,
            facts=(("fields", ",".join(f"{k}={v}" for k, v in sorted(fields.keys.items()))),),
        )
