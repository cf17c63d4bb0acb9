"""Workloads in Kubernetes, compose, Dockerfiles and Terraform: where credentials come from
(MLC810), read-only model stores for serving (MLC812) and default-deny egress for serving
(MLC813). Roles (serving, training, other) are decided as ``_workloads`` documents."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import names, nothing_found, unread_outcomes
from mlsvs.checks.platform._sources import Source, block, items, load, mapping
from mlsvs.checks.platform._workloads import OTHER_IMAGES, workloads
from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.checks.platform._sources import Inventory, KubeObject
    from mlsvs.checks.platform._workloads import Container, Workload
    from mlsvs.plugin import CheckContext, Outcome

# Names that hold a credential, judged on their words (TOKENIZERS_PARALLELISM is not a token).
_CREDENTIAL_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "dsn",
        "passphrase",
    }
)
_CREDENTIAL_PAIRS = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("client", "secret"),
        ("auth", "key"),
        ("signing", "key"),
        ("secret", "key"),
        ("database", "url"),
        ("connection", "string"),
        ("account", "key"),
        ("sas", "token"),
    }
)
# Words that make the variable point at a credential rather than hold it.
_POINTER_WORDS = frozenset({"file", "path", "dir", "arn", "name", "ref", "endpoint", "region"})


def credential_name(name: str) -> bool:
    """Whether an environment variable name says it holds a credential."""
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    if not words or words[-1] in _POINTER_WORDS:
        return False
    if any(w in _CREDENTIAL_WORDS for w in words):
        return True
    return any(pair in _CREDENTIAL_PAIRS for pair in itertools.pairwise(words))


_IDENTITY_ANNOTATIONS = (
    "eks.amazonaws.com/role-arn",
    "iam.gke.io/gcp-service-account",
    "azure.workload.identity/client-id",
)
_SECRET_SOURCES = frozenset(
    {
        "ExternalSecret",
        "SealedSecret",
        "SecretProviderClass",
        "VaultStaticSecret",
        "VaultDynamicSecret",
        "InfisicalSecret",
    }
)


def _literal_secrets(inventory: Inventory) -> dict[tuple[str, str], KubeObject]:
    """Kubernetes Secrets written in the repository with their values (namespace, name)."""
    out = {}
    for obj in inventory.objects("Secret"):
        data = mapping(obj.doc.get("data")) or mapping(obj.doc.get("stringData"))
        if any(v not in (None, "") for v in data.values()):
            out[(obj.namespace, obj.name)] = obj
    return out


def _container_credentials(
    workload: Workload, container: Container, literal: Mapping[tuple[str, str], KubeObject]
) -> tuple[list[str], list[str]]:
    """(problems, evidence) for one container's credential-named variables."""
    problems, evidence = [], []
    for entry in items(container.spec.get("env")):
        env = mapping(entry)
        name = str(env.get("name", ""))
        if not credential_name(name):
            continue
        source = mapping(env.get("valueFrom"))
        ref = mapping(source.get("secretKeyRef"))
        if ref:
            secret = literal.get((workload.namespace, str(ref.get("name", ""))))
            if secret is not None:
                problems.append(f"{name} comes from Secret {secret.name} written in {secret.path}")
            else:
                evidence.append(f"{name} from Secret {ref.get('name')}")
        elif "value" in env:
            problems.append(f"{name} is a literal value in the manifest")
        elif source:
            kind = next(iter(source), "?")
            problems.append(f"{name} comes from {kind}, not a secret")
        else:
            problems.append(f"{name} has no secret reference")
    for entry in items(container.spec.get("envFrom")):
        ref = mapping(mapping(entry).get("secretRef"))
        secret = literal.get((workload.namespace, str(ref.get("name", "")))) if ref else None
        if secret is not None:
            problems.append(f"envFrom Secret {secret.name} is written in {secret.path}")
    return problems, evidence


def workload_identity(workload: Workload, inventory: Inventory) -> str:
    account = str(workload.pod.get("serviceAccountName", "") or "")
    for sa in inventory.objects("ServiceAccount"):
        if sa.name == account and sa.namespace == workload.namespace:
            notes = mapping(mapping(sa.doc.get("metadata")).get("annotations"))
            for key in _IDENTITY_ANNOTATIONS:
                if key in notes:
                    return f"workload identity {key}={notes[key]}"
    return ""


