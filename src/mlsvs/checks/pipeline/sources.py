"""Third-party models from approved sources (M5.1.5).

Third-party components are read from the code (hub ids given to ``from_pretrained``,
``hf_hub_download``, ``pipeline``, ``SentenceTransformer``, ``timm``, ``torch.hub`` and model
URLs), from the ML-BOM (model components' ``purl`` and distribution references) and from
model cards (``base_model``). Each source is normalised to ``host/namespace/name``
(``huggingface.co/google/flan-t5-base``) and must start with an entry of the organisation's
list, ``[third_party] approved_sources`` (``huggingface.co/google``, ``s3://acme-models``).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mlsvs.checks.pipeline._serving import Source, analyse
from mlsvs.checks.pipeline._yaml import DocumentError
from mlsvs.checks.pipeline.hosted import python_of
from mlsvs.plugin import (
    BomDocument,
    CardDocument,
    Gap,
    GapReason,
    Project,
    Severity,
    SourceFile,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")
_PURL = re.compile(r"^pkg:huggingface/([^@?#]+)")
_ALIASES = {"hf.co": "huggingface.co", "www.huggingface.co": "huggingface.co"}


def normalise(reference: str) -> str:
    """``huggingface.co/org/name`` for hub ids, ``host/path`` for URLs, ``s3://bucket/key``."""
    text = reference.strip()
    if match := _PURL.match(text):
        return f"huggingface.co/{match.group(1).strip('/')}"
    if re.match(r"^(s3|gs|oci|azureml|abfss?)://", text):
        return text.rstrip("/")
    if "://" in text:
        parts = urlsplit(text)
        host = _ALIASES.get(parts.netloc.lower(), parts.netloc.lower())
        return f"{host}{parts.path}".rstrip("/")
    if _HUB_ID.match(text) and "." not in text.split("/", 1)[0]:
        return f"huggingface.co/{text}"  # a hub id: namespace/name (namespaces have no dot)
    first, _, rest = text.partition("/")
    return f"{_ALIASES.get(first.lower(), first.lower())}/{rest}".rstrip("/")


def approved(source: str, allowed: tuple[str, ...]) -> bool:
    """Whether ``source`` lies under one of the ``allowed`` prefixes (whole path segments)."""
    return any(source == entry or source.startswith(entry + "/") for entry in allowed)


def _allow_list(ctx: CheckContext) -> tuple[str, ...] | None:
    value = ctx.section("third_party").get("approved_sources")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("[third_party] approved_sources must be a list of non-empty strings")
    return tuple(normalise(v) for v in value)


def references(project: Project) -> tuple[list[tuple[str, str]], list[Gap]]:
    """(normalised source, where) of every third-party model reference, and unread files."""
    found: list[tuple[str, str]] = []
    gaps: list[Gap] = []
    for source in project.of_type(SourceFile):
        try:
            code = analyse(python_of(source))
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)))
            continue
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        for load in code.loads:
            if load.source in {Source.HUB, Source.URL} and load.reference:
                found.append((normalise(load.reference), f"{source.path}:{load.line}"))  # noqa: PERF401
    for bom in project.of_type(BomDocument):
        try:
            data = json.loads(bom.absolute.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            gaps.append(Gap(item=bom.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        for component in data.get("components", []) if isinstance(data, dict) else []:
            if not isinstance(component, dict) or component.get("type") != "machine-learning-model":
                continue
            purl = str(component.get("purl", ""))
            if purl.startswith("pkg:huggingface/"):
                found.append((normalise(purl), f"{bom.path}: {component.get('name')}"))
            for ref in component.get("externalReferences", []) or []:
                if isinstance(ref, dict) and ref.get("type") in {"distribution", "vcs"}:
                    found.append(  # noqa: PERF401
                        (normalise(str(ref.get("url", ""))), f"{bom.path}: {component.get('name')}")
                    )
    for card in project.of_type(CardDocument):
        base = card.metadata.get("base_model")
        for item in base if isinstance(base, list) else [base] if isinstance(base, str) else []:
            if isinstance(item, str) and not item.startswith(("./", "/")):
                found.append((normalise(item), f"{card.path}: base_model"))  # noqa: PERF401
    return found, gaps


@check(
    id="MLC871",
    title="Every third-party model, adapter, tokenizer and embedding model comes from an "
    "approved source",
    requirements=["M5.1.5"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(SourceFile, BomDocument, CardDocument),
    remediation="List the organisation's approved namespaces under [third_party] "
    "approved_sources (e.g. 'huggingface.co/google', 's3://acme-models') and replace models "
    "from other sources, or add their publisher after review (M5.1.2).",
)
def approved_sources(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Hub ids and model URLs in code, BOM model components and card base models."""
    try:
        allowed = _allow_list(ctx)
    except ValueError as exc:
        yield errored(str(exc))
        return
    found, gaps = references(project)
    if gaps:
        yield not_verified("files naming third-party models could not be read", gaps)
    if not found:
        if not gaps:
            yield not_verified(
                "no third-party model reference was found in code, the BOM or model cards: "
                "where uses_third_party_model holds, the references are not visible here",
                Gap(item="*", reason=GapReason.UNSUPPORTED, detail="no model reference found"),
            )
        return
    if allowed is None:
        yield failed(
            f"{len(found)} third-party model reference(s) but no approved-source list "
            "([third_party] approved_sources)",
        )
        return
    for source, where in sorted(set(found)):
        facts = (("source", source), ("where", where))
        if approved(source, allowed):
            yield passed(f"{where}: {source} is from an approved source", key=source, facts=facts)
        else:
            yield failed(
                f"{where}: {source} is not from an approved source", key=source, facts=facts
            )
