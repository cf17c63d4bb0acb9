"""Build a CycloneDX 1.6 ML-BOM for a project (models, datasets, libraries).

cyclonedx-python-lib builds the standard parts; ``modelCard`` and ``data``, which it cannot model
yet (issues #912/#913), are added as JSON; the result is validated with the library's
``JsonStrictValidator(SchemaVersion.V1_6)`` before it is returned.

Reproducible: the same project gives the same document. A model directory's hash is the
OpenSSF model-signing root digest (``hashing.manifest_digest``), which ``model_signing``
reproduces; the serial number is a UUID5 of the document's content (timestamp and serial
left out); the timestamp is ``SOURCE_DATE_EPOCH`` when set. Libraries carry the distribution
hashes their lock file or ``--hash`` options pin. Models get a ``pkg:huggingface`` purl when
they sit in a Hugging Face cache snapshot, and every ``base_model`` of a model card becomes a
component the model depends on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from mlsvs.model.artifact import CardDocument, DatasetArtifact, ModelArtifact
from mlsvs.supply.errors import BomError
from mlsvs.util.bomrefs import PROJECT_REF, data_ref, model_ref

if TYPE_CHECKING:
    from uuid import UUID

    from mlsvs.model.artifact import Artifact, Project
    from mlsvs.supply.deps import Dependency
    from mlsvs.supply.manifests import ManifestSet

TREE_METHOD = "tree-sha256-v1"
"""Property value of the legacy directory digest (``hashing.tree_digest``); still read."""
MANIFEST_METHOD = "openssf-model-signing-v1"
"""Property value marking a directory digest made by ``hashing.manifest_digest``."""
SERIAL_NAMESPACE = uuid.UUID("5d0c3e42-3b1f-5a55-9c57-6d6c7376626f")
"""UUID5 namespace of content-derived serial numbers (fixed forever: changing it changes
every serial)."""
_HF_SNAPSHOT = re.compile(
    r"(?:^|/)models--(?P<org>[^/]+?)--(?P<name>[^/]+)/snapshots/(?P<rev>[0-9a-f]{40})(?:/|$)"
)
_HF_ID = re.compile(r"^(?:(?P<org>[A-Za-z0-9][\w.-]*)/)?(?P<name>[A-Za-z0-9][\w.-]*)$")
_HASH_ALGS = {"sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}


def _nearest_card(
    artifact: Artifact, cards: tuple[CardDocument, ...], kind: str
) -> CardDocument | None:
    """The card in the artifact's own directory or the closest ancestor (deepest wins)."""
    target = PurePosixPath(artifact.path)
    start = target if artifact.absolute.is_dir() else target.parent
    best: CardDocument | None = None
    best_depth = -1
    for card in cards:
        if card.card != kind:
            continue
        folder = PurePosixPath(card.path).parent
        if (folder == start or folder in start.parents or str(folder) == ".") and len(
            folder.parts
        ) > best_depth:
            best, best_depth = card, len(folder.parts)
    return best


def _dataset_names(project: Project) -> dict[str, str]:
    """Names a model card may use for a local dataset -> its bom-ref."""
    names: dict[str, str] = {}
    cards = project.of_type(CardDocument)
    for data in project.of_type(DatasetArtifact):
        ref = data_ref(data.path)
        pure = PurePosixPath(data.path)
        names.setdefault(data.path, ref)
        names.setdefault(pure.stem, ref)
        if len(pure.parts) > 1:
            names.setdefault(pure.parent.name, ref)
        card = _nearest_card(data, cards, "dataset")
        if card is not None and isinstance(card.metadata.get("pretty_name"), str):
            names.setdefault(str(card.metadata["pretty_name"]), ref)
    return names


