"""Build a CycloneDX 1.6 ML-BOM for a project (models, datasets, libraries).

cyclonedx-python-lib builds the standard parts; ``modelCard`` and ``data``, which it cannot model
yet (issues #912/#913), are added as JSON; the result is validated with the library's
``JsonStrictValidator(SchemaVersion.V1_6)`` before it is returned.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from mlsvs.model.artifact import CardDocument, DatasetArtifact, ModelArtifact
from mlsvs.supply.errors import BomError

if TYPE_CHECKING:
    import datetime as dt
    from uuid import UUID

    from mlsvs.model.artifact import Artifact, Project
    from mlsvs.supply.deps import Dependency
    from mlsvs.supply.manifests import ManifestSet

TREE_METHOD = "tree-sha256-v1"
"""Property value marking a directory digest made by ``hashing.tree_digest``."""


def model_ref(path: str) -> str:
    """bom-ref of a model component."""
    return f"model:{path}"


def data_ref(path: str) -> str:
    """bom-ref of a dataset component."""
    return f"data:{path}"


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

    Raises ``OSError`` when a model or dataset cannot be read for hashing and ``BomError`` if
    the result does not validate (a bug, never silently written).
    """
    from cyclonedx.model import HashAlgorithm as CdxAlg
    from cyclonedx.model import HashType, Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    from mlsvs.supply.hashing import digest
    from mlsvs.supply.modelcard import build_model_card, read_json_object

    bom = Bom() if serial is None else Bom(serial_number=serial)
    if timestamp is not None:
        bom.metadata.timestamp = timestamp
    root = Component(type=ComponentType.APPLICATION, name=project.name, bom_ref="project")
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
            props.append(Property(name="mlsvs:hash-method", value=TREE_METHOD))
        fmt = artifact.format.value if isinstance(artifact, ModelArtifact) else artifact.format
        props.append(Property(name="mlsvs:format", value=str(fmt)))
        return Component(
            type=kind,
            name=artifact.path,
            bom_ref=ref,
            hashes=[HashType(alg=CdxAlg.SHA_256, content=digest(path))],
            properties=props,
            licenses=_licenses(card),
        )

    for model in project.of_type(ModelArtifact):
        ref = model_ref(model.path)
        card = _nearest_card(model, cards, "model")
        bom.components.add(file_component(model, ComponentType.MACHINE_LEARNING_MODEL, ref, card))
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
    if manifests is not None:
        for dep in _libraries(manifests.dependencies):
            bom.components.add(_library(dep))
    bom.register_dependency(root, list(bom.components))
    data = json.loads(JsonV1Dot6(bom).output_as_string())
    for component in data.get("components", []):
        component.update(injected.get(component.get("bom-ref", ""), {}))
    errors = validate_bom(data)
    if errors:
        raise BomError(f"generated BOM is not valid CycloneDX 1.6: {errors[0]}")
    # Conventional order: format and version first, so sniffers that read only the head of a
    # file (mlsvs discovery included) recognise the BOM.
    first = ("$schema", "bomFormat", "specVersion", "serialNumber", "version", "metadata")
    ordered = {key: data[key] for key in first if key in data}
    ordered.update((key, value) for key, value in data.items() if key not in ordered)
    return ordered


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
    return Component(
        type=ComponentType.LIBRARY,
        name=dep.name,
        version=dep.version,
        purl=purl,
        bom_ref=str(purl) + (f"#{dep.source}" if dep.version is None else ""),
        properties=props,
    )


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
