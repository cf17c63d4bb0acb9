"""ML-BOM checks: a valid CycloneDX BOM lists every model and dataset, and its hashes hold."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.supply_chain._paths import relative
from mlsvs.plugin import (
    BomDocument,
    DatasetArtifact,
    ModelArtifact,
    Project,
    Severity,
    abstained,
    check,
    errored,
    failed,
    passed,
)
from mlsvs.supply.errors import BomError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome
    from mlsvs.supply.bomread import LoadedBom


def _listed(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def covered(path: str, listed: set[str]) -> bool:
    """``path`` is listed itself or lies inside a listed directory (tree digest)."""
    return path in listed or any(
        parent.as_posix() in listed for parent in PurePosixPath(path).parents
    )


def load_boms(project: Project) -> tuple[list[LoadedBom], list[Outcome]]:
    """Every parseable CycloneDX BOM of the project, and an errored outcome per unreadable one."""
    from mlsvs.supply.bomread import load_bom

    loaded: list[LoadedBom] = []
    problems: list[Outcome] = []
    for doc in project.of_type(BomDocument):
        if doc.bom != "cyclonedx":
            continue
        try:
            loaded.append(load_bom(doc.absolute, rel=doc.path, root=project.root))
        except BomError as exc:
            message = relative(exc.diagnostics(), project.root)
            problems.append(errored(message, key=doc.path, facts=(("bom", doc.path),)))
    return loaded, problems


@check(
    id="MLC401",
    title="A valid CycloneDX ML-BOM lists every model and dataset",
    requirements=["M1.1.1", "M4.4.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    remediation="Generate one with 'mlsvs bom . -o bom.cdx.json' and keep it up to date.",
)
def bom_lists_models_and_datasets(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Validate each CycloneDX BOM against its schema and report models/datasets it misses."""
    boms, problems = load_boms(project)
    yield from problems
    if not boms and not problems:
        yield failed("no CycloneDX ML-BOM found in the project")
        return
    valid = [b for b in boms if not b.schema_errors]
    for bom in boms:
        facts = (("bom", bom.path), ("spec_version", bom.spec_version))
        if bom.schema_errors:
            yield failed(
                f"{bom.path} is not valid CycloneDX {bom.spec_version}: {bom.schema_errors[0]}"
                + (f" (+{len(bom.schema_errors) - 1} more)" if len(bom.schema_errors) > 1 else ""),
                key=bom.path,
                facts=facts,
            )
    if not valid:
        return
    listed = {c.path for b in valid for c in b.components if c.path and c.type != "file"}
    models = [m.path for m in project.of_type(ModelArtifact)]
    datasets = [d.path for d in project.of_type(DatasetArtifact)]
    missing = sorted(p for p in (*models, *datasets) if not covered(p, listed))
    boms_fact = ("boms", ",".join(b.path for b in valid))
    if missing:
        yield failed(
            f"{len(missing)} model/dataset file(s) on disk are missing from the BOM: "
            f"{_listed(missing)}",
            key="coverage",
            facts=(boms_fact, ("missing", ",".join(missing))),
        )
    else:
        yield passed(
            f"{len(models)} model(s) and {len(datasets)} dataset(s) are listed in a valid BOM",
            key="coverage",
            facts=(boms_fact, ("datasets", str(len(datasets))), ("models", str(len(models)))),
        )


@check(
    id="MLC402",
    title="BOM hashes of models and datasets match the files on disk",
    requirements=["M4.3.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    remediation="Regenerate the BOM from the reviewed artifacts, or restore the changed files.",
)
def bom_hashes_match(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Re-hash every model and data component of every BOM (SHA-2/3, BLAKE2b, BLAKE3)."""
    from mlsvs.supply.bomread import check_hashes

    boms, problems = load_boms(project)
    yield from problems
    if not boms and not problems:
        yield abstained("no CycloneDX BOM in the project (MLC401 reports that)")
        return
    for bom in boms:
        checked = 0
        for component in bom.components:
            where = (("bom", bom.path), ("component", component.ref or component.name))
            key = f"{bom.path}#{component.ref or component.name}"
            if component.type == "file" and (component.path is None or not component.hashes):
                continue
            if component.external:  # a base model on the Hub, named by purl: nothing local
                continue
            if component.path is None:
                yield failed(
                    f"{bom.path}: {component.type} component {component.name!r} "
                    "names no file in the project",
                    key=key,
                    facts=where,
                )
                continue
            if not component.hashes:
                yield failed(f"{bom.path}: {component.path} has no hashes", key=key, facts=where)
                continue
            try:
                result = check_hashes(component, project.root)
            except OSError as exc:
                yield errored(
                    f"{bom.path}: cannot read {component.path}: {exc}", key=key, facts=where
                )
                continue
            facts = (*where, ("path", component.path), ("matched", ",".join(result.matched)))
            if result.mismatched:
                yield failed(
                    f"{component.path} does not match its {'/'.join(result.mismatched)} "
                    f"hash in {bom.path}",
                    key=key,
                    facts=facts,
                )
            elif not result.ok:
                yield failed(
                    f"{component.path}: no usable hash in {bom.path} "
                    f"(unsupported or weak: {', '.join(result.unusable)})",
                    key=key,
                    facts=facts,
                )
            else:
                checked += 1
        if checked:
            yield passed(
                f"{checked} component hash(es) in {bom.path} match the files",
                key=bom.path,
                facts=(("bom", bom.path),),
            )


_CARD_NEEDS = ("modelParameters", "considerations")


@check(
    id="MLC404",
    title="The ML-BOM describes each model (format, strong hash, model card) and dataset (hash)",
    requirements=["M4.4.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    remediation="Regenerate with 'mlsvs bom', which fills format, SHA-256 and modelCard from "
    "the model card and config.json; complete the card's intended use and limitations.",
)
def bom_describes_models(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Each model component names its format, a strong hash and a modelCard with parameters
    and considerations; each data component has a strong hash."""
    from mlsvs.supply.hashing import HashAlgorithm

    def strong(alg: str) -> bool:
        try:
            return not HashAlgorithm.parse(alg).weak
        except ValueError:
            return False

    boms, problems = load_boms(project)
    yield from problems
    valid = [b for b in boms if not b.schema_errors]
    if not valid:
        if not problems:
            yield abstained("no valid CycloneDX BOM (MLC401 reports that)")
        return
    for bom in valid:
        gaps: list[str] = []
        described = 0
        for component in bom.components:
            if component.type not in {"machine-learning-model", "data"} or component.external:
                continue
            missing = [] if any(strong(alg) for alg, _ in component.hashes) else ["strong hash"]
            if component.type == "machine-learning-model":
                if not component.format:
                    missing.append("format")
                absent = [k for k in _CARD_NEEDS if k not in component.card_sections]
                if not component.card_sections:
                    missing.append("modelCard")
                elif absent:
                    missing.append("modelCard " + "/".join(absent))
            if missing:
                gaps.append(f"{component.path or component.name} (no {', '.join(missing)})")
            else:
                described += 1
        facts = (("bom", bom.path), ("described", str(described)))
        if gaps:
            yield failed(
                f"{bom.path}: {len(gaps)} component(s) incompletely described: {_listed(gaps)}",
                key=bom.path,
                facts=(*facts, ("gaps", str(len(gaps)))),
            )
        elif described:
            yield passed(
                f"{bom.path}: {described} model/data component(s) fully described",
                key=bom.path,
                facts=facts,
            )
        else:
            yield failed(f"{bom.path}: lists no model or data component", key=bom.path, facts=facts)
