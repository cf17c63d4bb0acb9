"""A local stand-in for OSV on 127.0.0.1: the GCS export (``/PyPI/all.zip``) and the API
(``/v1/querybatch``, ``/v1/vulns/ID``), answering from the records a test gives it."""

from __future__ import annotations

import contextlib
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.supply.osv import AdvisoryIndex, parse_record

if TYPE_CHECKING:
    from collections.abc import Iterator

FIXTURES = Path(__file__).parent / "fixtures" / "osv-pypi"


def real_records() -> list[dict[str, object]]:
    """The real PyPA/GHSA records kept under fixtures/osv-pypi."""
    return [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]


def export_zip(records: list[dict[str, object]]) -> bytes:
    """An OSV-style ``all.zip``: one ``ID.json`` per record, as the GCS export lays it out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
    return buffer.getvalue()


class OsvServer:
    """Serves ``files`` by path, and answers the OSV API from ``records``."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.records: list[dict[str, object]] = []
        self.fail_api = False
        self.requests: list[str] = []
        self.url = ""

    def _match(self, name: str, version: str) -> list[str]:
        advisories = tuple(a for a in (parse_record(r) for r in self.records) if a is not None)
        found, _ = AdvisoryIndex(advisories).match(name, version)
        return [a.id for a in found]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                server.requests.append(f"GET {self.path}")
                if self.path in server.files:
                    self._send(200, server.files[self.path], "application/zip")
                    return
                if self.path.startswith("/v1/vulns/") and not server.fail_api:
                    wanted = self.path.rsplit("/", 1)[1]
                    for record in server.records:
                        if record["id"] == wanted:
                            self._send(200, json.dumps(record).encode())
                            return
                self._send(404, b'{"code": 5, "message": "Bug not found."}')

            def do_POST(self) -> None:
                server.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                if self.path != "/v1/querybatch" or server.fail_api:
                    self._send(503, b'{"message": "unavailable"}')
                    return
                results = []
                for query in body["queries"]:
                    ids = server._match(query["package"]["name"], query["version"])
                    # Real OSV pages long answers; page after the first ID to exercise it.
                    if len(ids) > 1 and "page_token" not in query:
                        results.append({"vulns": [{"id": ids[0]}], "next_page_token": "p2"})
                    elif "page_token" in query:
                        results.append({"vulns": [{"id": i} for i in ids[1:]]})
                    else:
                        results.append({"vulns": [{"id": i} for i in ids]} if ids else {})
                self._send(200, json.dumps({"results": results}).encode())

        return Handler


@contextlib.contextmanager
def serving() -> Iterator[OsvServer]:
    """Run an ``OsvServer`` on a free 127.0.0.1 port for the duration of the block."""
    state = OsvServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
