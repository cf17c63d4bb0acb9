"""Hugging Face Hub repositories and organisations through ``huggingface_hub``.

``hf://org`` lists every model of an author, ``hf://org/name[@revision]`` one repository. The
revision is pinned to a commit before listing, and files are read from that commit with ranged
requests. A file's identity is its LFS SHA-256 (the same digest a local copy has, so one
checkpoint mirrored in several places is scanned once) or its git blob id.
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


def endpoint_of(value: str) -> str:
    """``--hf-endpoint``, else ``HF_ENDPOINT``, else the public Hub."""
    return (value or os.environ.get("HF_ENDPOINT", "") or "https://huggingface.co").rstrip("/")


def _token() -> str | None:
    return os.environ.get("HF_TOKEN") or None


def list_hub(source: str, endpoint: str) -> Iterator[Item | ListingError]:
    """Every file of the repository (or of every model repository of the organisation)."""
    from huggingface_hub import HfApi, RepoFile
    from huggingface_hub.errors import HfHubHTTPError

    base = endpoint_of(endpoint)
    spec, _, revision = source.removeprefix("hf://").partition("@")
    spec = spec.strip("/")
    if not spec:
        yield ListingError(source=source, uri=source, message="no repository or organisation")
        return
    api = HfApi(endpoint=base, token=_token())
    try:
        repos = [spec] if "/" in spec else [m.id for m in api.list_models(author=spec)]
    except (HfHubHTTPError, OSError) as exc:
        yield ListingError(source=source, uri=source, message=f"Hub listing failed: {exc}")
        return
    for repo in repos:
        try:
            sha = api.model_info(repo, revision=revision or None).sha or revision or "main"
            entries = list(api.list_repo_tree(repo, recursive=True, revision=sha))
        except (HfHubHTTPError, OSError) as exc:
            yield ListingError(source=source, uri=f"hf://{repo}", message=f"Hub listing: {exc}")
            continue
        for entry in entries:
            if not isinstance(entry, RepoFile):  # a folder
                continue
            size = entry.size
            lfs = entry.lfs
            oid = lfs.sha256 if lfs is not None else ""
            fingerprint = f"sha256:{oid}" if oid else f"gitblob:{entry.blob_id}"
            yield Item(
                kind=SourceKind.HF,
                source=source,
                uri=f"hf://{repo}@{sha}/{entry.path}",
                size=int(size),
                fingerprint=fingerprint,
                locator=(
                    ("endpoint", base),
                    ("repo", repo),
                    ("revision", sha),
                    ("path", entry.path),
                ),
            )


class HubFetcher:
    """Ranged GETs on ``/{repo}/resolve/{revision}/{path}`` (redirects to a CDN followed)."""

    def __init__(self, item: Item) -> None:
        from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

        path = quote(item.get("path"))
        self._url = (
            f"{item.get('endpoint')}/{item.get('repo')}/resolve/{item.get('revision')}/{path}"
        )
        self._headers: dict[str, str] = dict(build_hf_headers(token=_token()))

    def _session(self) -> Any:  # noqa: ANN401 - huggingface_hub's httpx client
        from huggingface_hub import get_session

        return get_session()

    def fetch(self, start: int, end: int) -> bytes | None:
        headers = {**self._headers, "Range": f"bytes={start}-{end - 1}"}
        try:
            with self._session().stream(
                "GET", self._url, headers=headers, follow_redirects=True
            ) as response:
                if response.status_code == 200:
                    return None  # range ignored: the reader spools the whole object instead
                if response.status_code != 206:
                    raise RemoteReadError(f"Hub read failed: HTTP {response.status_code}")
                return b"".join(response.iter_bytes())
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - httpx transport errors are not OSError
            raise RemoteReadError(f"Hub read failed: {type(exc).__name__}: {exc}") from None

    def stream(self) -> Iterator[bytes]:
        try:
            with self._session().stream(
                "GET", self._url, headers=self._headers, follow_redirects=True
            ) as response:
                if response.status_code != 200:
                    raise RemoteReadError(f"Hub read failed: HTTP {response.status_code}")
                yield from response.iter_bytes(CHUNK)
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - httpx transport errors are not OSError
            raise RemoteReadError(f"Hub read failed: {type(exc).__name__}: {exc}") from None
