"""Serving containers run without root and without extra privileges."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Location,
    Severity,
    check,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_USER = re.compile(r"^\s*USER\s+(\S+)", re.I | re.M)
_ROOT_USERS = frozenset({"root", "0", "0:0", "root:root"})
_MAX_BYTES = 1024 * 1024


@check(
    id="MLC710",
    title="Model-serving containers run as a non-root user without extra privileges",
    requirements=["M9.1.1"],
    applies_to=DeploymentConfig,
    severity=Severity.MEDIUM,
    remediation="End the Dockerfile with `USER <non-root>`; in Kubernetes set runAsNonRoot: true, "
    "allowPrivilegeEscalation: false and never privileged: true.",
)
def container_not_root(ctx: CheckContext, config: DeploymentConfig) -> Iterator[Outcome]:
    """Dockerfiles must switch to a non-root user; Kubernetes pods must not run privileged."""
    if config.size > _MAX_BYTES:
        gap = Gap(item=config.path, reason=GapReason.TOO_LARGE, detail="larger than 1 MiB")
        yield not_verified(f"{config.path} is larger than 1 MiB; not read", gap)
        return
    try:
        text = config.absolute.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        gap = Gap(item=config.path, reason=GapReason.UNREADABLE, detail=why)
        yield not_verified(f"cannot read {config.path}: {why}", gap)
        return
    if config.config == "dockerfile":
        yield from _dockerfile(text)
    elif config.config == "kubernetes":
        yield from _kubernetes(text)
    else:
        yield not_applicable(f"{config.config} files do not define a container user")


def _dockerfile(text: str) -> Iterator[Outcome]:
    users = list(_USER.finditer(text))
    if not users:
        yield failed("no USER instruction: the container runs as root")
        return
    last = users[-1]
    line = text.count("\n", 0, last.start()) + 1
    if last.group(1).strip("\"'").lower() in _ROOT_USERS:
        yield failed(f"final USER is {last.group(1)}", location=Location(line=line))
    else:
        yield passed(f"runs as {last.group(1)}", location=Location(line=line))


def _kubernetes(text: str) -> Iterator[Outcome]:
    if "containers:" not in text:
        yield not_applicable("no containers in this manifest")
        return
    problems = []
    if re.search(r"privileged:\s*true", text):
        problems.append("privileged: true")
    if re.search(r"allowPrivilegeEscalation:\s*true", text):
        problems.append("allowPrivilegeEscalation: true")
    if not re.search(r"runAsNonRoot:\s*true", text):
        problems.append("runAsNonRoot: true is not set")
    if re.search(r"runAsUser:\s*0\b", text):
        problems.append("runAsUser: 0")
    if problems:
        yield failed("; ".join(problems))
    else:
        yield passed("runAsNonRoot set; no privileged or escalating containers")
