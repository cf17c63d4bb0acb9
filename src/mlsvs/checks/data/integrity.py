"""Dataset integrity (MLSVS M2.2): content-addressed datasets and record-level hashes."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.data._common import settings, shown, tabular
from mlsvs.datacheck.errors import DataError
from mlsvs.datacheck.manifest import MANIFEST_NAMES, load_manifest, safe_relative
from mlsvs.datacheck.records import diff_records, hash_records
from mlsvs.datacheck.table import source_for
from mlsvs.datacheck.verify import EvidenceResult, FileState, evidence_kind, verify_evidence
from mlsvs.plugin import (
    DatasetArtifact,
    Project,
    Severity,
    abstained,
    check,
    errored,
    failed,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from mlsvs.plugin import CheckContext, Outcome


def evidence_files(project: Project, extra: tuple[str, ...]) -> list[tuple[str, Path]]:
    """Manifests, DVC files and checksum files of the project, plus configured manifests."""
    found = {
        a.path: a.absolute
        for a in project.artifacts
        if evidence_kind(PurePosixPath(a.path)) is not None
    }
    for name in extra:
        target = safe_relative(project.root, name)
        if target is not None:
            found[name] = target
    return sorted(found.items())


def _outcome(result: EvidenceResult) -> Outcome:
    facts = (("source", result.source), ("kind", result.kind), ("algorithm", result.algorithm))
    bad = [
        f"{f.path} ({f.state}{': ' + f.detail if f.detail else ''})"
        for f in result.files
        if f.state.bad
    ]
    unverifiable = [
        f"{f.path} ({f.detail})" for f in result.files if f.state is FileState.UNVERIFIABLE
    ]
    absent = [f.path for f in result.files if f.state is FileState.NOT_IN_WORKSPACE]
    matched = sum(f.state is FileState.MATCH for f in result.files)
    note = f"; not in workspace: {shown(absent)}" if absent else ""
    if bad:
        return failed(
            f"{result.source}: {len(bad)} file(s) do not verify: {shown(bad)}{note}",
            key=result.source,
            facts=(*facts, ("mismatched", str(len(bad)))),
        )
    if unverifiable:
        return errored(
            f"{result.source}: cannot verify {shown(unverifiable)}", key=result.source, facts=facts
        )
    return passed(
        f"{result.source}: {matched} file(s) match{note}",
        key=result.source,
        facts=(*facts, ("matched", str(matched))),
    )


@check(
    id="MLC201",
    title="Datasets are content-addressed (manifest, DVC or checksums) and unchanged",
    requirements=["M2.2.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    remediation="Record dataset hashes with 'mlsvs data manifest data -o "
    "mlsvs-data-manifest.json' (or DVC / SHA256SUMS) and re-create them only for reviewed "
    "data changes.",
)
def datasets_content_addressed(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Verify every dataset manifest, DVC file and checksum file; fail uncovered datasets."""
    datasets = [a.path for a in project.of_type(DatasetArtifact)]
    if not datasets:
        yield abstained("no dataset files in the project")
        return
    try:
        conf = settings(ctx)
    except DataError as exc:
        yield errored(exc.message)
        return
    covered: set[str] = set()
    for display, path in evidence_files(project, conf.manifests):
        try:
            result = verify_evidence(path, project.root)
        except DataError as exc:
            yield errored(exc.message, key=display, facts=(("source", display),))
            continue
        covered.update(f.path for f in result.files if f.state is not FileState.ADDED)
        covered.update(f.path for f in result.files if f.state is FileState.UNVERIFIABLE)
        dirs = [f.path + "/" for f in result.files if f.state is FileState.UNVERIFIABLE]
        covered.update(d for d in datasets if any(d.startswith(p) for p in dirs))
        yield _outcome(result)
    uncovered = sorted(d for d in datasets if d not in covered)
    if uncovered:
        yield failed(
            f"{len(uncovered)} dataset file(s) not covered by any manifest, DVC file or "
            f"checksum file: {shown(uncovered)}",
            key="coverage",
            facts=(("uncovered", ",".join(uncovered)),),
        )
    else:
        yield passed(f"all {len(datasets)} dataset file(s) are content-addressed", key="coverage")


@check(
    id="MLC202",
    title="Tabular datasets carry record-level hashes that verify",
    requirements=["M2.2.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    remediation="Write the manifest with 'mlsvs data manifest --records' so each row is hashed.",
)
def record_hashes_verify(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """When ``[datasets] record_hashes = true``: every tabular dataset's rows match their hashes."""
    try:
        conf = settings(ctx)
    except DataError as exc:
        yield errored(exc.message)
        return
    if not conf.record_hashes:
        yield abstained("record-level hashes not declared ([datasets] record_hashes)")
        return
    files = {s.display for s in tabular(project)}
    if not files:
        yield abstained("no tabular dataset files in the project")
        return
    verified: set[str] = set()
    for display, path in evidence_files(project, conf.manifests):
        if PurePosixPath(display).name not in MANIFEST_NAMES and display not in conf.manifests:
            continue
        try:
            manifest = load_manifest(path, display)
        except DataError as exc:
            yield errored(exc.message, key=display)
            continue
        for entry in manifest.files:
            target = safe_relative(path.parent, entry.path)
            if entry.records is None or target is None:
                continue
            name = target.relative_to(project.root).as_posix()
            verified.add(name)
            try:
                diff = diff_records(entry.records, hash_records(source_for(target, name)))
            except DataError as exc:
                yield errored(exc.message, key=name)
                continue
            facts = (("manifest", display), ("rows", str(entry.records.rows)))
            if diff.clean:
                yield passed(
                    f"{name}: all {entry.records.rows} records match", key=name, facts=facts
                )
            else:
                yield failed(f"{name}: {diff.describe()}", key=name, facts=facts)
    missing = sorted(files - verified)
    if missing:
        yield failed(
            f"{len(missing)} tabular dataset(s) have no record hashes: {shown(missing)}",
            key="coverage",
        )
