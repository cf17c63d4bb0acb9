"""Annotators authenticated and authorised per project (MLC1009, M2.3.4), from how the
labelling tool is deployed (Kubernetes, compose, Dockerfiles).

Label Studio is recognised by its image (``heartexlabs/label-studio``; the Enterprise image
``heartexlabs/label-studio-enterprise``). Label Studio Community lets anyone with the URL create
an account unless ``LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true`` is set, and gives every
account access to every project: it has no per-project authorisation, so a deployment of it
fails the requirement. Enterprise has per-project membership and roles; it passes when open
sign-up is off. A default account whose password is written in the file
(``LABEL_STUDIO_PASSWORD`` as a literal) is a shared credential and fails.

Other labelling tools (CVAT, Argilla, doccano, Prodigy) keep users and memberships in their
database: their deployment files cannot show per-project authorisation, so they are not
verified. A project that deploys no labelling tool is not verified either (it may be hosted).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import nothing_found, truthy, unread_outcomes
from mlsvs.checks.platform._sources import Source, items, load, mapping
from mlsvs.checks.platform._workloads import workloads
from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.checks.platform._sources import Inventory
    from mlsvs.plugin import CheckContext, Outcome

LABEL_STUDIO = re.compile(r"(^|/)label-studio(-enterprise)?(:|@|$)", re.I)
OTHER_TOOLS = re.compile(
    r"(^|/)(cvat/server|cvat_server|argilla[\w-]*|doccano|prodigy)(:|@|$)", re.I
)
SIGNUP = "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK"
PASSWORD = "LABEL_STUDIO_PASSWORD"  # noqa: S105 - the variable's name, not a password


def judge(image: str, env: Mapping[str, object], where: str) -> Outcome | None:
    """The verdict for one container or service running ``image`` with ``env``."""
    match = LABEL_STUDIO.search(image)
    if match is None:
        if OTHER_TOOLS.search(image):
            return not_verified(
                f"{where} runs {image}: its users and project memberships live in its database, "
                "not in this file",
                Gap(item=where, reason=GapReason.UNSUPPORTED, detail=image),
                key=where,
            )
        return None
    problems = []
    if not match.group(2):
        problems.append(
            "Label Studio Community gives every account access to every project "
            "(no per-project authorisation)"
        )
    signup = env.get(SIGNUP)
    if signup is None or not truthy(signup):
        problems.append(f"{SIGNUP} is not true, so anyone reaching it can create an account")
    password = env.get(PASSWORD)
    if isinstance(password, str | int) and str(password).strip() and "${" not in str(password):
        problems.append(f"{PASSWORD} is written in the file: a shared default account")
    if problems:
        return failed(f"{where} ({image}): " + "; ".join(problems), key=where)
    return passed(
        f"{where} ({image}): per-project membership, sign-up by invitation only", key=where
    )


def _kube_env(spec: Mapping[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for entry in items(spec.get("env")):
        e = mapping(entry)
        if "name" in e:
            out[str(e["name"])] = e.get("value") if "value" in e else "${from-secret}"
    return out


def _compose_env(body: Mapping[str, object]) -> dict[str, object]:
    env = body.get("environment")
    if isinstance(env, list):
        return {str(v).partition("=")[0]: str(v).partition("=")[2] for v in env}
    return {str(k): v for k, v in mapping(env).items()}


def _outcomes(inventory: Inventory) -> list[Outcome]:
    out: list[Outcome | None] = []
    out += [
        judge(c.image, _kube_env(c.spec), f"{w.ref} container {c.name}")
        for w in workloads(inventory)
        for c in w.containers
    ]
    out += [
        judge(str(s.body.get("image", "")), _compose_env(s.body), f"{s.path}: service {s.name}")
        for s in inventory.compose
    ]
    for docker in inventory.dockerfiles:
        base = next(
            (i.value.split()[0] for i in docker.instructions if i.instruction == "FROM"), ""
        )
        env: dict[str, object] = {}
        for i in docker.instructions:
            if i.instruction == "ENV":
                for pair in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", i.value) or [
                    tuple(i.value.split(None, 1))
                ]:
                    if len(pair) == 2:
                        env[pair[0]] = pair[1].strip('"')
        out.append(judge(base, env, docker.path))
    return [o for o in out if o is not None]


@check(
    id="MLC1009",
    title="The labelling tool's deployment enforces accounts and per-project authorisation",
    requirements=["M2.3.4"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[DeploymentConfig],
    remediation="Run a labelling tool with per-project membership (Label Studio Enterprise, or "
    "a tool whose projects have member lists), set LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true "
    "or SSO, and give every annotator a personal account (no default password in files).",
)
def annotators_authorised(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """The labelling tool requires accounts and authorises annotators per project.

    Label Studio (and other labelling tools) as deployed in the manifests, compose files and
    Dockerfiles.
    """
    inventory = load(project, (Source.KUBERNETES, Source.COMPOSE, Source.DOCKERFILE))
    yield from unread_outcomes(inventory, "how annotators are authenticated")
    if not inventory.files:
        yield nothing_found(
            "Kubernetes, compose file or Dockerfile",
            "how the labelling tool authenticates and authorises annotators",
        )
        return
    outcomes = _outcomes(inventory)
    yield from outcomes
    if not outcomes and not inventory.gaps:
        yield abstained(
            "no labelling tool is deployed by these files: a hosted labelling service's "
            "accounts and project memberships are not shown",
            key="no-labelling-tool",
        )
