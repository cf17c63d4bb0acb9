"""in-toto attestations (SLSA provenance, test results) and MLflow run metadata, as records.

in-toto statements are read as a bare Statement, a DSSE envelope (base64 payload), a Sigstore
bundle holding one, or JSON Lines of those (``*.intoto.jsonl``). Signatures are not verified
here (the signing checks do that); these records say *what* produced a model and *how* it was
evaluated, bound to the model's SHA-256 by the statement subject.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, load_yaml, read_text

if TYPE_CHECKING:
    from pathlib import Path

STATEMENT_TYPES = frozenset(
    {"https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"}
)
SLSA = ("https://slsa.dev/provenance/v1", "https://slsa.dev/provenance/v0.2")
TEST_RESULT = "https://in-toto.io/attestation/test-result/v0.1"
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Material:
    """A resolved input: its URI and digests (``sha256``, ``gitCommit`` ...)."""

    uri: str
    name: str = ""
    digests: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """One in-toto statement."""

    source: str
    predicate_type: str
    subjects: tuple[tuple[str, str], ...]
    """(name, sha256) of each subject."""
    predicate: dict[str, object]

    def materials(self) -> tuple[Material, ...]:
        """SLSA v1 ``resolvedDependencies`` (or v0.2 ``materials``)."""
        definition = self.predicate.get("buildDefinition")
        raw = (
            definition.get("resolvedDependencies")
            if isinstance(definition, dict)
            else self.predicate.get("materials")
        )
        out: list[Material] = []
        for item in raw if isinstance(raw, list) else []:
            if isinstance(item, dict):
                digest = item.get("digest")
                out.append(
                    Material(
                        uri=str(item.get("uri", "")),
                        name=str(item.get("name", "")),
                        digests={str(k): str(v) for k, v in digest.items()}
                        if isinstance(digest, dict)
                        else {},
                    )
                )
        return tuple(out)

    def parameters(self) -> dict[str, object]:
        """SLSA v1 external and internal parameters (v0.2: ``invocation.parameters``)."""
        definition = self.predicate.get("buildDefinition")
        params: dict[str, object] = {}
        if isinstance(definition, dict):
            for key in ("externalParameters", "internalParameters"):
                value = definition.get(key)
                if isinstance(value, dict):
                    params.update({str(k): v for k, v in value.items()})
        invocation = self.predicate.get("invocation")
        if isinstance(invocation, dict) and isinstance(invocation.get("parameters"), dict):
            params.update({str(k): v for k, v in invocation["parameters"].items()})
        return params


def _statement(doc: object, source: str) -> Statement | None:
    if not isinstance(doc, dict):
        return None
    if "dsseEnvelope" in doc:  # a Sigstore bundle
        return _statement(doc["dsseEnvelope"], source)
    if "payload" in doc and "payloadType" in doc:  # a DSSE envelope
        try:
            payload = json.loads(base64.b64decode(str(doc["payload"]), validate=True))
        except (binascii.Error, ValueError):
            raise DocumentError(f"{source}: DSSE payload is not base64-encoded JSON") from None
        return _statement(payload, source)
    if doc.get("_type") not in STATEMENT_TYPES:
        return None
    subjects = []
    for subject in doc.get("subject") or []:
        if isinstance(subject, dict) and isinstance(subject.get("digest"), dict):
            sha = str(subject["digest"].get("sha256", "")).lower()
            if _SHA256.match(sha):
                subjects.append((str(subject.get("name", "")), sha))
    predicate = doc.get("predicate")
    return Statement(
        source=source,
        predicate_type=str(doc.get("predicateType", "")),
        subjects=tuple(subjects),
        predicate={str(k): v for k, v in predicate.items()} if isinstance(predicate, dict) else {},
    )


def read_statements(path: Path, rel: str) -> tuple[Statement, ...]:
    """Every in-toto statement in a file (empty when the file holds none)."""
    text = read_text(path, rel)
    documents: list[object] = []
    try:
        documents.append(json.loads(text))
    except json.JSONDecodeError:
        try:
            documents.extend(json.loads(line) for line in text.splitlines() if line.strip())
        except json.JSONDecodeError as exc:
            raise DocumentError(f"{rel}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    found = [s for d in documents if (s := _statement(d, rel)) is not None]
    return tuple(found)


def is_commit(value: str) -> bool:
    """A full 40-hex git commit id."""
    return bool(_HEX40.match(value.lower()))


def is_sha256(value: str) -> bool:
    """A 64-hex SHA-256 (optionally ``sha256:`` prefixed)."""
    return bool(_SHA256.match(value.lower().removeprefix("sha256:")))


# --- MLflow -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MlflowRun:
    """What an MLflow FileStore run directory records."""

    run_id: str
    path: str
    params: dict[str, str]
    tags: dict[str, str]
    datasets: tuple[tuple[str, str], ...]
    """(name, digest) of the dataset inputs logged with ``mlflow.log_input``."""


def read_mlmodel(path: Path, rel: str) -> dict[str, object]:
    """An ``MLmodel`` file as MLflow writes it (YAML with ``flavors``)."""
    doc = load_yaml(read_text(path, rel), rel)
    if not isinstance(doc, dict) or not isinstance(doc.get("flavors"), dict):
        raise DocumentError(f"{rel}: not an MLflow MLmodel file (no 'flavors' mapping)")
    return {str(k): v for k, v in doc.items()}


def _values(directory: Path) -> dict[str, str]:
    if not directory.is_dir():
        return {}
    out: dict[str, str] = {}
    for item in sorted(directory.rglob("*")):
        if item.is_file():
            key = item.relative_to(directory).as_posix().replace("/", ".")
            out[key] = item.read_text(encoding="utf-8").strip()
    return out


def find_run(root: Path, run_id: str) -> MlflowRun | None:
    """The FileStore run ``run_id`` under ``mlruns/`` in the project, if it is there."""
    base = root / "mlruns"
    if not base.is_dir() or not re.fullmatch(r"[0-9a-f]{32}", run_id):
        return None
    for meta in sorted(base.glob(f"*/{run_id}/meta.yaml")):
        run_dir = meta.parent
        experiment = run_dir.parent
        datasets: list[tuple[str, str]] = []
        for link in sorted((run_dir / "inputs").glob("*/meta.yaml")):
            data = load_yaml(link.read_text(encoding="utf-8"), link.as_posix())
            if isinstance(data, dict) and data.get("source_type") in {"DATASET", 1}:
                dataset = experiment / "datasets" / str(data.get("source_id", "")) / "meta.yaml"
                if dataset.is_file():
                    info = load_yaml(dataset.read_text(encoding="utf-8"), dataset.as_posix())
                    if isinstance(info, dict):
                        datasets.append((str(info.get("name", "")), str(info.get("digest", ""))))
        return MlflowRun(
            run_id=run_id,
            path=run_dir.relative_to(root).as_posix(),
            params=_values(run_dir / "params"),
            tags=_values(run_dir / "tags"),
            datasets=tuple(datasets),
        )
    return None
