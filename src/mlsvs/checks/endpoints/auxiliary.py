"""Auxiliary endpoints under the main endpoint's controls (MLC1035, M8.4.3).

Against each declared inference endpoint that requires a credential (``auth_env``), with
``--allow network``: the auxiliary routes a model server commonly exposes next to the
prediction route — explanations, embeddings, score/confidence and batch or streaming variants,
model metadata, metrics and the API documentation — plus every operation of its OpenAPI
document and the paths listed in the configuration are requested *without* the credential.
Any that answers 2xx (and is not the server's catch-all answer) escapes the main endpoint's
authentication. The routes that answer *with* the credential are the server's auxiliary
surface; each must appear in the declared inventory, else an undocumented route answers::

    [auxiliary]
    inventory = ["POST /v1/models/credit:predict", "POST /v1/models/credit:explain",
                 "GET /v1/models/credit"]
    public = ["GET /healthz"]     # liveness routes that may answer anyone (default: health)
    paths = ["POST /v1/score/batch"]   # more candidates to try

Routes whose path suggests a state change (reload, delete, upload ...) are never requested.
Quotas and leakage tests of each route are the hybrid requirement's review part.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.endpoints._calls import Caller, auth_header, described, json_body, ok, secret
from mlsvs.errors import ConfigError
from mlsvs.plugin import (
    Capability,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    errored,
    failed,
    not_applicable,
    not_verified,
    passed,
)
from mlsvs.probes.routes import DISCOVERY_PATHS, STATE_CHANGING
from mlsvs.probes.surface import CONTROL_PATH
from mlsvs.probes.types import RequestKind

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.plugin import CheckContext, Endpoint, Outcome
    from mlsvs.probes.types import Exchange

TRAIT = "exposes_inference_api"
_POST_NAMES = (
    "explain",
    "explanations",
    "embeddings",
    "embed",
    "batch",
    "predict_batch",
    "batch_predict",
    "stream",
    "predict_stream",
    "predict_proba",
    "proba",
    "scores",
    "confidence",
    "infer",
)
_GET_NAMES = (
    "metadata",
    "model",
    "model_info",
    "info",
    "metrics",
    "docs",
    "redoc",
    "openapi.json",
    "schema",
    "labels",
)
DEFAULT_PUBLIC = ("/health", "/healthz", "/livez", "/readyz", "/ready", "/live", "/ping")
_KSERVE_V1 = re.compile(r"^(?P<model>.*/models/[^/:]+)(?::predict)$")
_KSERVE_V2 = re.compile(r"^(?P<model>.*/v2/models/[^/]+(?:/versions/[^/]+)?)/infer$")
_ROUTE = re.compile(r"^(GET|POST|PUT|PATCH) (/\S*)$")


def _routes(value: object, where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"auxiliary.{where} must be a list of 'METHOD /path' strings")
    out = []
    for v in value:
        m = _ROUTE.match(v.strip())
        if not m:
            raise ConfigError(f"auxiliary.{where}: {v!r} is not 'METHOD /path'")
        out.append((m.group(1), m.group(2)))
    return tuple(out)


def candidates(main: str) -> list[tuple[str, str]]:
    """Auxiliary routes to try for a main prediction path (pure)."""
    path = main.split("?", 1)[0]
    out: list[tuple[str, str]] = []
    if m := _KSERVE_V1.match(path):
        model = m.group("model")
        out += [("POST", f"{model}:explain"), ("GET", model), ("GET", f"{model}/metadata")]
    if m := _KSERVE_V2.match(path):
        model = m.group("model")
        out += [("GET", model), ("GET", f"{model}/config"), ("GET", f"{model}/stats")]
    parts = path.strip("/").split("/")[:-1]
    for prefix in ["", *("/" + "/".join(parts[: i + 1]) for i in range(len(parts)))]:
        out += [("POST", f"{prefix}/{n}") for n in _POST_NAMES]
        out += [("GET", f"{prefix}/{n}") for n in _GET_NAMES]
    return list(dict.fromkeys(r for r in out if r[1] != path))


def openapi_routes(caller: Caller, headers: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """The operations of the server's OpenAPI document, if it serves one to this caller."""
    for doc_path in DISCOVERY_PATHS:
        ex = caller.send("GET", doc_path, headers=headers, kind=RequestKind.DISCOVERY)
        doc = json_body(ex) if ok(ex) else None
        paths = doc.get("paths") if isinstance(doc, dict) else None
        if isinstance(paths, dict):
            return [
                (method.upper(), str(p))
                for p, ops in paths.items()
                if isinstance(ops, dict)
                for method in ops
                if method.upper() in {"GET", "POST"} and "{" not in str(p)
            ]
    return []


def _same_as(a: Exchange, b: Exchange) -> bool:
    return a.status == b.status and a.body.strip() == b.body.strip()


