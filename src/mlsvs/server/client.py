"""Upload a results document to an ``mlsvs server`` (used by ``mlsvs push`` and ``verify``).

Only httpx is needed on the CI side; nothing of the server (FastAPI, SQLAlchemy) is imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from mlsvs.errors import MlsvsError

TOKEN_ENV = "MLSVS_SERVER_TOKEN"  # noqa: S105 - the variable name, not a secret


class UploadError(MlsvsError):
    """The server refused the document or could not be reached."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Uploaded:
    """The server's answer."""

    run_id: int
    system: str
    created: bool
    url: str


def resolve_token(token: str | None) -> str:
    """``--token`` or ``$MLSVS_SERVER_TOKEN``; ``UploadError`` when neither is set."""
    value = token or os.environ.get(TOKEN_ENV, "")
    if not value.strip():
        raise UploadError(f"no API token: pass --token or set {TOKEN_ENV}")
    return value.strip()


def post_document(
    url: str, path: str, body: bytes, token: str, *, timeout: float = 60.0
) -> tuple[str, dict[str, Any]]:
    """POST a JSON ``body`` to ``URL/<path>`` with the API token: the server's base URL and its
    JSON answer; ``UploadError`` for a bad URL, an unreachable server or a refusal."""
    import httpx

    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise UploadError(f"server URL must start with http:// or https://, got {url!r}")
    endpoint = f"{base}/{path}"
    try:
        response = httpx.post(
            endpoint,
            content=body,
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise UploadError(f"cannot reach {endpoint}: {exc}") from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code not in {200, 201} or not isinstance(data, dict):
        detail = data.get("detail") if isinstance(data, dict) else None
        raise UploadError(
            f"server refused the upload ({response.status_code}): {detail or response.text[:200]}"
        )
    return base, data


def upload(url: str, body: bytes, token: str, *, timeout: float = 60.0) -> Uploaded:
    """POST ``body`` (a results.json) to ``URL/api/v1/runs``."""
    base, data = post_document(url, "api/v1/runs", body, token, timeout=timeout)
    return Uploaded(
        run_id=int(data["run_id"]),
        system=str(data["system"]),
        created=bool(data["created"]),
        url=f"{base}{data['url']}",
    )
