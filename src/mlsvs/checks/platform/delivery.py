"""How models reach the cluster: admission of signed images from the approved registry
(MLC825) and progressive rollout with automated rollback (MLC826), from Kubernetes manifests.
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import names, nothing_found, unread_outcomes
from mlsvs.checks.platform._sources import Source, items, load, mapping
from mlsvs.checks.platform._workloads import workloads
from mlsvs.plugin import (
    DeploymentConfig,
    Project,
    Severity,
    check,
    failed,
    not_applicable,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.checks.platform._sources import Inventory, KubeObject
    from mlsvs.checks.platform._workloads import Workload
    from mlsvs.plugin import CheckContext, Outcome

_KYVERNO = frozenset({"ClusterPolicy", "Policy"})


def _kyverno_enforced(policy: KubeObject, rule: dict[str, object]) -> bool:
    spec = mapping(policy.doc.get("spec"))
    action = str(spec.get("validationFailureAction", spec.get("failureAction", "Audit")))
    for verify in items(rule.get("verifyImages")):
        action = str(mapping(verify).get("failureAction", action))
    return action.lower() == "enforce"


def signature_policies(inventory: Inventory) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """(enforcing signature policies with the image patterns they cover, audit-only ones)."""
    enforcing: list[tuple[str, list[str]]] = []
    audit: list[str] = []
    for policy in inventory.kube:
        if policy.kind in _KYVERNO and policy.api_version.startswith("kyverno.io/"):
            for rule in items(mapping(policy.doc.get("spec")).get("rules")):
                body = dict(mapping(rule))
                verify = [mapping(v) for v in items(body.get("verifyImages"))]
                if not verify:
                    continue
                patterns = [
                    str(p)
                    for v in verify
                    for p in items(v.get("imageReferences")) or items(v.get("image"))
                ]
                attested = all(v.get("attestors") or v.get("attestations") for v in verify)
                if _kyverno_enforced(policy, body) and attested:
                    enforcing.append((f"{policy.ref} rule {body.get('name', '?')}", patterns))
                else:
                    audit.append(f"{policy.ref} rule {body.get('name', '?')}")
        elif policy.kind == "ClusterImagePolicy" and "sigstore.dev" in policy.api_version:
            spec = mapping(policy.doc.get("spec"))
            patterns = [str(mapping(i).get("glob", "")) for i in items(spec.get("images"))]
            if items(spec.get("authorities")) and str(spec.get("mode", "enforce")) == "enforce":
                enforcing.append((policy.ref, patterns))
            else:
                audit.append(policy.ref)
    return enforcing, audit


def _covered(image: str, patterns: list[str]) -> bool:
    bare = image.split("@", 1)[0]
    return any(
        p not in {"*", "**", "*/*"}
        and (fnmatch.fnmatchcase(image, p) or fnmatch.fnmatchcase(bare, p))
        for p in patterns
    )


@check(
    id="MLC825",
    title="An enforcing admission policy admits only signed images from the approved registry",
    requirements=["M9.1.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[DeploymentConfig],
    remediation="Add a Kyverno ClusterPolicy with verifyImages (attestors, failureAction "
    "Enforce) or a sigstore ClusterImagePolicy with authorities, scoped to your registry "
    "(imageReferences: registry.example.com/ml/*), and deploy every workload from it.",
)
def signed_images_admitted(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """The manifests carry an enforcing signature-verification policy (Kyverno verifyImages,
    sigstore policy-controller) scoped to named registries, and every workload image falls
    under it.

    A policy for ``*`` limits no registry; an Audit-mode policy admits unsigned images.
    """
    inventory = load(project, (Source.KUBERNETES,))
    yield from unread_outcomes(inventory, "image admission")
    if not inventory.files:
        yield nothing_found("Kubernetes manifest", "an image admission policy")
        return
    enforcing, audit = signature_policies(inventory)
    running = workloads(inventory)
    if not enforcing:
        why = f" ({names(audit)} only audit or verify no signer)" if audit else ""
        if running or audit:
            yield failed(
                f"no enforcing image-signature admission policy in {names(inventory.files)}{why}",
                key="policy",
            )
        elif not inventory.gaps:
            yield not_applicable(f"no workload and no admission policy in {names(inventory.files)}")
        return
    patterns = [p for _, ps in enforcing for p in ps]
    if all(p in {"*", "**", "*/*"} for p in patterns):
        yield failed(
            "the signature policies cover every image ('*'), so no registry is approved: "
            + names(ref for ref, _ in enforcing),
            key="policy",
        )
        return
    outside = sorted(
        {
            f"{w.ref}: {c.image}"
            for w in running
            for c in w.containers
            if not _covered(c.image, patterns)
        }
    )
    if outside:
        yield failed(
            f"image(s) outside the approved, signature-checked registries ({', '.join(patterns)}): "
            + names(outside, 5),
            key="images",
        )
    else:
        yield passed(
            f"enforcing signature policy {names(ref for ref, _ in enforcing)} covers "
            f"{', '.join(patterns)}; every workload image ({len(running)} workload(s)) is under it",
            key="policy",
        )


# ---------------------------------------------------------------- progressive rollout (M8.5.4)


def _analysis_templates(inventory: Inventory) -> dict[str, KubeObject]:
    return {o.name: o for o in inventory.objects("AnalysisTemplate", "ClusterAnalysisTemplate")}


def _template_checks(template: KubeObject) -> bool:
    metrics = items(mapping(template.doc.get("spec")).get("metrics"))
    return any(
        mapping(m).get("successCondition") or mapping(m).get("failureCondition") for m in metrics
    )


def _rollout(rollout: KubeObject, inventory: Inventory) -> tuple[list[str], list[str]]:
    canary = mapping(mapping(mapping(rollout.doc.get("spec")).get("strategy")).get("canary"))
    blue_green = mapping(mapping(mapping(rollout.doc.get("spec")).get("strategy")).get("blueGreen"))
    templates = _analysis_templates(inventory)
    refs: list[str] = []
    if canary:
        refs += [
            str(mapping(t).get("templateName"))
            for t in items(mapping(canary.get("analysis")).get("templates"))
        ]
        for step in items(canary.get("steps")):
            analysis = mapping(mapping(step).get("analysis"))
            refs += [str(mapping(t).get("templateName")) for t in items(analysis.get("templates"))]
    elif blue_green:
        analysis = mapping(blue_green.get("prePromotionAnalysis"))
        refs += [str(mapping(t).get("templateName")) for t in items(analysis.get("templates"))]
    else:
        return ["no canary or blue-green strategy"], []
    if not refs:
        return ["the strategy runs no analysis, so nothing rolls it back automatically"], []
    checked = [r for r in refs if r in templates and _template_checks(templates[r])]
    if not checked:
        return [
            f"analysis template(s) {', '.join(refs)} missing or without a success/failure condition"
        ], []
    return [], [f"canary analysis {', '.join(checked)} (aborts and rolls back on failure)"]


def _flagger(canary: KubeObject) -> tuple[str, list[str], list[str]]:
    spec = mapping(canary.doc.get("spec"))
    target = str(mapping(spec.get("targetRef")).get("name", ""))
    analysis = mapping(spec.get("analysis", spec.get("canaryAnalysis")))
    metrics = [mapping(m) for m in items(analysis.get("metrics"))]
    bounded = [str(m.get("name")) for m in metrics if m.get("thresholdRange") or m.get("threshold")]
    if not bounded:
        return target, ["Flagger analysis has no metric with a threshold"], []
    if not analysis.get("threshold"):
        return target, ["Flagger analysis sets no failed-checks threshold for rollback"], []
    return target, [], [f"Flagger {canary.name}: metrics {', '.join(bounded)}"]


@check(
    id="MLC826",
    title="Serving workloads roll out progressively with automated analysis and rollback",
    requirements=["M8.5.4"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[DeploymentConfig],
    remediation="Deploy model servers as Argo Rollouts with canary steps and an AnalysisTemplate "
    "(successCondition/failureCondition on error rate, latency, quality), or put a Flagger "
    "Canary with metric thresholds in front of the Deployment.",
)
def progressive_rollout(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every serving workload is released by a canary or blue-green process whose analysis
    rolls back on a failing metric (Argo Rollouts, Flagger).

    Covers the configuration clause of the hybrid M8.5.4; that the last release followed it and
    canary and stable share no state needs the attestation.
    """
    inventory = load(project, (Source.KUBERNETES,))
    yield from unread_outcomes(inventory, "progressive rollout")
    if not inventory.files:
        yield nothing_found("Kubernetes manifest", "a progressive rollout")
        return
    flagger = [_flagger(c) for c in inventory.objects("Canary") if "flagger" in c.api_version]
    by_target = {t: (bad, good) for t, bad, good in flagger}
    rolled = {
        str(mapping(mapping(r.doc.get("spec")).get("workloadRef")).get("name", "")): r
        for r in inventory.objects("Rollout")
    }
    judged = 0
    for workload in workloads(inventory):
        if workload.role != "serving":
            continue
        judged += 1
        ref = workload.ref
        if workload.obj.kind == "Rollout":
            bad, good = _rollout(workload.obj, inventory)
        elif workload.obj.name in by_target:
            bad, good = by_target[workload.obj.name]
        elif workload.obj.name in rolled:
            bad, good = _rollout(rolled[workload.obj.name], inventory)
        else:
            bad, good = [f"a plain {workload.obj.kind} replaces every replica in one step"], []
        if bad:
            yield failed(f"{ref}: " + "; ".join(bad), key=ref)
        else:
            yield passed(f"{ref}: " + "; ".join(good), key=ref)
    if not judged and not inventory.gaps:
        yield not_applicable(f"no serving workload in {names(inventory.files)}")


