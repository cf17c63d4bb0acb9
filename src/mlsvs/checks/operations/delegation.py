"""Tool servers call downstream services with their own credentials, never the client's token
(MLC1083, M11.4.6), read from the tool-server code with ``ast``.

Tool-server code is a Python file that imports an MCP server SDK (``mcp``, ``fastmcp``) or a web
framework (FastAPI, Starlette, Flask, aiohttp) and defines tools or routes. The client's token is
what a function reads from the incoming request: an ``Authorization`` header (``request.headers
[...]``, ``.get("authorization")``, FastMCP ``get_http_headers()``), FastMCP
``get_access_token()``, or a parameter bound by ``Depends(oauth2_scheme)``/``Header()``/
``Security(...)``. Within the function, values computed from it are tainted (assignments,
f-strings, concatenation, dictionaries). A downstream call is an ``httpx``/``requests``/
``aiohttp`` request (``get``, ``post``, ``put``, ``patch``, ``delete``, ``request``, ``stream``)
whose ``headers``, ``auth`` or ``cookies`` argument is tainted: that forwards the client's token.
A token exchange (RFC 8693: a POST whose ``data``/``json`` carries the token as
``subject_token``) is the sanctioned use and is not a forward.
"""

from __future__ import annotations

import ast
import re
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

_SERVER_IMPORT = re.compile(
    r"^\s*(from|import)\s+(mcp|fastmcp|fastapi|starlette|flask|aiohttp)\b", re.M
)
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "request", "stream", "head"})
_HTTP_OWNERS = re.compile(r"(httpx|requests|session|client|http|aiohttp)", re.I)
_CREDENTIAL_ARGS = ("headers", "auth", "cookies")
_TOKEN_SOURCES = frozenset({"get_access_token", "get_http_headers", "get_http_request"})
_AUTH_DEPENDENCIES = frozenset({"Depends", "Security", "Header"})
_CREDENTIAL_NAME = re.compile(r"(oauth|bearer|token|authori[sz]ation|api_key|credential)", re.I)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _dotted(node.func) + "()"
    if isinstance(node, ast.Subscript):
        return _dotted(node.value) + "[]"
    return ""


def _reads_client_token(node: ast.expr) -> bool:
    """Whether an expression reads the incoming request's credentials."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and _name(sub.func) in _TOKEN_SOURCES:
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            continue
        if isinstance(sub, ast.Subscript | ast.Call):
            text = _dotted(sub.value if isinstance(sub, ast.Subscript) else sub.func)
            if "headers" in text and "request" in text.lower():
                keys = [
                    a.value
                    for a in ast.walk(sub)
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                ]
                if any(k.lower() in {"authorization", "x-api-key", "cookie"} for k in keys):
                    return True
        if isinstance(sub, ast.Attribute) and sub.attr in {"access_token", "bearer_token"}:
            owner = _dotted(sub.value).lower()
            if "request" in owner or "ctx" in owner or "context" in owner:
                return True
    return False


def _tainted_params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    defaults = [None] * (len(fn.args.posonlyargs) + len(fn.args.args) - len(fn.args.defaults))
    for arg, default in zip(
        args, [*defaults, *fn.args.defaults, *fn.args.kw_defaults], strict=False
    ):
        if isinstance(default, ast.Call) and _name(default.func) in _AUTH_DEPENDENCIES:
            what = arg.arg if _name(default.func) == "Header" else ast.unparse(default)
            if _CREDENTIAL_NAME.search(what):
                names.add(arg.arg)
        annotation = ast.unparse(arg.annotation) if arg.annotation else ""
        if "HTTPAuthorizationCredentials" in annotation or "OAuth2PasswordBearer" in annotation:
            names.add(arg.arg)
    return names


_TOKEN_FIELDS = frozenset({"token", "access_token", "credentials", "raw", "value"})


def _uses(node: ast.expr, tainted: set[str]) -> bool:
    """Whether an expression carries a tainted value: the name itself, or its token field
    (``caller.token``); another field of a token object (``caller.client_id``) is not the
    token."""
    fields = {
        id(sub.value): sub.attr
        for sub in ast.walk(node)
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
    }
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in tainted:
            field = fields.get(id(sub))
            if field is None or field in _TOKEN_FIELDS:
                return True
    return _reads_client_token(node)


def forwards(source: str) -> tuple[list[tuple[int, str]], int]:
    """(line, call) of downstream calls that carry the client's token, and how many downstream
    HTTP calls the server code makes; SyntaxError propagates."""
    tree = ast.parse(source)
    forwarded: list[tuple[int, str]] = []
    downstream = 0
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        tainted = _tainted_params(fn)
        for _ in range(3):  # assignments in any order, to a fixed point
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Assign | ast.AnnAssign)
                    and node.value is not None
                    and _uses(node.value, tainted)
                ):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    tainted |= {t.id for t in targets if isinstance(t, ast.Name)}
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr not in _HTTP_METHODS or not _HTTP_OWNERS.search(
                _dotted(node.func.value)
            ):
                continue
            if "headers" in _dotted(node.func.value):
                continue  # request.headers.get(...) is a read, not a call downstream
            downstream += 1
            carried = [
                k for k in node.keywords if k.arg in _CREDENTIAL_ARGS and _uses(k.value, tainted)
            ]
            if carried:
                forwarded.append((node.lineno, f"{_dotted(node.func)}({carried[0].arg}=...)"))
    return forwarded, downstream


@check(
    id="MLC1083",
    title="Tool servers call downstream services with their own credentials, never the "
    "client's token",
    requirements=["M11.4.6"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(SourceFile,),
    remediation="Give the tool server its own scoped credential for each downstream service "
    "(a workload identity or a secret reference), or exchange the client's token for a "
    "downstream one (OAuth 2.0 token exchange, RFC 8693); never copy the incoming "
    "Authorization header into an outgoing request.",
)
def no_token_passthrough(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """No downstream HTTP call in the tool-server code carries a value read from the incoming
    request's credentials."""
    from mlsvs.checks.pipeline._yaml import DocumentError
    from mlsvs.checks.pipeline.hosted import python_of

    problems: list[str] = []
    gaps: list[Gap] = []
    servers = 0
    calls = 0
    for source in project.of_type(SourceFile):
        try:
            text = python_of(source)
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)[:160]))
            continue
        if not _SERVER_IMPORT.search(text):
            continue
        try:
            found, downstream = forwards(text)
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        servers += 1
        calls += downstream
        problems += [f"{call} at {source.path}:{line}" for line, call in found]
    facts = (("server files", str(servers)), ("downstream calls", str(calls)))
    if problems:
        yield failed(
            f"{len(problems)} downstream call(s) forward the client's token: "
            + "; ".join(problems[:6]),
            key="passthrough",
            facts=facts,
        )
        return
    if gaps:
        yield not_verified(
            f"{len(gaps)} source file(s) could not be read or parsed", gaps, key="passthrough"
        )
        return
    if not servers:
        # no tool-server code here: abstain (the servers may live elsewhere; attest them)
        yield abstained(
            "no tool-server code found, so nothing shows which credentials it sends downstream",
            key="passthrough",
            facts=facts,
        )
        return
    if not calls:
        yield not_verified(
            "no downstream HTTP call found in tool-server code"
            + (f" ({servers} server file(s))" if servers else " (no tool-server code found)")
            + ", so nothing shows which credentials it sends",
            Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no downstream calls"),
            key="passthrough",
            facts=facts,
        )
        return
    yield passed(
        f"{calls} downstream HTTP call(s) in {servers} tool-server file(s) carry no value read "
        "from the client's credentials",
        key="passthrough",
        facts=facts,
    )
