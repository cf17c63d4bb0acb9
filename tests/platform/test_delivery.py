"""Admission of signed images and progressive rollout, from Kubernetes manifests."""

from __future__ import annotations

from mlsvs.checks.platform.delivery import progressive_rollout, signed_images_admitted
from tests.platform.helpers import by_key, run, statuses, write

KYVERNO = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: verify-ml-images
spec:
  validationFailureAction: Enforce
  webhookTimeoutSeconds: 30
  rules:
    - name: signed-by-release-pipeline
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences:
            - "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml/*"
          mutateDigest: true
          verifyDigest: true
          attestors:
            - entries:
                - keyless:
                    subject: "https://github.com/acme/ml-serving/.github/workflows/release.yml@refs/heads/main"
                    issuer: "https://token.actions.githubusercontent.com"
"""

ROLLOUT = """
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: churn-model
  namespace: churn
spec:
  replicas: 4
  selector:
    matchLabels: {app: churn-model}
  template:
    metadata:
      labels: {app: churn-model}
    spec:
      containers:
        - name: server
          image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml/churn-server@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
          securityContext: {readOnlyRootFilesystem: true}
  strategy:
    canary:
      canaryService: churn-model-canary
      stableService: churn-model-stable
      steps:
        - setWeight: 10
        - analysis:
            templates:
              - templateName: churn-model-health
        - setWeight: 50
        - pause: {duration: 10m}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: churn-model-health
  namespace: churn
spec:
  metrics:
    - name: error-rate
      interval: 1m
      count: 5
      failureLimit: 1
      successCondition: result[0] < 0.02
      provider:
        prometheus:
          address: http://prometheus.monitoring:9090
          query: |
            sum(rate(http_requests_total{service="churn-model-canary",code=~"5.."}[2m]))
            / sum(rate(http_requests_total{service="churn-model-canary"}[2m]))
"""

PLAIN = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: churn-explainer
  namespace: churn
spec:
  selector:
    matchLabels: {app: churn-explainer}
  strategy:
    type: RollingUpdate
  template:
    metadata:
      labels: {app: churn-explainer}
    spec:
      containers:
        - name: explainer
          image: docker.io/acme/churn-explainer:2.1.0
"""


def test_enforced_registry_scoped_signatures_pass(tmp_path) -> None:
    root = write(tmp_path, {"cluster/kyverno.yaml": KYVERNO, "apps/churn.yaml": ROLLOUT})
    assert statuses(run(signed_images_admitted, root)) == {"pass"}


def test_image_outside_the_registry_or_audit_mode_fails(tmp_path) -> None:
    root = write(
        tmp_path,
        {"cluster/kyverno.yaml": KYVERNO, "apps/churn.yaml": ROLLOUT, "apps/explain.yaml": PLAIN},
    )
    outcomes = run(signed_images_admitted, root)
    assert statuses(outcomes) == {"fail"}
    assert "docker.io/acme/churn-explainer" in outcomes[0].message
    (root / "cluster/kyverno.yaml").write_text(KYVERNO.replace("Enforce", "Audit"))
    (root / "apps/explain.yaml").unlink()
    outcomes = run(signed_images_admitted, root)
    assert statuses(outcomes) == {"fail"} and "audit" in outcomes[0].message
    wildcard = KYVERNO.replace('"123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml/*"', '"*"')
    (root / "cluster/kyverno.yaml").write_text(wildcard)
    assert statuses(run(signed_images_admitted, root)) == {"fail"}


def test_no_policy_fails(tmp_path) -> None:
    root = write(tmp_path, {"apps/churn.yaml": ROLLOUT})
    assert statuses(run(signed_images_admitted, root)) == {"fail"}


def test_canary_with_analysis_passes_plain_deployment_fails(tmp_path) -> None:
    root = write(tmp_path, {"apps/churn.yaml": ROLLOUT, "apps/explain.yaml": PLAIN})
    outcomes = by_key(run(progressive_rollout, root))
    assert outcomes["apps/churn.yaml: Rollout/churn-model"] == "pass"
    assert outcomes["apps/explain.yaml: Deployment/churn-explainer"] == "fail"


