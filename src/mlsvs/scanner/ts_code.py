"""Static review of serialized TorchScript source (``code/**.py`` members of a TorchScript zip).

TorchScript cannot import Python modules, but its operators can touch files (``aten::from_file``,
``aten::save``), and operators outside the built-in namespaces need a native library loaded by
the caller. Benign exported code only uses the standard namespaces.

The source is *parsed* (Python syntax, ``ast.parse`` never executes anything) and names are
read from the syntax tree, so spacing, line continuations, parentheses (``(ops).ns.op``),
comments and string contents cannot hide or fake an operator reference.
"""

from __future__ import annotations

import ast

_STANDARD_NS = frozenset(
    {
        "aten",
        "prim",
        "quantized",
        "_quantized",
        "prepacked",
        "_caffe2",
        "profiler",
        "cuda",
        "mkldnn",
        "mkl",
        "fbgemm",
        "xnnpack",
        "quantized_decomposed",
        "_c10d_functional",
        "c10d_functional",
        "_c10d_functional_autograd",
    }
)
_FILE_OPS = frozenset({"from_file", "save", "_save", "load", "_load", "open", "fromfile"})
_SUSPICIOUS_NAMES = frozenset(
    {"__import__", "importlib", "subprocess", "eval", "exec", "builtins", "load_library",
     "compile", "globals", "locals", "__builtins__"}
)  # fmt: skip
_SUSPICIOUS_DOTTED = frozenset(
    {"os.system", "os.popen", "torch.classes.load_library", "torch.ops.load_library",
     "torch.from_file", "torch.save", "torch.load", "torch.hub.load"}
)  # fmt: skip
_ALLOWED_IMPORTS = frozenset({"torch", "__torch__", "typing", "math", "builtins"})


def review(source: str) -> list[str]:
    """Descriptions of every risky construct in one code member (empty when clean)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return [f"code does not parse ({type(exc).__name__}); not verified"]
    problems: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            problems.update(_imports(node))
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted:
                problems.update(_dotted_problems(dotted))
        elif isinstance(node, ast.Name) and node.id in _SUSPICIOUS_NAMES:
            problems.add(f"reference to {node.id!r}")
    return sorted(problems)


def _imports(node: ast.Import | ast.ImportFrom) -> list[str]:
    modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    allowed = _ALLOWED_IMPORTS
    return [f"import of {m!r}" for m in modules if m.split(".")[0] not in allowed]


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attributes on a name (parentheses are already gone in the AST)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _dotted_problems(dotted: str) -> list[str]:
    out: list[str] = []
    parts = dotted.split(".")
    if parts[0] == "torch" and parts[1:2] == ["ops"]:
        parts = parts[1:]
    if parts[0] == "ops" and len(parts) >= 3:
        ns, op = parts[1], parts[2]
        if ns not in _STANDARD_NS:
            out.append(f"custom operator namespace ops.{ns}.{op} (needs a native library)")
        elif op in _FILE_OPS:
            out.append(f"file operator ops.{ns}.{op}")
    out.extend(
        f"reference to {known!r}"
        for known in _SUSPICIOUS_DOTTED
        if dotted == known or dotted.startswith(known + ".")
    )
    if any(p in ("__import__", "__builtins__", "__globals__", "__subclasses__") for p in parts):
        out.append(f"reference to {dotted!r}")
    return out
