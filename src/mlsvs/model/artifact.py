"""What discovery finds in a project: typed artifacts and the project itself."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from mlsvs.model.coverage import Gap

# Re-exported; defined apart so that `mlsvs scan` does not build the artifact dataclasses.
from mlsvs.model.formats import ModelFormat as ModelFormat  # noqa: PLC0414


@enum.unique
class DocumentKind(enum.StrEnum):
    """What a governance document found by convention is."""

    THREAT_MODEL = "threat_model"
    DVC = "dvc"
    CHECKSUMS = "checksums"
    CONFIG = "config"
    CODEOWNERS = "codeowners"
    """A CODEOWNERS file (who reviews which paths)."""
    MLFLOW_MODEL = "mlflow_model"
    """An MLflow ``MLmodel`` file (flavors, run id, signature)."""
    DVC_PIPELINE = "dvc_pipeline"
    """A DVC ``dvc.yaml`` pipeline definition."""
    TOOL_REPORT = "tool_report"
    """Another tool's SARIF report."""


@enum.unique
class CardKind(enum.StrEnum):
    """Whose card a card document is."""

    MODEL = "model"
    DATASET = "dataset"


@enum.unique
class Capability(enum.StrEnum):
    """Things a check may do only when the user grants them (``--allow``)."""

    NETWORK = "network"
    MODEL_EXECUTION = "model-exec"
    DRILL = "drill"
    """Run state-changing drills (toggle a declared kill switch) against declared services."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Anything a check can be run against."""

    root: Path
    """The project root (absolute)."""

    @property
    def display_path(self) -> str:
        """Path shown in reports, relative to the project root (``.`` = the project)."""
        return "."

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return "project"


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifact(Target):
    """A file (or directory, for TF SavedModel) found in the project."""

    path: str
    """POSIX path relative to the project root."""
    size: int

    @property
    def absolute(self) -> Path:
        """Absolute path on disk."""
        return self.root / self.path

    @property
    def display_path(self) -> str:
        """Path relative to the project root."""
        return self.path

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return "artifact"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelArtifact(Artifact):
    """A model file or directory."""

    format: ModelFormat

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return "model"


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetArtifact(Artifact):
    """A dataset file (csv, parquet, jsonl, npy ...)."""

    format: str

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return "dataset"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFile(Artifact):
    """Python source or a Jupyter notebook."""

    language: str
    """``python`` or ``notebook``."""

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return "source"


@dataclass(frozen=True, slots=True, kw_only=True)
class DependencyManifest(Artifact):
    """requirements*.txt, pyproject.toml, lock files, conda environment files."""

    manifest: str
    """``requirements``, ``pyproject``, ``pylock``, ``uv_lock``, ``poetry_lock``, ``conda``."""

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return "dependencies"


@dataclass(frozen=True, slots=True, kw_only=True)
class CardDocument(Artifact):
    """A model or dataset card (Markdown with Hugging Face YAML front matter)."""

    card: CardKind
    metadata: Mapping[str, object] = field(default_factory=dict)
    """Parsed front matter (empty when absent or unparseable). Never mutated."""
    sections: tuple[str, ...] = ()
    """Markdown headings, lower-cased, in document order."""

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return f"{self.card.value}_card"


@dataclass(frozen=True, slots=True, kw_only=True)
class BomDocument(Artifact):
    """A CycloneDX or SPDX bill of materials."""

    bom: str
    """``cyclonedx`` or ``spdx``."""

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return "bom"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureFile(Artifact):
    """A signature or signed manifest (OpenSSF model-signing bundle, sigstore bundle, .sig)."""

    signature: str

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return "signature"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeploymentConfig(Artifact):
    """Container, deployment or infrastructure description (Dockerfile, Kubernetes manifest,
    compose, CI, Terraform, CloudFormation)."""

    config: str
    """``dockerfile``, ``kubernetes``, ``compose``, ``github_actions``, ``terraform``,
    ``terraform_vars`` or ``cloudformation``."""

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return "deployment"


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringConfig(Artifact):
    """Alerting and monitoring configuration (Prometheus rules, Alertmanager, promtool tests)."""

    monitoring: str
    """``prometheus_rules``, ``prometheus_rule_crd``, ``promtool_test`` or ``alertmanager``."""

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return "monitoring"


@dataclass(frozen=True, slots=True, kw_only=True)
class Document(Artifact):
    """A governance document found by convention (threat model, data manifest ...)."""

    document: DocumentKind

    @property
    def kind(self) -> str:
        """Short kind name used in reports."""
        return self.document.value


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """An inference endpoint declared in the configuration (never discovered)."""

    name: str
    url: str
    method: str = "POST"
    auth_env: str | None = None
    """Name of the environment variable holding the credential; the secret is never stored."""
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    request_template: str = ""
    """JSON body of a valid request."""
    health_path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TraitEvidence:
    """Something in the project that suggests an applicability trait holds."""

    trait: str
    """A catalog tag, e.g. ``exposes_inference_api``."""
    path: str
    """Where it was seen (relative to the root)."""
    detail: str
    """What was seen, e.g. ``FastAPI app`` or ``from_pretrained(...) at line 12``."""
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Project(Target):
    """The system under verification."""

    name: str
    traits: frozenset[str]
    artifacts: tuple[Artifact, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    gaps: tuple[Gap, ...] = ()
    """Paths discovery could not read or classify (unreadable, special files, loops, limits).
    Each one keeps the checks it could matter to from passing."""
    denied_traits: Mapping[str, str] = field(default_factory=dict)
    """Traits the configuration denies, with the stated reason."""
    trait_evidence: tuple[TraitEvidence, ...] = ()
    """What discovery saw that suggests a trait (declared, denied or neither)."""

    def of_type(self, cls: type[A]) -> tuple[A, ...]:
        """Every artifact of one type, in path order."""
        return tuple(a for a in self.artifacts if isinstance(a, cls))


A = TypeVar("A", bound=Artifact)
