"""Jinja2 chat templates: server-side template injection found on the parsed template.

Chat templates are rendered by a Jinja2 environment in llama.cpp bindings, transformers and
inference servers, several of them without a sandbox (CVE-2024-34359 in llama-cpp-python,
vLLM and SGLang in 2025-26). Every known escape reaches Python internals through an attribute
or item whose name starts with an underscore (``__class__``, ``__globals__``, ``__init__``,
``_TemplateReference__context``) or through the ``attr`` filter. Matching the text is
defeated by string building (``'_' ~ '_class' ~ '__'``), escapes (``'\\x5f'``), ``|attr``,
``|join``, ``|format`` or a namespace built in a loop; so the template is *parsed* with
Jinja2's own parser (never rendered) and the analysis runs on the syntax tree:

* attribute access (``.x``) and subscripts (``[k]``) with a key that folds to a string starting
  with ``_``, and subscripts whose key is built from strings at render time;
* ``attr``, ``map``/``select``/``sort``/... ``attribute=`` arguments naming underscored or
  computed attributes; ``format`` strings that reach attributes (``'{0.__class__}'``);
* ``import``/``include``/``extends`` of other templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from jinja2 import nodes
    from jinja2.parser import Parser

_STRING_FILTERS = frozenset(
    {"join", "format", "replace", "reverse", "lower", "upper", "title", "capitalize", "string",
     "trim", "first", "last", "center", "indent", "truncate", "wordwrap", "urlencode", "safe",
     "escape", "e", "forceescape", "striptags", "list", "batch", "slice", "sum", "random",
     "min", "max", "sort", "unique", "dictsort", "map", "select", "reject", "items"}
)  # fmt: skip
_ATTRIBUTE_FILTERS = frozenset(
    {"map", "select", "reject", "selectattr", "rejectattr", "sort", "groupby", "unique", "min",
     "max", "sum", "dictsort"}
)  # fmt: skip
_MAX_FOLD = 4096


@dataclass(slots=True)
class TemplateAnalysis:
    """Problems found, or why the template could not be analysed."""

    problems: list[str] = field(default_factory=list)
    parse_error: str | None = None


def template_problems(template: str) -> list[str]:
    """Descriptions of template-injection indicators (empty = clean); a template that does not
    parse is reported too (it cannot be verified)."""
    analysis = analyze(template)
    if analysis.parse_error is not None:
        return [*analysis.problems, f"does not parse as Jinja2: {analysis.parse_error}"]
    return analysis.problems


def analyze(template: str) -> TemplateAnalysis:
    """Parse ``template`` with Jinja2 (chat-template extensions enabled) and walk the tree."""
    import jinja2

    # Parse only, never rendered: autoescaping is irrelevant here.
    env = jinja2.Environment(  # noqa: S701
        extensions=["jinja2.ext.loopcontrols", _generation_extension()]
    )
    try:
        tree = env.parse(template)
    except jinja2.TemplateSyntaxError as exc:
        return TemplateAnalysis(parse_error=f"line {exc.lineno}: {exc.message}")
    except (RecursionError, MemoryError):
        return TemplateAnalysis(parse_error="template nested too deeply to parse")
    walker = _Walker()
    try:
        walker.run(tree)
    except RecursionError:
        return TemplateAnalysis(parse_error="template nested too deeply to analyse")
    return TemplateAnalysis(problems=sorted(set(walker.problems)))


def _generation_extension() -> type:
    """transformers' ``{% generation %}...{% endgeneration %}`` block (assistant masks)."""
    from jinja2 import nodes as jnodes
    from jinja2.ext import Extension

    class Generation(Extension):
        tags = {"generation"}  # noqa: RUF012 - jinja2's class attribute

        def parse(self, parser: Parser) -> jnodes.Node:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
            return jnodes.Scope(body, lineno=lineno)

    return Generation


