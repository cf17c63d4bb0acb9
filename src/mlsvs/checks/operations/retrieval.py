"""Retrieval authorised per user (MLC1084, M11.4.1), read from the RAG code with ``ast``.

A retrieval call is a LangChain or LlamaIndex retriever or vector-store search
(``as_retriever``, ``similarity_search*``, ``max_marginal_relevance_search``,
``as_query_engine``, ``as_chat_engine``) or a vector database query (Chroma
``query(query_texts=/query_embeddings=)``, Qdrant ``search``/``query_points(collection_name=)``,
Pinecone ``query(vector=/top_k=)``, Weaviate ``near_text``/``near_vector``/``hybrid``/``bm25``,
Milvus ``search(collection_name=)``). Its filter is the ``filter``/``filters``/``where``/
``query_filter``/``expr`` argument (for ``as_retriever`` inside ``search_kwargs``). The filter is
per user when it is built from the caller's identity: it reads a variable or attribute named for
the user, principal, tenant, groups or ACL (``user.groups``, ``principal_id``, ``tenant``), not
only constants. The test that a user cannot retrieve a document they cannot open at the source
(the runtime half of the requirement) stays with the attestation.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.plugin import (
    Gap,
    GapReason,
    Project,
    Severity,
    SourceFile,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_ALWAYS = frozenset(
    {
        "as_retriever",
        "similarity_search",
        "asimilarity_search",
        "similarity_search_with_score",
        "similarity_search_with_relevance_scores",
        "similarity_search_by_vector",
        "max_marginal_relevance_search",
        "amax_marginal_relevance_search",
        "as_query_engine",
        "as_chat_engine",
        "near_text",
        "near_vector",
        "hybrid",
        "bm25",
    }
)
_VECTOR_KWARGS = frozenset(
    {"query_texts", "query_embeddings", "top_k", "vector", "query_vector", "collection_name"}
)
_FILTER_KWARGS = ("filter", "filters", "where", "query_filter", "expr", "pre_filter")
_IDENTITY = re.compile(
    r"(user|principal|caller|tenant|group|acl|permission|allowed|owner|subject|claims|"
    r"identity|viewer|member|role|account)",
    re.I,
)
_RAG_IMPORT = re.compile(
    r"^\s*(from|import)\s+(langchain\w*|llama_index|chromadb|qdrant_client|pinecone|weaviate|"
    r"pymilvus|haystack|lancedb)\b",
    re.M,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Retrieval:
    """One retrieval call."""

    call: str
    line: int
    filter: str
    """'' when unfiltered, 'constant' when the filter reads no identity, else what it reads."""


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _identity(node: ast.expr) -> str:
    """The first identity-named variable or attribute the expression reads ('' when none)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name | ast.Attribute) and _IDENTITY.search(_name(sub)):
            return _name(sub)
        if isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant):
            key = sub.slice.value
            if (
                isinstance(key, str)
                and _IDENTITY.search(key)
                and not isinstance(sub.value, ast.Constant)
            ):
                return key
    return ""


def _filter_of(call: ast.Call, method: str) -> ast.expr | None:
    for key in _FILTER_KWARGS:
        value = next((k.value for k in call.keywords if k.arg == key), None)
        if value is not None:
            return value
    if method == "as_retriever":
        kwargs = next((k.value for k in call.keywords if k.arg == "search_kwargs"), None)
        if isinstance(kwargs, ast.Dict):
            for name, inner in zip(kwargs.keys, kwargs.values, strict=True):
                if isinstance(name, ast.Constant) and name.value in _FILTER_KWARGS:
                    return inner
        elif kwargs is not None:
            return kwargs  # built elsewhere: judge what it reads
    return None


def retrievals(source: str) -> list[Retrieval]:
    """Every retrieval call in a source and how it is filtered; SyntaxError propagates."""
    tree = ast.parse(source)
    assigned: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                assigned[target.id] = node.value
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        kwargs = {k.arg for k in node.keywords}
        if method not in _ALWAYS and not (
            method in {"query", "search", "query_points"} and kwargs & _VECTOR_KWARGS
        ):
            continue
        flt = _filter_of(node, method)
        if flt is None:
            out.append(Retrieval(call=method, line=node.lineno, filter=""))
            continue
        if isinstance(flt, ast.Name) and flt.id in assigned:
            flt = assigned[flt.id]
        who = _identity(flt)
        out.append(Retrieval(call=method, line=node.lineno, filter=who or "constant"))
    return out


@check(
    id="MLC1084",
    title="Every retrieval call filters by the calling user's identity",
    requirements=["M11.4.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(SourceFile,),
    remediation="Store the source system's access-control metadata with each chunk and filter "
    "every retrieval by the caller's identity (filter={'allowed_groups': {'$in': user.groups}}, "
    "MetadataFilters on the tenant); do not retrieve first and filter afterwards.",
)
def retrieval_per_user(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Each retriever or vector search in the RAG code carries a filter built from the caller's
    identity; an unfiltered or constant-filtered retrieval fails."""
    from mlsvs.checks.pipeline._yaml import DocumentError
    from mlsvs.checks.pipeline.hosted import python_of

    found: list[tuple[str, Retrieval]] = []
    gaps: list[Gap] = []
    rag_files = 0
    for source in project.of_type(SourceFile):
        try:
            text = python_of(source)
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)[:160]))
            continue
        if not _RAG_IMPORT.search(text):
            continue
        rag_files += 1
        try:
            found += [(source.path, r) for r in retrievals(text)]
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
    open_calls = [(p, r) for p, r in found if r.filter in {"", "constant"}]
    facts = (("retrievals", str(len(found))),)
    if open_calls:
        yield failed(
            f"{len(open_calls)} retrieval call(s) are not filtered by the caller: "
            + ", ".join(
                f"{r.call} at {p}:{r.line} ({'no filter' if not r.filter else 'constant filter'})"
                for p, r in open_calls[:6]
            ),
            key="retrieval",
            facts=facts,
        )
        return
    if gaps:
        yield not_verified(
            f"{len(gaps)} source file(s) could not be read or parsed", gaps, key="retrieval"
        )
        return
    if not rag_files:
        # no RAG code here: abstain (the retriever may live elsewhere; attest it)
        yield abstained(
            "no RAG or vector-store code found, so nothing shows retrieval is filtered per user",
            key="retrieval",
        )
        return
    if not found:
        yield not_verified(
            f"no retrieval call found in the RAG code ({rag_files} file(s)), so nothing shows "
            "retrieval is filtered per user",
            Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no retriever or vector search"),
            key="retrieval",
        )
        return
    yield passed(
        f"{len(found)} retrieval call(s) filter by the caller's identity: "
        + ", ".join(f"{r.call} by {r.filter} ({p}:{r.line})" for p, r in found[:6]),
        key="retrieval",
        facts=facts,
    )
