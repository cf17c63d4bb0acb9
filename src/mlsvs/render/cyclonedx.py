"""CycloneDX 1.6 attestation (CDXA): the standard, the artifacts, and what was claimed.

* ``definitions.standards[0]``: the MLSVS version used (name, version, digest), with chapter
  and section entries as ``parent`` of the requirements that have verdicts, and the levels.
  Requirement bom-refs are ``mlsvs-<version>-<ID>``.
* ``components``: discovered artifacts (``machine-learning-model``, ``data`` or ``file``) with
  SHA-256 hashes when known, under the bom-refs ``mlsvs bom`` gives them
  (``mlsvs.util.bomrefs``), so claims and the project's ML-BOM refer to the same components.
* ``declarations``: ``targets`` (the project), ``assessors`` (the tool and every person who
  signed an attestation), ``claims`` (one per requirement), ``evidence`` (findings and
  attestations) and ``attestations[0].map`` (requirement, claim, conformance, confidence).

Deterministic: the serial number is a UUID5 of the assessment's identity, not random.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from mlsvs.model.catalog import Level, id_sort_key
from mlsvs.model.verdict import Basis, Verdict
from mlsvs.render.cdx_evidence import attestation_evidence, finding_evidence
from mlsvs.render.text import VERDICT_LABELS, clean, sorted_verdicts
from mlsvs.util import bomrefs
from mlsvs.util.bomrefs import PROJECT_REF

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

    from mlsvs.model.assessment import ArtifactRecord, Assessment
    from mlsvs.model.attestation import Attestation

SCHEMA = "http://cyclonedx.org/schema/bom-1.6.schema.json"
TOOL_REF = "mlsvs-assessor-tool"
_SHA256 = re.compile(r"^[a-fA-F0-9]{64}$")
_CONFIDENCE = {
    Basis.BOTH: (1.0, "automated checks and a valid attestation"),
    Basis.AUTOMATED: (0.9, "automated checks"),
    Basis.ATTESTED: (0.7, "a signed-off attestation"),
    Basis.PROFILE: (0.6, "the declared applicability profile"),
    Basis.NONE: (0.0, "no evidence"),
}
_COMPONENT_TYPE = {"model": "machine-learning-model", "dataset": "data"}


def requirement_ref(version: str, requirement: str) -> str:
    """The bom-ref of one requirement of the standard: ``mlsvs-1.0.0-M4.1.1``."""
    return f"mlsvs-{version}-{requirement}"


def artifact_ref(record: ArtifactRecord) -> str:
    """The bom-ref of a discovered artifact: the one ``mlsvs bom`` gives the same component
    (``model:<path>``, ``data:<path>``; ``file:<path>`` for the rest), so a claim's target
    names the component of the project's ML-BOM."""
    return bomrefs.artifact_ref(record.kind, record.path)


class CycloneDxRenderer:
    """Registered as ``cyclonedx``; ``requirement_titles`` fills requirement titles."""

    name: ClassVar[str] = "cyclonedx"
    suffix: ClassVar[str] = ".cdx.json"
    binary: ClassVar[bool] = False

    def __init__(self, *, requirement_titles: Mapping[str, str] | None = None) -> None:
        self.requirement_titles = dict(requirement_titles or {})

    def render(self, assessment: Assessment, out: TextIO) -> None:
        """Write the CycloneDX JSON document."""
        bom = cyclonedx_bom(assessment, requirement_titles=self.requirement_titles)
        out.write(json.dumps(bom, indent=2, ensure_ascii=False) + "\n")


