"""Find and classify the artifacts of a project.

``discover(root, config)`` walks the tree (see ``walker``), classifies each file by content
(see ``classify``) and returns a ``Project`` plus every problem met. Model formats are
identified by the model-file scanner's content sniffer, so discovery and ``mlsvs scan`` agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.discovery.classify import classify
from mlsvs.discovery.walker import walk
from mlsvs.errors import DiscoveryError
from mlsvs.model.artifact import Artifact, ModelArtifact, ModelFormat, Project
from mlsvs.model.assessment import Problem, ProblemKind

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from mlsvs.config import Config

__all__ = ["Discovery", "discover"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Discovery:
    """The project as found on disk."""

    project: Project
    problems: tuple[Problem, ...]


def discover(
    root: Path,
    config: Config | None = None,
    *,
    identify: Callable[[Path], ModelFormat] | None = None,
) -> Discovery:
    """Walk ``root`` and classify what it holds. Raises ``DiscoveryError`` if it is unreadable."""
    from mlsvs.config import Config

    config = config or Config(name=root.resolve().name)
    if not root.exists():
        raise DiscoveryError("project path does not exist", path=str(root))
    if not root.is_dir():
        raise DiscoveryError("project path is not a directory", path=str(root))
    resolved = root.resolve()
    identify = identify or _scanner_identify()
    walked = walk(resolved, include=config.include, exclude=config.exclude, limits=config.limits)
    problems = list(walked.problems)
    artifacts: list[Artifact] = []
    saved_models = _saved_model_dirs(resolved, walked.directories)
    max_bytes = config.limits.max_file_mb * 1024 * 1024
    for file in walked.files:
        if any(file.path.startswith(d + "/") for d in saved_models):
            continue  # members of a SavedModel belong to the directory artifact
        if file.size > max_bytes:
            problems.append(
                Problem(
                    kind=ProblemKind.LIMIT,
                    path=file.path,
                    message=f"larger than max_file_mb ({config.limits.max_file_mb}); not examined",
                )
            )
            artifacts.append(
                ModelArtifact(
                    root=resolved, path=file.path, size=file.size, format=ModelFormat.UNKNOWN
                )
            )
            continue
        artifact = classify(resolved, file.path, file.size, identify)
        if artifact is not None:
            artifacts.append(artifact)
    for directory in saved_models:
        size = sum(f.size for f in walked.files if f.path.startswith(directory + "/"))
        artifacts.append(
            ModelArtifact(
                root=resolved, path=directory, size=size, format=ModelFormat.TF_SAVEDMODEL
            )
        )
    artifacts.sort(key=lambda a: a.path)
    project = Project(
        root=resolved,
        name=config.name or resolved.name,
        traits=config.traits,
        artifacts=tuple(artifacts),
        endpoints=config.endpoints,
    )
    return Discovery(project=project, problems=tuple(problems))


def _saved_model_dirs(root: Path, directories: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(d for d in directories if (root / d / "saved_model.pb").is_file())


def _scanner_identify() -> Callable[[Path], ModelFormat]:
    from mlsvs.scanner.identify import identify

    return identify
