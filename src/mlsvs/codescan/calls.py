"""Small helpers shared by the rule matchers: call arguments and rule hits."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from mlsvs.codescan.rules import CodeRule
from mlsvs.model.result import Severity

COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
_LOOPBACK = re.compile(r"^http://(?:localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)(?:[:/]|$)")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallHit:
    """A rule match on one AST node, before suppression and location mapping."""

    rule: CodeRule
    message: str
    node: ast.AST
    severity: Severity | None = None
    """Overrides the rule's default severity (e.g. from the torch version)."""


def kwarg(call: ast.Call, *names: str) -> ast.expr | None:
    """The value of the first keyword argument named in ``names``."""
    for keyword in call.keywords:
        if keyword.arg in names:
            return keyword.value
    return None


def argument(call: ast.Call, index: int, *names: str) -> ast.expr | None:
    """A positional argument, or the keyword argument that can stand for it."""
    if len(call.args) > index and not any(
        isinstance(a, ast.Starred) for a in call.args[: index + 1]
    ):
        return call.args[index]
    return kwarg(call, *names)


def has_kwargs_splat(call: ast.Call) -> bool:
    """Whether the call passes ``**mapping`` (whose keys we cannot see)."""
    return any(k.arg is None for k in call.keywords)


def root(qualname: str | None) -> str:
    """First component of a dotted name (empty for ``None``)."""
    return qualname.split(".")[0] if qualname else ""


def method(call: ast.Call) -> str | None:
    """The attribute name of a method call (``x.get(...)`` -> ``get``)."""
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def is_plain_http(url: str) -> bool:
    """An ``http://`` URL to anything but loopback."""
    lowered = url.strip().lower()
    return lowered.startswith("http://") and not _LOOPBACK.match(lowered)
