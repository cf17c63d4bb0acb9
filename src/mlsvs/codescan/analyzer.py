"""The AST visitor that applies every ML code rule to one module (or notebook cell)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from mlsvs.codescan import deser, hub, net
from mlsvs.codescan.calls import CallHit
from mlsvs.codescan.names import Scopes, bound_names, locally_assigned, parameters
from mlsvs.codescan.rules import CodeRule
from mlsvs.codescan.taint import is_tainted, makes_model

if TYPE_CHECKING:
    from collections.abc import Callable

_EVAL = frozenset({"builtins.eval", "builtins.exec"})
_ENV_SETTERS = frozenset({"os.environ.setdefault", "os.putenv"})


def _is_environ(node: ast.expr, scopes: Scopes) -> bool:
    return scopes.qualname(node) in {"os.environ", "os.environb"}


# Leaf nodes that never need a visit: contexts and operators (a large share of all nodes).
_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_TLS_KEYWORDS = frozenset({"verify", "ssl", "verify_ssl", "cert_reqs"})
_DESER_NAMES = frozenset(
    {
        "load",
        "loads",
        "Unpickler",
        "read_pickle",
        "open",
        "DbfilenameShelf",
        "decode",
        "load_model",
        "load_all",
        "unsafe_load",
        "unsafe_load_all",
        "full_load",
        "full_load_all",
    }
)
_TLS_NAMES = frozenset({"_create_unverified_context", "CERT_NONE", "_create_stdlib_context"})


class Analyzer(ast.NodeVisitor):
    """Walks statements in order, tracking aliases, constants and tainted names."""

    def __init__(self, scopes: Scopes, *, torch_version: str | None = None) -> None:
        self.scopes = scopes
        self.torch_version = torch_version
        self.hits: list[CallHit] = []
        self._dispatch: dict[type[ast.AST], Callable[[ast.AST], None]] = {}

    def visit(self, node: ast.AST) -> None:
        """Dispatch with a per-class method cache (the stdlib looks the name up per node)."""
        kind = type(node)
        method = self._dispatch.get(kind)
        if method is None:
            method = getattr(self, f"visit_{kind.__name__}", self.generic_visit)
            self._dispatch[kind] = method
        method(node)

    def generic_visit(self, node: ast.AST) -> None:
        """Visit child nodes, skipping contexts and operators."""
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST) and not isinstance(item, _LEAVES):
                        self.visit(item)
            elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                self.visit(value)

    # --- scopes -------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        self.scopes.bind_import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.scopes.bind_import(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expr in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if expr is not None:
                self.visit(expr)
        self.scopes.bind(node.name, None)
        shadowed = set(parameters(node.args)) | locally_assigned(node.body)
        self.scopes.push("function", shadowed)
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.scopes.push("function", set(parameters(node.args)))
        self.visit(node.body)
        self.scopes.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self.scopes.push("class", set())
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()
        self.scopes.bind(node.name, None)

    # --- bindings -----------------------------------------------------------------------
    def _assign(self, targets: list[ast.expr], value: ast.expr | None) -> None:
        scope = self.scopes.current
        tainted = is_tainted(value, self.scopes)
        model = value is not None and makes_model(value, self.scopes)
        for target in targets:
            if isinstance(target, ast.Subscript) and value is not None:
                self._subscript_store(target, value)
            elif isinstance(target, ast.Attribute) and value is not None:
                self.hits.extend(net.tls_attribute_store(target, value, self.scopes))
            single = isinstance(target, ast.Name)
            for name in bound_names(target):
                self.scopes.bind(name, value if single else None)
                (scope.tainted.add if tainted else scope.tainted.discard)(name)
                (scope.models.add if model else scope.models.discard)(name)
                if single and value is not None:
                    self.hits.extend(net.token_assignment(name, value, target, self.scopes))

    def _subscript_store(self, target: ast.Subscript, value: ast.expr) -> None:
        if _is_environ(target.value, self.scopes):
            key = self.scopes.const_str(target.slice)
            self.hits.extend(net.env_write(key, value, target, self.scopes))

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._visit_target(target)
        self._assign(node.targets, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self._visit_target(node.target)
        self._assign([node.target], node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name) and is_tainted(node.value, self.scopes):
            self.scopes.current.tainted.add(node.target.id)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._assign([node.target], node.value)

    def _visit_target(self, target: ast.expr) -> None:
        if isinstance(target, ast.Attribute | ast.Subscript):
            self.visit(target.value)
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self._visit_target(elt)

    def _loop_target(self, target: ast.expr, source: ast.expr) -> None:
        tainted = is_tainted(source, self.scopes)
        for name in bound_names(target):
            self.scopes.bind(name, None)
            if tainted:
                self.scopes.current.tainted.add(name)

    def visit_For(self, node: ast.For) -> None:
        self._for(node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self._for(node)

    def _for(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._loop_target(node.target, node.iter)
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    def visit_With(self, node: ast.With) -> None:
        self._with(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        self._with(node)

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._assign([item.optional_vars], None)
        for stmt in node.body:
            self.visit(stmt)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self.visit(node.iter)
        self._loop_target(node.target, node.iter)
        for cond in node.ifs:
            self.visit(cond)

    # --- rules --------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        scopes = self.scopes
        qualname = scopes.qualname(node.func)
        keywords = {k.arg for k in node.keywords}
        last = qualname.rsplit(".", 1)[-1] if qualname else None
        hits = self.hits
        if qualname is not None and last in _DESER_NAMES:
            hits.extend(deser.torch_load(node, qualname, scopes, self.torch_version))
            hits.extend(deser.pickle_like(node, qualname))
            hits.extend(deser.numpy_load(node, qualname, scopes))
            hits.extend(deser.keras_load(node, qualname, scopes))
            hits.extend(deser.yaml_load(node, qualname, scopes))
        if qualname in _EVAL:
            self._eval(node, qualname)
        if qualname in _ENV_SETTERS and len(node.args) >= 2:
            key = scopes.const_str(node.args[0])
            hits.extend(net.env_write(key, node.args[1], node, scopes))
        if "trust_remote_code" in keywords:
            hits.extend(hub.trust_remote_code(node, scopes))
        if isinstance(node.func, ast.Attribute) or qualname in hub.HUB_CALLS:
            hits.extend(hub.hub_download(node, qualname, scopes))
            hits.extend(hub.torch_hub(node, qualname, scopes))
        if keywords & _TLS_KEYWORDS:
            hits.extend(net.tls_call(node, qualname, scopes))
        if node.args or keywords:
            hits.extend(net.plain_http(node, qualname, scopes))
        if keywords & net.TOKEN_KEYWORDS or qualname in net.LOGIN_CALLS:
            hits.extend(net.hardcoded_token(node, qualname, scopes))
        self.generic_visit(node)

    def _eval(self, node: ast.Call, qualname: str) -> None:
        code = node.args[0] if node.args else None
        if code is None or isinstance(code, ast.Constant):
            return
        short = qualname.removeprefix("builtins.")
        if is_tainted(code, self.scopes):
            self.hits.append(
                CallHit(
                    rule=CodeRule.MLCODE010,
                    node=node,
                    message=f"{short}() of model or remote output",
                )
            )
        else:
            self.hits.append(
                CallHit(
                    rule=CodeRule.MLCODE011, node=node, message=f"{short}() of a dynamic expression"
                )
            )

    def visit_Dict(self, node: ast.Dict) -> None:
        self.hits.extend(hub.trust_remote_code_dict(node, self.scopes))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in _TLS_NAMES:
            self.hits.extend(net.tls_reference(node, self.scopes.qualname(node)))
        self.visit(node.value)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in _TLS_NAMES and isinstance(node.ctx, ast.Load):
            self.hits.extend(net.tls_reference(node, self.scopes.qualname(node)))
