"""Classify walked files into typed artifacts, by content first and by name where content is text.

Binary formats (models, Parquet, Arrow) are recognised from their bytes; the extension only
decides where text formats (source, manifests, cards, CSV) are concerned, because for those the
name *is* the contract with the tools that read them.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypedDict

from mlsvs.discovery.cards import read_card
from mlsvs.model.artifact import (
    Artifact,
    BomDocument,
    CardDocument,
    CardKind,
    DatasetArtifact,
    DependencyManifest,
    DeploymentConfig,
    Document,
    DocumentKind,
    ModelArtifact,
    ModelFormat,
    SignatureFile,
    SourceFile,
)
from mlsvs.util.manifest_names import manifest_kind

if TYPE_CHECKING:
    from collections.abc import Callable

    Identify = Callable[[Path], ModelFormat]

HEAD_BYTES = 4096


class _Common(TypedDict):
    root: Path
    path: str
    size: int


# Where a large unidentified binary is presumed to be a model (and so fails closed).
MODEL_DIRS = frozenset({"model", "models", "checkpoints", "checkpoint", "weights", "artifacts"})
MODEL_SUFFIXES = frozenset(
    {
        ".pt",
        ".pth",
        ".bin",
        ".pkl",
        ".pickle",
        ".joblib",
        ".h5",
        ".hdf5",
        ".keras",
        ".onnx",
        ".gguf",
        ".ggml",
        ".safetensors",
        ".ckpt",
        ".pb",
        ".tflite",
        ".mar",
        ".msgpack",
        ".npz",
        ".dill",
        ".model",
        ".skops",
    }
)
DATA_DIRS = frozenset({"data", "dataset", "datasets"})
_DATA_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_THREAT_MODEL = re.compile(r"^threat[-_ ]?model", re.I)
_CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".env"})
# Unknown binaries smaller than this are not presumed to be models.
_UNKNOWN_MODEL_MIN_BYTES = 1024


def classify(
    root: Path, path: str, size: int, identify: Identify, head: bytes | None = None
) -> Artifact | None:
    """The artifact ``path`` is, or None for files mlsvs has no use for.

    ``head`` is the file's first bytes when the caller has read them already.
    """
    pure = PurePosixPath(path)
    name, suffix = pure.name, pure.suffix.lower()
    absolute = root / path
    common = _Common(root=root, path=path, size=size)

    if suffix == ".py":
        return SourceFile(**common, language="python")
    if suffix == ".ipynb":
        return SourceFile(**common, language="notebook")
    if (manifest := manifest_kind(path)) is not None:
        return DependencyManifest(**common, manifest=manifest)
    if name == "Dockerfile" or name.startswith("Dockerfile.") or suffix == ".dockerfile":
        return DeploymentConfig(**common, config="dockerfile")
    if suffix == ".md" or name.lower() in {"readme", "model_card", "datasheet"}:
        return _markdown(absolute, common, name)
    if suffix == ".dvc" or name == "dvc.lock":
        return Document(**common, document=DocumentKind.DVC)
    if name.upper() in {"SHA256SUMS", "SHA256SUMS.TXT"} or suffix == ".sha256":
        return Document(**common, document=DocumentKind.CHECKSUMS)
    if suffix in {".sig", ".sigstore"} or name.endswith(".sigstore.json"):
        return SignatureFile(**common, signature="sigstore_bundle")

    if head is None:
        head = _head(absolute)
    if head is None:
        return None
    # Fail closed: a badly encoded CSV is still a dataset; its readers report the encoding.
    if suffix in _DATA_SUFFIXES and b"\x00" not in head:
        return DatasetArtifact(**common, format=_DATA_SUFFIXES[suffix])
    if head.startswith(b"PAR1"):
        return DatasetArtifact(**common, format="parquet")
    if head.startswith(b"ARROW1"):
        return DatasetArtifact(**common, format="arrow")
    if suffix == ".json" and _is_text(head):
        return _json_document(head, common, pure)
    if suffix in {".yaml", ".yml"} and _is_text(head):
        return _yaml_document(head, common, pure)

    fmt = identify(absolute)
    if fmt in {ModelFormat.NUMPY, ModelFormat.NUMPY_ARCHIVE} and _in_dirs(pure, DATA_DIRS):
        return DatasetArtifact(
            **common, format="npz" if fmt is ModelFormat.NUMPY_ARCHIVE else "npy"
        )
    if fmt is not ModelFormat.UNKNOWN:
        return ModelArtifact(**common, format=fmt)
    if suffix in _CONFIG_SUFFIXES and _is_text(head):
        return Document(**common, document=DocumentKind.CONFIG)
    if _presumed_model(pure, suffix, size, head):
        return ModelArtifact(**common, format=ModelFormat.UNKNOWN)
    return None


def types_by_name(path: str) -> tuple[str, ...]:
    """The artifact types a path *could* be, judged by its name alone (for unread paths).

    Mirrors ``classify``: where the name decides (source, manifests, cards, CSV ...) the
    answer is that type; where content decides (models, Parquet, configs), the answer is
    empty, meaning "could be anything", so every check that reads files is affected.
    """
    pure = PurePosixPath(path)
    name, suffix = pure.name, pure.suffix.lower()
    if name.lower() == "setup.py":
        return ("SourceFile", "DependencyManifest")  # code, and a packaging script
    if suffix in {".py", ".ipynb"}:
        return ("SourceFile",)
    if manifest_kind(path) is not None:
        return ("DependencyManifest",)
    if name == "Dockerfile" or name.startswith("Dockerfile.") or suffix == ".dockerfile":
        return ("DeploymentConfig",)
    if suffix == ".md" or name.lower() in {"readme", "model_card", "datasheet"}:
        return ("CardDocument", "Document")
    if suffix == ".dvc" or name == "dvc.lock":
        return ("Document",)
    if name.upper() in {"SHA256SUMS", "SHA256SUMS.TXT"} or suffix == ".sha256":
        return ("Document",)
    if suffix in {".sig", ".sigstore"} or name.endswith(".sigstore.json"):
        return ("SignatureFile",)
    return ()


def _markdown(absolute: Path, common: _Common, name: str) -> Artifact | None:
    card = read_card(absolute)
    lowered = name.lower()
    if _THREAT_MODEL.match(lowered):
        return Document(**common, document=DocumentKind.THREAT_MODEL)
    if card is None:
        return None
    kind, metadata, sections = card
    return _card(common, kind, metadata, sections)


def _card(
    common: _Common, kind: str, metadata: dict[str, object], sections: tuple[str, ...]
) -> Artifact:
    return CardDocument(**common, card=CardKind(kind), metadata=metadata, sections=sections)


def _json_document(head: bytes, common: _Common, pure: PurePosixPath) -> Artifact:
    text = head.decode("utf-8", "replace")
    if ('"bomFormat"' in text and "CycloneDX" in text) or pure.name.endswith(".cdx.json"):
        return BomDocument(**common, bom="cyclonedx")
    if '"spdxVersion"' in text:
        return BomDocument(**common, bom="spdx")
    if "application/vnd.dev.sigstore.bundle" in text or pure.name == "model.sig":
        return SignatureFile(**common, signature="sigstore_bundle")
    return Document(**common, document=DocumentKind.CONFIG)


def _yaml_document(head: bytes, common: _Common, pure: PurePosixPath) -> Artifact:
    text = head.decode("utf-8", "replace")
    if _THREAT_MODEL.match(pure.name):
        return Document(**common, document=DocumentKind.THREAT_MODEL)
    if ".github/workflows/" in pure.as_posix():
        return DeploymentConfig(**common, config="github_actions")
    if pure.name.startswith(("docker-compose", "compose.")):
        return DeploymentConfig(**common, config="compose")
    if re.search(r"^apiVersion:", text, re.M) and re.search(r"^kind:", text, re.M):
        return DeploymentConfig(**common, config="kubernetes")
    return Document(**common, document=DocumentKind.CONFIG)


def model_named(path: str) -> bool:
    """Whether the name or directory says "model" (a model suffix, or under ``models/`` …)."""
    pure = PurePosixPath(path)
    return pure.suffix.lower() in MODEL_SUFFIXES or _in_dirs(pure, MODEL_DIRS)


def data_named(path: str) -> bool:
    """Whether the name says "dataset" (a CSV/TSV/JSONL suffix, or under ``data/`` …)."""
    pure = PurePosixPath(path)
    return pure.suffix.lower() in _DATA_SUFFIXES or _in_dirs(pure, DATA_DIRS)


def _presumed_model(pure: PurePosixPath, suffix: str, size: int, head: bytes) -> bool:
    if size < _UNKNOWN_MODEL_MIN_BYTES or _is_text(head):
        return False
    return suffix in MODEL_SUFFIXES or _in_dirs(pure, MODEL_DIRS)


def _in_dirs(pure: PurePosixPath, names: frozenset[str]) -> bool:
    return any(part.lower() in names for part in pure.parts[:-1])


def _head(path: Path) -> bytes | None:
    try:
        with path.open("rb") as handle:
            return handle.read(HEAD_BYTES)
    except OSError:
        return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the head is still text.
        return exc.start >= len(head) - 3
    return True
