"""Training and serving images scanned (M9.1.6): every deployed image has a current scan report
(trivy image JSON or SARIF) with no critical finding that is not accepted.

Deployed images are the ``image:`` references of the project's Kubernetes manifests and compose
files; an image built from a Dockerfile but referenced nowhere needs at least one image scan.
A report covers an image when its artifact name or one of its repository digests matches the
reference (a scan of another tag of the same repository does not count).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.evidence._judge import currency, facts_of, label, reports_or_error, unread
from mlsvs.checks.evidence._load import max_age_days
from mlsvs.checks.evidence._model import Topic
from mlsvs.plugin import (
    DeploymentConfig,
    Document,
    Gap,
    GapReason,
    Outcome,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.evidence._load import Dated
    from mlsvs.plugin import CheckContext

_DIGEST = re.compile(r"@(sha256:[0-9a-f]{64})$")
_TEMPLATED = re.compile(r"\$\{|\{\{|\$[A-Z_]")


def _images_in(node: object, out: list[str], compose: bool) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"containers", "initContainers", "ephemeralContainers"} and isinstance(
                value, list
            ):
                out.extend(str(c["image"]) for c in value if isinstance(c, dict) and "image" in c)
            elif compose and key == "services" and isinstance(value, dict):
                out.extend(
                    str(s["image"]) for s in value.values() if isinstance(s, dict) and "image" in s
                )
            else:
                _images_in(value, out, compose)
    elif isinstance(node, list):
        for item in node:
            _images_in(item, out, compose)


def deployed_images(project: Project) -> tuple[list[tuple[str, str]], list[Gap]]:
    """(image reference, file) for every container image the manifests deploy, and gaps."""
    import yaml

    found: list[tuple[str, str]] = []
    gaps: list[Gap] = []
    for config in project.of_type(DeploymentConfig):
        if config.config not in {"kubernetes", "compose"}:
            continue
        try:
            documents = list(yaml.safe_load_all(config.absolute.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            detail = getattr(exc, "strerror", None) or type(exc).__name__
            reason = GapReason.UNREADABLE if isinstance(exc, OSError) else GapReason.UNPARSEABLE
            gaps.append(Gap(item=config.path, reason=reason, detail=str(detail)))
            continue
        images: list[str] = []
        for document in documents:
            _images_in(document, images, config.config == "compose")
        found.extend((image, config.path) for image in dict.fromkeys(images))
    return found, gaps


def _repository(reference: str) -> str:
    """``registry/name`` of ``registry/name:tag@sha256:...``."""
    bare = _DIGEST.sub("", reference)
    return bare.rsplit(":", 1)[0] if ":" in bare.rsplit("/", 1)[-1] else bare


def covers(dated: Dated, image: str) -> bool:
    """Whether the report scanned exactly this image (same reference or same digest)."""
    report = dated.report
    digest = _DIGEST.search(image)
    if digest is not None and digest.group(1) in report.digests:
        return True
    return bool(report.artifact) and report.artifact == image


@check(
    id="MLC903",
    title="Every deployed training and serving image has a current scan with no unaccepted "
    "critical finding",
    requirements=["M9.1.6"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(Document, DeploymentConfig),
    remediation="Scan each deployed image by digest (trivy image --format json -o "
    "trivy-image.json IMAGE@sha256:...), fix or accept (with a reason) every critical finding, "
    "and pass the report with --evidence-report.",
)
def images_scanned(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Match deployed image references to trivy image reports; judge date, coverage, criticals."""
    reports = reports_or_error(ctx, project)
    if isinstance(reports, Outcome):
        yield reports
        return
    yield from unread(reports)
    images, gaps = deployed_images(project)
    if gaps:
        yield not_verified("deployment manifests could not be read", gaps)
    scans = [
        d
        for d in reports.reports
        if d.report.artifact_type == "container_image" and Topic.VULNERABILITY in d.report.topics
    ]
    dockerfiles = [c.path for c in project.of_type(DeploymentConfig) if c.config == "dockerfile"]
    limit = max_age_days(ctx)
    if not images:
        if not dockerfiles and not scans:
            if not gaps:
                yield abstained("no container image is built or deployed by the project")
            return
        if not scans:
            yield failed(
                f"images are built ({', '.join(dockerfiles[:3])}) but no image scan "
                "report is present"
            )
            return
        images = [(d.report.artifact, d.report.path) for d in scans]
    for image, where in images:
        key = image
        if _TEMPLATED.search(image):
            yield not_verified(
                f"{where}: image {image!r} is templated; the deployed reference is not known",
                Gap(item=where, reason=GapReason.UNSUPPORTED, detail=f"templated image {image}"),
                key=key,
            )
            continue
        matching = [d for d in scans if covers(d, image)]
        if not matching:
            same_repo = [
                d.report.path for d in scans if _repository(d.report.artifact) == _repository(image)
            ]
            extra = f" (only other tags: {', '.join(same_repo)})" if same_repo else ""
            yield failed(f"{where}: deployed image {image} has no scan report{extra}", key=key)
            continue
        newest = max(matching, key=lambda d: d.when.timestamp() if d.when else 0.0)
        problem = currency(newest, ctx.today, limit)
        if problem is not None:
            yield problem
            continue
        critical = [
            f for f in newest.report.findings if f.severity == "CRITICAL" and not f.suppressed
        ]
        facts = (("image", image), *facts_of(newest))
        if critical:
            listed = ", ".join(f"{f.rule} ({f.package})" for f in critical[:6])
            yield failed(
                f"{image}: {label(newest)} lists {len(critical)} unaccepted critical "
                f"finding(s): {listed}",
                key=key,
                facts=facts,
            )
        else:
            yield passed(
                f"{image}: scanned by {label(newest)}, no unaccepted critical finding",
                key=key,
                facts=facts,
            )
