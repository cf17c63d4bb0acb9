"""The little HTTP the advisory database needs: bounded downloads and JSON requests (stdlib).

Every response is size-bounded (a hostile or broken mirror cannot fill the disk or memory), only
``http``/``https`` URLs are followed, and failures raise ``AdvisoryError`` naming the URL.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.supply.errors import AdvisoryError

if TYPE_CHECKING:
    from pathlib import Path

USER_AGENT = "mlsvs-advisories (+https://owasp.org/www-project-machine-learning-security-verification-standard/)"
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Download:
    """A completed, size-checked download."""

    url: str
    size: int
    sha256: str
    etag: str = ""
    last_modified: str = ""


def _check_url(url: str) -> None:
    from urllib.parse import urlsplit

    if urlsplit(url).scheme not in {"http", "https"}:
        raise AdvisoryError(f"only http(s) URLs are fetched, not {url!r}")


def _open(url: str, *, data: bytes | None, timeout: float, headers: dict[str, str]) -> object:
    import urllib.error
    import urllib.request

    _check_url(url)
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=data, headers={"User-Agent": USER_AGENT, **headers}
    )
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310
    except urllib.error.HTTPError as exc:
        raise AdvisoryError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AdvisoryError(f"{url}: cannot connect: {reason}") from None


def download(url: str, target: Path, *, max_bytes: int, timeout: float = 60.0) -> Download:
    """Stream ``url`` into ``target``, hashing as it goes; refuse more than ``max_bytes``."""
    response = _open(url, data=None, timeout=timeout, headers={})
    digest = hashlib.sha256()
    size = 0
    with response as stream:  # type: ignore[attr-defined]
        declared = stream.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise AdvisoryError(f"{url}: {declared} bytes is more than the {max_bytes} limit")
        try:
            with target.open("wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise AdvisoryError(f"{url}: more than the {max_bytes}-byte limit")
                    digest.update(chunk)
                    out.write(chunk)
        except (OSError, TimeoutError) as exc:
            raise AdvisoryError(f"{url}: download interrupted: {exc}") from None
        if declared is not None and declared.isdigit() and int(declared) != size:
            raise AdvisoryError(f"{url}: truncated ({size} of {declared} bytes)")
        return Download(
            url=url,
            size=size,
            sha256=digest.hexdigest(),
            etag=stream.headers.get("ETag", "") or "",
            last_modified=stream.headers.get("Last-Modified", "") or "",
        )


def request_json(
    url: str,
    *,
    body: object | None = None,
    max_bytes: int = 32 * 1024 * 1024,
    timeout: float = 30.0,
) -> object:
    """GET (or POST ``body`` as JSON) and parse the JSON answer, bounded to ``max_bytes``."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json"} if data is not None else {}
    response = _open(url, data=data, timeout=timeout, headers=headers)
    with response as stream:  # type: ignore[attr-defined]
        try:
            raw = stream.read(max_bytes + 1)
        except (OSError, TimeoutError) as exc:
            raise AdvisoryError(f"{url}: read failed: {exc}") from None
    if len(raw) > max_bytes:
        raise AdvisoryError(f"{url}: answer larger than {max_bytes} bytes")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AdvisoryError(f"{url}: answer is not JSON: {exc}") from None
