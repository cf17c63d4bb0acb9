"""Retrieval indexes fed only from approved sources with provenance (MLC1086, M11.4.4), from the
ingestion pipeline's own logs::

    [agents.rag]
    approved_sources = ["confluence://ENG/*", "s3://acme-kb-approved/policies/*"]
    ingestion_logs = ["rag/logs/ingestion-2026-11.jsonl"]

Each log is JSON Lines; the records whose ``event`` is ``indexed``, ``ingested``, ``upsert`` or
``added`` are the documents that entered an index. Each must carry a document id, its ``source``
(the URI it was read from) and its ``writer`` (who wrote or last modified it at the source). A
source is approved when it matches one of the patterns (shell-style ``*``; matching is
case-sensitive, like URIs).
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

from mlsvs.checks.operations._records import (
    SampleError,
    items,
    not_configured,
    read_records,
    section,
    text,
)
from mlsvs.plugin import (
    DatasetArtifact,
    Document,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

INDEXED = frozenset({"indexed", "ingested", "ingest", "upsert", "added", "document_indexed"})
SOURCE = ("source", "source_uri", "uri", "url", "origin")
WRITER = ("writer", "author", "last_modified_by", "created_by", "owner")
DOC_ID = ("doc_id", "document_id", "id", "node_id")


def approved(source: str, patterns: list[str]) -> bool:
    """Whether a source URI matches an approved pattern (case-sensitive)."""
    return any(fnmatch.fnmatchcase(source, p) for p in patterns)


@check(
    id="MLC1086",
    title="Documents enter retrieval indexes only from approved sources, with source and writer "
    "recorded",
    requirements=["M11.4.4"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[Document, DatasetArtifact],
    remediation="Restrict the ingestion connectors to approved sources, list them in "
    "[agents.rag] approved_sources, and log each indexed document with its id, source URI and "
    "writer.",
)
def rag_ingestion_provenance(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every document the ingestion logs show indexed carries an id, a source that matches an
    approved pattern, and a writer."""
    conf = section(ctx, "agents", "rag")
    if not conf:
        yield not_configured("agents.rag", "where indexed documents came from")
        return
    patterns = [p for p in items(conf.get("approved_sources")) if isinstance(p, str) and p]
    logs = [p for p in items(conf.get("ingestion_logs")) if isinstance(p, str)]
    if not patterns or not logs:
        yield errored("[agents.rag] needs approved_sources and ingestion_logs (lists)")
        return
    for log in logs:
        try:
            records = read_records(project, log)
        except SampleError as exc:
            yield not_verified(f"{log}: {exc}", exc.gap, key=log)
            continue
        docs = [r for r in records if text(r, "event", "action").lower() in INDEXED]
        facts = (("log", log), ("indexed", str(len(docs))))
        if not docs:
            yield not_verified(
                f"{log}: no indexed-document record, so nothing shows what entered the index",
                Gap(item=log, reason=GapReason.EMPTY, detail="no indexed-document records"),
                key=log,
                facts=facts,
            )
            continue
        unapproved = sorted(
            {s for r in docs if (s := text(r, *SOURCE)) and not approved(s, patterns)}
        )
        unsourced = sum(1 for r in docs if not text(r, *SOURCE))
        anonymous = sum(1 for r in docs if not text(r, *WRITER))
        unnamed = sum(1 for r in docs if not text(r, *DOC_ID))
        problems = []
        if unapproved:
            problems.append(
                f"documents indexed from unapproved source(s): {', '.join(unapproved[:5])}"
            )
        for count, what in ((unsourced, "source"), (anonymous, "writer"), (unnamed, "document id")):
            if count:
                problems.append(f"{count} indexed document(s) without a {what}")
        if problems:
            yield failed(f"{log}: " + "; ".join(problems), key=log, facts=facts)
        else:
            yield passed(
                f"{log}: {len(docs)} indexed document(s), each from an approved source with its "
                "writer recorded",
                key=log,
                facts=facts,
            )
