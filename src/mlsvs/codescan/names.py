"""Import-alias resolution and constant lookup over lexical scopes (no execution).

A ``Scopes`` stack maps local names to the dotted name they stand for (``t`` -> ``torch``,
``L`` -> ``torch.load``) or to ``None`` when the name is bound to something else, which
shadows an import or a builtin. Module scopes are processed statement by statement; in a
function every name assigned anywhere in its body is local from the start, as in Python.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

_BUILTINS = frozenset(dir(builtins))
_DYNAMIC_IMPORTS = frozenset(
    {"importlib.import_module", "pytest.importorskip", "builtins.__import__"}
)


@dataclass(slots=True, kw_only=True)
class Scope:
    """One lexical scope: aliases, simple constants and tainted names."""

    kind: str
    """``module``, ``function`` or ``class``."""
    aliases: dict[str, str | None] = field(default_factory=dict)
    consts: dict[str, object] = field(default_factory=dict)
    tainted: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)
    """Names bound to a model or pipeline object (calling them yields model output)."""


def bound_names(target: ast.expr) -> list[str]:
    """Names bound by an assignment target (tuples and starred targets unpacked)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return bound_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in bound_names(elt)]
    return []


def _stmt_targets(stmt: ast.stmt) -> list[ast.expr]:
    match stmt:
        case ast.Assign(targets=targets):
            return list(targets)
        case ast.AugAssign(target=target) | ast.AnnAssign(target=target):
            return [target]
        case ast.For(target=target) | ast.AsyncFor(target=target):
            return [target]
        case ast.With(items=items) | ast.AsyncWith(items=items):
            return [i.optional_vars for i in items if i.optional_vars is not None]
    return []


def locally_assigned(body: list[ast.stmt]) -> set[str]:
    """Names a function body binds other than by import (nested scopes excluded).

    Statement-level only: targets of assignments, loops, ``with``, ``except ... as`` and
    nested ``def``/``class`` names (walrus targets inside expressions are not collected).
    """
    found: set[str] = set()
    declared: set[str] = set()
    stack: list[ast.stmt] = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(stmt.name)
            continue
        if isinstance(stmt, ast.Global | ast.Nonlocal):
            declared.update(stmt.names)
            continue
        for target in _stmt_targets(stmt):
            found.update(bound_names(target))
        if isinstance(stmt, ast.Try | ast.TryStar):
            found.update(h.name for h in stmt.handlers if h.name)
            for handler in stmt.handlers:
                stack.extend(handler.body)
        for name in ("body", "orelse", "finalbody"):
            stack.extend(getattr(stmt, name, ()))
        if isinstance(stmt, ast.Match):
            for case in stmt.cases:
                stack.extend(case.body)
    return found - declared


def parameters(args: ast.arguments) -> list[str]:
    """Every parameter name of a function or lambda."""
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    names = [a.arg for a in every]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


class Scopes:
    """The scope stack of the analyser."""

    def __init__(self) -> None:
        self.stack: list[Scope] = [Scope(kind="module")]

    @property
    def current(self) -> Scope:
        """The innermost scope."""
        return self.stack[-1]

    def visible(self) -> list[Scope]:
        """Scopes a name lookup sees, innermost first (class bodies only when innermost)."""
        inner = self.stack[-1]
        outer = [s for s in reversed(self.stack[:-1]) if s.kind != "class"]
        return [inner, *outer]

    def push(self, kind: str, shadowed: set[str]) -> None:
        """Enter a scope whose ``shadowed`` names are local from the start."""
        self.stack.append(Scope(kind=kind, aliases=dict.fromkeys(shadowed)))

    def pop(self) -> None:
        """Leave the innermost scope."""
        self.stack.pop()

    def bind_import(self, node: ast.Import | ast.ImportFrom) -> None:
        """Record the names an import statement binds."""
        aliases = self.current.aliases
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
            return
        if node.level:  # relative import: a project module, never a known library
            for alias in node.names:
                aliases[alias.asname or alias.name] = None
            return
        module = node.module or ""
        for alias in node.names:
            if alias.name != "*":
                aliases[alias.asname or alias.name] = f"{module}.{alias.name}"

    def bind(self, name: str, value: ast.expr | None) -> None:
        """Rebind ``name``: an alias when ``value`` names a known thing, else shadowed."""
        scope = self.current
        if isinstance(value, ast.Constant) and value.value is None and scope.aliases.get(name):
            return  # `except ImportError: mod = None` keeps the optional import's alias
        target = self.qualname(value) if value is not None else None
        if isinstance(value, ast.Call) and self.qualname(value.func) in _DYNAMIC_IMPORTS:
            target = self.const_str(value.args[0]) if value.args else None
        scope.aliases[name] = target
        scope.consts.pop(name, None)
        if isinstance(value, ast.Constant):
            scope.consts[name] = value.value

    def lookup(self, name: str) -> tuple[bool, str | None]:
        """``(found, dotted name)``; found with ``None`` means shadowed."""
        for scope in self.visible():
            if name in scope.aliases:
                return True, scope.aliases[name]
        return False, None

    def qualname(self, node: ast.expr | None) -> str | None:
        """Dotted name an expression stands for (``tf.keras.models.load_model``), if known."""
        if isinstance(node, ast.Name):
            found, target = self.lookup(node.id)
            if found:
                return target
            return f"builtins.{node.id}" if node.id in _BUILTINS else None
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def const(self, node: ast.expr | None) -> tuple[bool, object]:
        """``(known, value)`` of a literal or of a name bound to one in a visible scope."""
        if isinstance(node, ast.Constant):
            return True, node.value
        if isinstance(node, ast.Name):
            for scope in self.visible():
                if node.id in scope.consts:
                    return True, scope.consts[node.id]
                if node.id in scope.aliases:
                    return False, None
        return False, None

    def const_str(self, node: ast.expr | None) -> str | None:
        """A string literal (or a name bound to one); f-strings give their literal prefix."""
        if isinstance(node, ast.JoinedStr):
            prefix = ""
            for part in node.values:
                text = self._part(part)
                if text is None:
                    break
                prefix += text
            return prefix or None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.const_str(node.left), self.const_str(node.right)
            if left is not None and isinstance(node.left, ast.JoinedStr):
                return left  # a partial f-string prefix: do not append beyond the gap
            return left + right if left is not None and right is not None else left
        known, value = self.const(node)
        return value if known and isinstance(value, str) else None

    def _part(self, part: ast.expr) -> str | None:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            return part.value
        if isinstance(part, ast.FormattedValue) and part.conversion == -1 and not part.format_spec:
            known, value = self.const(part.value)
            if known and isinstance(value, str | int):
                return str(value)
        return None

    def const_suffix(self, node: ast.expr | None) -> str | None:
        """The literal end of a string or f-string (``f"{d}/model.h5"`` -> ``/model.h5``)."""
        if isinstance(node, ast.JoinedStr) and node.values:
            last = node.values[-1]
            if isinstance(last, ast.Constant) and isinstance(last.value, str):
                return last.value
            return None
        return self.const_str(node)
