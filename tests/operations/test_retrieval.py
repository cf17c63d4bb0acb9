"""Retrieval authorised per user (MLC1084), read from RAG code."""

from __future__ import annotations

from mlsvs.checks.operations.retrieval import retrieval_per_user, retrievals
from tests.operations.helpers import put
from tests.platform.helpers import run

LANGCHAIN = '''
"""Support assistant: answers from the help-centre index, only with documents the user may open."""
from langchain_chroma import Chroma
from langchain_openai import OpenAIEmbeddings

from support.auth import User

store = Chroma(collection_name="helpcentre", embedding_function=OpenAIEmbeddings(model="text-embedding-3-small"))


def retriever_for(user: User):
    return store.as_retriever(
        search_type="mmr",
        search_kwargs={"k": 6, "filter": {"allowed_groups": {"$in": list(user.groups)}}},
    )


def lookup(user: User, question: str):
    acl = {"tenant_id": user.tenant_id}
    return store.similarity_search(question, k=4, filter=acl)
'''

LLAMA_QDRANT = """
from llama_index.core.vector_stores import MetadataFilter, MetadataFilters
from qdrant_client import QdrantClient, models

client = QdrantClient(url="http://qdrant:6333")


def engine(index, principal):
    filters = MetadataFilters(filters=[MetadataFilter(key="acl", value=principal.id)])
    return index.as_query_engine(similarity_top_k=5, filters=filters)


def raw_search(vector, caller_tenant):
    return client.query_points(
        collection_name="contracts",
        query=vector,
        query_filter=models.Filter(must=[models.FieldCondition(key="tenant", match=models.MatchValue(value=caller_tenant))]),
        limit=5,
    )
"""


def test_identity_filtered_retrieval_passes(tmp_path) -> None:
    put(tmp_path, "support/rag.py", LANGCHAIN)
    put(tmp_path, "legal/search.py", LLAMA_QDRANT)
    outcomes = run(retrieval_per_user, tmp_path)
    assert [o.status.value for o in outcomes] == ["pass"], outcomes
    assert "4 retrieval call(s)" in outcomes[0].message


def test_unfiltered_or_constant_filter_fails(tmp_path) -> None:
    put(
        tmp_path,
        "support/rag.py",
        LANGCHAIN.replace(
            '"filter": {"allowed_groups": {"$in": list(user.groups)}}',
            '"filter": {"visibility": "internal"}',
        ),
    )
    put(tmp_path, "legal/search.py", LLAMA_QDRANT.replace(", filters=filters)", ")"))
    outcome = run(retrieval_per_user, tmp_path)[0]
    assert outcome.status.value == "fail"
    assert (
        "as_retriever at support/rag.py:" in outcome.message
        and "constant filter" in outcome.message
    )
    assert (
        "as_query_engine at legal/search.py:" in outcome.message and "no filter" in outcome.message
    )


def test_generic_query_calls_are_not_retrievals() -> None:
    code = "from langchain_core.documents import Document\nrows = session.query(Order).all()\n"
    assert retrievals(code) == []
    chroma = "results = collection.query(query_texts=['refund policy'], n_results=5)\n"
    assert [r.filter for r in retrievals(chroma)] == [""]


def test_no_retrieval_or_unparsable_is_not_verified(tmp_path) -> None:
    put(tmp_path, "app/main.py", "from langchain_openai import ChatOpenAI\nllm = ChatOpenAI()\n")
    assert [o.status.value for o in run(retrieval_per_user, tmp_path)] == ["not_verified"]
    put(tmp_path, "support/rag.py", LANGCHAIN.replace("def lookup(", "def lookup(("))
    assert [o.status.value for o in run(retrieval_per_user, tmp_path)] == ["not_verified"]