# ---------------------------------------------------------------- side-by-side state (M8.5.7)

_STATE_ENV = re.compile(
    r"(redis|cache|session|memcache|valkey|feature[_-]?store|online[_-]?store|state)"
    r"[_-]?(url|uri|host|addr|address|endpoint|dsn|bucket|path|table)?$",
    re.I,
)
_ENDPOINT = re.compile(r"^[a-z][a-z0-9+.-]*://|^[\w.-]+:\d{2,5}(/|$)", re.I)
_SHARED_KINDS = ("persistentVolumeClaim", "hostPath", "nfs", "cephfs", "glusterfs", "azureFile")


def _writable_shared(workload: Workload) -> list[str]:
    out = []
    for container in workload.containers:
        for entry in items(container.spec.get("volumeMounts")):
            mount = mapping(entry)
            volume = workload.volumes.get(str(mount.get("name")), {})
            kind = next((k for k in _SHARED_KINDS if k in volume), "")
            read_only = mount.get("readOnly") is True or (
                mapping(volume.get("persistentVolumeClaim")).get("readOnly") is True
            )
            if kind and not read_only:
                out.append(f"{kind} volume {mount.get('name')} at {mount.get('mountPath')}")
    return out


def _state_env(workload: Workload) -> dict[str, str]:
    out = {}
    for container in workload.containers:
        for entry in items(container.spec.get("env")):
            env = mapping(entry)
            name = str(env.get("name", ""))
            value = env.get("value")
            # A network endpoint or object-store URI is shared; a local path is per pod.
            if _STATE_ENV.search(name) and isinstance(value, str) and _ENDPOINT.search(value):
                out[name] = value
    return out


