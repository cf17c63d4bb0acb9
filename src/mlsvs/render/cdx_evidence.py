"""Evidence entries of the CycloneDX attestation: findings and attestations as attachments."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mlsvs.render.text import clean

if TYPE_CHECKING:
    from mlsvs.model.attestation import Attestation
    from mlsvs.model.result import Finding


def _attachment(name: str, payload: object) -> dict[str, Any]:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return {
        "name": name,
        "contents": {"attachment": {"contentType": "application/json", "content": text}},
    }


def finding_evidence(ref: str, f: Finding, created: str) -> dict[str, Any]:
    """One ``declarations.evidence`` entry for a finding (its summary as a JSON attachment)."""
    payload = {
        "id": f.id,
        "check": clean(f.check),
        "status": f.status.value,
        "severity": f.severity.value,
        "target": clean(f.target.path),
        "location": clean(f.location.describe()) if f.location else "",
        "message": clean(f.message),
        "waiver": clean(f.waiver) if f.waiver else None,
        "measurements": [
            {"name": clean(m.name), "value": m.value, "threshold": m.threshold}
            for m in f.measurements
        ],
    }
    entry: dict[str, Any] = {
        "bom-ref": ref,
        "propertyName": "mlsvs:finding",
        "data": [_attachment(f"{clean(f.check)} {f.status.value}", payload)],
    }
    if created:
        entry["created"] = created
    return entry


def attestation_evidence(ref: str, t: Attestation) -> dict[str, Any]:
    """One ``declarations.evidence`` entry for a signed-off attestation, with its author."""
    payload = {
        "requirement": clean(t.requirement),
        "claim": t.claim.value,
        "validity": t.validity.value,
        "statement": clean(t.statement),
        "justification": clean(t.justification),
        "evidence": [
            {"path": clean(e.path or ""), "url": clean(e.url or ""), "sha256": e.sha256 or ""}
            for e in t.evidence
        ],
    }
    entry: dict[str, Any] = {
        "bom-ref": ref,
        "propertyName": "mlsvs:attestation",
        "data": [_attachment(clean(t.source), payload)],
    }
    if t.date is not None:
        entry["created"] = f"{t.date.isoformat()}T00:00:00Z"
    if t.expires is not None:
        entry["expires"] = f"{t.expires.isoformat()}T00:00:00Z"
    if t.attested_by is not None:
        author = {"name": clean(t.attested_by.name)}
        if t.attested_by.email:
            author["email"] = clean(t.attested_by.email)
        entry["author"] = author
    return entry
