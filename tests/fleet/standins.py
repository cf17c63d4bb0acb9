"""Local stand-ins for the Hugging Face Hub and an MLflow tracking server (127.0.0.1 only).

They implement the endpoints ``huggingface_hub`` and mlsvs' MLflow client call, with the
wire formats of the real services (JSON shapes, 206 partial content), and count the bytes
they serve so tests can prove what a scan read.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


@dataclass
class Served:
    """Bytes served per request path (file content only)."""

    bytes: int = 0
    requests: int = 0
    ranges: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Base(BaseHTTPRequestHandler):
    served: Served
    honour_ranges = True

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, doc: object, status: int = 200) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _file(self, data: bytes) -> None:
        header = self.headers.get("Range")
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", header or "")
        with self.served.lock:
            self.served.requests += 1
        if match and self.honour_ranges:
            start = int(match[1])
            end = min(len(data) - 1, int(match[2])) if match[2] else len(data) - 1
            part = data[start : end + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            with self.served.lock:
                self.served.ranges += 1
        else:
            part = data
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        self.wfile.write(part)
        with self.served.lock:
            self.served.bytes += len(part)


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class HubStandIn(_Server):
    """``/api/models?author=``, ``/api/models/{repo}[/revision/{rev}]``,
    ``/api/models/{repo}/tree/{rev}``, ``/{repo}/resolve/{rev}/{path}``.

    ``repos`` maps ``org/name`` to ``{path in repo: bytes}``; files over 1 KiB are LFS files
    (the tree lists their SHA-256), the rest plain git blobs.
    """

    def __init__(self, repos: dict[str, dict[str, bytes]], *, honour_ranges: bool = True) -> None:
        self.repos = repos
        self.served = Served()
        self.shas = {r: hashlib.sha1(r.encode(), usedforsecurity=False).hexdigest() for r in repos}
        stand_in = self

        class Handler(_Base):
            served = stand_in.served

            def do_GET(self) -> None:
                stand_in.route(self)

        Handler.honour_ranges = honour_ranges
        super().__init__(Handler)

    def route(self, h: _Base) -> None:
        url = urlparse(h.path)
        path = unquote(url.path)
        query = parse_qs(url.query)
        if path == "/api/models":
            author = query.get("author", [""])[0]
            h._json(
                [
                    {"id": r, "modelId": r, "author": r.split("/")[0], "sha": self.shas[r]}
                    for r in sorted(self.repos)
                    if r.split("/")[0] == author
                ]
            )
            return
        m = re.fullmatch(r"/api/models/([^/]+/[^/]+)/tree/([^/]+)(/.*)?", path)
        if m and m[1] in self.repos and m[2] in (self.shas[m[1]], "main"):
            entries = []
            dirs = set()
            for name, data in sorted(self.repos[m[1]].items()):
                parts = name.split("/")
                dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
                entry = {"type": "file", "path": name, "size": len(data), "oid": _git_blob_id(data)}
                if len(data) > 1024:
                    entry["lfs"] = {
                        "oid": hashlib.sha256(data).hexdigest(),
                        "size": len(data),
                        "pointerSize": 134,
                    }
                entries.append(entry)
            entries += [{"type": "directory", "path": d, "oid": "0" * 40} for d in sorted(dirs)]
            h._json(entries)
            return
        m = re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?", path)
        if m and m[1] in self.repos:
            h._json(
                {
                    "id": m[1],
                    "modelId": m[1],
                    "sha": self.shas[m[1]],
                    "siblings": [{"rfilename": n} for n in sorted(self.repos[m[1]])],
                }
            )
            return
        m = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if m and m[1] in self.repos and m[3] in self.repos[m[1]]:
            h._file(self.repos[m[1]][m[3]])
            return
        h._json({"error": "Repository not found"}, 404)


class MlflowStandIn(_Server):
    """The MLflow REST endpoints used by ``mlsvs.fleet.mlflow`` plus the artifact proxy.

    ``versions`` maps ``(model, version)`` to an artifact URI; ``artifacts`` maps artifact
    paths (``1/<run>/artifacts/model/model.pkl``) to bytes.
    """

    def __init__(self, versions: dict[tuple[str, str], str], artifacts: dict[str, bytes]) -> None:
        self.versions = versions
        self.artifacts = artifacts
        self.served = Served()
        stand_in = self

        class Handler(_Base):
            served = stand_in.served

            def do_GET(self) -> None:
                stand_in.route(self)

        super().__init__(Handler)

    def route(self, h: _Base) -> None:
        url = urlparse(h.path)
        path = unquote(url.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        api = "/api/2.0/mlflow"
        if path == f"{api}/registered-models/search":
            names = sorted({m for m, _ in self.versions})
            # two pages, as the real server pages with next_page_token
            if q.get("page_token"):
                h._json({"registered_models": [{"name": n} for n in names[1:]]})
            else:
                h._json({"registered_models": [{"name": names[0]}], "next_page_token": "p2"})
            return
        if path == f"{api}/model-versions/search":
            name = re.fullmatch(r"name='(.+)'", q.get("filter", ""))
            found = [
                {"name": m, "version": v} for m, v in sorted(self.versions) if name and m == name[1]
            ]
            h._json({"model_versions": found})
            return
        if path == f"{api}/model-versions/get-download-uri":
            uri = self.versions.get((q.get("name", ""), q.get("version", "")))
            if uri is None:
                h._json({"error_code": "RESOURCE_DOES_NOT_EXIST"}, 404)
            else:
                h._json({"artifact_uri": uri})
            return
        proxy = "/api/2.0/mlflow-artifacts/artifacts"
        if path == proxy:
            prefix = q.get("path", "").strip("/") + "/"
            children: dict[str, dict[str, object]] = {}
            for name, data in self.artifacts.items():
                if name.startswith(prefix):
                    rest = name[len(prefix) :]
                    head, _, tail = rest.partition("/")
                    children[head] = (
                        {"path": head, "is_dir": True}
                        if tail
                        else {"path": head, "is_dir": False, "file_size": len(data)}
                    )
            h._json({"files": [children[k] for k in sorted(children)]})
            return
        if path.startswith(proxy + "/") and path[len(proxy) + 1 :] in self.artifacts:
            h._file(self.artifacts[path[len(proxy) + 1 :]])
            return
        h._json({"error_code": "ENDPOINT_NOT_FOUND"}, 404)


def tree_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
