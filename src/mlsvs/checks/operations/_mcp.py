"""MCP client configurations and a minimal MCP client over HTTP.

Client configurations are the JSON files agent hosts read: ``mcpServers`` (Claude Desktop,
Claude Code ``.mcp.json``, Cursor, Windsurf) or ``servers`` (VS Code ``.vscode/mcp.json``),
each entry either a stdio server (``command``, ``args``, ``env``) or a remote one (``url`` or
``serverUrl``, ``type`` ``http``/``streamable-http``/``sse``, ``headers``). Tool servers that no
client file names are declared in ``[[agents.tool_servers]]`` (``name``, ``url``, ``headers``).

The client speaks JSON-RPC 2.0 as the MCP Streamable HTTP transport defines it: one POST per
message, ``Accept: application/json, text/event-stream``; an answer in an event stream is read
from its ``data:`` lines. It never follows redirects and reads at most 1 MiB per answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.checks.operations._records import items, mapping
from mlsvs.plugin import Gap, GapReason

if TYPE_CHECKING:
    import httpx

    from mlsvs.plugin import CheckContext, Project

CLIENT_FILES = (
    ".mcp.json",
    "mcp.json",
    ".vscode/mcp.json",
    ".cursor/mcp.json",
    ".windsurf/mcp_config.json",
    "claude_desktop_config.json",
    "mcp_config.json",
)
MAX_CONFIG_BYTES = 1024 * 1024
MAX_ANSWER_BYTES = 1024 * 1024
PROTOCOL_VERSION = "2025-06-18"
_REF = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}")
_INPUT = re.compile(r"\$\{input:[^}]*\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Server:
    """One MCP server entry."""

    name: str
    path: str
    """The file (or configuration key) that declares it."""
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    transport: str = "stdio"
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def remote(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    """Every MCP server the project's client files and configuration declare."""

    servers: tuple[Server, ...]
    files: tuple[str, ...]
    gaps: tuple[Gap, ...]
    declared: bool
    """Whether [agents] tool_servers is present (possibly empty)."""


def _strings(value: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping(value).items() if isinstance(v, str | int | float)}


def _entry(name: str, path: str, raw: Mapping[str, object]) -> Server:
    url = raw.get("url") or raw.get("serverUrl") or ""
    kind = str(raw.get("type") or raw.get("transport") or ("http" if url else "stdio"))
    return Server(
        name=name,
        path=path,
        command=str(raw.get("command") or ""),
        args=tuple(str(a) for a in items(raw.get("args"))),
        env=_strings(raw.get("env")),
        url=str(url),
        transport=kind.lower(),
        headers=_strings(raw.get("headers")),
    )


def client_servers(path: str, text: str) -> list[Server]:
    """The servers of one client configuration file; ValueError when it is not one."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    entries = data.get("mcpServers", data.get("servers"))
    if entries is None and isinstance(data.get("mcp"), dict):
        entries = data["mcp"].get("servers")
    if not isinstance(entries, dict):
        raise ValueError("no mcpServers or servers object")
    out = []
    for name, raw in entries.items():
        if not isinstance(raw, dict):
            raise ValueError(f"server {name!r} is not an object")
        out.append(_entry(str(name), path, raw))
    return out


def inventory(ctx: CheckContext, project: Project) -> Inventory:
    """Read the client files at their conventional places (and those [agents] mcp_configs
    names) plus [[agents.tool_servers]]."""
    conf = ctx.section("agents")
    rels = list(CLIENT_FILES) + [p for p in items(conf.get("mcp_configs")) if isinstance(p, str)]
    root = project.root.resolve()
    servers: list[Server] = []
    files: list[str] = []
    gaps: list[Gap] = []
    configured = {p for p in items(conf.get("mcp_configs")) if isinstance(p, str)}
    for rel in dict.fromkeys(rels):
        path = (root / rel).resolve()
        if not path.is_relative_to(root):
            gaps.append(Gap(item=rel, reason=GapReason.UNSUPPORTED, detail="outside the project"))
            continue
        if not path.is_file():
            if rel in configured:
                gaps.append(Gap(item=rel, reason=GapReason.NOT_PRESENT, detail="no such file"))
            continue
        files.append(rel)
        try:
            if path.stat().st_size > MAX_CONFIG_BYTES:
                raise ValueError("larger than 1 MiB")
            servers += client_servers(rel, path.read_text(encoding="utf-8"))
        except OSError as exc:
            gaps.append(Gap(item=rel, reason=GapReason.UNREADABLE, detail=exc.strerror or ""))
        except (UnicodeDecodeError, ValueError) as exc:
            gaps.append(Gap(item=rel, reason=GapReason.UNPARSEABLE, detail=str(exc)[:200]))
    for number, raw in enumerate(items(conf.get("tool_servers")), 1):
        entry = mapping(raw)
        name = str(entry.get("name") or f"tool_servers[{number}]")
        if not isinstance(entry.get("url"), str):
            gaps.append(
                Gap(
                    item=f"agents.tool_servers.{name}",
                    reason=GapReason.UNPARSEABLE,
                    detail="needs url",
                )
            )
            continue
        servers.append(_entry(name, "agents.tool_servers", entry))
    return Inventory(
        servers=tuple(servers),
        files=tuple(files),
        gaps=tuple(gaps),
        declared="tool_servers" in conf,
    )


def resolve_headers(headers: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Headers with ``${VAR}``/``${env:VAR}`` taken from the environment; the names that could
    not be resolved (unset variables, ``${input:...}`` prompts) are returned instead."""
    out: dict[str, str] = {}
    missing: list[str] = []
    for key, value in headers.items():
        if _INPUT.search(value):
            missing.append(f"{key} (prompted input)")
            continue
        names = _REF.findall(value)
        unset = [n for n in names if n not in os.environ]
        if unset:
            missing.append(f"{key} (${{{unset[0]}}} unset)")
            continue
        out[key] = _REF.sub(lambda m: os.environ[m.group(1)], value)
    return out, missing


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """One HTTP exchange: status, content type and the JSON-RPC message (if any)."""

    status: int
    content_type: str
    message: Mapping[str, object] | None
    error: str = ""
    session: str = ""