def test_analysis_without_condition_fails(tmp_path) -> None:
    root = write(tmp_path, {"apps/churn.yaml": ROLLOUT.replace("successCondition", "# was")})
    assert statuses(run(progressive_rollout, root)) == {"fail"}


def test_flagger_canary(tmp_path) -> None:
    canary = """
    apiVersion: flagger.app/v1beta1
    kind: Canary
    metadata:
      name: churn-explainer
      namespace: churn
    spec:
      targetRef:
        apiVersion: apps/v1
        kind: Deployment
        name: churn-explainer
      service:
        port: 8080
      analysis:
        interval: 1m
        threshold: 5
        maxWeight: 50
        stepWeight: 10
        metrics:
          - name: request-success-rate
            thresholdRange: {min: 99}
            interval: 1m
          - name: request-duration
            thresholdRange: {max: 500}
            interval: 1m
    """
    root = write(tmp_path, {"apps/explain.yaml": PLAIN, "apps/canary.yaml": canary})
    assert statuses(run(progressive_rollout, root)) == {"pass"}


def test_side_by_side_versions_share_no_state(tmp_path) -> None:
    from mlsvs.checks.platform.delivery import versions_share_no_state

    root = write(tmp_path, {"apps/churn.yaml": ROLLOUT})
    assert statuses(run(versions_share_no_state, root)) == {"pass"}
    shared = ROLLOUT.replace(
        "          securityContext: {readOnlyRootFilesystem: true}\n",
        "          securityContext: {readOnlyRootFilesystem: true}\n"
        "          env:\n"
        "            - name: FEATURE_CACHE_URL\n"
        "              value: redis://feature-cache.churn:6379/0\n",
    )
    assert shared != ROLLOUT
    (root / "apps/churn.yaml").write_text(shared)
    outcomes = run(versions_share_no_state, root)
    assert statuses(outcomes) == {"fail"} and "FEATURE_CACHE_URL" in outcomes[0].message


def test_ab_deployments_with_a_shared_claim(tmp_path) -> None:
    from mlsvs.checks.platform.delivery import versions_share_no_state

    def version(tag: str, claim: str) -> str:
        return f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ranker-{tag}
  namespace: search
spec:
  selector:
    matchLabels: {{app: ranker, version: {tag}}}
  template:
    metadata:
      labels: {{app: ranker, version: {tag}}}
    spec:
      containers:
        - name: ranker
          image: registry.example.com/ml/ranker:{tag}
          volumeMounts:
            - {{name: sessions, mountPath: /var/lib/ranker/sessions}}
      volumes:
        - name: sessions
          persistentVolumeClaim: {{claimName: {claim}}}
"""

    root = write(
        tmp_path,
        {
            "apps/a.yaml": version("v1", "ranker-sessions"),
            "apps/b.yaml": version("v2", "ranker-sessions"),
        },
    )
    outcomes = run(versions_share_no_state, root)
    assert statuses(outcomes) == {"fail"} and "ranker-sessions" in outcomes[0].message
    (root / "apps/b.yaml").write_text(version("v2", "ranker-v2-sessions"))
    assert statuses(run(versions_share_no_state, root)) == {"pass"}


def test_local_cache_paths_are_not_shared_state(tmp_path) -> None:
    from mlsvs.checks.platform.delivery import versions_share_no_state

    local = ROLLOUT.replace(
        "          securityContext: {readOnlyRootFilesystem: true}\n",
        "          securityContext: {readOnlyRootFilesystem: true}\n"
        "          env:\n"
        "            - name: TRANSFORMERS_CACHE\n"
        "              value: /tmp/hf-cache\n",
    )
    root = write(tmp_path, {"apps/churn.yaml": local})
    assert statuses(run(versions_share_no_state, root)) == {"pass"}
