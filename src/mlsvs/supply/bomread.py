"""Read a CycloneDX BOM found in a project and relate its components to files on disk.

The BOM is plain JSON (``modelCard``/``data`` survive, unlike a cyclonedx-python-lib round
trip); schema validation uses the library's strict validator for the declared specVersion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.supply.errors import BomError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

_MAX_BOM = 64 * 1024 * 1024
_DIRECTORY_METHODS = ("openssf-model-signing-v1", "tree-sha256-v1")
_PATH_PROPERTIES = ("mlsvs:path", "path", "cdx:file:path")
_FORMAT_PROPERTIES = ("mlsvs:format", "format", "ml:format", "model_format")


@dataclass(frozen=True, slots=True, kw_only=True)
class BomComponent:
    """One component of interest (model, data or file) and where it lives."""

    ref: str
    type: str
    name: str
    path: str | None
    """Project-relative POSIX path when the component names an existing file or directory."""
    hashes: tuple[tuple[str, str], ...]
    tree: bool
    """Its hash is a directory digest (``mlsvs:hash-method``, see ``hash_method``)."""
    hash_method: str = ""
    """``openssf-model-signing-v1`` (``hashing.manifest_digest``) or the legacy
    ``tree-sha256-v1`` (``hashing.tree_digest``); empty for a file."""
    format: str = ""
    """Serialization format from a ``mlsvs:format`` / ``format`` property, when given."""
    card_sections: tuple[str, ...] = ()
    """Top-level keys of the component's ``modelCard`` (empty: no model card)."""
    external: bool = False
    """Identified by a package URL only (``pkg:huggingface/...`` base model, a Hub model):
    no path property or occurrence claims it is a file of the project."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedBom:
    """A parsed BOM with its schema problems."""

    path: str
    spec_version: str
    components: tuple[BomComponent, ...]
    schema_errors: tuple[str, ...]

    def of_type(self, kind: str) -> tuple[BomComponent, ...]:
        """Components whose ``type`` is ``kind``."""
        return tuple(c for c in self.components if c.type == kind)


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _walk(components: object) -> Iterator[Mapping[str, object]]:
    for component in components if isinstance(components, list) else ():
        if isinstance(component, dict):
            yield component
            yield from _walk(component.get("components"))


def _candidates(component: Mapping[str, object]) -> Iterator[str]:
    for prop in _list(component.get("properties")):
        if (
            isinstance(prop, dict)
            and prop.get("name") in _PATH_PROPERTIES
            and isinstance(prop.get("value"), str)
        ):
            yield prop["value"]
    evidence = component.get("evidence")
    if isinstance(evidence, dict):
        for occurrence in _list(evidence.get("occurrences")):
            if isinstance(occurrence, dict) and isinstance(occurrence.get("location"), str):
                yield occurrence["location"]
    if isinstance(component.get("name"), str):
        yield str(component["name"])


def _resolve(text: str, *, root: Path, bom_dir: PurePosixPath) -> str | None:
    """The project-relative path ``text`` names, relative to the root or to the BOM's folder."""
    pure = PurePosixPath(text.removeprefix("file://").removeprefix("./"))
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return None
    for candidate in (pure, bom_dir / pure):
        if (root / candidate).exists():
            return candidate.as_posix()
    return None


def load_bom(path: Path, *, rel: str, root: Path) -> LoadedBom:
    """Parse and validate a CycloneDX JSON BOM; ``BomError`` when it is not one at all."""
    from mlsvs.supply.bom import validate_bom

    try:
        if path.stat().st_size > _MAX_BOM:
            raise BomError("BOM larger than 64 MiB", path=rel)
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BomError(f"cannot read BOM: {exc}", path=rel) from exc
    if not isinstance(data, dict) or data.get("bomFormat") != "CycloneDX":
        raise BomError("not a CycloneDX JSON BOM (bomFormat is not 'CycloneDX')", path=rel)
    version = str(data.get("specVersion", ""))
    errors = tuple(validate_bom(data, version=version))
    bom_dir = PurePosixPath(rel).parent
    components: list[BomComponent] = []
    for raw in _walk(data.get("components")):
        kind = str(raw.get("type", ""))
        if kind not in {"machine-learning-model", "data", "file"}:
            continue
        located = next(
            (p for p in (_resolve(c, root=root, bom_dir=bom_dir) for c in _candidates(raw)) if p),
            None,
        )
        hashes = tuple(
            (str(h.get("alg", "")), str(h.get("content", "")).lower())
            for h in _list(raw.get("hashes"))
            if isinstance(h, dict)
        )
        method = next(
            (
                str(p.get("value", ""))
                for p in _list(raw.get("properties"))
                if isinstance(p, dict) and p.get("name") == "mlsvs:hash-method"
            ),
            "",
        )
        tree = method in _DIRECTORY_METHODS
        fmt = next(
            (
                str(p.get("value", ""))
                for p in _list(raw.get("properties"))
                if isinstance(p, dict) and p.get("name") in _FORMAT_PROPERTIES
            ),
            "",
        )
        card = raw.get("modelCard")
        claims_file = list(_candidates(raw))[:-1] if isinstance(raw.get("name"), str) else []
        external = isinstance(raw.get("purl"), str) and not claims_file and located is None
        components.append(
            BomComponent(
                ref=str(raw.get("bom-ref", "")),
                type=kind,
                name=str(raw.get("name", "")),
                path=located,
                hashes=hashes,
                tree=tree,
                hash_method=method if tree else "",
                format=fmt,
                card_sections=tuple(sorted(k for k in card if k != "bom-ref"))
                if isinstance(card, dict)
                else (),
                external=external,
            )
        )
    return LoadedBom(
        path=rel, spec_version=version, components=tuple(components), schema_errors=errors
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class HashCheck:
    """Result of re-hashing one component."""

    component: BomComponent
    matched: tuple[str, ...]
    """Algorithms whose digest matched."""
    mismatched: tuple[str, ...]
    unusable: tuple[str, ...]
    """Algorithms that cannot be checked (unknown, weak, or BLAKE3 without the extra)."""

    @property
    def ok(self) -> bool:
        """At least one strong digest matched and none mismatched."""
        return bool(self.matched) and not self.mismatched


def check_hashes(component: BomComponent, root: Path) -> HashCheck:
    """Recompute each declared digest of a located component."""
    from mlsvs.supply.hashing import (
        HashAlgorithm,
        file_digest,
        manifest_digest,
        signatures_inside,
        tree_digest,
    )

    if component.path is None:
        raise ValueError("component has no file on disk")
    target = root / component.path
    matched: list[str] = []
    mismatched: list[str] = []
    unusable: list[str] = []
    for alg_text, expected in component.hashes:
        try:
            alg = HashAlgorithm.parse(alg_text)
            if alg.weak:
                raise ValueError("weak")
            if not target.is_dir():
                actual = file_digest(target, alg)
            elif component.hash_method == "openssf-model-signing-v1":
                if alg is not HashAlgorithm.SHA256:
                    raise ValueError("the model-signing manifest digest is SHA-256")
                actual = manifest_digest(target, exclude=signatures_inside(target))
            else:
                actual = tree_digest(target, alg)
        except (ValueError, RuntimeError):
            unusable.append(alg_text)
            continue
        (matched if actual == expected else mismatched).append(alg.value)
    return HashCheck(
        component=component,
        matched=tuple(matched),
        mismatched=tuple(mismatched),
        unusable=tuple(unusable),
    )