def _message(content_type: str, body: bytes) -> Mapping[str, object] | None:
    text = body.decode("utf-8", "replace")
    if "text/event-stream" in content_type:
        for line in text.splitlines():
            if line.startswith("data:"):
                try:
                    value = json.loads(line[5:].strip())
                except ValueError:
                    continue
                if isinstance(value, dict) and ("result" in value or "error" in value):
                    return value
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def post(
    url: str,
    method: str,
    params: Mapping[str, object],
    headers: Mapping[str, str],
    *,
    request_id: int | None = 1,
    timeout_s: float = 5.0,
    client: httpx.Client | None = None,
) -> Answer:
    """POST one JSON-RPC request; never follows redirects; reads at most 1 MiB."""
    import httpx

    body: dict[str, object] = {"jsonrpc": "2.0", "method": method, "params": dict(params)}
    if request_id is not None:
        body["id"] = request_id
    sent = {
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": PROTOCOL_VERSION,
        **headers,
    }
    own = client is None
    http = client or httpx.Client(timeout=timeout_s, follow_redirects=False)
    try:
        with http.stream("POST", url, json=body, headers=sent) as r:
            chunks = bytearray()
            for chunk in r.iter_bytes():
                chunks += chunk
                if len(chunks) >= MAX_ANSWER_BYTES or (
                    "text/event-stream" in r.headers.get("content-type", "")
                    and b"\n\n" in chunks
                    and _message("text/event-stream", bytes(chunks)) is not None
                ):
                    break
            ctype = r.headers.get("content-type", "")
            return Answer(
                status=r.status_code,
                content_type=ctype,
                message=_message(ctype, bytes(chunks)),
                session=r.headers.get("mcp-session-id", ""),
            )
    except httpx.HTTPError as exc:
        return Answer(status=0, content_type="", message=None, error=type(exc).__name__)
    finally:
        if own:
            http.close()


def client(timeout_s: float = 5.0) -> httpx.Client:
    """One HTTP client for a server's probes (no redirects, loopback or declared hosts)."""
    import httpx

    return httpx.Client(timeout=timeout_s, follow_redirects=False)


def initialize_params() -> dict[str, object]:
    return {
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": {"name": "mlsvs", "version": "probe"},
    }


def tool_digest(tool: Mapping[str, object]) -> str:
    """``sha256:`` of the tool definition as served (canonical JSON: sorted keys, no spaces)."""
    canonical = json.dumps(tool, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def list_tools(
    server: Server, headers: Mapping[str, str]
) -> tuple[list[Mapping[str, object]], str]:
    """The server's tools (following ``nextCursor``, at most 20 pages) or why they could not be
    listed."""
    with client() as http:
        return _list_tools(server, headers, http)


def _list_tools(
    server: Server, headers: Mapping[str, str], http: httpx.Client
) -> tuple[list[Mapping[str, object]], str]:
    init = post(server.url, "initialize", initialize_params(), headers, client=http)
    if init.status != 200 or init.message is None or "result" not in init.message:
        return [], f"initialize answered {init.status or init.error}"
    session = {"Mcp-Session-Id": init.session} if init.session else {}
    post(
        server.url,
        "notifications/initialized",
        {},
        {**headers, **session},
        request_id=None,
        client=http,
    )
    tools: list[Mapping[str, object]] = []
    cursor: str | None = None
    for page in range(20):
        params: dict[str, object] = {"cursor": cursor} if cursor else {}
        answer = post(
            server.url,
            "tools/list",
            params,
            {**headers, **session},
            request_id=2 + page,
            client=http,
        )
        result = mapping(answer.message.get("result")) if answer.message else {}
        if answer.status != 200 or not result:
            return [], f"tools/list answered {answer.status or answer.error}"
        tools += [mapping(t) for t in items(result.get("tools"))]
        following = result.get("nextCursor")
        cursor = following if isinstance(following, str) else None
        if not cursor:
            return tools, ""
    return [], "tools/list paged more than 20 times"
