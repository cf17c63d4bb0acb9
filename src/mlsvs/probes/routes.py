"""Which routes to test for authentication: aliases of the endpoint's path, other methods, and
the operations of the server's OpenAPI / Swagger document when it exposes one (pure)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

DISCOVERY_PATHS = (
    "/openapi.json",
    "/swagger.json",
    "/v3/api-docs",
    "/v2/api-docs",
    "/api-docs",
    "/swagger/v1/swagger.json",
    "/api/openapi.json",
    "/v1/openapi.json",
    "/docs.json",
)
"""Where servers publish their API description (FastAPI, Flask-RESTX, springdoc, BentoML ...)."""
DOCS_PAGES = ("/docs", "/redoc", "/swagger-ui.html", "/swagger-ui/index.html")
"""Interactive docs pages; they name the document they render."""
_SPEC_IN_PAGE = re.compile(
    r"""(?:\burl\s*:\s*|spec-url\s*=\s*|"url"\s*:\s*)["']([^"'\s<>]{1,200}\.(?:json|yaml|yml)|/[^"'\s<>]{1,200}api-docs[^"'\s<>]{0,60})["']"""
)
_PUBLIC_BY_CONVENTION = re.compile(
    r"^/(?:|health|healthz|healthcheck|livez|readyz|ready|live|liveness|readiness|ping|status|"
    r"version|favicon\.ico|robots\.txt|docs|redoc|openapi\.json|docs\.json|swagger\.json|"
    r"docs/oauth2-redirect|metrics)/?$",
    re.IGNORECASE,
)
"""GET routes that are public by convention: not an authentication finding (``/metrics`` and
the docs are judged by the management-surface check instead)."""
_VERSION_PREFIX = re.compile(r"^/(?:api/)?(?:v\d+(?:\.\d+)?/)?(?=.)", re.IGNORECASE)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
STATE_CHANGING = re.compile(
    r"reload|upload|shutdown|restart|delete|remove|register|unload|deploy|train|retrain|"
    r"update|config|scale|kill|stop|reset|import|purge|drop|create|write",
    re.IGNORECASE,
)
"""Routes that could change the server's state: listed, never requested by the probes."""
_SAFE_METHODS = ("get", "post", "put", "patch")
"""DELETE is never sent; state-changing routes (``STATE_CHANGING``) are reported, not
requested."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """A route to send the valid request to without a credential."""

    method: str
    path: str
    source: str
    """Where it came from: "alias", "method", "openapi"."""

    @property
    def label(self) -> str:
        """``METHOD /path``."""
        return f"{self.method} {self.path}"

    @property
    def has_body(self) -> bool:
        """Whether the valid request body is sent."""
        return self.method in _BODY_METHODS


def alias_routes(path: str, method: str) -> tuple[Route, ...]:
    """Spellings of the endpoint's path that routers or gateways often treat alike, and the
    other methods on the path itself (the path itself is excluded: it is probed already)."""
    bare = path.split("?", 1)[0] or "/"
    core = _VERSION_PREFIX.sub("/", bare, count=1)
    spellings = [
        core,
        f"/v1{core}",
        f"/v2{core}",
        f"/api{core}",
        f"/api/v1{core}",
        bare[:-1] if bare.endswith("/") and len(bare) > 1 else f"{bare}/",
        f"/{bare}" if not bare.startswith("//") else bare,
        bare.upper(),
        f"{bare}/." if not bare.endswith("/") else f"{bare}.",
    ]
    seen = {bare}
    routes: list[Route] = []
    for spelling in spellings:
        if spelling not in seen:
            seen.add(spelling)
            routes.append(Route(method=method, path=spelling, source="alias"))
    others = ("POST", "PUT", "PATCH", "GET")
    routes.extend(
        Route(method=m, path=bare, source="method") for m in others if m != method.upper()
    )
    return tuple(routes)


def public_by_convention(route: Route, declared: tuple[str, ...]) -> bool:
    """Whether a route may answer without a credential: declared public, or a GET health /
    docs route."""
    bare = route.path.split("?", 1)[0]
    if bare in declared or bare.rstrip("/") in declared:
        return True
    return route.method == "GET" and _PUBLIC_BY_CONVENTION.match(bare) is not None


def spec_urls(page: str) -> tuple[str, ...]:
    """Same-host document paths a Swagger UI / ReDoc page loads (``url: '/openapi.json'``)."""
    found: list[str] = []
    for match in _SPEC_IN_PAGE.finditer(page[:200_000]):
        url = match.group(1)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not url.startswith("/"):
            continue  # another host, or relative: not followed
        if url not in found:
            found.append(url)
    return tuple(found[:4])


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiDocument:
    """The operations an OpenAPI / Swagger document lists."""

    routes: tuple[Route, ...]
    skipped: tuple[tuple[str, str], ...]
    """(operation, why) for operations not requested (state-changing, path parameters ...)."""


def parse_document(text: str, endpoint_path: str) -> ApiDocument | None:
    """Operations of an OpenAPI 3 / Swagger 2 JSON document; None when ``text`` is not one."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    paths = document.get("paths")
    if not isinstance(paths, dict) or not ("openapi" in document or "swagger" in document):
        return None
    base = _base_path(document)
    routes: list[Route] = []
    skipped: list[tuple[str, str]] = []
    for raw_path, operations in list(paths.items())[:500]:
        if not isinstance(raw_path, str) or not isinstance(operations, dict):
            continue
        full = _join(base, raw_path)
        for method in operations:
            if not isinstance(method, str):
                continue
            upper = method.upper()
            if method.lower() not in _SAFE_METHODS:
                if upper == "DELETE":
                    skipped.append((f"{upper} {full}", "never sent: DELETE"))
                continue
            concrete = _fill_parameters(full, endpoint_path)
            if concrete is None:
                skipped.append((f"{upper} {full}", "path parameters not known"))
                continue
            if STATE_CHANGING.search(concrete) and upper != "GET":
                skipped.append((f"{upper} {full}", "could change state: never sent"))
                continue
            routes.append(Route(method=upper, path=concrete, source="openapi"))
    return ApiDocument(routes=tuple(routes), skipped=tuple(skipped))


def _base_path(document: dict[str, object]) -> str:
    base = document.get("basePath")
    if isinstance(base, str) and base.startswith("/"):
        return base.rstrip("/")
    servers = document.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = servers[0].get("url")
        if isinstance(url, str):
            path = urlsplit(url).path if "://" in url else url
            if path.startswith("/") and "{" not in path:
                return path.rstrip("/")
    return ""


def _join(base: str, path: str) -> str:
    joined = f"{base}/{path.lstrip('/')}" if base else path
    return joined if joined.startswith("/") else f"/{joined}"


def _fill_parameters(template: str, endpoint_path: str) -> str | None:
    """``/models/{name}/predict`` → the endpoint's own path when it matches; else None."""
    if "{" not in template:
        return template
    pattern = "^" + re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(template)) + "$"
    bare = endpoint_path.split("?", 1)[0]
    return bare if re.match(pattern, bare) else None
