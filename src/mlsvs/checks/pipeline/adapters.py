"""Adapters and LoRA weights pinned, scanned and signed (M11.3.2).

An adapter is a PEFT directory (``adapter_config.json`` with a ``peft_type``, and its weights
``adapter_model.safetensors``/``.bin``). Each adapter's weights must appear in the ML-BOM with
their SHA-256, pass the model-file scanner (``cached_scan``, the engine behind MLC102), and
have a signature beside them (a model-signing bundle or detached ``.sig``; MLC411 verifies it).
Code must not load adapters by a hub name without a pinned commit (``PeftModel.from_pretrained``,
``load_adapter``).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, read_json
from mlsvs.checks.pipeline.hosted import python_of
from mlsvs.codescan.calls import COMMIT_SHA, argument, kwarg, method
from mlsvs.codescan.names import Scopes
from mlsvs.plugin import (
    BomDocument,
    Document,
    Gap,
    GapReason,
    ModelArtifact,
    Project,
    Severity,
    SignatureFile,
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

_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def _bom_digests(project: Project) -> tuple[set[str], list[Gap]]:
    digests: set[str] = set()
    gaps: list[Gap] = []
    for bom in project.of_type(BomDocument):
        try:
            data = json.loads(bom.absolute.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            gaps.append(Gap(item=bom.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        stack = list(data.get("components", [])) if isinstance(data, dict) else []
        while stack:
            component = stack.pop()
            if isinstance(component, dict):
                stack.extend(component.get("components", []) or [])
                for item in component.get("hashes", []) or []:
                    if isinstance(item, dict) and str(item.get("alg", "")).upper() == "SHA-256":
                        digests.add(str(item.get("content", "")).lower())
    return digests, gaps


def dynamic_loads(source: str) -> list[tuple[int, str]]:
    """(line, name) of adapters loaded from the hub by name without a commit revision."""
    tree = ast.parse(source)
    scopes = Scopes()
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            scopes.bind_import(node)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        qualname = scopes.qualname(node.func) or ""
        name = method(node) or ""
        if qualname.startswith("peft.") and name == "from_pretrained":
            ref = argument(node, 1, "model_id")
        elif name == "load_adapter":
            ref = argument(node, 0, "peft_model_id", "pretrained_model_name_or_path")
        else:
            continue
        text = scopes.const_str(ref) if ref is not None else None
        revision = scopes.const_str(kwarg(node, "revision"))
        if text and _HUB_ID.match(text) and not (revision and COMMIT_SHA.match(revision)):
            found.append((node.lineno, text))
    return found


@check(
    id="MLC874",
    title="Adapters and LoRA weights are in the BOM by digest, scan clean and are signed",
    requirements=["M11.3.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(Document, ModelArtifact, BomDocument, SignatureFile, SourceFile),
    remediation="List each adapter's weights in the ML-BOM with their SHA-256, sign the adapter "
    "directory (model-signing), and load adapters from that directory or a commit-pinned "
    "revision.",
)
def adapters_controlled(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """PEFT adapter directories and adapter loads in code."""
    from mlsvs.scanner import cached_scan
    from mlsvs.util.hashing import sha256_file

    gaps: list[Gap] = []
    adapters: list[str] = []
    for doc in project.of_type(Document):
        if PurePosixPath(doc.path).name != "adapter_config.json":
            continue
        try:
            config = read_json(doc.absolute, doc.path)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        if isinstance(config, dict) and config.get("peft_type"):
            adapters.append(PurePosixPath(doc.path).parent.as_posix())
    loads: list[str] = []
    for source in project.of_type(SourceFile):
        try:
            loads += [
                f"{source.path}:{line} loads adapter {name!r} by name"
                for line, name in dynamic_loads(python_of(source))
            ]
        except (DocumentError, SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
    if gaps:
        yield not_verified("adapter configurations or code could not be read", gaps)
    if loads:
        yield failed("; ".join(loads[:6]), key="code")
    if not adapters:
        if not loads and not gaps:
            yield abstained("no PEFT adapter directory and no adapter loaded in code")
        return
    digests, bom_gaps = _bom_digests(project)
    if bom_gaps:
        yield not_verified("BOMs could not be read", bom_gaps)
    signatures = [s.path for s in project.of_type(SignatureFile)]
    models = {m.path: m for m in project.of_type(ModelArtifact)}
    for directory in adapters:
        prefix = "" if directory == "." else f"{directory}/"
        weights = [models[prefix + w] for w in _WEIGHTS if prefix + w in models]
        if not weights:
            yield failed(
                f"{directory}: adapter without weights file ({' or '.join(_WEIGHTS)})",
                key=directory,
            )
            continue
        problems: list[str] = []
        for weight in weights:
            try:
                sha = sha256_file(weight.absolute)
            except OSError as exc:
                yield not_verified(
                    f"{weight.path}: unreadable",
                    Gap(item=weight.path, reason=GapReason.UNREADABLE, detail=str(exc.strerror)),
                )
                continue
            if sha not in digests:
                problems.append(f"{weight.path} is not in the BOM by its SHA-256")
            report = cached_scan(weight.absolute)
            if not report.verified or report.hazards:
                problems.append(f"{weight.path} does not scan clean ({report.status.value})")
        if not any(s.startswith(prefix) or s.startswith(directory + ".") for s in signatures):
            problems.append(f"{directory} has no signature")
        if problems:
            yield failed("; ".join(problems), key=directory)
        else:
            yield passed(f"{directory}: in the BOM by digest, scans clean, signed", key=directory)
