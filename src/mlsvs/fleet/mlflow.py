"""MLflow Model Registry versions through the MLflow REST API (no mlflow package needed).

``mlflow://`` scans every registered model, ``mlflow://NAME`` every version of one,
``mlflow://NAME/VERSION`` one version. Each version's artifact location comes from
``model-versions/get-download-uri``: ``mlflow-artifacts:`` locations are listed and read through
the tracking server's artifact proxy (ranged reads), ``s3://`` locations through S3 directly.
Other stores are reported as not listed (not verified), never skipped.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mlsvs.fleet.items import Item, ListingError, SourceKind
from mlsvs.fleet.rangeio import RemoteReadError

if TYPE_CHECKING:
    from collections.abc import Iterator

CHUNK = 1 << 20
_API = "/api/2.0/mlflow"
_PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def tracking_of(value: str) -> str:
    """``--mlflow-uri``, else ``MLFLOW_TRACKING_URI``."""
    return (value or os.environ.get("MLFLOW_TRACKING_URI", "")).rstrip("/")


def _auth() -> dict[str, Any]:
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return {"headers": {"Authorization": f"Bearer {token}"}}
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    if user:
        return {"auth": (user, os.environ.get("MLFLOW_TRACKING_PASSWORD", ""))}
    return {}


class _Client:
    def __init__(self, base: str) -> None:
        import httpx

        self._http = httpx.Client(base_url=base, timeout=60, **_auth())

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        import httpx

        try:
            response = self._http.get(endpoint, params=params)
        except httpx.HTTPError as exc:
            raise RemoteReadError(f"MLflow request failed: {exc}") from None
        if response.status_code != 200:
            raise RemoteReadError(f"MLflow {endpoint}: HTTP {response.status_code}")
        doc = response.json()
        return doc if isinstance(doc, dict) else {}

    def pages(self, endpoint: str, key: str, **params: str) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            extra = {"page_token": token} if token else {}
            doc = self.get(endpoint, **params, **extra)
            yield from doc.get(key, ())
            token = str(doc.get("next_page_token") or "")
            if not token:
                return


def list_mlflow(source: str, tracking: str, s3_endpoint: str) -> Iterator[Item | ListingError]:
    """Every artifact file of the selected model versions."""
    base = tracking_of(tracking)
    if not base:
        yield ListingError(
            source=source,
            uri=source,
            message="no MLflow tracking URI (--mlflow-uri or MLFLOW_TRACKING_URI)",
        )
        return
    name, _, version = source.removeprefix("mlflow://").strip("/").partition("/")
    api = _Client(base)
    try:
        names = (
            [name]
            if name
            else [
                m["name"]
                for m in api.pages(f"{_API}/registered-models/search", "registered_models")
            ]
        )
        versions: list[tuple[str, str]] = []
        for model in names:
            if version:
                versions.append((model, version))
                continue
            found = api.pages(
                f"{_API}/model-versions/search", "model_versions", filter=f"name='{model}'"
            )
            versions.extend((model, str(v["version"])) for v in found)
    except (RemoteReadError, KeyError, ValueError) as exc:
        yield ListingError(source=source, uri=source, message=f"MLflow listing failed: {exc}")
        return
    for model, ver in versions:
        yield from _version(api, base, source, model, ver, s3_endpoint)


def _version(
    api: _Client, base: str, source: str, model: str, version: str, s3_endpoint: str
) -> Iterator[Item | ListingError]:
    from mlsvs.fleet.s3 import list_s3

    where = f"mlflow://{model}/{version}"
    try:
        uri = str(
            api.get(f"{_API}/model-versions/get-download-uri", name=model, version=version)[
                "artifact_uri"
            ]
        )
    except (RemoteReadError, KeyError, ValueError) as exc:
        yield ListingError(source=source, uri=where, message=f"MLflow version: {exc}")
        return
    if uri.startswith("s3://"):
        for entry in list_s3(uri, s3_endpoint):
            yield _relabel(entry, source)
        return
    if not uri.startswith("mlflow-artifacts:"):
        scheme = uri.split(":", 1)[0]
        yield ListingError(
            source=source,
            uri=where,
            message=f"artifact store {scheme!r} is not supported; not verified",
        )
        return
    root = uri.removeprefix("mlflow-artifacts:").lstrip("/")
    if uri.startswith("mlflow-artifacts://"):
        root = root.partition("/")[2]  # drop the host part
    try:
        files = list(_walk(api, root.strip("/"), ""))
    except (RemoteReadError, KeyError, ValueError) as exc:
        yield ListingError(source=source, uri=where, message=f"MLflow artifacts: {exc}")
        return
    for rel, size in files:
        yield Item(
            kind=SourceKind.MLFLOW,
            source=source,
            uri=f"{where}/{rel}",
            size=size,
            fingerprint=f"mlflow:{root}/{rel}:{size}",
            locator=(("url", f"{base}{_PROXY}/{quote(root.strip('/'))}/{quote(rel)}"),),
        )


def _walk(api: _Client, root: str, rel: str) -> Iterator[tuple[str, int]]:
    path = f"{root}/{rel}".rstrip("/")
    for entry in api.get(_PROXY, path=path).get("files", ()):
        name = str(entry["path"]).rsplit("/", 1)[-1]
        child = f"{rel}/{name}".lstrip("/")
        if entry.get("is_dir"):
            yield from _walk(api, root, child)
        else:
            yield child, int(entry.get("file_size") or 0)


def _relabel(entry: Item | ListingError, source: str) -> Item | ListingError:
    if isinstance(entry, ListingError):
        return ListingError(source=source, uri=entry.uri, message=entry.message)
    return Item(
        kind=entry.kind,
        source=source,
        uri=entry.uri,
        size=entry.size,
        fingerprint=entry.fingerprint,
        locator=entry.locator,
    )


class MlflowFetcher:
    """Ranged GETs through the tracking server's artifact proxy."""

    def __init__(self, item: Item) -> None:
        self._url = item.get("url")

    def fetch(self, start: int, end: int) -> bytes | None:
        import httpx

        headers = {"Range": f"bytes={start}-{end - 1}", **_auth().get("headers", {})}
        try:
            with httpx.stream(
                "GET", self._url, headers=headers, auth=_auth().get("auth"), timeout=60
            ) as response:
                if response.status_code == 200:
                    return None  # range ignored: the reader spools the object instead
                if response.status_code != 206:
                    raise RemoteReadError(f"MLflow read failed: HTTP {response.status_code}")
                return b"".join(response.iter_bytes())
        except httpx.HTTPError as exc:
            raise RemoteReadError(f"MLflow read failed: {exc}") from None

    def stream(self) -> Iterator[bytes]:
        import httpx

        try:
            with httpx.stream(
                "GET",
                self._url,
                headers=_auth().get("headers", {}),
                auth=_auth().get("auth"),
                timeout=60,
            ) as response:
                if response.status_code != 200:
                    raise RemoteReadError(f"MLflow read failed: HTTP {response.status_code}")
                yield from response.iter_bytes(CHUNK)
        except httpx.HTTPError as exc:
            raise RemoteReadError(f"MLflow read failed: {exc}") from None
