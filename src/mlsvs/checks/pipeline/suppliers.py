"""Third-party model assessment recorded (M5.1.2), the machine-checkable clause.

Every third-party model component of the CycloneDX ML-BOM (a ``machine-learning-model`` with a
hub ``purl`` or distribution reference, or a ``supplier``/``publisher`` other than the BOM's
own manufacturer) must record its publisher (``publisher`` or ``supplier.name``), its licence
(``licenses``) and its model card (``modelCard`` or an external reference of type
``model-card``/``documentation``). Publisher verification, licence compatibility with the use
and the look-alike name check stay with the reviewer's attestation (the hybrid clause).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mlsvs.plugin import (
    BomDocument,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome


def _third_party(component: dict[str, object]) -> bool:
    purl = str(component.get("purl", ""))
    refs = component.get("externalReferences")
    distributed = any(
        isinstance(r, dict)
        and r.get("type") in {"distribution", "vcs"}
        and "huggingface.co" in str(r.get("url", ""))
        for r in (refs if isinstance(refs, list) else [])
    )
    return purl.startswith("pkg:huggingface/") or distributed


def missing_fields(component: dict[str, object]) -> list[str]:
    """Which of publisher, licence and model card the component lacks."""
    missing: list[str] = []
    supplier = component.get("supplier")
    if not component.get("publisher") and not (isinstance(supplier, dict) and supplier.get("name")):
        missing.append("publisher")
    licenses = component.get("licenses")
    if not (
        isinstance(licenses, list)
        and any(
            isinstance(item, dict) and (item.get("license") or item.get("expression"))
            for item in licenses
        )
    ):
        missing.append("licence")
    refs = component.get("externalReferences")
    card_ref = any(
        isinstance(r, dict) and r.get("type") in {"model-card", "documentation"}
        for r in (refs if isinstance(refs, list) else [])
    )
    if not component.get("modelCard") and not card_ref:
        missing.append("model card")
    return missing


@check(
    id="MLC875",
    title="Every third-party model in the ML-BOM records its publisher, licence and model card",
    requirements=["M5.1.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(BomDocument,),
    remediation="Record publisher (or supplier), licenses and modelCard (or a model-card "
    "external reference) on each third-party model component; attest the publisher, licence "
    "and look-alike-name review.",
)
def supplier_assessment(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Publisher, licence and card on each hub-sourced model component of the BOM."""
    boms = [b for b in project.of_type(BomDocument) if b.bom == "cyclonedx"]
    if not boms:
        yield failed("no CycloneDX ML-BOM: no third-party model assessment is recorded")
        return
    found = 0
    for bom in boms:
        try:
            data = json.loads(bom.absolute.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            yield not_verified(
                f"{bom.path} could not be read",
                Gap(item=bom.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]),
            )
            continue
        components = data.get("components", []) if isinstance(data, dict) else []
        for component in components if isinstance(components, list) else []:
            if not isinstance(component, dict) or component.get("type") != "machine-learning-model":
                continue
            if not _third_party(component):
                continue
            found += 1
            name = f"{bom.path}: {component.get('name')} {component.get('version', '')}".strip()
            missing = missing_fields(component)
            if missing:
                yield failed(f"{name} lacks {', '.join(missing)}", key=name)
            else:
                yield passed(f"{name} records publisher, licence and model card", key=name)
    if not found:
        yield not_verified(
            "the BOM lists no hub-sourced model component (purl pkg:huggingface/... or a "
            "distribution reference): where uses_third_party_model holds, it is not recorded",
            Gap(item=boms[0].path, reason=GapReason.UNSUPPORTED, detail="no third-party model"),
        )