def probe(
    endpoint: Endpoint, settings: Mapping[str, object], credential: str
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(open routes, undocumented routes, routes checked, setup problems)."""
    import json

    caller = Caller(url=endpoint.url, secrets=(credential,))
    main = caller.address.path
    body = json.loads(endpoint.request_template) if endpoint.request_template.strip() else None
    auth = auth_header(endpoint, credential)
    method = endpoint.method.upper()
    base = caller.send(method, main, headers=auth, body=body)
    if not ok(base):
        return [], [], [], [f"the main endpoint does not answer its credential: {described(base)}"]
    bare = caller.send(method, main, body=body, kind=RequestKind.NO_AUTH)
    if ok(bare):
        return [], [], [], ["the main endpoint itself answers without a credential (M8.1.1)"]
    control = caller.send("GET", CONTROL_PATH, kind=RequestKind.CONTROL)
    control_post = caller.send("POST", CONTROL_PATH, body=body, kind=RequestKind.CONTROL)
    public = set(_routes(settings.get("public"), "public")) | {("GET", p) for p in DEFAULT_PUBLIC}
    inventory = set(_routes(settings.get("inventory"), "inventory"))
    routes = list(
        dict.fromkeys(
            [
                *candidates(main),
                *openapi_routes(caller, auth),
                *_routes(settings.get("paths"), "paths"),
            ]
        )
    )
    opened: list[str] = []
    undocumented: list[str] = []
    checked: list[str] = []
    for verb, path in routes:
        if (verb, path) in public or path == main or STATE_CHANGING.search(path):
            continue
        send_body = body if verb != "GET" else None
        ctrl = control if verb == "GET" else control_post
        anon = caller.send(verb, path, body=send_body, kind=RequestKind.ROUTE_NO_AUTH)
        label = f"{verb} {path}"
        if ok(anon) and not _same_as(anon, ctrl):
            opened.append(f"{label} -> {anon.status} without a credential")
        authed = caller.send(verb, path, headers=auth, body=send_body)
        if (ok(authed) and not _same_as(authed, ctrl)) or label in opened:
            checked.append(label)
            if inventory and (verb, path) not in inventory:
                undocumented.append(label)
    return opened, undocumented, checked, []


@check(
    id="MLC1035",
    title="Auxiliary routes (explain, embeddings, batch, metadata, docs) need the credential",
    requirements=["M8.4.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities={Capability.NETWORK},
    reads=(),
    timeout_s=600.0,
    remediation="Attach the same authentication dependency/gateway policy to every route of "
    "the model server (or disable explain/metadata/docs routes), and list the routes in "
    "[auxiliary] inventory.",
)
def auxiliary_routes_controlled(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every auxiliary route that answers must refuse a request without the credential, and
    (with an inventory declared) be listed in it."""
    if not project.endpoints:
        if TRAIT in project.traits:
            yield errored(f"the project declares {TRAIT}: declare the endpoint ([[endpoints]])")
        else:
            yield not_applicable("no inference endpoint declared")
        return
    if not ctx.granted(Capability.NETWORK):
        yield errored("probing endpoints needs --allow network")
        return
    settings = ctx.section("auxiliary")
    for ep in project.endpoints:
        credential = secret(ep.auth_env)
        if not ep.auth_env:
            yield not_verified(
                f"{ep.name}: the endpoint declares no credential (auth_env), so there is no "
                "control for its auxiliary routes to share",
                Gap(item=ep.name, reason=GapReason.NOT_PRESENT, detail="no auth_env"),
                key=ep.name,
            )
            continue
        if not credential:
            yield errored(f"{ep.name}: set the credential in ${ep.auth_env}", key=ep.name)
            continue
        try:
            opened, undocumented, checked, setup = probe(ep, settings, credential)
        except (ConfigError, ValueError) as exc:
            yield errored(f"{ep.name}: {exc}", key=ep.name)
            continue
        facts = tuple(("route", r) for r in checked)
        if setup:
            yield not_verified(
                f"{ep.name}: {setup[0]}",
                Gap(item=ep.name, reason=GapReason.UNSUPPORTED, detail=setup[0][:300]),
                key=ep.name,
            )
        elif opened or undocumented:
            parts = [*opened, *(f"{r} answers but is not in the inventory" for r in undocumented)]
            yield failed(f"{ep.name}: " + "; ".join(parts[:8]), key=ep.name, facts=facts)
        elif not settings.get("inventory"):
            yield not_verified(
                f"{ep.name}: {len(checked)} auxiliary route(s) answer and all refuse a request "
                "without the credential, but no inventory ([auxiliary] inventory) says which "
                "routes should exist",
                Gap(item=f"{ep.name} inventory", reason=GapReason.NOT_PRESENT),
                key=ep.name,
                facts=facts,
            )
        else:
            shown = ", ".join(checked) or "none besides the main route"
            yield passed(
                f"{ep.name}: every auxiliary route refuses a request without the credential "
                f"and is inventoried ({shown})",
                key=ep.name,
                facts=facts,
            )
