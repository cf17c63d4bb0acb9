"""Matchers for transport and credentials: TLS verification, plain HTTP, hard-coded tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.codescan.calls import CallHit, argument, is_plain_http, kwarg, method, root
from mlsvs.codescan.rules import CodeRule
from mlsvs.codescan.secrets.patterns import known_shape, looks_random

if TYPE_CHECKING:
    import ast

    from mlsvs.codescan.names import Scopes

_HTTP_ROOTS = frozenset({"requests", "httpx", "urllib3", "aiohttp"})
_HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "head", "request", "stream", "send", "urlopen"}
)
_DOWNLOADS = frozenset(
    {
        "urllib.request.urlretrieve",
        "urllib.request.urlopen",
        "urllib.request.Request",
        "urllib.urlretrieve",
        "urllib.urlopen",
        "wget.download",
        "gdown.download",
        "torch.hub.download_url_to_file",
        "torch.hub.load_state_dict_from_url",
        "torch.utils.model_zoo.load_url",
        "keras.utils.get_file",
        "tensorflow.keras.utils.get_file",
        "pandas.read_csv",
        "pandas.read_parquet",
        "datasets.load_dataset",
    }
)
_UNVERIFIED_REFS = frozenset(
    {
        "ssl._create_unverified_context",
        "ssl.CERT_NONE",
        "ssl.VerifyMode.CERT_NONE",
        "ssl._create_stdlib_context",
    }
)
TOKEN_KEYWORDS = frozenset(
    {
        "token",
        "use_auth_token",
        "hf_token",
        "api_key",
        "auth_token",
        "access_token",
        "openai_api_key",
        "anthropic_api_key",
        "github_token",
        "wandb_api_key",
    }
)
LOGIN_CALLS = frozenset({"huggingface_hub.login", "wandb.login"})
_TOKEN_ENV = frozenset(
    {
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HUGGINGFACEHUB_API_TOKEN",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "WANDB_API_KEY",
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "COHERE_API_KEY",
    }
)
_TLS_OFF_ENV = {"CURL_CA_BUNDLE": "", "REQUESTS_CA_BUNDLE": "", "PYTHONHTTPSVERIFY": "0"}
_ENDPOINT_ENV = frozenset({"HF_ENDPOINT", "HF_HUB_ENDPOINT", "HUGGINGFACE_CO_URL_HOME"})


def tls_call(call: ast.Call, qualname: str | None, scopes: Scopes) -> list[CallHit]:
    """``verify=False`` / ``ssl=False`` / ``cert_reqs="CERT_NONE"`` on HTTP clients."""
    http = root(qualname) in _HTTP_ROOTS or method(call) in _HTTP_METHODS
    hits: list[CallHit] = []
    for name in ("verify", "ssl", "verify_ssl"):
        value = kwarg(call, name)
        if value is not None and http and scopes.const(value) == (True, False):
            hits.append(
                CallHit(
                    rule=CodeRule.MLCODE012,
                    node=value,
                    message=f"{name}=False turns off certificate verification",
                )
            )
    reqs = scopes.const_str(kwarg(call, "cert_reqs"))
    if reqs == "CERT_NONE":
        hits.append(CallHit(rule=CodeRule.MLCODE012, node=call, message='cert_reqs="CERT_NONE"'))
    return hits


def tls_reference(node: ast.expr, qualname: str | None) -> list[CallHit]:
    """Any use of ``ssl._create_unverified_context`` or ``ssl.CERT_NONE``."""
    if qualname in _UNVERIFIED_REFS:
        return [
            CallHit(rule=CodeRule.MLCODE012, node=node, message=f"{qualname} disables verification")
        ]
    return []


def tls_attribute_store(target: ast.Attribute, value: ast.expr, scopes: Scopes) -> list[CallHit]:
    """``session.verify = False`` and ``ctx.check_hostname = False``."""
    if target.attr in {"verify", "check_hostname"} and scopes.const(value) == (True, False):
        return [
            CallHit(
                rule=CodeRule.MLCODE012,
                node=target,
                message=f".{target.attr} = False turns off certificate verification",
            )
        ]
    return []


def plain_http(call: ast.Call, qualname: str | None, scopes: Scopes) -> list[CallHit]:
    """Downloads from ``http://`` URLs, and hub endpoints set to plain HTTP."""
    hits: list[CallHit] = []
    endpoint = scopes.const_str(kwarg(call, "endpoint", "hf_endpoint"))
    if endpoint is not None and is_plain_http(endpoint):
        hits.append(
            CallHit(
                rule=CodeRule.MLCODE013,
                node=call,
                message=f"hub endpoint {endpoint!r} is plain HTTP",
            )
        )
    is_download = (
        qualname in _DOWNLOADS
        or root(qualname) in _HTTP_ROOTS
        or (qualname is None and method(call) in _HTTP_METHODS)
    )
    if not is_download:
        return hits
    candidates = [argument(call, 0, "url", "origin", "fname"), argument(call, 1, "url", "origin")]
    for node in candidates:
        url = scopes.const_str(node) if node is not None else None
        if url is not None and is_plain_http(url):
            hits.append(
                CallHit(
                    rule=CodeRule.MLCODE013,
                    node=call,
                    message=f"download from {url!r} over plain HTTP",
                )
            )
            break
    return hits


