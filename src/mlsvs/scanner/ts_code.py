"""Static review of serialized TorchScript source (``code/**.py`` members of a TorchScript zip).

TorchScript cannot import Python modules, but its operators can touch files (``aten::from_file``,
``aten::save``), and operators outside the built-in namespaces need a native library loaded by
the caller. Benign exported code only uses the standard namespaces.
"""

from __future__ import annotations

import re

_OPS = re.compile(r"\bops\.([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)")
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
_SUSPICIOUS = re.compile(
    r"\b(?:__import__|importlib|subprocess|os\.system|os\.popen|eval\s*\(|exec\s*\(|"
    r"builtins|getattr\s*\(\s*__|torch\.classes\.load_library|load_library|"
    r"torch\.from_file|torch\.save|torch\.load)"
)
_IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_ALLOWED_IMPORTS = frozenset(
    {
        "torch",
        "__torch__",
        "typing",
        "math",
        "builtins",
        "torch.jit",
        "torch.nn",
        "torch.nn.functional",
        "torch.Tensor",
    }
)


def review(source: str) -> list[str]:
    """Descriptions of every risky construct in one code member (empty when clean)."""
    problems: list[str] = []
    for match in _OPS.finditer(source):
        ns, op = match.group(1), match.group(2)
        if ns not in _STANDARD_NS:
            problems.append(f"custom operator namespace ops.{ns}.{op} (needs a native library)")
        elif op in _FILE_OPS:
            problems.append(f"file operator ops.{ns}.{op}")
    problems.extend(f"reference to {m.group(0).strip()!r}" for m in _SUSPICIOUS.finditer(source))
    for match in _IMPORT.finditer(source):
        module = match.group(1)
        if module.split(".")[0] not in {m.split(".")[0] for m in _ALLOWED_IMPORTS}:
            problems.append(f"import of {module!r}")
    return sorted(set(problems))