def _version_groups(running: tuple[Workload, ...]) -> list[list[Workload]]:
    """Serving workloads that are versions of one model: same namespace and ``app`` label,
    different ``version`` labels (the KServe/Istio/A-B convention)."""
    groups: dict[tuple[str, str], list[Workload]] = {}
    for w in running:
        app = str(w.pod_labels.get("app", w.pod_labels.get("app.kubernetes.io/name", "")))
        version = w.pod_labels.get("version", w.pod_labels.get("app.kubernetes.io/version"))
        if app and version is not None:
            groups.setdefault((w.namespace, app), []).append(w)
    return [
        g
        for g in groups.values()
        if len(
            {
                str(w.pod_labels.get("version", w.pod_labels.get("app.kubernetes.io/version")))
                for w in g
            }
        )
        > 1
    ]


@check(
    id="MLC827",
    title="Canary, shadow and A/B model versions share no writable state",
    requirements=["M8.5.7"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=[DeploymentConfig],
    remediation="Give each model version its own cache, session store and feature-write "
    "target (per-version Redis database or key prefix set per version, emptyDir caches); "
    "never mount one writable volume into canary and stable pods.",
)
def versions_share_no_state(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Versions running side by side (an Argo Rollout's canary and stable pods, a Flagger
    canary, Deployments of one app with different ``version`` labels) mount no shared writable
    volume and point at no common cache, session or feature-store endpoint.

    Covers the configuration clause of the hybrid M8.5.7; the reviewer confirms what the
    manifests cannot show (keys scoped per version inside a shared service).
    """
    inventory = load(project, (Source.KUBERNETES,))
    yield from unread_outcomes(inventory, "side-by-side state")
    if not inventory.files:
        yield nothing_found("Kubernetes manifest", "how model versions keep their state")
        return
    running = tuple(w for w in workloads(inventory) if w.role == "serving")
    flagged = {
        str(mapping(mapping(c.doc.get("spec")).get("targetRef")).get("name", ""))
        for c in inventory.objects("Canary")
    }
    judged = 0
    for workload in running:
        if workload.obj.kind != "Rollout" and workload.obj.name not in flagged:
            continue
        judged += 1
        problems = _writable_shared(workload)
        problems += [f"{k}={v}" for k, v in sorted(_state_env(workload).items())]
        ref = workload.ref
        if problems:
            yield failed(
                f"{ref}: canary and stable pods come from one template and share "
                + ", ".join(problems),
                key=ref,
            )
        else:
            yield passed(f"{ref}: no shared writable volume or state endpoint", key=ref)
    for group in _version_groups(running):
        judged += 1
        ref = " + ".join(w.ref for w in group)
        shared_env = set.intersection(*(set(_state_env(w).items()) for w in group))
        claims = [
            {
                str(mapping(v.get("persistentVolumeClaim")).get("claimName"))
                for v in w.volumes.values()
                if v.get("persistentVolumeClaim")
            }
            for w in group
        ]
        shared_claims = set.intersection(*claims) if claims else set()
        writable = [w for w in group if _writable_shared(w)]
        problems = [f"{k}={v}" for k, v in sorted(shared_env)]
        if shared_claims and writable:
            problems.append(f"writable claim(s) {', '.join(sorted(shared_claims))}")
        if problems:
            yield failed(f"{ref}: versions share " + ", ".join(problems), key=ref)
        else:
            yield passed(f"{ref}: versions keep separate state", key=ref)
    if not judged and not inventory.gaps:
        yield not_applicable(f"no model versions run side by side in {names(inventory.files)}")