def hardcoded_token(call: ast.Call, qualname: str | None, scopes: Scopes) -> list[CallHit]:
    """Token/API-key keyword arguments (and ``login("hf_...")``) given string literals."""
    hits: list[CallHit] = []
    values = [(k.arg, k.value) for k in call.keywords if k.arg in TOKEN_KEYWORDS]
    first = argument(call, 0, "key", "token")
    if qualname in LOGIN_CALLS and first is not None:
        values.append(("key", first))
    for name, node in values:
        text = scopes.const_str(node)
        if text is None:
            continue
        kind = known_shape(text)
        if kind is not None or looks_random(text):
            shown = kind.value if kind is not None else "high-entropy string"
            hits.append(
                CallHit(
                    rule=CodeRule.MLCODE014,
                    node=node,
                    message=f"{name}= is a hard-coded credential ({shown})",
                )
            )
    return hits


def env_write(
    key: str | None, value: ast.expr | None, node: ast.AST, scopes: Scopes
) -> list[CallHit]:
    """``os.environ[KEY] = value`` (and setdefault/putenv) for endpoint, TLS and token variables."""
    text = scopes.const_str(value) if value is not None else None
    if key is None or text is None:
        return []
    if key in _ENDPOINT_ENV and is_plain_http(text):
        return [
            CallHit(rule=CodeRule.MLCODE013, node=node, message=f"{key} set to plain-HTTP {text!r}")
        ]
    if key in _TLS_OFF_ENV and text.strip() == _TLS_OFF_ENV[key]:
        return [
            CallHit(
                rule=CodeRule.MLCODE012, node=node, message=f"{key}={text!r} disables verification"
            )
        ]
    if key in _TOKEN_ENV and (known_shape(text) is not None or looks_random(text)):
        return [
            CallHit(
                rule=CodeRule.MLCODE014, node=node, message=f"{key} set to a hard-coded credential"
            )
        ]
    return []


def token_assignment(name: str, value: ast.expr, node: ast.AST, scopes: Scopes) -> list[CallHit]:
    """``HF_TOKEN = "hf_..."`` / ``api_key = "..."``: a credential bound to a variable."""
    if name.lower() in TOKEN_KEYWORDS or name.upper() in _TOKEN_ENV:
        text = scopes.const_str(value)
        if text is not None and (known_shape(text) is not None or looks_random(text)):
            return [
                CallHit(
                    rule=CodeRule.MLCODE014, node=node, message=f"{name} is a hard-coded credential"
                )
            ]
    return []