def cyclonedx_bom(
    a: Assessment, *, requirement_titles: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The CycloneDX 1.6 document as plain data."""
    identity = f"{a.standard.digest}|{a.config_digest}|{a.project.root}|{a.started_at}"
    bom: dict[str, Any] = {
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": uuid.uuid5(uuid.NAMESPACE_URL, f"mlsvs:{identity}").urn,
        "version": 1,
        "metadata": _metadata(a),
        "components": [_component(r) for r in sorted(a.artifacts, key=lambda r: r.path)],
        "declarations": _declarations(a),
        "definitions": {"standards": [_standard(a, requirement_titles or {})]},
    }
    return bom


def _metadata(a: Assessment) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "tools": {
            "components": [
                {
                    "type": "application",
                    "name": clean(a.tool.name),
                    "version": clean(a.tool.version),
                }
            ]
        },
        "component": {"type": "application", "name": clean(a.project.name) or "project"},
        "properties": _props(
            ("mlsvs:target_level", str(a.target_level)),
            ("mlsvs:achieved_level", str(a.achieved_level) if a.achieved_level else "none"),
            ("mlsvs:target_met", str(a.target_met).lower()),
            ("mlsvs:config_digest", a.config_digest),
            *(("mlsvs:trait", t) for t in sorted(a.project.traits)),
        ),
    }
    if a.finished_at:
        meta["timestamp"] = a.finished_at
    return meta


def _props(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": clean(value)} for name, value in pairs if value]


def _component(r: ArtifactRecord) -> dict[str, Any]:
    component: dict[str, Any] = {
        "type": _COMPONENT_TYPE.get(r.kind, "file"),
        "bom-ref": artifact_ref(r),
        "name": clean(r.path),
    }
    if _SHA256.match(r.sha256):
        component["hashes"] = [{"alg": "SHA-256", "content": r.sha256.lower()}]
    component["properties"] = _props(
        ("mlsvs:kind", r.kind), ("mlsvs:format", r.format), ("mlsvs:size", str(r.size))
    )
    return component


def _standard(a: Assessment, titles: Mapping[str, str]) -> dict[str, Any]:
    version = a.standard.version
    ids: set[str] = set()
    levels: dict[str, Level] = {}
    for v in a.verdicts:
        levels[v.requirement] = v.level
        parts = v.requirement.split(".")
        ids.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    requirements = []
    for rid in sorted(ids, key=lambda r: (id_sort_key(r), r)):
        entry: dict[str, Any] = {
            "bom-ref": requirement_ref(version, rid),
            "identifier": rid,
        }
        if titles.get(rid):
            entry["title"] = clean(titles[rid])
        if "." in rid:
            entry["parent"] = requirement_ref(version, rid.rsplit(".", 1)[0])
        requirements.append(entry)
    return {
        "bom-ref": f"mlsvs-{version}",
        "name": clean(a.standard.name),
        "version": clean(version),
        "description": f"{clean(a.standard.name)} {clean(version)} (catalog digest sha256:"
        f"{clean(a.standard.digest)}); requirements listed are those with a verdict.",
        "owner": "OWASP",
        "requirements": requirements,
        "levels": [
            {
                "bom-ref": f"mlsvs-{version}-{level}",
                "identifier": str(level),
                "requirements": [
                    requirement_ref(version, rid)
                    for rid in sorted(levels, key=lambda r: (id_sort_key(r), r))
                    if levels[rid] <= level
                ],
            }
            for level in Level
        ],
    }


def _person_ref(t: Attestation) -> str | None:
    if t.attested_by is None:
        return None
    return "mlsvs-assessor:" + clean(t.attested_by.email or t.attested_by.name)


def _declarations(a: Assessment) -> dict[str, Any]:
    version = a.standard.version
    by_id = {f.id: f for f in a.findings}
    records = {r.path: r for r in a.artifacts}
    attestations = {t.source: t for t in a.attestations}
    evidence: dict[str, dict[str, Any]] = {}
    claims, mapping = [], []
    for v in sorted_verdicts(a):
        refs: list[str] = []
        found = [by_id[i] for i in v.findings if i in by_id]
        for f in found:
            ref = f"mlsvs-evidence-finding:{f.id}"
            evidence.setdefault(ref, finding_evidence(ref, f, a.finished_at))
            refs.append(ref)
        used = attestations.get(v.attestation) if v.attestation else None
        if used is not None:
            ref = f"mlsvs-evidence-attestation:{used.source}"
            evidence.setdefault(ref, attestation_evidence(ref, used))
            refs.append(ref)
        targets = {f.target.path for f in found}
        target = (
            artifact_ref(records[next(iter(targets))])
            if len(targets) == 1 and targets <= records.keys()
            else PROJECT_REF
        )
        claim_ref = f"mlsvs-claim:{v.requirement}"
        reasoning = "; ".join(clean(r) for r in v.reasons) or VERDICT_LABELS[v.verdict]
        claims.append(
            {
                "bom-ref": claim_ref,
                "target": target,
                "predicate": f"{v.requirement} ({v.level}): {VERDICT_LABELS[v.verdict]}",
                "reasoning": reasoning,
                "evidence": refs,
            }
        )
        score, why = _CONFIDENCE[v.basis]
        entry: dict[str, Any] = {
            "requirement": requirement_ref(version, v.requirement),
            "claims": [claim_ref],
            "confidence": {"score": score, "rationale": f"verdict based on {why}"},
        }
        if v.verdict is not Verdict.NOT_APPLICABLE:
            # A requirement that does not apply has no conformance to score (n/a is not "1.0").
            entry["conformance"] = {
                "score": 1.0 if v.verdict is Verdict.PASS else 0.0,
                "rationale": f"{VERDICT_LABELS[v.verdict]}: {reasoning}",
                "mitigationStrategies": [],
            }
        mapping.append(entry)
    assessors: dict[str, dict[str, Any]] = {
        TOOL_REF: {
            "bom-ref": TOOL_REF,
            "thirdParty": False,
            "organization": {"name": f"{clean(a.tool.name)} {clean(a.tool.version)} (automated)"},
        }
    }
    for t in sorted(a.attestations, key=lambda t: t.source):
        person = _person_ref(t)
        if person is None or person in assessors or t.attested_by is None:
            continue
        contact = {"name": clean(t.attested_by.name)}
        if t.attested_by.email:
            contact["email"] = clean(t.attested_by.email)
        assessors[person] = {
            "bom-ref": person,
            "thirdParty": False,
            "organization": {
                "name": clean(t.attested_by.role) or contact["name"],
                "contact": [contact],
            },
        }
    met = "met" if a.target_met else "not met"
    return {
        "assessors": [assessors[k] for k in sorted(assessors)],
        "attestations": [
            {
                "summary": f"{clean(a.project.name)}: level {a.achieved_level or 'none'} achieved, "
                f"target {a.target_level} {met}",
                "assessor": TOOL_REF,
                "map": mapping,
            }
        ],
        "claims": claims,
        "evidence": [evidence[k] for k in sorted(evidence)],
        "targets": {
            "components": [
                {
                    "type": "application",
                    "bom-ref": PROJECT_REF,
                    "name": clean(a.project.name) or "project",
                    "properties": _props(*(("mlsvs:trait", t) for t in sorted(a.project.traits))),
                }
            ]
        },
    }
