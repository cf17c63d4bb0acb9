"""A real MCP Streamable HTTP tool server on 127.0.0.1 for the tool-server tests.

It speaks JSON-RPC 2.0 over POST as the MCP 2025-06-18 transport defines (session id header on
initialize, 202 for notifications, JSON or event-stream answers) and checks a bearer token the
way the test asks: on every request, only on initialize (a flawed server), or accepting any
token (another flawed one). Every tools/call is recorded so a test can tell whether a probe
reached a real tool.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

TOKEN = "kb-search-service-token-4f1d9a"

TOOLS: list[dict[str, object]] = [
    {
        "name": "search_docs",
        "title": "Search the support knowledge base",
        "description": "Full-text search over approved support articles. Returns ids and titles.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "maxLength": 512},
                "limit": {"type": "integer", "minimum": 1, "maximum": 20},
            },
            "required": ["query"],
        },
        "annotations": {"readOnlyHint": True, "openWorldHint": False},
    },
    {
        "name": "get_article",
        "description": "Fetch one article by id.",
        "inputSchema": {
            "type": "object",
            "properties": {"id": {"type": "string", "pattern": "^KB-[0-9]{4,6}$"}},
            "required": ["id"],
        },
    },
]


@dataclass
class Behaviour:
    """How the server authenticates and what it serves (mutable between requests)."""

    auth: str = "every"  # every | initialize-only | any-token | none | all-but-call
    stream: bool = False
    tools: list[dict[str, object]] = field(default_factory=lambda: [dict(t) for t in TOOLS])
    calls: list[str] = field(default_factory=list)


def _handler(behaviour: Behaviour) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: dict[str, object] | None, extra: dict[str, str]) -> None:
            if body is None:
                payload = b""
                ctype = "application/json"
            elif behaviour.stream:
                payload = f"event: message\ndata: {json.dumps(body)}\n\n".encode()
                ctype = "text/event-stream"
            else:
                payload = json.dumps(body).encode()
                ctype = "application/json"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)

        def _authorised(self, method: str) -> bool:
            header = self.headers.get("Authorization", "")
            if behaviour.auth == "none":
                return True
            if behaviour.auth == "any-token":
                return header.startswith("Bearer ") and len(header) > 7
            if behaviour.auth == "initialize-only" and method != "initialize":
                return True
            if behaviour.auth == "all-but-call" and method == "tools/call":
                return True  # the flaw: the call dispatcher skips the auth middleware
            return header == f"Bearer {TOKEN}"

        def do_GET(self) -> None:
            self._send(
                405, {"jsonrpc": "2.0", "error": {"code": -32000, "message": "use POST"}}, {}
            )

        def do_POST(self) -> None:
            if self.path != "/mcp":
                self._send(404, None, {})
                return
            length = int(self.headers.get("Content-Length", "0"))
            try:
                message = json.loads(self.rfile.read(length))
            except ValueError:
                self._send(
                    400, {"jsonrpc": "2.0", "error": {"code": -32700, "message": "parse"}}, {}
                )
                return
            method = str(message.get("method", ""))
            if not self._authorised(method):
                self._send(
                    401,
                    {
                        "jsonrpc": "2.0",
                        "id": message.get("id"),
                        "error": {"code": -32001, "message": "Unauthorized"},
                    },
                    {
                        "WWW-Authenticate": 'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource"'
                    },
                )
                return
            if "id" not in message:
                self._send(202, None, {})
                return
            rid = message["id"]
            if method == "initialize":
                result: dict[str, object] = {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {"tools": {"listChanged": True}},
                    "serverInfo": {"name": "kb-search", "version": "1.4.2"},
                }
                self._send(
                    200,
                    {"jsonrpc": "2.0", "id": rid, "result": result},
                    {"Mcp-Session-Id": uuid.uuid4().hex},
                )
            elif method == "tools/list":
                self._send(
                    200, {"jsonrpc": "2.0", "id": rid, "result": {"tools": behaviour.tools}}, {}
                )
            elif method == "tools/call":
                name = str(message.get("params", {}).get("name", ""))
                behaviour.calls.append(name)
                if name not in {str(t["name"]) for t in behaviour.tools}:
                    self._send(
                        200,
                        {
                            "jsonrpc": "2.0",
                            "id": rid,
                            "error": {"code": -32602, "message": f"Unknown tool: {name}"},
                        },
                        {},
                    )
                    return
                content = [{"type": "text", "text": "KB-1042 Resetting a password"}]
                self._send(200, {"jsonrpc": "2.0", "id": rid, "result": {"content": content}}, {})
            else:
                self._send(
                    200,
                    {
                        "jsonrpc": "2.0",
                        "id": rid,
                        "error": {"code": -32601, "message": "Method not found"},
                    },
                    {},
                )

    return Handler


@contextlib.contextmanager
def serving(behaviour: Behaviour) -> Iterator[str]:
    """Run the server on a free loopback port; yields its MCP endpoint URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/mcp"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
