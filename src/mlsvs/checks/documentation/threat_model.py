"""An ML threat model exists, covers the lifecycle and cites ATLAS techniques that exist."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.documentation._atlas import atlas_ids
from mlsvs.plugin import (
    Document,
    DocumentKind,
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

_ATLAS_ID = re.compile(r"\bAML\.(?:TA\d{4}|T\d{4}(?:\.\d{3})?|M\d{4})\b")
# Lifecycle stage -> words that show the threat model discusses it.
STAGES: dict[str, tuple[str, ...]] = {
    "data": ("data", "dataset", "poison"),
    "training": ("training", "train", "pipeline"),
    "model artifact": ("artifact", "serializ", "weights", "model file", "supply chain"),
    "serving": ("serving", "inference", "endpoint", "deployment", "api"),
}
_MAX_BYTES = 4 * 1024 * 1024


@check(
    id="MLC703",
    title="An ML threat model exists and cites valid MITRE ATLAS techniques",
    requirements=["M1.3.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(Document,),
    remediation="Write THREAT_MODEL.md (or threat-model.yaml) covering data, training, model "
    "artifact and serving paths, citing MITRE ATLAS technique IDs such as AML.T0010.",
)
def threat_model_present(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Fail without a threat model, when it cites no or unknown ATLAS IDs, or skips a stage.

    Unknown IDs are compared with the bundled ATLAS list; an ID that does not exist there is a
    failure because a mistyped technique means the analysis behind it was not done.
    """
    documents = [d for d in project.of_type(Document) if d.document is DocumentKind.THREAT_MODEL]
    if not documents:
        yield failed("no threat model found (THREAT_MODEL.md, threat-model.yaml …)")
        return
    version, known = atlas_ids()
    for document in documents:
        if document.size > _MAX_BYTES:
            gap = Gap(item=document.path, reason=GapReason.TOO_LARGE, detail="over 4 MiB")
            yield not_verified(f"{document.path} is larger than 4 MiB; not read", gap)
            continue
        try:
            text = document.absolute.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            gap = Gap(item=document.path, reason=GapReason.UNREADABLE, detail=why)
            yield not_verified(f"cannot read {document.path}: {why}", gap, key=document.path)
            continue
        cited = sorted(set(_ATLAS_ID.findall(text)))
        unknown = [i for i in cited if i not in known]
        lowered = text.lower()
        uncovered = [
            stage for stage, words in STAGES.items() if not any(w in lowered for w in words)
        ]
        facts = (
            ("document", document.path),
            ("atlas_version", version),
            ("cited", ", ".join(cited)),
        )
        if not cited:
            yield failed(
                f"{document.path} cites no MITRE ATLAS IDs", key=document.path, facts=facts
            )
        elif unknown:
            yield failed(
                f"{document.path} cites IDs not in ATLAS {version}: {', '.join(unknown)}",
                key=document.path,
                facts=(*facts, ("unknown", ", ".join(unknown))),
            )
        elif uncovered:
            yield failed(
                f"{document.path} does not cover: {', '.join(uncovered)}",
                key=document.path,
                facts=facts,
            )
        else:
            yield passed(
                f"{document.path} cites {len(cited)} valid ATLAS IDs and covers data, "
                "training, artifact and serving",
                key=document.path,
                facts=facts,
            )
