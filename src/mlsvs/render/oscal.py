"""An assessment (``results.json``) as OSCAL assessment-results (plain JSON, OSCAL 1.1.2).

One result with every requirement as a reviewed control, one observation per verdict (its
basis, reasons and the findings behind it) and one finding per requirement whose target is the
requirement's assessment objective in the OSCAL catalog (``mlsvs oscal catalog``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsvs.catalog.oscal import OSCAL_VERSION, one_line, prop, stable_uuid, timestamp
from mlsvs.model.verdict import Basis, Verdict

if TYPE_CHECKING:
    from mlsvs.model.assessment import Assessment

_METHODS = {
    Basis.AUTOMATED: ["TEST"],
    Basis.ATTESTED: ["EXAMINE", "INTERVIEW"],
    Basis.BOTH: ["TEST", "EXAMINE"],
    Basis.PROFILE: ["EXAMINE"],
    Basis.NONE: ["EXAMINE"],
}


def _state(verdict: Verdict) -> dict[str, str]:
    if verdict is Verdict.PASS:
        return {"state": "satisfied", "reason": "pass"}
    if verdict is Verdict.NOT_APPLICABLE:
        return {"state": "satisfied", "reason": "other", "remarks": "not applicable"}
    if verdict is Verdict.FAIL:
        return {"state": "not-satisfied", "reason": "fail"}
    return {"state": "not-satisfied", "reason": "other", "remarks": verdict.value}


def assessment_results(
    assessment: Assessment, *, results_sha256: str = "", plan_href: str = ""
) -> dict[str, Any]:
    """The OSCAL assessment-results document of ``assessment``."""
    a = assessment
    run = stable_uuid(
        "assessment", a.standard.digest, a.project.name, a.started_at, a.config_digest
    )
    resource = stable_uuid(run, "results")
    observations = []
    findings = []
    for v in a.verdicts:
        obs = stable_uuid(run, "observation", v.requirement)
        description = "; ".join(v.reasons) or f"verdict {v.verdict.value}"
        observation: dict[str, Any] = {
            "uuid": obs,
            "title": one_line(f"{v.requirement}: {v.verdict.value}"),
            "description": description,
            "props": [prop("verdict", v.verdict.value), prop("basis", v.basis.value)],
            "methods": _METHODS[v.basis],
            "collected": timestamp(a.finished_at),
            "relevant-evidence": [{"href": f"#{resource}", "description": "mlsvs results.json"}],
        }
        if v.findings:
            observation["props"] += [prop("finding", f) for f in v.findings[:50]]
        if v.attestation:
            observation["props"].append(prop("attestation", v.attestation))
        observations.append(observation)
        findings.append(
            {
                "uuid": stable_uuid(run, "finding", v.requirement),
                "title": one_line(f"{v.requirement} {v.verdict.value}"),
                "description": description,
                "props": [prop("level", str(v.level))],
                "target": {
                    "type": "objective-id",
                    "target-id": f"{v.requirement}_obj",
                    "status": _state(v.verdict),
                },
                "related-observations": [{"observation-uuid": obs}],
            }
        )
    rlink: dict[str, Any] = {"href": "results.json", "media-type": "application/json"}
    if results_sha256:
        rlink["hashes"] = [{"algorithm": "SHA-256", "value": results_sha256}]
    levels = [prop(f"level-{lr.level}", "met" if lr.met else "not-met") for lr in a.levels]
    return {
        "assessment-results": {
            "uuid": run,
            "metadata": {
                "title": one_line(f"MLSVS {a.standard.version} assessment of {a.project.name}"),
                "last-modified": timestamp(a.finished_at),
                "version": a.tool.version,
                "oscal-version": OSCAL_VERSION,
                "props": [
                    prop("standard", a.standard.version),
                    prop("standard-digest", f"sha256:{a.standard.digest}"),
                    prop("target-level", str(a.target_level)),
                    prop("achieved-level", str(a.achieved_level) if a.achieved_level else "none"),
                    prop("tool", f"{a.tool.name} {a.tool.version}"),
                ],
            },
            "import-ap": {"href": plan_href or f"#{resource}"},
            "results": [
                {
                    "uuid": stable_uuid(run, "result"),
                    "title": one_line(f"{a.tool.name} verify at {a.target_level}"),
                    "description": (
                        f"Target {a.target_level}; achieved "
                        f"{a.achieved_level if a.achieved_level else 'no level'}."
                    ),
                    "start": timestamp(a.started_at),
                    "end": timestamp(a.finished_at),
                    "props": levels,
                    "reviewed-controls": {
                        "control-selections": [
                            {
                                "include-controls": [
                                    {"control-id": v.requirement} for v in a.verdicts
                                ]
                            }
                        ]
                    },
                    "observations": observations,
                    "findings": findings,
                }
            ],
            "back-matter": {
                "resources": [{"uuid": resource, "title": "mlsvs results.json", "rlinks": [rlink]}]
            },
        }
    }
