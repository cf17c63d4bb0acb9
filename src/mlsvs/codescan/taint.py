"""Simple intra-function dataflow: which expressions carry model or remote output."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from mlsvs.codescan.calls import method, root

if TYPE_CHECKING:
    from mlsvs.codescan.names import Scopes

_MODEL_METHODS = frozenset(
    {
        "generate",
        "predict",
        "generate_content",
        "invoke",
        "ainvoke",
        "complete",
        "chat",
        "run_inference",
        "text_generation",
        "chat_completion",
    }
)
_CLIENT_CREATE = frozenset({"completions", "messages", "responses", "chat"})
_MODEL_NAME = re.compile(r"^(?:\w+_)?(?:model|llm|pipe|generator|chain|agent|chatbot)$")
_MODEL_FACTORIES = frozenset({"from_pretrained", "load_model", "pipeline"})
_SANITIZERS = frozenset(
    {
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "builtins.len",
        "ast.literal_eval",
        "json.loads",
        "json.load",
        "builtins.isinstance",
        "re.fullmatch",
        "re.match",
    }
)
_FETCH = frozenset({"get", "post", "request", "urlopen", "stream"})


def makes_model(value: ast.expr, scopes: Scopes) -> bool:
    """Whether ``value`` builds a model or pipeline object (calling it yields model output)."""
    if not isinstance(value, ast.Call):
        return False
    name = scopes.qualname(value.func)
    last = (name or "").rsplit(".", 1)[-1] or method(value) or ""
    return last in _MODEL_FACTORIES


def is_source(call: ast.Call, scopes: Scopes) -> bool:
    """A call whose result is model output or a remote response."""
    name = method(call)
    if name in _MODEL_METHODS:
        return True
    func = call.func
    if name == "create" and isinstance(func, ast.Attribute):
        inner = func.value
        if isinstance(inner, ast.Attribute) and inner.attr in _CLIENT_CREATE:
            return True
    if isinstance(func, ast.Name):
        if any(func.id in s.models for s in scopes.visible()):
            return True
        found, _ = scopes.lookup(func.id)
        if _MODEL_NAME.match(func.id) and not (found and scopes.qualname(func)):
            return True
    if isinstance(func, ast.Call) and makes_model(func, scopes):
        return True
    qualname = scopes.qualname(func)
    return root(qualname) in {"requests", "httpx", "urllib"} and (
        (qualname or "").rsplit(".", 1)[-1] in _FETCH
    )


def is_tainted(node: ast.AST | None, scopes: Scopes) -> bool:
    """Whether an expression carries model or remote output (through names, calls, strings)."""
    if node is None:
        return False
    if isinstance(node, ast.Name):
        return any(node.id in s.tainted for s in scopes.visible())
    if isinstance(node, ast.Call):
        if is_source(node, scopes):
            return True
        if scopes.qualname(node.func) in _SANITIZERS:
            return False
        if isinstance(node.func, ast.Attribute) and is_tainted(node.func.value, scopes):
            return True
        return any(is_tainted(a, scopes) for a in node.args) or any(
            is_tainted(k.value, scopes) for k in node.keywords
        )
    if isinstance(node, ast.Lambda | ast.Compare):
        return False
    return any(is_tainted(child, scopes) for child in ast.iter_child_nodes(node))