def _compose_credentials(service_body: Mapping[str, object]) -> tuple[list[str], list[str]]:
    problems, unknown = [], []
    env = service_body.get("environment")
    pairs: list[tuple[str, object]] = []
    if isinstance(env, list):
        for item in env:
            key, sep, text = str(item).partition("=")
            pairs.append((key, text if sep else None))
    else:
        pairs = list(mapping(env).items())
    for name, value in pairs:
        if not credential_name(name):
            continue
        if value is None or (isinstance(value, str) and value.startswith("${")):
            unknown.append(f"{name} comes from the shell environment at compose time")
        else:
            problems.append(f"{name} is a literal value in the compose file")
    return problems, unknown


_DOCKER_ASSIGN = re.compile(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=")


def _docker_names(instruction: str, value: str) -> list[str]:
    """Variable names an ENV or ARG instruction sets (``ENV A=1 B=2``, ``ENV A 1``, ``ARG A``)."""
    assigned = _DOCKER_ASSIGN.findall(value)
    if assigned:
        return assigned
    first = value.split(maxsplit=1)
    return [first[0]] if first else []


def _dockerfile_credentials(inventory: Inventory) -> Iterator[Outcome]:
    for dockerfile in inventory.dockerfiles:
        baked: list[str] = []
        for ins in dockerfile.instructions:
            if ins.instruction not in {"ENV", "ARG"}:
                continue
            baked.extend(
                f"{ins.instruction} {name} (line {ins.line})"
                for name in _docker_names(ins.instruction, ins.value)
                if credential_name(name)
            )
        if baked:
            yield failed(
                f"{dockerfile.path}: credential(s) baked into the image: {', '.join(baked)}; "
                "use RUN --mount=type=secret at build time and a secret reference at run time",
                key=dockerfile.path,
                facts=(("file", dockerfile.path),),
            )
        else:
            yield passed(
                f"{dockerfile.path}: no credential in ENV or ARG",
                key=dockerfile.path,
                facts=(("file", dockerfile.path),),
            )


def _terraform_credentials(inventory: Inventory) -> Iterator[Outcome]:
    """Credential-named variables written literally into SageMaker models and Lambda."""
    for res in inventory.resources("aws_sagemaker_model", "aws_lambda_function"):
        envs: list[Mapping[str, object]] = []
        if res.type == "aws_sagemaker_model":
            for key in ("primary_container", "container"):
                envs += [mapping(c.get("environment")) for c in block(res.body, key)]
        else:
            envs += [mapping(e.get("variables")) for e in block(res.body, "environment")]
        literal = [
            n
            for env in envs
            for n, v in env.items()
            if credential_name(n) and isinstance(v, str) and not v.startswith("${")
        ]
        facts = (("file", res.path), ("resource", res.address))
        if literal:
            yield failed(
                f"{res.address} ({res.path}): credential(s) written into the environment: "
                f"{', '.join(literal)}; read them from Secrets Manager at run time",
                key=res.address,
                facts=facts,
            )
        elif any(credential_name(n) for env in envs for n in env):
            yield not_verified(
                f"{res.address} ({res.path}): credential-named variables are set from "
                "expressions mlsvs does not evaluate",
                Gap(
                    item=f"{res.path}: {res.address}",
                    reason=GapReason.UNSUPPORTED,
                    detail="credential from an expression",
                ),
                key=res.address,
                facts=facts,
            )


@check(
    id="MLC810",
    title="Workload credentials come from secret references or workload identity",
    requirements=["M9.3.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[DeploymentConfig],
    remediation="Reference credentials with valueFrom.secretKeyRef to a Secret synced from the "
    "secret manager (External Secrets, CSI driver, Vault) or use workload identity (IRSA, GKE "
    "Workload Identity, Azure Workload Identity); never write them as env values, in ENV/ARG, "
    "or in a Secret committed with its data.",
)
def workload_credentials_managed(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every credential-named variable of every workload comes from a secret reference.

    Kubernetes containers (``env``/``envFrom``), compose services, Dockerfiles (``ENV``/``ARG``
    bake values into the image) and SageMaker/Lambda environments in Terraform. A reference to
    a Secret whose data is committed next to it is not a secret manager.
    """
    kinds = (Source.KUBERNETES, Source.COMPOSE, Source.DOCKERFILE, Source.TERRAFORM)
    inventory = load(project, kinds)
    yield from unread_outcomes(inventory, "credential provisioning")
    if not inventory.files:
        yield nothing_found(
            "Kubernetes manifest, compose file, Dockerfile or Terraform",
            "where workload credentials come from",
        )
        return
    literal = _literal_secrets(inventory)
    sources = sorted({o.kind for o in inventory.kube if o.kind in _SECRET_SOURCES})
    for workload in workloads(inventory):
        problems, evidence = [], []
        for container in workload.containers:
            bad, good = _container_credentials(workload, container, literal)
            problems += [f"{container.name}: {p}" for p in bad]
            evidence += good
        identity = workload_identity(workload, inventory)
        facts = (("file", workload.obj.path), ("workload", workload.ref))
        if problems:
            yield failed(f"{workload.ref}: " + "; ".join(problems), key=workload.ref, facts=facts)
        else:
            found = evidence + ([identity] if identity else [])
            via = f" (synced by {', '.join(sources)})" if sources and evidence else ""
            yield passed(
                f"{workload.ref}: "
                + (
                    ("credentials: " + "; ".join(found) + via)
                    if found
                    else "no credential in its environment"
                ),
                key=workload.ref,
                facts=facts,
            )
    for service in inventory.compose:
        problems, unknown = _compose_credentials(service.body)
        ref = f"{service.path}: service {service.name}"
        if problems:
            yield failed(f"{ref}: " + "; ".join(problems), key=ref)
        elif unknown:
            yield not_verified(
                f"{ref}: " + "; ".join(unknown) + " (not from a secret manager as far as the "
                "file shows)",
                Gap(item=ref, reason=GapReason.UNSUPPORTED, detail="credential from the host env"),
                key=ref,
            )
        else:
            yield passed(f"{ref}: no credential in its environment", key=ref)
    yield from _dockerfile_credentials(inventory)
    yield from _terraform_credentials(inventory)


# ---------------------------------------------------------------- read-only model store (M8.5.2)

_MODEL_PATH = re.compile(
    r"(^|[/_.-])(models?|weights|checkpoints?|artifacts?|mnt/models)([/_.-]|$)", re.I
)
_ALWAYS_READ_ONLY = ("configMap", "secret", "downwardAPI", "projected")


def _mount_read_only(workload: Workload, mount: Mapping[str, object]) -> bool:
    if mount.get("readOnly") is True:
        return True
    volume = workload.volumes.get(str(mount.get("name")), {})
    if any(k in volume for k in _ALWAYS_READ_ONLY):
        return True
    claim = mapping(volume.get("persistentVolumeClaim"))
    if claim.get("readOnly") is True:
        return True
    image = mapping(volume.get("image"))
    return bool(image)  # OCI image volumes are always read-only


def _model_mounts(workload: Workload, container: Container) -> list[Mapping[str, object]]:
    out = []
    for entry in items(container.spec.get("volumeMounts")):
        mount = mapping(entry)
        if _MODEL_PATH.search(str(mount.get("mountPath", ""))) or _MODEL_PATH.search(
            str(mount.get("name", ""))
        ):
            out.append(mount)
    return out


def _read_only_root(workload: Workload, container: Container) -> bool:
    return mapping(container.spec.get("securityContext")).get("readOnlyRootFilesystem") is True


@check(
    id="MLC812",
    title="Serving containers mount the model store (or root filesystem) read-only",
    requirements=["M8.5.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[DeploymentConfig],
    remediation="Mount model volumes with readOnly: true (compose: ':ro' or read_only), or bake "
    "the model into the image and set securityContext.readOnlyRootFilesystem: true.",
)
def model_store_read_only(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Serving containers cannot write to their model files.

    A serving container that mounts a model volume (a mount path or volume named model(s),
    weights, checkpoints or artifacts) must mount it read-only; one without such a mount
    carries the model in its image and must have a read-only root filesystem. Kubernetes and
    compose; training and other workloads are not judged.
    """
    inventory = load(project, (Source.KUBERNETES, Source.COMPOSE))
    yield from unread_outcomes(inventory, "the model store's mode")
    if not inventory.files:
        yield nothing_found("Kubernetes manifest or compose file", "how serving mounts models")
        return
    judged = 0
    for workload in workloads(inventory):
        if workload.role != "serving":
            continue
        for container in workload.containers:
            if container.init:
                continue
            judged += 1
            ref = f"{workload.ref} container {container.name}"
            mounts = _model_mounts(workload, container)
            writable = [
                str(m.get("mountPath")) for m in mounts if not _mount_read_only(workload, m)
            ]
            facts = (("file", workload.obj.path), ("workload", workload.ref))
            if writable:
                yield failed(
                    f"{ref}: model mount(s) writable: {', '.join(writable)}", key=ref, facts=facts
                )
            elif mounts:
                yield passed(
                    f"{ref}: model mounted read-only at "
                    + ", ".join(str(m.get("mountPath")) for m in mounts),
                    key=ref,
                    facts=facts,
                )
            elif _read_only_root(workload, container):
                yield passed(
                    f"{ref}: no model volume; read-only root filesystem", key=ref, facts=facts
                )
            else:
                yield failed(
                    f"{ref}: no read-only model volume and readOnlyRootFilesystem is not true, so "
                    "the process can write its model files",
                    key=ref,
                    facts=facts,
                )
    for service in inventory.compose:
        body = service.body
        image = str(body.get("image", ""))
        if OTHER_IMAGES.search(image):
            continue
        judged += 1
        ref = f"{service.path}: service {service.name}"
        model_volumes, writable = [], []
        for volume in items(body.get("volumes")):
            if isinstance(volume, str):
                parts = volume.split(":")
                target = parts[1] if len(parts) > 1 else parts[0]
                read_only = len(parts) > 2 and "ro" in parts[2].split(",")
            else:
                spec = mapping(volume)
                target = str(spec.get("target", ""))
                read_only = spec.get("read_only") is True
            if _MODEL_PATH.search(target):
                model_volumes.append(target)
                if not read_only:
                    writable.append(target)
        if writable:
            yield failed(f"{ref}: model volume(s) writable: {', '.join(writable)}", key=ref)
        elif model_volumes:
            yield passed(f"{ref}: model volume(s) read-only: {', '.join(model_volumes)}", key=ref)
        elif body.get("read_only") is True:
            yield passed(f"{ref}: no model volume; read-only container filesystem", key=ref)
        else:
            yield failed(f"{ref}: no read-only model volume and read_only is not true", key=ref)
    if not judged and not inventory.gaps:
        yield not_applicable(
            f"no serving workload in {names(inventory.files)} (training and platform services "
            "are judged elsewhere)"
        )


# ---------------------------------------------------------------- serving egress (M8.5.11)


def selects(selector: Mapping[str, object], labels: Mapping[str, object]) -> bool | None:
    """Whether a label selector matches ``labels`` (None: an expression mlsvs does not read)."""
    match = mapping(selector.get("matchLabels"))
    expressions = items(selector.get("matchExpressions"))
    if not all(str(labels.get(k)) == str(v) for k, v in match.items()):
        return False
    for expression in expressions:
        rule = mapping(expression)
        key, operator = str(rule.get("key")), str(rule.get("operator"))
        values = [str(v) for v in items(rule.get("values"))]
        present = key in labels
        if operator == "In" and not (present and str(labels[key]) in values):
            return False
        if operator == "NotIn" and present and str(labels[key]) in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
        if operator not in {"In", "NotIn", "Exists", "DoesNotExist"}:
            return None
    return True


def egress_policies(inventory: Inventory, workload: Workload) -> tuple[list[KubeObject], bool]:
    """NetworkPolicies that restrict the workload's egress, and whether any selector was
    unreadable."""
    found, unknown = [], False
    for policy in inventory.objects("NetworkPolicy"):
        if policy.namespace != workload.namespace:
            continue
        spec = mapping(policy.doc.get("spec"))
        types = [str(t) for t in items(spec.get("policyTypes"))]
        if "Egress" not in types and "egress" not in spec:
            continue
        matched = selects(mapping(spec.get("podSelector")), workload.pod_labels)
        if matched is None:
            unknown = True
        elif matched:
            found.append(policy)
    return found, unknown


def _open_egress(policy: KubeObject) -> list[str]:
    problems = []
    for rule in items(mapping(policy.doc.get("spec")).get("egress")):
        body = mapping(rule)
        peers = items(body.get("to"))
        if not peers:
            problems.append(f"{policy.name}: an egress rule with no 'to' allows every destination")
        for peer in peers:
            cidr = str(mapping(mapping(peer).get("ipBlock")).get("cidr", ""))
            if cidr in {"0.0.0.0/0", "::/0"}:
                problems.append(f"{policy.name}: egress to {cidr}")
    return problems


@check(
    id="MLC813",
    title="Serving pods are under a default-deny egress NetworkPolicy",
    requirements=["M8.5.11"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[DeploymentConfig],
    remediation="Add a NetworkPolicy selecting the serving pods with policyTypes [Egress] and "
    "only the destinations inference needs (DNS, a feature store); never an empty 'to' or "
    "0.0.0.0/0.",
)
def serving_egress_denied(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every serving workload is selected by an Egress NetworkPolicy that allows no open egress.

    Kubernetes NetworkPolicies in the same namespace whose podSelector matches the pod labels;
    the union of their egress rules is the allow-list, so a rule with no ``to`` or a
    ``0.0.0.0/0`` block defeats the default deny.
    """
    inventory = load(project, (Source.KUBERNETES,))
    yield from unread_outcomes(inventory, "serving egress")
    if not inventory.files:
        yield nothing_found("Kubernetes manifest", "a default-deny egress policy")
        return
    judged = 0
    for workload in workloads(inventory):
        if workload.role != "serving":
            continue
        judged += 1
        policies, unknown = egress_policies(inventory, workload)
        facts = (("file", workload.obj.path), ("workload", workload.ref))
        open_rules = [p for policy in policies for p in _open_egress(policy)]
        if open_rules:
            yield failed(f"{workload.ref}: " + "; ".join(open_rules), key=workload.ref, facts=facts)
        elif policies:
            rules = sum(len(items(mapping(p.doc.get("spec")).get("egress"))) for p in policies)
            yield passed(
                f"{workload.ref}: egress denied by default ({', '.join(p.name for p in policies)}; "
                f"{rules} allow rule(s))",
                key=workload.ref,
                facts=facts,
            )
        elif unknown:
            yield not_verified(
                f"{workload.ref}: a NetworkPolicy uses a selector operator mlsvs does not read",
                Gap(item=workload.ref, reason=GapReason.UNSUPPORTED, detail="selector operator"),
                key=workload.ref,
                facts=facts,
            )
        else:
            yield failed(
                f"{workload.ref}: no NetworkPolicy restricts its egress (namespace "
                f"{workload.namespace or 'default'})",
                key=workload.ref,
                facts=facts,
            )
    if not judged and not inventory.gaps:
        yield not_applicable(f"no serving workload in {names(inventory.files)}")


# ---------------------------------------------------------------- training egress (M3.3.2)


@check(
    id="MLC815",
    title="Training jobs are under a default-deny egress NetworkPolicy",
    requirements=["M3.3.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[DeploymentConfig],
    remediation="Select training pods with a NetworkPolicy of policyTypes [Egress] that allows "
    "only the data sources, registries and package mirrors the job needs.",
)
def training_egress_restricted(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every training workload (Job, CronJob, Kubeflow and Ray training kinds) is selected by an
    Egress NetworkPolicy with no open rule.

    Covers the configuration clause of the hybrid M3.3.2; that the allow-list is documented and
    justified needs the attestation.
    """
    inventory = load(project, (Source.KUBERNETES,))
    yield from unread_outcomes(inventory, "training egress")
    if not inventory.files:
        yield nothing_found("Kubernetes manifest", "restricted training egress")
        return
    judged = 0
    for workload in workloads(inventory):
        if workload.role != "training":
            continue
        judged += 1
        policies, unknown = egress_policies(inventory, workload)
        open_rules = [p for policy in policies for p in _open_egress(policy)]
        facts = (("file", workload.obj.path), ("workload", workload.ref))
        if open_rules:
            yield failed(f"{workload.ref}: " + "; ".join(open_rules), key=workload.ref, facts=facts)
        elif policies:
            yield passed(
                f"{workload.ref}: egress restricted by {', '.join(p.name for p in policies)}",
                key=workload.ref,
                facts=facts,
            )
        elif unknown:
            yield not_verified(
                f"{workload.ref}: a NetworkPolicy uses a selector operator mlsvs does not read",
                Gap(item=workload.ref, reason=GapReason.UNSUPPORTED, detail="selector operator"),
                key=workload.ref,
                facts=facts,
            )
        else:
            yield failed(
                f"{workload.ref}: no NetworkPolicy restricts its egress",
                key=workload.ref,
                facts=facts,
            )
    if not judged and not inventory.gaps:
        yield not_applicable(f"no training workload in {names(inventory.files)}")
