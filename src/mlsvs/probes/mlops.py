"""Unauthenticated probes of MLOps services (MLSVS M9.2.1): tracking, registries, notebooks,
orchestrators and compute dashboards must refuse requests that carry no credential.

Only the URLs declared in ``[tool.mlsvs.mlops]`` are contacted, with read-only GET requests,
no credentials, no redirects followed and a bounded number of requests per service.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from mlsvs.errors import ConfigError


@enum.unique
class ServiceKind(enum.StrEnum):
    """MLOps services with known read-only API routes."""

    MLFLOW = "mlflow"
    KUBEFLOW = "kubeflow"
    RAY = "ray"
    TENSORBOARD = "tensorboard"
    JUPYTER = "jupyter"
    GENERIC = "generic"


ROUTES: Mapping[ServiceKind, tuple[str, ...]] = {
    ServiceKind.MLFLOW: (
        "/api/2.0/mlflow/registered-models/search?max_results=1",
        "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default",
        "/ajax-api/2.0/mlflow/registered-models/search?max_results=1",
    ),
    ServiceKind.KUBEFLOW: (
        "/pipeline/apis/v2beta1/pipelines?page_size=1",
        "/pipeline/apis/v1beta1/pipelines?page_size=1",
        "/pipeline/apis/v2beta1/runs?page_size=1",
    ),
    ServiceKind.RAY: ("/api/version", "/api/jobs/", "/nodes?view=summary"),
    ServiceKind.TENSORBOARD: ("/data/environment", "/data/runs", "/data/plugins_listing"),
    ServiceKind.JUPYTER: ("/api/kernels", "/api/contents", "/api/sessions"),
    ServiceKind.GENERIC: (),
}
"""Read-only routes that return data or reveal function when unauthenticated."""
UI_MARKERS: Mapping[ServiceKind, str] = {
    ServiceKind.MLFLOW: "mlflow",
    ServiceKind.KUBEFLOW: "kubeflow",
    ServiceKind.RAY: "ray dashboard",
    ServiceKind.TENSORBOARD: "tensorboard",
    ServiceKind.JUPYTER: "jupyter",
    ServiceKind.GENERIC: "",
}
_LOGIN = re.compile(r"log ?in|sign ?in|auth|sso|oauth|saml|dex|keycloak|cognito", re.I)
_PASSWORD_FIELD = re.compile(r"type=[\"']?password", re.I)


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """One declared MLOps service."""

    name: str
    kind: ServiceKind
    url: str
    paths: tuple[str, ...] = ()
    """Extra read-only paths to try (``generic`` services need at least one)."""


DEPLOYED: Mapping[ServiceKind, re.Pattern[str]] = {
    ServiceKind.MLFLOW: re.compile(
        r"\bmlflow\s+(server|ui)\b|ghcr\.io/mlflow|\bmlflow/mlflow\b", re.I
    ),
    ServiceKind.KUBEFLOW: re.compile(r"\bkubeflow\b|\bml-pipeline(-ui)?\b", re.I),
    ServiceKind.RAY: re.compile(
        r"rayproject/ray|\bray\s+start\b[^\n]*--head|kind:\s*RayCluster", re.I
    ),
    ServiceKind.TENSORBOARD: re.compile(r"\btensorboard\b[^\n]*--(bind_all|host)", re.I),
    ServiceKind.JUPYTER: re.compile(
        r"\bjupyter(-lab|\s+lab|\s+notebook|hub)\b|jupyter/[a-z-]*notebook", re.I
    ),
}
"""Signs in a Dockerfile, compose file or manifest that the project itself runs the service."""


def deployed_services(texts: Mapping[str, str]) -> tuple[tuple[ServiceKind, str], ...]:
    """``(kind, path)`` for every deployment file that runs an MLOps service (pure)."""
    return tuple(
        (kind, path)
        for path, text in sorted(texts.items())
        for kind, pattern in DEPLOYED.items()
        if pattern.search(text)
    )


def parse_services(section: Mapping[str, object]) -> tuple[Service, ...]:
    """``[[tool.mlsvs.mlops.services]]`` entries: name, kind, url, optional paths."""
    unknown = sorted(set(section) - {"services"})
    if unknown:
        raise ConfigError(f"mlops.{unknown[0]}: unknown key (known: services)")
    raw = section.get("services", [])
    if not isinstance(raw, list):
        raise ConfigError("mlops.services must be an array of tables")
    out: list[Service] = []
    for i, s in enumerate(raw):
        where = f"mlops.services[{i}]"
        if not isinstance(s, Mapping):
            raise ConfigError(f"{where} must be a table")
        extra = sorted(set(s) - {"name", "kind", "url", "paths"})
        if extra:
            raise ConfigError(f"{where}.{extra[0]}: unknown key (known: kind, name, paths, url)")
        kind, url = s.get("kind"), s.get("url")
        if kind not in {k.value for k in ServiceKind}:
            raise ConfigError(
                f"{where}.kind must be one of {', '.join(k.value for k in ServiceKind)}"
            )
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError(f"{where}.url must be an http(s) URL")
        paths = s.get("paths", [])
        if not isinstance(paths, list) or not all(
            isinstance(p, str) and p.startswith("/") for p in paths
        ):
            raise ConfigError(f"{where}.paths must be a list of paths starting with /")
        if kind == ServiceKind.GENERIC and not paths:
            raise ConfigError(f"{where}: a generic service needs paths to probe")
        name = s.get("name")
        out.append(
            Service(
                name=name if isinstance(name, str) and name else f"{kind}-{i}",
                kind=ServiceKind(str(kind)),
                url=url.rstrip("/"),
                paths=tuple(paths),
            )
        )
    return tuple(out)


@enum.unique
class Answer(enum.StrEnum):
    """What one unauthenticated request got."""

    REFUSED = "refused"
    """401/403, or a redirect to a login page."""
    EXPOSED = "exposed"
    """2xx with data (JSON) or the service's own UI without a login form."""
    ABSENT = "absent"
    """404/405: the route is not there; says nothing about authentication."""
    UNCLEAR = "unclear"
    """Anything else (5xx, another redirect, a page that is not the service's)."""
    UNREACHABLE = "unreachable"


