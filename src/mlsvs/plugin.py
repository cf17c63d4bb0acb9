"""Everything a check or renderer author needs, re-exported from one stable module.

Plugins import only from here: ``from mlsvs.plugin import check, ModelArtifact, failed``.
"""

from __future__ import annotations

from mlsvs.model.artifact import (
    Artifact,
    BomDocument,
    Capability,
    CardDocument,
    CardKind,
    DatasetArtifact,
    DependencyManifest,
    DeploymentConfig,
    Document,
    DocumentKind,
    Endpoint,
    ModelArtifact,
    ModelFormat,
    Project,
    SignatureFile,
    SourceFile,
    Target,
    TraitEvidence,
)
from mlsvs.model.check import Check, CheckContext, Isolation, OptionError, check
from mlsvs.model.coverage import Gap, GapReason
from mlsvs.model.result import (
    Facts,
    Location,
    Measurement,
    Outcome,
    SeriesPoint,
    Severity,
    Status,
    errored,
    failed,
    not_applicable,
    not_verified,
    passed,
)

__all__ = [
    "Artifact",
    "BomDocument",
    "Capability",
    "CardDocument",
    "CardKind",
    "Check",
    "CheckContext",
    "DatasetArtifact",
    "DependencyManifest",
    "DeploymentConfig",
    "Document",
    "DocumentKind",
    "Endpoint",
    "Facts",
    "Gap",
    "GapReason",
    "Isolation",
    "Location",
    "Measurement",
    "ModelArtifact",
    "ModelFormat",
    "OptionError",
    "Outcome",
    "Project",
    "SeriesPoint",
    "Severity",
    "SignatureFile",
    "SourceFile",
    "Status",
    "Target",
    "TraitEvidence",
    "check",
    "errored",
    "failed",
    "not_applicable",
    "not_verified",
    "passed",
]
