"""Pre- and post-processing bound to the model (M4.4.2).

Serving code (as MLC867 finds it) must take its scalers, encoders, tokenizers, label maps and
thresholds from files versioned with the model, listed in the hash manifest (``SHA256SUMS``)
or the ML-BOM with their digests; none may come from an environment variable or a path chosen
at run time. Processing artifacts are recognised by name (``scaler``, ``encoder``,
``tokenizer``, ``vocab``, ``labels``, ``threshold``, ``preprocess`` ...) in the file names the
code loads and the environment variables it reads.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError
from mlsvs.checks.pipeline.hosted import python_of
from mlsvs.checks.pipeline.serving import manifest_paths, serving_files
from mlsvs.codescan.names import Scopes
from mlsvs.plugin import (
    BomDocument,
    DeploymentConfig,
    Document,
    Gap,
    GapReason,
    ModelArtifact,
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

_PROCESSING = re.compile(
    r"scaler|encoder|tokeni[sz]er|vocab|label[s_-]?map|labels|classes|threshold|preprocess|"
    r"postprocess|feature[s_-]?(?:map|names|transform)|normali[sz]|imputer|vectori[sz]er|"
    r"transformer\.(?:pkl|joblib)|calibrat|merges\.txt|special_tokens",
    re.I,
)
_ARTIFACT = re.compile(
    r"\.(json|ya?ml|txt|pkl|pickle|joblib|model|npy|npz|onnx|csv|skops|bin)$", re.I
)
_ENV_READS = frozenset({"os.environ.get", "os.getenv", "os.environ.__getitem__"})


def _processing_uses(source: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(line, file name) of processing artifacts named in the code, and (line, variable) of
    processing settings read from the environment."""
    tree = ast.parse(source)
    scopes = Scopes()
    files: list[tuple[int, str]] = []
    env: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            scopes.bind_import(node)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = PurePosixPath(node.value).name
            if _ARTIFACT.search(name) and _PROCESSING.search(name):
                files.append((node.lineno, node.value))
        key: str | None = None
        if isinstance(node, ast.Call) and scopes.qualname(node.func) in _ENV_READS and node.args:
            key = scopes.const_str(node.args[0])
        elif isinstance(node, ast.Subscript) and scopes.qualname(node.value) == "os.environ":
            key = scopes.const_str(node.slice)
        if key and _PROCESSING.search(key) and isinstance(node, ast.expr):
            env.append((node.lineno, key))
    return files, env


def bom_files(project: Project) -> tuple[set[str], list[Gap]]:
    """File names of BOM components that carry a SHA-256."""
    names: set[str] = set()
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
            if not isinstance(component, dict):
                continue
            stack.extend(component.get("components", []) or [])
            hashed = any(
                isinstance(h, dict) and h.get("content") for h in component.get("hashes", []) or []
            )
            if hashed:
                names.add(PurePosixPath(str(component.get("name", ""))).name)
                for prop in component.get("properties", []) or []:
                    if isinstance(prop, dict) and "path" in str(prop.get("name", "")):
                        names.add(PurePosixPath(str(prop.get("value", ""))).name)
    return names, gaps


@check(
    id="MLC873",
    title="Scalers, encoders, tokenizers, label maps and thresholds are pinned with the model",
    requirements=["M4.4.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(SourceFile, Document, BomDocument),
    remediation="Ship processing artifacts with the model and list them in SHA256SUMS or the "
    "BOM with digests; read thresholds and label maps from those files, never from the "
    "environment.",
)
def processing_bound(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Processing files named in serving code are in the manifest; none comes from the env."""
    files = serving_files(project)
    listed, gaps = manifest_paths(project)
    in_bom, bom_gaps = bom_files(project)
    gaps += bom_gaps
    pinned = {PurePosixPath(p).name for p in listed} | in_bom
    if not files:
        if any(isinstance(a, ModelArtifact | DeploymentConfig) for a in project.artifacts):
            yield abstained("models or deployments are present but no serving code was found")
        else:
            yield abstained("the project holds no serving code, model or deployment")
        return
    for source in files:
        try:
            used, env = _processing_uses(python_of(source))
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)))
            continue
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        problems = [f"{source.path}:{line} reads {key} from the environment" for line, key in env]
        problems += [
            f"{source.path}:{line} uses {name}, which no manifest or BOM pins"
            for line, name in used
            if PurePosixPath(name).name not in pinned
        ]
        facts = tuple(("processing", name) for _, name in used)
        if problems:
            yield failed("; ".join(problems[:6]), key=source.path, facts=facts)
        else:
            shown = ", ".join(sorted({n for _, n in used})) or "none named"
            yield passed(
                f"{source.path}: processing artifacts pinned ({shown})",
                key=source.path,
                facts=facts,
            )
    if gaps:
        yield not_verified("serving code, manifests or BOMs could not be read", gaps)
