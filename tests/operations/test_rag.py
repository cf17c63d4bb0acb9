"""RAG ingestion only from approved sources with provenance (MLC1086)."""

from __future__ import annotations

from mlsvs.checks.operations.rag import rag_ingestion_provenance
from tests.operations.helpers import jsonl, put
from tests.platform.helpers import run, statuses

CONFIG = {
    "agents": {
        "rag": {
            "approved_sources": ["confluence://ENG/*", "s3://acme-kb-approved/policies/*"],
            "ingestion_logs": ["rag/logs/ingestion-2026-11.jsonl"],
        }
    }
}


def _doc(n: int, **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "ts": f"2026-11-28T02:{n:02d}:00Z",
        "event": "indexed",
        "index": "support-kb-v7",
        "doc_id": f"ENG-{4000 + n}",
        "source": f"confluence://ENG/pages/{4000 + n}",
        "writer": "k.ng@acme.example",
        "sha256": f"{n:064x}",
        "chunks": 12,
        "embedding_model": "bge-small-en-v1.5",
    }
    record.update(changes)
    return record


def _log(tmp_path, records):
    start = {"ts": "2026-11-28T02:00:00Z", "event": "run_started", "connector": "confluence"}
    put(tmp_path, "rag/logs/ingestion-2026-11.jsonl", jsonl([start, *records]))
    return tmp_path


def test_approved_sources_with_writers_pass(tmp_path) -> None:
    docs = [_doc(n) for n in range(1, 20)]
    docs.append(_doc(20, source="s3://acme-kb-approved/policies/refunds.pdf", writer="legal-bot"))
    outcomes = run(rag_ingestion_provenance, _log(tmp_path, docs), settings=CONFIG)
    assert statuses(outcomes) == {"pass"}, outcomes
    assert "20 indexed document(s)" in outcomes[0].message


def test_unapproved_source_or_missing_writer_fails(tmp_path) -> None:
    docs = [_doc(n) for n in range(1, 5)]
    docs.append(_doc(5, source="https://pastebin.example/raw/x1"))
    docs.append(_doc(6, source="s3://acme-kb-approved/drafts/new.md"))
    docs.append(_doc(7, writer=""))
    outcomes = run(rag_ingestion_provenance, _log(tmp_path, docs), settings=CONFIG)
    assert statuses(outcomes) == {"fail"}
    message = outcomes[0].message
    assert "https://pastebin.example/raw/x1" in message
    assert "s3://acme-kb-approved/drafts/new.md" in message
    assert "1 indexed document(s) without a writer" in message


def test_unconfigured_empty_or_unparsable_is_not_verified(tmp_path) -> None:
    root = _log(tmp_path, [_doc(1)])
    assert statuses(run(rag_ingestion_provenance, root)) == {"abstained"}
    root = _log(tmp_path, [])
    assert statuses(run(rag_ingestion_provenance, root, settings=CONFIG)) == {"not_verified"}
    put(tmp_path, "rag/logs/ingestion-2026-11.jsonl", "[1, 2, 3]\n")
    assert statuses(run(rag_ingestion_provenance, tmp_path, settings=CONFIG)) == {"not_verified"}
    bad = {"agents": {"rag": {"approved_sources": "confluence://ENG/*"}}}
    assert statuses(run(rag_ingestion_provenance, tmp_path, settings=bad)) == {"error"}
