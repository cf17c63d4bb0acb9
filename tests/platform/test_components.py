"""Deployed ML platform components are matched against the advisory databases (M9.2.2)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mlsvs.checks.platform.components import image_component, platform_components_patched
from tests.platform.helpers import by_key, run, statuses, write

FIXTURES = Path(__file__).parents[1] / "supply" / "fixtures" / "osv-pypi"

TRACKING = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mlflow
  namespace: mlops
  labels: {app.kubernetes.io/component: tracking}
spec:
  selector:
    matchLabels: {app: mlflow}
  template:
    metadata:
      labels: {app: mlflow}
    spec:
      containers:
        - name: mlflow
          image: ghcr.io/mlflow/mlflow:{tag}
          args: ["mlflow", "server", "--host", "0.0.0.0", "--backend-store-uri", "postgresql://mlflow@db/mlflow"]
          ports:
            - containerPort: 5000
        - name: oauth2-proxy
          image: quay.io/oauth2-proxy/oauth2-proxy:v7.6.0
"""

DOCKERFILE = """
FROM python:3.12.7-slim AS base
RUN pip install --no-cache-dir torchserve==0.12.0 torch-model-archiver==0.12.0 requests==2.32.3

FROM pytorch/torchserve:0.12.0-cpu
COPY --from=base /usr/local/lib/python3.12/site-packages /usr/local/lib/python3.12/site-packages
USER model-server
"""


@pytest.fixture
def snapshot(tmp_path, monkeypatch) -> None:
    """A complete OSV snapshot dated the day before the run (as `mlsvs advisories update`)."""
    from mlsvs.supply.advisories import import_snapshot

    archive = tmp_path / "osv-all.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for number, path in enumerate(sorted(FIXTURES.glob("*.json"))):
            record = json.loads(path.read_text())
            if number == 0:
                record["modified"] = "2026-11-30T06:00:00Z"
            handle.writestr(path.name, json.dumps(record))
    cache = tmp_path / "cache"
    import_snapshot(archive, cache=cache, imported_at="2026-11-30T07:00:00Z")
    monkeypatch.setenv("MLSVS_CACHE_DIR", str(cache))


def test_image_references() -> None:
    assert image_component("ghcr.io/mlflow/mlflow:v2.16.2", "x").version == "2.16.2"
    assert image_component("rayproject/ray:2.9.3-py310-gpu", "x").version == "2.9.3"
    assert image_component("rayproject/ray:latest", "x").version is None
    assert image_component("docker.io/library/postgres:16.4", "x") is None
    pinned = image_component("nvcr.io/nvidia/tritonserver:24.08-py3", "x")
    assert pinned is not None and pinned.name == ""


def test_vulnerable_mlflow_fails_on_the_bundled_floor(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLSVS_CACHE_DIR", str(tmp_path / "empty-cache"))
    root = write(tmp_path, {"k8s/mlflow.yaml": TRACKING.replace("{tag}", "v2.1.1")})
    outcomes = run(platform_components_patched, root)
    hits = [o for o in outcomes if o.key == "mlflow==2.1.1"]
    assert hits and hits[0].status.value == "fail" and "PYSEC-2023-28" in hits[0].message


def test_current_version_needs_a_current_snapshot(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLSVS_CACHE_DIR", str(tmp_path / "empty-cache"))
    root = write(tmp_path, {"k8s/mlflow.yaml": TRACKING.replace("{tag}", "v2.16.2")})
    assert statuses(run(platform_components_patched, root)) == {"not_verified"}


def test_current_version_passes_with_a_current_snapshot(tmp_path, snapshot) -> None:
    root = write(tmp_path, {"k8s/mlflow.yaml": TRACKING.replace("{tag}", "v2.16.2")})
    outcomes = run(platform_components_patched, root)
    assert statuses(outcomes) == {"pass"}
    # the same snapshot is too old for a one-day limit (L2)
    strict = run(platform_components_patched, root, **{"M9.2.2.max_advisory_age_days": 1})
    assert statuses(strict) == {"not_verified"}


def test_latest_tag_fails(tmp_path, snapshot) -> None:
    root = write(tmp_path, {"k8s/mlflow.yaml": TRACKING.replace("{tag}", "latest")})
    outcomes = by_key(run(platform_components_patched, root))
    assert "fail" in outcomes.values()


def test_dockerfile_components(tmp_path, snapshot) -> None:
    root = write(tmp_path, {"serving/Dockerfile": DOCKERFILE})
    outcomes = run(platform_components_patched, root)
    assert statuses(outcomes) == {"pass"}
    assert "torchserve 0.12.0" in outcomes[0].message


def test_no_platform_component_is_not_applicable(tmp_path) -> None:
    app = TRACKING.replace("ghcr.io/mlflow/mlflow:{tag}", "acme/scorer:1.0.0")
    root = write(tmp_path, {"k8s/app.yaml": app})
    assert statuses(run(platform_components_patched, root)) == {"not_applicable"}
