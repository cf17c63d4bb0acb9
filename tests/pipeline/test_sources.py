"""MLC871: third-party models only from the organisation's approved sources."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline.sources import approved, approved_sources, normalise
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

FINETUNE = '''\
"""Fine-tunes a sentence encoder on support tickets."""
from sentence_transformers import SentenceTransformer
from transformers import AutoTokenizer

BASE = "sentence-transformers/all-MiniLM-L6-v2"
REVISION = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf"
tokenizer = AutoTokenizer.from_pretrained(BASE, revision=REVISION)
encoder = SentenceTransformer(BASE, revision=REVISION)
reranker = AutoTokenizer.from_pretrained("randomuser42/minilm-reranker-v2", revision=REVISION)
'''
CARD = """---
license: apache-2.0
base_model: sentence-transformers/all-MiniLM-L6-v2
library_name: sentence-transformers
---
# Ticket encoder

## Intended uses
Routing support tickets.
"""
BOM = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "components": [
        {
            "type": "machine-learning-model",
            "name": "all-MiniLM-L6-v2",
            "purl": "pkg:huggingface/sentence-transformers/all-MiniLM-L6-v2@c9745ed1d9f207416be6d2e6f8de32d1f16199bf",
            "externalReferences": [
                {
                    "type": "distribution",
                    "url": "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2",
                }
            ],
        }
    ],
}


def test_normalise_and_prefix() -> None:
    assert normalise("google/flan-t5-base") == "huggingface.co/google/flan-t5-base"
    assert normalise("https://hf.co/google/flan-t5-base/") == "huggingface.co/google/flan-t5-base"
    assert (
        normalise("pkg:huggingface/google/flan-t5-base@abc") == "huggingface.co/google/flan-t5-base"
    )
    assert approved("huggingface.co/google/flan-t5-base", ("huggingface.co/google",))
    assert not approved("huggingface.co/googleai/x", ("huggingface.co/google",))


def test_unlisted_namespace_fails(tmp_path: Path) -> None:
    files = {"train/finetune.py": FINETUNE, "MODEL_CARD.md": CARD, "bom.cdx.json": json.dumps(BOM)}
    project = write(tmp_path, files)
    settings = {"third_party": {"approved_sources": ["huggingface.co/sentence-transformers"]}}
    outcomes = run(approved_sources, project, settings=settings)
    failing = [o for o in outcomes if o.status is Status.FAIL]
    assert [o.key for o in failing] == ["huggingface.co/randomuser42/minilm-reranker-v2"]
    assert Status.PASS in statuses(outcomes)
    settings["third_party"]["approved_sources"].append("hf.co/randomuser42")
    assert set(statuses(run(approved_sources, project, settings=settings))) == {Status.PASS}


def test_no_list_and_no_reference(tmp_path: Path) -> None:
    project = write(tmp_path, {"train/finetune.py": FINETUNE})
    [outcome] = run(approved_sources, project)
    assert outcome.status is Status.FAIL and "no approved-source list" in outcome.message
    empty = write(tmp_path / "e", {"train.py": "x = 1\n"})
    assert statuses(run(approved_sources, empty)) == [Status.NOT_VERIFIED]
    bad = {"third_party": {"approved_sources": "huggingface.co/google"}}
    assert statuses(run(approved_sources, project, settings=bad)) == [Status.ERROR]
