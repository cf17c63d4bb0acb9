"""On-device models verified before load (MLC1008, M8.5.5), in Python device code.

Device runtimes are recognised by the loader a file calls (names resolved through the
module's imports): TensorFlow Lite / LiteRT interpreters (``tflite_runtime.interpreter``,
``tensorflow.lite``, ``ai_edge_litert.interpreter``), Core ML (``coremltools.models.MLModel``),
ExecuTorch (``executorch.runtime`` / ``_load_for_executorch``). In the function that calls the
loader, a check that can stop the load must come first (by line):

* a signature verification that raises on a bad signature: ``model_signing`` verification,
  a ``.verify(...)``/``verify_*`` call (``cryptography`` public keys, sigstore, a project's
  ``verify_signature``), ``nacl`` ``VerifyKey.verify``;
* or a digest comparison that refuses: ``if <...>.hexdigest() != expected: raise`` (or
  ``return``), ``if not hmac.compare_digest(...): raise``. An ``assert`` is not a check (``python
  -O`` removes it), and a digest that is only computed or logged is not one either.

Android (Kotlin/Java) and iOS (Swift) apps are not parsed: a project whose device code is not
Python is not verified. Whether the loader really rejects a package with one modified byte is
the hybrid requirement's test, which stays with the reviewer.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError
from mlsvs.checks.pipeline.hosted import python_of
from mlsvs.codescan.names import Scopes
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

LOADERS = frozenset(
    {
        "tflite_runtime.interpreter.Interpreter",
        "tensorflow.lite.Interpreter",
        "tensorflow.lite.python.interpreter.Interpreter",
        "ai_edge_litert.interpreter.Interpreter",
        "coremltools.models.MLModel",
        "coremltools.models.model.MLModel",
        "executorch.extension.pybindings.portable_lib._load_for_executorch",
        "executorch.runtime.Runtime.get",
    }
)
_VERIFY_METHODS = ("verify", "verify_signature", "verify_model", "verify_package", "verify_bundle")


@dataclass(frozen=True, slots=True, kw_only=True)
class Load:
    """One model load in device code and whether a refusing check precedes it."""

    line: int
    loader: str
    function: str
    verified_by: str


def _refuses(body: list[ast.stmt]) -> bool:
    return any(
        isinstance(s, ast.Raise | ast.Return)
        or (
            isinstance(s, ast.Expr)
            and isinstance(s.value, ast.Call)
            and ast.unparse(s.value.func).endswith(("exit", "abort"))
        )
        for s in body
    )


def _digest_test(test: ast.expr) -> bool:
    """A test that compares a digest: ``x.hexdigest() != y``, ``not compare_digest(a, b)``."""
    text = ast.unparse(test).lower()
    compares = "compare_digest" in text or any(isinstance(n, ast.Compare) for n in ast.walk(test))
    return compares and any(w in text for w in ("digest", "sha", "hash", "checksum"))


def _checks(body: list[ast.stmt], scopes: Scopes) -> list[tuple[int, str]]:
    """(line, what) of every refusing check in a function body (nested blocks included)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.If) and _digest_test(node.test) and _refuses(node.body):
            found.append((node.lineno, f"digest check at line {node.lineno}"))
        elif isinstance(node, ast.Call):
            name = scopes.qualname(node.func) or ast.unparse(node.func)
            attr = (
                node.func.attr if isinstance(node.func, ast.Attribute) else name.rsplit(".", 1)[-1]
            )
            if name.startswith("model_signing.") and "verif" in name:
                found.append((node.lineno, f"{name} at line {node.lineno}"))
            elif attr in _VERIFY_METHODS or attr.startswith("verify_"):
                found.append((node.lineno, f"{ast.unparse(node.func)}() at line {node.lineno}"))
    return found


def _functions(tree: ast.Module) -> Iterator[tuple[str, list[ast.stmt]]]:
    yield (
        "<module>",
        [
            s
            for s in tree.body
            if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ],
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node.body


def device_loads(source: str) -> list[Load]:
    """Every device-runtime model load in a module; ``SyntaxError`` propagates."""
    tree = ast.parse(source)
    scopes = Scopes()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            scopes.bind_import(node)
    loads: list[Load] = []
    for name, body in _functions(tree):
        checks = _checks(body, scopes)
        nested = {
            id(n)
            for s in body
            for n in ast.walk(s)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) or id(stmt) in nested:
                continue
            for node in ast.walk(stmt):
                if not isinstance(node, ast.Call):
                    continue
                loader = scopes.qualname(node.func) or ""
                if loader not in LOADERS:
                    continue
                before = [what for line, what in checks if line < node.lineno]
                loads.append(
                    Load(
                        line=node.lineno,
                        loader=loader,
                        function=name,
                        verified_by=before[-1] if before else "",
                    )
                )
    return loads


@check(
    id="MLC1008",
    title="Device code verifies a model package's signature or digest before loading it",
    requirements=["M8.5.5"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(SourceFile,),
    remediation="Verify the package before the interpreter is created, in the loading "
    "function: check its signature (model_signing, a public key's verify) or compare its "
    "SHA-256 with the signed manifest and raise on mismatch; never with assert.",
)
def device_models_verified(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """TFLite/LiteRT, Core ML and ExecuTorch loads are preceded by a refusing check."""
    gaps: list[Gap] = []
    seen = 0
    for source in project.of_type(SourceFile):
        try:
            loads = device_loads(python_of(source))
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)))
            continue
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        for load in loads:
            seen += 1
            key = f"{source.path}:{load.line}"
            where = f"{key} ({load.loader.rsplit('.', 1)[-1]} in {load.function})"
            if load.verified_by:
                yield passed(f"{where}: preceded by {load.verified_by}", key=key)
            else:
                yield failed(
                    f"{where}: no signature or digest check that refuses the package "
                    "comes before the load",
                    key=key,
                )
    if gaps:
        yield not_verified("source files could not be analysed", gaps, key="unread")
    elif not seen:
        yield abstained(
            "no device-runtime model load (TFLite/LiteRT, Core ML, ExecuTorch) in the Python "
            "code; Android and iOS sources are not read",
            key="no-device-load",
        )