def build_bom(
    project: Project,
    *,
    manifests: ManifestSet | None = None,
    serial: UUID | None = None,
    timestamp: dt.datetime | None = None,
    tool_version: str = "",
) -> dict[str, object]:
    """The project's ML-BOM as a CycloneDX 1.6 JSON object (validated).

    ``serial`` defaults to a UUID5 of the content, ``timestamp`` to ``SOURCE_DATE_EPOCH``
    (then the document is byte-for-byte reproducible) or the current time.
    Raises ``OSError`` when a model or dataset cannot be read for hashing and ``BomError`` if
    the result does not validate (a bug, never silently written).
    """
    from cyclonedx.model import HashAlgorithm as CdxAlg
    from cyclonedx.model import HashType, Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    from mlsvs.supply.hashing import file_digest, manifest_digest, signatures_inside
    from mlsvs.supply.modelcard import build_model_card, read_json_object

    bom = Bom(serial_number=serial or uuid.UUID(int=0))
    bom.metadata.timestamp = timestamp or _source_date() or dt.datetime.now(dt.UTC)
    root = Component(type=ComponentType.APPLICATION, name=project.name, bom_ref=PROJECT_REF)
    bom.metadata.component = root
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="mlsvs", version=tool_version or None)
    )
    cards = project.of_type(CardDocument)
    injected: dict[str, dict[str, object]] = {}
    refs = _dataset_names(project)

    def file_component(
        artifact: ModelArtifact | DatasetArtifact,
        kind: ComponentType,
        ref: str,
        card: CardDocument | None,
    ) -> Component:
        path = artifact.absolute
        props = [
            Property(name="mlsvs:path", value=artifact.path),
            Property(name="mlsvs:size", value=str(artifact.size)),
        ]
        if path.is_dir():
            props.append(Property(name="mlsvs:hash-method", value=MANIFEST_METHOD))
            value = manifest_digest(path, exclude=signatures_inside(path))
        else:
            value = file_digest(path)
        fmt = artifact.format.value if isinstance(artifact, ModelArtifact) else artifact.format
        props.append(Property(name="mlsvs:format", value=str(fmt)))
        purl = (
            _huggingface_purl(artifact.path)
            if kind is ComponentType.MACHINE_LEARNING_MODEL
            else None
        )
        return Component(
            type=kind,
            name=artifact.path,
            bom_ref=ref,
            hashes=[HashType(alg=CdxAlg.SHA_256, content=value)],
            properties=props,
            licenses=_licenses(card),
            purl=purl,
        )

    bases: dict[str, Component] = {}
    depends: list[tuple[Component, list[Component]]] = []
    for model in project.of_type(ModelArtifact):
        ref = model_ref(model.path)
        card = _nearest_card(model, cards, "model")
        component = file_component(model, ComponentType.MACHINE_LEARNING_MODEL, ref, card)
        bom.components.add(component)
        mine = [_base_model(name, card, bases) for name in _base_models(card)]
        if mine:
            depends.append((component, mine))
        folder = model.absolute if model.absolute.is_dir() else model.absolute.parent
        model_card = build_model_card(
            card=card, config=read_json_object(folder / "config.json"), dataset_refs=refs
        )
        model_card["bom-ref"] = f"modelcard:{model.path}"
        injected[ref] = {"modelCard": model_card}
    for data in project.of_type(DatasetArtifact):
        ref = data_ref(data.path)
        card = _nearest_card(data, cards, "dataset")
        bom.components.add(file_component(data, ComponentType.DATA, ref, card))
        entry: dict[str, object] = {"type": "dataset", "name": data.path}
        if card is not None:
            entry["contents"] = {"properties": [{"name": "mlsvs:dataset-card", "value": card.path}]}
        injected[ref] = {"data": [entry]}
    direct = list(bom.components)
    for base in bases.values():
        bom.components.add(base)
    if manifests is not None:
        for dep in _libraries(manifests.dependencies):
            library = _library(dep)
            bom.components.add(library)
            direct.append(library)
    bom.register_dependency(root, direct)
    for component, needs in depends:
        bom.register_dependency(component, needs)
    data = json.loads(JsonV1Dot6(bom).output_as_string())
    for component in data.get("components", []):
        component.update(injected.get(component.get("bom-ref", ""), {}))
    if serial is None:
        data["serialNumber"] = content_serial(data)
    errors = validate_bom(data)
    if errors:
        raise BomError(f"generated BOM is not valid CycloneDX 1.6: {errors[0]}")
    # Conventional order: format and version first, so sniffers that read only the head of a
    # file (mlsvs discovery included) recognise the BOM.
    first = ("$schema", "bomFormat", "specVersion", "serialNumber", "version", "metadata")
    ordered = {key: data[key] for key in first if key in data}
    ordered.update((key, value) for key, value in data.items() if key not in ordered)
    return ordered


def content_serial(data: dict[str, Any]) -> str:
    """``urn:uuid:`` of a UUID5 over the document without its serial number and timestamp:
    the same project content always gets the same serial, different content another one."""
    body = {k: v for k, v in data.items() if k != "serialNumber"}
    meta = body.get("metadata")
    if isinstance(meta, dict):
        body["metadata"] = {k: v for k, v in meta.items() if k != "timestamp"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return uuid.uuid5(SERIAL_NAMESPACE, canonical).urn


def _source_date() -> dt.datetime | None:
    """``SOURCE_DATE_EPOCH`` (reproducible-builds.org) as a UTC time; None when unset."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise BomError(f"SOURCE_DATE_EPOCH must be seconds since 1970, got {raw!r}") from None


def _huggingface_purl(path: str) -> Any:  # noqa: ANN401 - a PackageURL (lazy import)
    """``pkg:huggingface/org/name@revision`` for a model inside a Hugging Face cache snapshot
    (``models--org--name/snapshots/<commit>/...``); None elsewhere."""
    from packageurl import PackageURL

    match = _HF_SNAPSHOT.search(path)
    if match is None:
        return None
    return PackageURL(
        type="huggingface", namespace=match["org"], name=match["name"], version=match["rev"]
    )


def _base_models(card: CardDocument | None) -> list[str]:
    """The ``base_model`` entries of a model card's front matter (a string or a list)."""
    if card is None:
        return []
    value = card.metadata.get("base_model")
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return sorted({n.strip() for n in names if isinstance(n, str) and _HF_ID.match(n.strip())})


def _base_model(name: str, card: CardDocument | None, seen: dict[str, Any]) -> Any:  # noqa: ANN401
    """The component of a base model named on the Hub (one per name across the BOM)."""
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    if name in seen:
        return seen[name]
    match = _HF_ID.match(name)
    assert match is not None  # noqa: S101 - filtered by _base_models
    purl = PackageURL(type="huggingface", namespace=match["org"], name=match["name"])
    relation = card.metadata.get("base_model_relation") if card is not None else None
    props = [Property(name="mlsvs:declared-in", value=card.path if card else "")]
    if isinstance(relation, str) and relation:
        props.append(Property(name="huggingface:base_model_relation", value=relation))
    props.append(Property(name="mlsvs:version-note", value="revision not pinned by the model card"))
    component = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=name,
        bom_ref=str(purl),
        purl=purl,
        properties=props,
    )
    seen[name] = component
    return component


