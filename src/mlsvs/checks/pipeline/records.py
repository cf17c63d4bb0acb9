"""Training provenance (M3.1.2) and evaluation results bound to the artifact (M6.1.2).

Both bind a record to a model by its SHA-256. Provenance comes from SLSA provenance (in-toto
statements whose subject is the model file) or from MLflow: the ``MLmodel`` next to the model
names the run, and the run directory under ``mlruns/`` holds its tags, parameters and dataset
inputs. Evaluation results come from in-toto test-result attestations or evaluation records
(JSON with ``artifact.sha256`` and the ``suite`` version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._provenance import (
    SLSA,
    TEST_RESULT,
    MlflowRun,
    Statement,
    find_run,
    is_commit,
    is_sha256,
    read_mlmodel,
    read_statements,
)
from mlsvs.checks.pipeline._yaml import DocumentError, read_json
from mlsvs.plugin import (
    DatasetArtifact,
    Document,
    DocumentKind,
    Gap,
    GapReason,
    ModelArtifact,
    ModelFormat,
    Project,
    Severity,
    SignatureFile,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import Artifact, CheckContext, Outcome

_STATEMENT_NAMES = re.compile(r"(\.intoto\.jsonl?|provenance[^/]*\.json|\.slsa\.json|\.att\.json)$")
_IMAGE = re.compile(r"^(pkg:docker/|pkg:oci/|oci://|docker://)|\bimage\b", re.I)
_MODEL = re.compile(
    r"^(hf://|pkg:huggingface/|https://huggingface\.co/)|\b(base[-_ ]?model|checkpoint)\b", re.I
)
_GIT = re.compile(r"^git\+|\.git(@|$)|^https://github\.com/", re.I)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelTarget:
    """A model the project holds, with its digest."""

    path: str
    sha256: str


def models(project: Project) -> tuple[list[ModelTarget], list[Gap]]:
    """Every model file (weights sidecars excluded) with its SHA-256."""
    from mlsvs.util.hashing import sha256_file

    found: list[ModelTarget] = []
    gaps: list[Gap] = []
    for model in project.of_type(ModelArtifact):
        if model.format in {ModelFormat.TENSOR_DATA, ModelFormat.TF_SAVEDMODEL}:
            continue
        try:
            found.append(ModelTarget(path=model.path, sha256=sha256_file(model.absolute)))
        except OSError as exc:
            gaps.append(Gap(item=model.path, reason=GapReason.UNREADABLE, detail=str(exc.strerror)))
    return found, gaps


def statements(project: Project) -> tuple[list[Statement], list[Gap]]:
    """Every in-toto statement in the project's attestation files and Sigstore bundles."""
    found: list[Statement] = []
    gaps: list[Gap] = []
    # ``*.intoto.jsonl`` is classified as a JSON Lines dataset by its suffix: match by name.
    candidates: list[Artifact] = [a for a in project.artifacts if _STATEMENT_NAMES.search(a.path)]
    candidates += [s for s in project.of_type(SignatureFile) if s.path.endswith(".json")]
    for item in candidates:
        try:
            found.extend(read_statements(item.absolute, item.path))
        except DocumentError as exc:
            gaps.append(Gap(item=item.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
    return found, gaps


def _seeded(params: object) -> bool:
    if isinstance(params, dict):
        return any(
            ("seed" in str(k).lower() and isinstance(v, int | str)) or _seeded(v)
            for k, v in params.items()
        )
    if isinstance(params, list):
        return any(_seeded(v) for v in params)
    return False


def judge_slsa(statement: Statement, project: Project) -> list[str]:
    """What a SLSA provenance statement lacks for a training record (empty: complete)."""
    from mlsvs.util.hashing import sha256_file

    missing: list[str] = []
    materials = statement.materials()
    commits = [m for m in materials if any(is_commit(v) for v in m.digests.values())]
    images = [m for m in materials if _IMAGE.search(m.uri) or _IMAGE.search(m.name)]
    bases = [m for m in materials if m not in images and _MODEL.search(f"{m.uri} {m.name}")]
    data = [
        m
        for m in materials
        if m not in commits and m not in images and m not in bases and not _GIT.search(m.uri)
    ]
    if not commits:
        missing.append("code commit")
    if not data:
        missing.append("dataset digests")
    for item in [*data, *bases, *images]:
        digest = item.digests.get("sha256", "")
        if not is_sha256(digest) and not item.digests.get("md5"):
            missing.append(f"a digest for {item.uri or item.name} (a mutable name)")
            continue
        local = item.uri.removeprefix("file://").removeprefix("./")
        in_project = bool(local) and "://" not in local and (project.root / local).is_file()
        try:
            differs = in_project and sha256_file(project.root / local) != digest.lower()
        except OSError:
            differs = True  # unreadable: the record cannot be confirmed against the file
        if digest and differs:
            missing.append(f"{local}: its digest differs from the file in the project")
    if not images:
        missing.append("container image digest")
    params = statement.parameters()
    if not params:
        missing.append("hyperparameters")
    if not _seeded(params):
        missing.append("random seeds")
    return missing


def judge_run(run: MlflowRun) -> list[str]:
    """What an MLflow run lacks for a training record."""
    missing: list[str] = []
    if not is_commit(run.tags.get("mlflow.source.git.commit", "")):
        missing.append("code commit (tag mlflow.source.git.commit)")
    if not run.datasets:
        missing.append("dataset digests (mlflow.log_input)")
    elif any(not digest for _, digest in run.datasets):
        missing.append("a digest for every dataset input")
    image = run.tags.get("mlflow.docker.image.id", "") or next(
        (v for k, v in {**run.params, **run.tags}.items() if "image" in k and "@sha256:" in v), ""
    )
    if not is_sha256(image.rsplit("@", 1)[-1]):
        missing.append("container image digest")
    if not [k for k in run.params if "seed" not in k.lower()]:
        missing.append("hyperparameters")
    if not any("seed" in k.lower() for k in run.params):
        missing.append("random seeds")
    return missing


def _mlflow_runs(project: Project) -> tuple[dict[str, tuple[str, str]], list[Gap]]:
    """Model directory -> (MLmodel path, run id)."""
    runs: dict[str, tuple[str, str]] = {}
    gaps: list[Gap] = []
    for doc in project.of_type(Document):
        if doc.document != DocumentKind.MLFLOW_MODEL:
            continue
        try:
            mlmodel = read_mlmodel(doc.absolute, doc.path)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        runs[PurePosixPath(doc.path).parent.as_posix()] = (doc.path, str(mlmodel.get("run_id", "")))
    return runs, gaps


@check(
    id="MLC865",
    title="Every model has a training provenance record with commit, data, image, "
    "hyperparameter and seed",
    requirements=["M3.1.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(ModelArtifact, Document, SignatureFile, DatasetArtifact),
    remediation="Emit SLSA provenance for each trained model (subject: the model's sha256; "
    "resolvedDependencies: git commit, datasets and image by digest; externalParameters: "
    "hyperparameters and seed), or log them to the MLflow run that MLmodel names.",
)
def training_provenance(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """SLSA provenance by subject digest, else the MLflow run of the model's directory."""
    found, gaps = models(project)
    found_statements, statement_gaps = statements(project)
    runs, run_gaps = _mlflow_runs(project)
    gaps += statement_gaps + run_gaps
    if gaps:
        yield not_verified("model or provenance files could not be read", gaps)
    if not found:
        if not gaps:
            yield abstained(
                "no model file in the project: the production models and their records live "
                "elsewhere (a registry) and cannot be checked here"
            )
        return
    by_digest: dict[str, list[Statement]] = {}
    for statement in found_statements:
        if statement.predicate_type.startswith(SLSA):
            for _, sha in statement.subjects:
                by_digest.setdefault(sha, []).append(statement)
    for model in found:
        facts = (("model", model.path), ("sha256", model.sha256))
        records = by_digest.get(model.sha256, [])
        if records:
            verdicts = [(s.source, judge_slsa(s, project)) for s in records]
            complete = [source for source, missing in verdicts if not missing]
            if complete:
                yield passed(
                    f"{model.path}: SLSA provenance {complete[0]} names every input",
                    key=model.path,
                    facts=(*facts, ("record", complete[0])),
                )
            else:
                source, missing = verdicts[0]
                yield failed(
                    f"{model.path}: provenance {source} lacks {', '.join(missing)}",
                    key=model.path,
                    facts=facts,
                )
            continue
        directory = PurePosixPath(model.path).parent.as_posix()
        if directory in runs:
            mlmodel, run_id = runs[directory]
            try:
                run = find_run(project.root, run_id)
            except (OSError, UnicodeDecodeError, DocumentError) as exc:
                yield not_verified(
                    f"{model.path}: the MLflow run {run_id} could not be read",
                    Gap(
                        item=f"mlruns/*/{run_id}",
                        reason=GapReason.UNREADABLE,
                        detail=str(exc)[:160],
                    ),
                    key=model.path,
                )
                continue
            if run is None:
                yield failed(
                    f"{model.path}: {mlmodel} names run {run_id or '(none)'}, which is "
                    "not in mlruns/ of the project",
                    key=model.path,
                    facts=facts,
                )
                continue
            missing = judge_run(run)
            if missing:
                yield failed(
                    f"{model.path}: MLflow run {run.path} lacks {', '.join(missing)}",
                    key=model.path,
                    facts=facts,
                )
            else:
                yield passed(
                    f"{model.path}: MLflow run {run.path} records every input",
                    key=model.path,
                    facts=(*facts, ("record", run.path)),
                )
            continue
        yield failed(
            f"{model.path}: no provenance record (no SLSA statement with subject sha256 "
            f"{model.sha256[:12]}..., no MLmodel naming its run)",
            key=model.path,
            facts=facts,
        )


def _suite_version(suite: object) -> str:
    if isinstance(suite, dict):
        for key in ("version", "config_digest", "repository_commit", "digest", "commit"):
            if isinstance(suite.get(key), str) and suite[key]:
                return f"{key} {suite[key]}"
    return ""


def evaluation_records(project: Project) -> tuple[list[tuple[str, str, str]], list[Gap]]:
    """(record, artifact sha256, suite version) of every evaluation record in the project."""
    records: list[tuple[str, str, str]] = []
    gaps: list[Gap] = []
    found, statement_gaps = statements(project)
    gaps += statement_gaps
    for statement in found:
        if statement.predicate_type != TEST_RESULT:
            continue
        configuration = statement.predicate.get("configuration")
        suite = ""
        for item in configuration if isinstance(configuration, list) else []:
            if isinstance(item, dict) and (item.get("digest") or "@" in str(item.get("uri", ""))):
                suite = f"{item.get('name') or item.get('uri')}"
        for _, sha in statement.subjects:
            records.append((statement.source, sha, suite))
    for doc in project.of_type(Document):
        name = PurePosixPath(doc.path).name.lower()
        if not (name.endswith(".json") and "eval" in name):
            continue
        try:
            data = read_json(doc.absolute, doc.path)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        if not isinstance(data, dict):
            continue
        artifact = data.get("artifact")
        sha = str(artifact.get("sha256", "")) if isinstance(artifact, dict) else ""
        sha = sha or str(data.get("artifact_sha256", data.get("model_sha256", "")))
        if is_sha256(sha):
            suite = _suite_version(data.get("suite")) or str(data.get("suite_version", ""))
            records.append((doc.path, sha.lower().removeprefix("sha256:"), suite))
    return records, gaps


@check(
    id="MLC866",
    title="Every model has evaluation results that name the suite version and its digest",
    requirements=["M6.1.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(ModelArtifact, Document, SignatureFile, DatasetArtifact),
    remediation="Store each release's evaluation result with the evaluated artifact's sha256 "
    "and the suite version (an in-toto test-result attestation, or a JSON record with "
    "artifact.sha256 and suite.version / suite.repository_commit).",
)
def evaluation_bound(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Evaluation records whose artifact digest equals a model's and which name the suite."""
    found, gaps = models(project)
    records, record_gaps = evaluation_records(project)
    gaps += record_gaps
    if gaps:
        yield not_verified("model or evaluation files could not be read", gaps)
    if not found:
        if not gaps:
            yield abstained("no model file in the project: the deployed digest is not known here")
        return
    for model in found:
        facts = (("model", model.path), ("sha256", model.sha256))
        mine = [r for r in records if r[1] == model.sha256]
        versioned = [r for r in mine if r[2]]
        if versioned:
            source, _, suite = versioned[-1]
            yield passed(
                f"{model.path}: evaluated in {source} (suite {suite})",
                key=model.path,
                facts=(*facts, ("record", source), ("suite", suite)),
            )
        elif mine:
            yield failed(
                f"{model.path}: {mine[0][0]} does not name the suite version",
                key=model.path,
                facts=facts,
            )
        else:
            other = ", ".join(sorted({r[0] for r in records})[:3])
            yield failed(
                f"{model.path}: no evaluation result for digest {model.sha256[:12]}..."
                + (f" (records refer to other digests: {other})" if other else ""),
                key=model.path,
                facts=facts,
            )
