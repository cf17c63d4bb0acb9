"""Find and classify the artifacts of a project.

``discover(root, config)`` walks the tree (see ``walker``), classifies each file by content
(see ``classify``) and returns a ``Project`` plus every problem met. Model formats are
identified by the model-file scanner's content sniffer, so discovery and ``mlsvs scan`` agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.discovery.classify import (
    HEAD_BYTES,
    classify,
    data_named,
    model_named,
    types_by_name,
)
from mlsvs.discovery.read import head_of
from mlsvs.discovery.traits import find_trait_evidence
from mlsvs.discovery.walker import WalkedFile, walk
from mlsvs.errors import DiscoveryError
from mlsvs.model.artifact import Artifact, ModelArtifact, ModelFormat, Project
from mlsvs.model.assessment import Problem, ProblemKind
from mlsvs.model.coverage import Gap, GapReason

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from mlsvs.config import Config

    HeadReader = Callable[[Path, int], bytes]

__all__ = ["Discovery", "discover", "gap_problem", "head_of"]


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
    read_head: HeadReader | None = None,
) -> Discovery:
    """Walk ``root`` and classify what it holds. Raises ``DiscoveryError`` if it is unreadable.

    Every path that is not classified from its content says why, as a gap on the project and
    a problem in the report: unreadable, too large, empty, a Git LFS pointer, a special file,
    a symlink not followed, a limit reached. ``read_head`` is the one seam through which file
    content is first read (tests inject failures there).
    """
    from mlsvs.config import Config

    config = config or Config(name=root.resolve().name)
    if not root.exists():
        raise DiscoveryError("project path does not exist", path=str(root))
    if not root.is_dir():
        raise DiscoveryError("project path is not a directory", path=str(root))
    try:
        next(iter(root.iterdir()), None)
    except OSError as exc:
        raise DiscoveryError(
            f"project directory cannot be listed: {exc.strerror}", path=str(root)
        ) from None
    resolved = root.resolve()
    identify = identify or _scanner_identify()
    reader = read_head or head_of
    walked = walk(resolved, include=config.include, exclude=config.exclude, limits=config.limits)
    gaps = list(walked.gaps)
    problems: list[Problem] = []
    artifacts: list[Artifact] = []
    saved_models = _saved_model_dirs(resolved, walked.directories)
    max_bytes = config.limits.max_file_mb * 1024 * 1024
    for file in walked.files:
        if any(file.path.startswith(d + "/") for d in saved_models):
            continue  # members of a SavedModel belong to the directory artifact
        by_name = types_by_name(file.path)
        if file.size > max_bytes:
            detail = f"larger than max_file_mb ({config.limits.max_file_mb}); not read"
            gaps.append(_gap(file.path, GapReason.TOO_LARGE, detail, by_name))
            continue
        try:
            head = reader(resolved / file.path, HEAD_BYTES)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            gaps.append(_gap(file.path, GapReason.UNREADABLE, reason, by_name))
            continue
        skipped = _placeholder(file, head, by_name)
        if isinstance(skipped, Gap):
            gaps.append(skipped)
            continue
        if isinstance(skipped, str):
            problems.append(Problem(kind=ProblemKind.DISCOVERY, path=file.path, message=skipped))
            continue
        if skipped:
            continue
        artifact = classify(resolved, file.path, file.size, identify, head)
        if artifact is not None:
            artifacts.append(artifact)
        if file.sparse:
            problems.append(
                Problem(
                    kind=ProblemKind.DISCOVERY,
                    path=file.path,
                    message=f"sparse file: {file.allocated} of {file.size} bytes allocated",
                )
            )
    for directory in saved_models:
        size = sum(f.size for f in walked.files if f.path.startswith(directory + "/"))
        artifacts.append(
            ModelArtifact(
                root=resolved, path=directory, size=size, format=ModelFormat.TF_SAVEDMODEL
            )
        )
    artifacts.sort(key=lambda a: a.path)
    gaps.sort(key=lambda g: (g.item, g.reason.value))
    problems.extend(gap_problem(g) for g in gaps)
    problems.extend(
        Problem(
            kind=ProblemKind.DISCOVERY,
            path=directory,
            message=f"skipped by convention ({why}); not assessed",
        )
        for directory, why in walked.skipped_dirs
    )
    project = Project(
        root=resolved,
        name=config.name or resolved.name,
        traits=config.traits,
        artifacts=tuple(artifacts),
        endpoints=config.endpoints,
        gaps=tuple(gaps),
        denied_traits=dict(config.denied_traits),
        trait_evidence=find_trait_evidence(
            artifacts, [(f.path, resolved / f.path) for f in walked.files], read_head=reader
        ),
    )
    return Discovery(project=project, problems=tuple(problems))


def gap_problem(gap: Gap) -> Problem:
    """The report line for a path discovery skipped."""
    kind = ProblemKind.LIMIT if gap.reason in _LIMIT_REASONS else ProblemKind.DISCOVERY
    detail = f": {gap.detail}" if gap.detail else ""
    return Problem(kind=kind, path=gap.item, message=f"not assessed ({gap.reason.value}{detail})")


# Pointers to these cannot hide a model, dataset or code.
_MEDIA_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".bmp", ".tif", ".tiff",
     ".mp4", ".mov", ".avi", ".webm", ".mp3", ".wav", ".flac", ".ogg", ".pdf", ".ttf", ".woff",
     ".woff2", ".eot", ".psd"}
)  # fmt: skip
_LIMIT_REASONS = frozenset({GapReason.TOO_LARGE, GapReason.LIMIT})
# Pointer files left where the content should be: Git LFS and git-annex (unlocked mode).
_POINTERS = (b"version https://git-lfs.github.com/spec/", b"/annex/objects/")


def _placeholder(file: WalkedFile, head: bytes, by_name: tuple[str, ...]) -> Gap | str | bool:
    """A gap for content that is absent (empty, LFS pointer, sparse hole); True to skip a
    file silently, a message to skip it with a note (an LFS pointer to an image)."""
    if not head:
        if by_name:
            return False  # an empty __init__.py or requirements.txt is still that file
        if model_named(file.path):
            return _gap(file.path, GapReason.EMPTY, "zero bytes", ("ModelArtifact",))
        return True  # .gitkeep and friends: nothing to assess, nothing hidden
    if head.startswith(_POINTERS) and len(head) < 1024:
        if PurePosixPath(file.path).suffix.lower() in _MEDIA_SUFFIXES:
            return "Git LFS pointer to a media file (not fetched); nothing to assess"
        kinds = by_name
        if not kinds and model_named(file.path):
            kinds = ("ModelArtifact",)
        elif not kinds and data_named(file.path):
            kinds = ("DatasetArtifact",)
        detail = "Git LFS pointer: the content was not fetched (git lfs pull)"
        return _gap(file.path, GapReason.NOT_PRESENT, detail, kinds)
    if file.sparse and not head.strip(b"\x00"):
        detail = f"sparse placeholder: {file.allocated} of {file.size} bytes allocated"
        return _gap(file.path, GapReason.NOT_PRESENT, detail, by_name)
    return False


def _gap(item: str, reason: GapReason, detail: str, could_be: tuple[str, ...]) -> Gap:
    return Gap(item=item, reason=reason, detail=detail, could_be=could_be)


def _saved_model_dirs(root: Path, directories: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(d for d in directories if (root / d / "saved_model.pb").is_file())


def _scanner_identify() -> Callable[[Path], ModelFormat]:
    from mlsvs.scanner.identify import identify

    return identify