def _licenses(card: CardDocument | None) -> list[Any]:
    """The card's ``license`` as a CycloneDX licence (SPDX id, expression or name)."""
    try:
        from cyclonedx.contrib.license.factories import LicenseFactory
    except ImportError:  # cyclonedx-python-lib before the contrib move
        from cyclonedx.factory.license import LicenseFactory

    value = card.metadata.get("license") if card is not None else None
    if not isinstance(value, str) or not value.strip() or value == "other":
        return []
    return [LicenseFactory().make_from_string(value.strip())]


def _libraries(deps: tuple[Dependency, ...]) -> list[Dependency]:
    chosen: dict[tuple[str, str, str], Dependency] = {}
    for dep in deps:
        if not dep.local:
            chosen.setdefault((dep.ecosystem, dep.name, dep.version or ""), dep)
    # A versioned entry makes the versionless declaration of the same package redundant.
    versioned = {(eco, name) for eco, name, version in chosen if version}
    return [
        d for (eco, name, ver), d in sorted(chosen.items()) if ver or (eco, name) not in versioned
    ]


def _library(dep: Dependency) -> Any:  # noqa: ANN401 - a cyclonedx Component (lazy import)
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    purl = PackageURL(
        type="pypi" if dep.ecosystem == "PyPI" else "conda", name=dep.name, version=dep.version
    )
    props = [Property(name="mlsvs:declared-in", value=dep.source)]
    if dep.version is None and dep.specifier:
        props.append(Property(name="mlsvs:specifier", value=dep.specifier))
    hashes, other = _distribution_hashes(dep.hashes)
    if hashes:
        props.append(
            Property(
                name="mlsvs:hashes-of",
                value="distribution files pinned by the lock file (any one may be installed)",
            )
        )
    props.extend(Property(name="mlsvs:unlisted-hash", value=h) for h in other)
    return Component(
        type=ComponentType.LIBRARY,
        name=dep.name,
        version=dep.version,
        purl=purl,
        bom_ref=str(purl) + (f"#{dep.source}" if dep.version is None else ""),
        properties=props,
        hashes=hashes,
    )


def _distribution_hashes(values: Iterable[str]) -> tuple[list[Any], list[str]]:
    """``alg:hex`` digests as CycloneDX hashes; ones CycloneDX cannot name are returned apart."""
    from cyclonedx.model import HashAlgorithm as CdxAlg
    from cyclonedx.model import HashType

    hashes: list[Any] = []
    other: list[str] = []
    for value in sorted(set(values)):
        alg, sep, hexdigest = value.partition(":")
        name = _HASH_ALGS.get(alg.lower().replace("-", ""))
        if not sep or name is None or not re.fullmatch(r"[0-9a-fA-F]+", hexdigest):
            other.append(value)
            continue
        hashes.append(HashType(alg=CdxAlg(name), content=hexdigest.lower()))
    return hashes, other


def validate_bom(data: object, *, version: str = "1.6") -> list[str]:
    """Schema errors of a CycloneDX JSON document (empty list = valid)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    schemas = {
        f"1.{minor}": schema
        for minor in (5, 6, 7)
        if (schema := getattr(SchemaVersion, f"V1_{minor}", None)) is not None
    }
    if version not in schemas:
        supported = ", ".join(sorted(schemas))
        return [
            f"unsupported CycloneDX specVersion {version!r} (this install validates {supported})"
        ]
    result = JsonStrictValidator(schemas[version]).validate_str(json.dumps(data), all_errors=True)
    if result is None:
        return []
    errors: list[object] = list(result) if isinstance(result, Iterable) else [result]  # type: ignore[redundant-expr]
    return [_one_line(e) for e in errors]


def _one_line(error: object) -> str:
    data = getattr(error, "data", error)
    message = getattr(data, "message", str(data))
    where = "/".join(str(p) for p in getattr(data, "absolute_path", ()))
    return f"{where}: {message}" if where else str(message)
