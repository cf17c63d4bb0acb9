"""Well-known management and admin paths of model servers and ML platforms (read-only probes)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlsvs.probes.types import Gravity

CONTROL_PATH = "/.mlsvs-probe-control-does-not-exist"


@dataclass(frozen=True, slots=True, kw_only=True)
class ManagementPath:
    """A path that must not answer an unauthenticated request with 2xx."""

    path: str
    platform: str
    gravity: Gravity
    method: str = "GET"
    body: bytes | None = None


_BUILTIN = (
    ManagementPath(path="/models", platform="TorchServe management", gravity=Gravity.HIGH),
    ManagementPath(
        path="/api/2.0/mlflow/experiments/search?max_results=1",
        platform="MLflow tracking",
        gravity=Gravity.HIGH,
    ),
    ManagementPath(
        path="/ajax-api/2.0/mlflow/experiments/search?max_results=1",
        platform="MLflow tracking UI API",
        gravity=Gravity.HIGH,
    ),
    ManagementPath(path="/api/jobs/", platform="Ray jobs", gravity=Gravity.HIGH),
    ManagementPath(path="/nodes?view=summary", platform="Ray dashboard", gravity=Gravity.HIGH),
    ManagementPath(
        path="/v2/repository/index",
        platform="Triton model repository",
        gravity=Gravity.HIGH,
        method="POST",
        body=b"{}",
    ),
    ManagementPath(path="/v1/models", platform="KServe / TF Serving", gravity=Gravity.MEDIUM),
    ManagementPath(path="/docs.json", platform="BentoML OpenAPI", gravity=Gravity.LOW),
    ManagementPath(path="/admin", platform="admin console", gravity=Gravity.HIGH),
    ManagementPath(path="/debug", platform="debug endpoint", gravity=Gravity.HIGH),
    ManagementPath(path="/debug/vars", platform="debug variables", gravity=Gravity.HIGH),
    ManagementPath(path="/metrics", platform="Prometheus metrics", gravity=Gravity.MEDIUM),
    ManagementPath(path="/docs", platform="interactive API docs", gravity=Gravity.LOW),
    ManagementPath(path="/redoc", platform="interactive API docs", gravity=Gravity.LOW),
    ManagementPath(path="/openapi.json", platform="OpenAPI schema", gravity=Gravity.LOW),
    ManagementPath(path="/swagger.json", platform="OpenAPI schema", gravity=Gravity.LOW),
    ManagementPath(path="/v3/api-docs", platform="OpenAPI schema", gravity=Gravity.LOW),
    # Weights and artifact downloads: the model itself, one GET away.
    ManagementPath(path="/model", platform="model download", gravity=Gravity.HIGH),
    ManagementPath(path="/weights", platform="weights download", gravity=Gravity.HIGH),
    ManagementPath(path="/download", platform="artifact download", gravity=Gravity.HIGH),
    ManagementPath(path="/artifacts", platform="artifact store", gravity=Gravity.HIGH),
    ManagementPath(path="/model/download", platform="model download", gravity=Gravity.HIGH),
    ManagementPath(path="/models/download", platform="model download", gravity=Gravity.HIGH),
    ManagementPath(
        path="/api/2.0/mlflow/registered-models/search?max_results=1",
        platform="MLflow model registry",
        gravity=Gravity.HIGH,
    ),
    ManagementPath(
        path="/api/2.0/mlflow-artifacts/artifacts",
        platform="MLflow artifact proxy",
        gravity=Gravity.HIGH,
    ),
    ManagementPath(
        path="/v2/models/stats", platform="Triton model statistics", gravity=Gravity.MEDIUM
    ),
    ManagementPath(path="/v2", platform="KServe v2 / Triton server metadata", gravity=Gravity.LOW),
    ManagementPath(path="/debug/pprof/", platform="Go pprof", gravity=Gravity.HIGH),
    ManagementPath(path="/actuator/env", platform="Spring actuator", gravity=Gravity.HIGH),
    ManagementPath(path="/config", platform="Gradio / app config", gravity=Gravity.MEDIUM),
    ManagementPath(path="/server-info", platform="server info", gravity=Gravity.MEDIUM),
)
_TF_SERVING = re.compile(r"^(/v1/models/[\w.-]+)(?:/versions/\d+)?:(?:predict|classify|regress)$")
ADMIN_ROUTE = re.compile(r"admin|reload|debug|manage|internal|shutdown|upload|config", re.I)


def management_paths(endpoint_path: str, extra: tuple[str, ...]) -> tuple[ManagementPath, ...]:
    """The built-in list, TF Serving metadata for ``/v1/models/NAME:predict``, then ``extra``."""
    found = list(_BUILTIN)
    tf = _TF_SERVING.match(endpoint_path.split("?", maxsplit=1)[0])
    if tf is not None:
        found.append(
            ManagementPath(
                path=f"{tf.group(1)}/metadata",
                platform="TF Serving model metadata",
                gravity=Gravity.MEDIUM,
            )
        )
    known = {m.path for m in found}
    found.extend(
        ManagementPath(path=p, platform="declared management path", gravity=Gravity.HIGH)
        for p in extra
        if p not in known
    )
    return tuple(found)


def lookup(path: str) -> ManagementPath:
    """The table entry for a probed path (declared paths are HIGH)."""
    for entry in _BUILTIN:
        if entry.path == path:
            return entry
    if path.endswith("/metadata"):
        return ManagementPath(
            path=path, platform="TF Serving model metadata", gravity=Gravity.MEDIUM
        )
    return ManagementPath(path=path, platform="declared management path", gravity=Gravity.HIGH)
