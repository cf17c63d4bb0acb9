"""External data snapshot and hashed at collection (M2.1.3), the machine-checkable clauses.

External data tracked with DVC (``dvc import-url`` / ``dvc import``) leaves a ``.dvc`` file
whose dependency is the source (a URL with its ``etag``/``checksum``/``md5``, or a repository
with ``rev_lock``) and whose output is the snapshot with its MD5. Each import must record both,
so that ``dvc update``/``dvc status`` can compare the source with the snapshot, and training
must read the snapshot: a ``dvc.yaml`` stage depends on the imported path. A stage or training
code that reads the external URL directly fails. The collection date and the supplier terms
stay with the reviewer (hybrid clause).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, items, mapping, read_text, read_yaml
from mlsvs.checks.pipeline.lineage import pipelines
from mlsvs.plugin import (
    Document,
    DocumentKind,
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

_EXTERNAL = re.compile(r"^(https?|s3|gs|azure|hdfs|ssh|webhdfs)://", re.I)
# Training code that reads external data straight from its source.
_DIRECT = re.compile(
    r"""\b(?:load_dataset\(\s*["'](?![./])[\w.-]+/[\w.-]+["']|read_(?:csv|parquet|json)\(\s*["']https?://"""
    r"""|urlretrieve\(|snapshot_download\([^)]*repo_type\s*=\s*["']dataset)""",
)


def imports(project: Project) -> tuple[list[tuple[str, str, bool, str]], list[Gap]]:
    """(.dvc file, source, source state recorded, snapshot path with digest or '') per import."""
    found: list[tuple[str, str, bool, str]] = []
    gaps: list[Gap] = []
    for doc in project.of_type(Document):
        if doc.document != DocumentKind.DVC or not doc.path.endswith(".dvc"):
            continue
        try:
            data = mapping(read_yaml(doc.absolute, doc.path), doc.path, "a .dvc file")
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        deps = [d for d in items(data.get("deps")) if isinstance(d, dict)]
        if not deps:
            continue  # `dvc add` of local data: not an external import
        base = PurePosixPath(doc.path).parent
        for dep in deps:
            repo = dep.get("repo") if isinstance(dep.get("repo"), dict) else None
            source = str(repo.get("url", "")) if repo else str(dep.get("path", ""))
            if not repo and not _EXTERNAL.match(source):
                continue
            state = (
                bool(repo.get("rev_lock"))
                if repo
                else any(dep.get(k) for k in ("etag", "checksum", "md5", "version_id"))
            )
            snapshot = ""
            for out in items(data.get("outs")):
                if isinstance(out, dict) and out.get("md5") and out.get("path"):
                    snapshot = (base / str(out["path"])).as_posix()
            found.append((doc.path, source, state, snapshot))
    return found, gaps


def _direct_reads(project: Project) -> list[str]:
    out: list[str] = []
    for source in project.of_type(SourceFile):
        try:
            text = read_text(source.absolute, source.path)
        except DocumentError:
            continue  # unreadable code is a discovery gap for this check (reads SourceFile)
        for match in _DIRECT.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            out.append(f"{source.path}:{line} {match.group(0)[:60]}")
    return out


@check(
    id="MLC880",
    title="External data is imported as a hashed snapshot that training reads, with the source "
    "state recorded",
    requirements=["M2.1.3"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(Document, SourceFile),
    remediation="Fetch external data with 'dvc import-url URL data/x' (or 'dvc import REPO "
    "PATH'), commit the .dvc file, make training stages depend on the snapshot, and run "
    "'dvc update'/'dvc status' to compare the source with it.",
)
def external_snapshots(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """DVC imports with a source state and a hashed snapshot; stages read snapshots, not URLs."""
    found, gaps = imports(project)
    staged, stage_gaps, _ = pipelines(project)
    gaps += stage_gaps
    if gaps:
        yield not_verified("DVC files could not be read", gaps)
    read_by_stages: set[str] = set()
    for path, stages in staged:
        base = PurePosixPath(path).parent
        for stage in stages:
            for dep in stage.deps:
                if _EXTERNAL.match(dep):
                    yield failed(
                        f"{path}: stage {stage.name!r} reads external data {dep} "
                        "directly, not a snapshot",
                        key=f"{path}#{stage.name}",
                    )
                read_by_stages.add((base / dep).as_posix())
    direct = _direct_reads(project)
    if direct:
        yield failed(
            "training code reads external data from its source, not a hashed "
            f"snapshot: {'; '.join(direct[:5])}",
            key="code",
        )
    if not found:
        if not gaps and not direct:
            yield abstained(
                "no external data source is visible: no DVC import and no download of data "
                "in the code"
            )
        return
    for dvc_file, source, state, snapshot in found:
        problems: list[str] = []
        if not snapshot:
            problems.append("the snapshot has no MD5")
        if not state:
            problems.append("the source state (etag/checksum or rev_lock) is not recorded")
        used = any(
            snapshot == p or snapshot.startswith(p + "/") or p.startswith(snapshot + "/")
            for p in read_by_stages
        )
        if snapshot and staged and not used:
            problems.append(f"no pipeline stage reads the snapshot {snapshot}")
        facts = (("source", source), ("snapshot", snapshot or "none"))
        if problems:
            yield failed(f"{dvc_file} ({source}): {'; '.join(problems)}", key=dvc_file, facts=facts)
        else:
            yield passed(
                f"{dvc_file}: {source} snapshot {snapshot} hashed, source state recorded",
                key=dvc_file,
                facts=facts,
            )