class _Walker:
    """Two passes: bind names to how their values are made, then judge every access."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.values: dict[str, list[nodes.Node]] = {}

    def run(self, tree: nodes.Template) -> None:
        from jinja2 import nodes as jn

        for assign in tree.find_all(jn.Assign):
            self._bind_pattern(assign.target, assign.node)
        for block in tree.find_all(jn.AssignBlock):
            for target in _targets(block.target):
                self._bind(target, jn.Concat(block.body))
        for loop in tree.find_all(jn.For):
            if isinstance(loop.iter, jn.List | jn.Tuple):
                for item in loop.iter.items:
                    self._bind_pattern(loop.target, item)
        macros = {m.name: m for m in tree.find_all(jn.Macro)}
        for call in tree.find_all(jn.Call):
            if isinstance(call.node, jn.Name) and call.node.name in macros:
                params = macros[call.node.name].args
                for param, arg in zip(params, call.args, strict=False):
                    self._bind(param.name, arg)
                for kw in call.kwargs:
                    self._bind(kw.key, kw.value)
        for node in tree.find_all(jn.Node):
            self._judge(node)

    def _bind_pattern(self, target: nodes.Node, value: nodes.Node) -> None:
        """``for a, b in [('x', 'y')]``: bind element-wise when the shapes match."""
        from jinja2 import nodes as jn

        if (
            isinstance(target, jn.Tuple)
            and isinstance(value, jn.List | jn.Tuple)
            and len(target.items) == len(value.items)
        ):
            for sub, item in zip(target.items, value.items, strict=True):
                self._bind_pattern(sub, item)
            return
        for name in _targets(target):
            self._bind(name, value)

    def _bind(self, target: str, value: nodes.Node) -> None:
        """Record a value for a name; ``namespace(...)``/``dict(...)`` also bind their fields."""
        from jinja2 import nodes as jn

        self.values.setdefault(target, []).append(value)
        if (
            isinstance(value, jn.Call)
            and isinstance(value.node, jn.Name)
            and value.node.name in ("namespace", "dict")
        ):
            for kw in value.kwargs:
                self.values.setdefault(f"{target}.{kw.key}", []).append(kw.value)
        if isinstance(value, jn.Dict):
            for pair in value.items:
                key = _const(pair.key)
                if isinstance(key, str):
                    self.values.setdefault(f"{target}.{key}", []).append(pair.value)

    def _judge(self, node: nodes.Node) -> None:
        from jinja2 import nodes as jn

        if isinstance(node, jn.Getattr):
            self._name(node.attr, "attribute")
        elif isinstance(node, jn.Getitem) and not isinstance(node.arg, jn.Slice):
            self._key(node.arg, "subscript")  # a slice reads no attribute
        elif isinstance(node, jn.Filter | jn.Test):
            self._filter(node)
        elif isinstance(node, jn.Call) and isinstance(node.node, jn.Getattr):
            if node.node.attr == "format":
                for text in self._fold(node.node.node):
                    self._format_string(text)
        elif isinstance(node, jn.Import | jn.FromImport | jn.Include | jn.Extends):
            self.problems.append(f"loads another template ({type(node).__name__.lower()})")

    def _filter(self, node: nodes.Filter | nodes.Test) -> None:
        from jinja2 import nodes as jn

        name = node.name
        args = list(node.args)
        if name == "attr" and args:
            self._key(args[0], "attr filter")
        if name in ("map", "select", "reject") and args and _const(args[0]) == "attr":
            if len(args) > 1:
                self._key(args[1], f"{name}('attr') argument")
            else:
                self.problems.append(f"{name}('attr') without a constant attribute")
        if name in _ATTRIBUTE_FILTERS:
            for kw in node.kwargs:
                if kw.key == "attribute":
                    self._key(kw.value, f"{name}(attribute=...)", dotted=True)
            if name in ("selectattr", "rejectattr") and args:
                self._key(args[0], f"{name} argument", dotted=True)
        if name == "format" and isinstance(node, jn.Filter) and node.node is not None:
            for text in self._fold(node.node):
                self._format_string(text)

    def _key(self, expr: nodes.Node, where: str, *, dotted: bool = False) -> None:
        from jinja2 import nodes as jn

        if isinstance(expr, jn.Const):
            if isinstance(expr.value, str):
                for part in expr.value.split(".") if dotted else [expr.value]:
                    self._name(part, where)
            return
        folded = self._fold(expr)
        for text in folded:
            for part in text.split(".") if dotted else [text]:
                self._name(part, where)
        if not folded and self._built(expr, set()):
            self.problems.append(f"{where} with a name built from strings at render time")

    def _name(self, name: str, where: str) -> None:
        if name.startswith("_"):
            kind = "Python internals" if name.startswith("__") else "a private attribute"
            self.problems.append(f"{where} {name!r} reaches {kind}")

    def _format_string(self, text: str) -> None:
        if "{" in text and ("._" in text or "[_" in text or "__" in text):
            self.problems.append(f"format string reaches attributes: {text[:60]!r}")

    def _fold(self, expr: nodes.Node, depth: int = 0) -> list[str]:
        """Every string value ``expr`` can evaluate to, when it is built from constants only."""
        from jinja2 import nodes as jn

        if depth > 32:
            return []
        if isinstance(expr, jn.Const):
            return [expr.value] if isinstance(expr.value, str) else []
        if isinstance(expr, jn.TemplateData):
            return [expr.data]
        if isinstance(expr, jn.Concat | jn.Add):
            parts = [expr.left, expr.right] if isinstance(expr, jn.Add) else list(expr.nodes)
            out = [""]
            for part in parts:
                values = self._fold(part, depth + 1)
                if not values:
                    return []
                out = [a + b for a in out for b in values][:16]
            return [s for s in out if len(s) <= _MAX_FOLD]
        if isinstance(expr, jn.Output):
            return self._fold(jn.Concat(expr.nodes), depth + 1)
        if isinstance(expr, jn.List | jn.Tuple):
            return []
        if isinstance(expr, jn.Filter) and expr.node is not None:
            return self._fold_filter(expr, depth)
        key = _ref(expr)
        if key is not None:
            bound: list[str] = []
            for value in self.values.get(key, [])[:8]:
                bound.extend(self._fold(value, depth + 1))
            return bound[:16]
        return []

    def _fold_filter(self, expr: nodes.Filter, depth: int) -> list[str]:
        from jinja2 import nodes as jn

        if expr.node is None:
            return []
        name = expr.name
        if name == "join" and isinstance(expr.node, jn.List | jn.Tuple):
            sep = _const(expr.args[0]) if expr.args else ""
            items = [self._fold(item, depth + 1) for item in expr.node.items]
            if isinstance(sep, str) and all(len(v) == 1 for v in items):
                return [sep.join(v[0] for v in items)]
            return []
        inner = self._fold(expr.node, depth + 1)
        if name in ("lower", "upper", "trim", "string", "safe", "e", "escape"):
            ops: dict[str, Callable[[str], str]] = {
                "lower": str.lower,
                "upper": str.upper,
                "trim": str.strip,
            }
            op = ops.get(name, str)
            return [op(v) for v in inner]
        if name == "reverse":
            return [v[::-1] for v in inner]
        if name == "replace" and len(expr.args) >= 2:
            old, new = _const(expr.args[0]), _const(expr.args[1])
            if isinstance(old, str) and isinstance(new, str):
                return [v.replace(old, new) for v in inner]
        if name == "format":
            return []
        return []

    def _built(self, expr: nodes.Node, seen: set[str]) -> bool:
        """The value is assembled from strings while rendering (concatenation, joins ...)."""
        from jinja2 import nodes as jn

        for node in [expr, *expr.find_all(jn.Node)]:
            if isinstance(node, jn.Concat):
                return True
            if isinstance(node, jn.Add | jn.Mod | jn.Mul) and (
                self._stringy(node.left, set()) or self._stringy(node.right, set())
            ):
                return True
            if isinstance(node, jn.Filter) and node.name in _STRING_FILTERS:
                return True
            # a method's result ('x'.swapcase(), names.pop()) or an item / slice of a value
            # ('__slabolg__'[::-1], names[0]) as a name: not foldable, so not provably harmless
            if (
                isinstance(node, jn.Call)
                and isinstance(node.node, jn.Getattr)
                and node.node.attr != "get"
            ):
                return True
            if isinstance(node, jn.Getitem):
                return True
            key = _ref(node)
            if key is not None and key not in seen:
                seen.add(key)
                if any(self._built(v, seen) for v in self.values.get(key, [])):
                    return True
        return False

    def _stringy(self, expr: nodes.Node, seen: set[str]) -> bool:
        """The operand is a string (so ``+``/``*``/``%`` on it build a string)."""
        from jinja2 import nodes as jn

        if isinstance(expr, jn.Const):
            return isinstance(expr.value, str)
        if isinstance(expr, jn.Concat | jn.TemplateData):
            return True
        if isinstance(expr, jn.Filter):
            return expr.name in _STRING_FILTERS
        if isinstance(expr, jn.Add | jn.Mul | jn.Mod):
            return self._stringy(expr.left, seen) or self._stringy(expr.right, seen)
        key = _ref(expr)
        if key is None or key in seen:
            return False
        seen.add(key)
        return any(self._stringy(v, seen) for v in self.values.get(key, []))


def _targets(target: nodes.Node) -> list[str]:
    from jinja2 import nodes as jn

    if isinstance(target, jn.Name):
        return [target.name]
    if isinstance(target, jn.NSRef):
        return [f"{target.name}.{target.attr}"]
    if isinstance(target, jn.Tuple):
        return [n for item in target.items for n in _targets(item)]
    return []


def _ref(node: nodes.Node) -> str | None:
    """``name``, ``ns.attr`` or ``d['key']``: the binding key a value is read from."""
    from jinja2 import nodes as jn

    if isinstance(node, jn.Name):
        return node.name
    if isinstance(node, jn.NSRef):
        return f"{node.name}.{node.attr}"
    if isinstance(node, jn.Getattr) and isinstance(node.node, jn.Name):
        return f"{node.node.name}.{node.attr}"
    if isinstance(node, jn.Getitem) and isinstance(node.node, jn.Name):
        key = _const(node.arg)
        return f"{node.node.name}.{key}" if isinstance(key, str) else None
    return None


def _const(expr: nodes.Node) -> object:
    from jinja2 import nodes as jn

    return expr.value if isinstance(expr, jn.Const) else None