def judge(
    kind: ServiceKind, status: int, headers: Mapping[str, str], body: str, *, ui: bool
) -> Answer:
    """Classify one answer (pure)."""
    if status in (401, 403, 407):
        return Answer.REFUSED
    if 300 <= status < 400:
        return Answer.REFUSED if _LOGIN.search(headers.get("location", "")) else Answer.UNCLEAR
    if status in (404, 405):
        return Answer.ABSENT
    if not 200 <= status < 300:
        return Answer.UNCLEAR
    ctype = headers.get("content-type", "")
    if ui:
        if _PASSWORD_FIELD.search(body) or (_LOGIN.search(body[:4000]) and "<form" in body.lower()):
            return Answer.REFUSED
        marker = UI_MARKERS[kind]
        return Answer.EXPOSED if marker and marker in body.lower() else Answer.UNCLEAR
    if "json" in ctype or body.lstrip()[:1] in ("{", "["):
        return Answer.EXPOSED
    if _PASSWORD_FIELD.search(body):
        return Answer.REFUSED
    return Answer.UNCLEAR


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """One request and its classification."""

    path: str
    status: int
    answer: Answer


def probe_service(service: Service, *, timeout_s: float = 5.0) -> tuple[Probe, ...]:
    """GET each API route (and the UI root) without credentials; never follows redirects."""
    import httpx

    paths = [*ROUTES[service.kind], *service.paths]
    out: list[Probe] = []
    with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
        for path in [*paths, "/"]:
            try:
                r = client.get(
                    service.url + path, headers={"Accept": "application/json, text/html"}
                )
            except httpx.HTTPError:
                out.append(Probe(path=path, status=0, answer=Answer.UNREACHABLE))
                continue
            headers = {k.lower(): v for k, v in r.headers.items()}
            body = r.text[:65536]
            out.append(
                Probe(
                    path=path,
                    status=r.status_code,
                    answer=judge(service.kind, r.status_code, headers, body, ui=path == "/"),
                )
            )
    return tuple(out)
