"""Agent tool servers: authentication of every request (MLC1080, M11.4.3), tool definitions
pinned and compared (MLC1081, M11.4.7) and over-broad tools (MLC1082, M11.4.2).

The servers are those of the project's MCP client files and ``[[agents.tool_servers]]``
(``_mcp.py`` says which files). A stdio server is a child process of the agent host: its
requests travel over the host's pipes, so request authentication does not apply to it, and
mlsvs never launches it (that would run the project's code), so its live tool definitions are
not compared. The probes need ``--allow network``; they send ``initialize``, ``tools/list`` and
a ``tools/call`` of a tool name no server has (``mlsvs-probe-nonexistent``), never a real tool.

Pins live in the file ``[agents] tool_pins`` names::

    {"servers": {"kb-search": {"tools": {"search_docs": "sha256:9c1e..."}}}}

A tool's digest is the SHA-256 of its definition exactly as ``tools/list`` serves it, written as
canonical JSON (keys sorted, no spaces, UTF-8): name, title, description, inputSchema,
outputSchema and annotations all count, so a changed description is a changed tool.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.operations import _mcp
from mlsvs.checks.operations._records import mapping
from mlsvs.plugin import (
    Capability,
    Gap,
    GapReason,
    Project,
    Severity,
    SourceFile,
    check,
    errored,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.plugin import CheckContext, Outcome

_NET = (Capability.NETWORK,)
PROBE_TOOL = "mlsvs-probe-nonexistent"
_AUTH_WORDS = re.compile(r"(unauthori[sz]ed|unauthenticated|forbidden|invalid[_ ]token|auth)", re.I)


def _unread(inv: _mcp.Inventory, what: str) -> Iterator[Outcome]:
    for gap in inv.gaps:
        yield not_verified(
            f"{gap.item}: {gap.detail or gap.reason.value}, so {what} is not verified there",
            gap,
            key=f"unread:{gap.item}",
        )


def _no_servers(inv: _mcp.Inventory) -> Outcome | None:
    if inv.servers or inv.gaps:
        return None
    if inv.declared and not inv.files:
        return not_applicable(
            "the configuration declares no tool server (agents.tool_servers = []) and no MCP "
            "client file exists"
        )
    return not_verified(
        "no MCP client file (.mcp.json, .vscode/mcp.json, claude_desktop_config.json ...) and "
        "no [[agents.tool_servers]], so nothing shows which tool servers the agents use",
        Gap(item="agents.tool_servers", reason=GapReason.NOT_PRESENT, detail="no tool inventory"),
        key="no-servers",
    )


# --- MLC1080: every request authenticated ------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """One unauthenticated or badly authenticated request and how the server answered."""

    what: str
    status: int
    verdict: str
    """``refused``, ``served``, ``unclear`` or ``unreachable``."""


def judge(answer: _mcp.Answer) -> str:
    """401/403 refuse; a JSON-RPC answer at 200 is served unless its error is about
    authentication; anything else is unclear (no answer: unreachable)."""
    if answer.status == 0:
        return "unreachable"
    if answer.status in (401, 403):
        return "refused"
    if 200 <= answer.status < 300:
        if answer.message is None:
            return "served" if answer.status == 202 else "unclear"
        error = mapping(answer.message.get("error"))
        if error and _AUTH_WORDS.search(str(error.get("message", ""))):
            return "refused"
        return "served"
    return "unclear"


def _sse_get(url: str, headers: Mapping[str, str]) -> _mcp.Answer:
    import httpx

    try:
        with (
            httpx.Client(timeout=5.0, follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": "text/event-stream", **headers}) as r,
        ):
            served = r.status_code == 200 and "text/event-stream" in r.headers.get(
                "content-type", ""
            )
            return _mcp.Answer(
                status=r.status_code,
                content_type=r.headers.get("content-type", ""),
                message={"result": {}} if served else None,
            )
    except httpx.HTTPError as exc:
        return _mcp.Answer(status=0, content_type="", message=None, error=type(exc).__name__)


def probe_server(server: _mcp.Server) -> tuple[Probe, ...]:
    """The four probes: initialize, tools/list and tools/call without credentials, and
    tools/list with a made-up bearer token (for the legacy SSE transport: the stream GET)."""
    bogus = {"Authorization": "Bearer mlsvs-probe-invalid-token"}
    if server.transport == "sse":
        answers = [
            ("GET stream", _sse_get(server.url, {})),
            ("GET stream, invalid token", _sse_get(server.url, bogus)),
        ]
        return tuple(Probe(what=w, status=a.status, verdict=judge(a)) for w, a in answers)
    call: dict[str, object] = {"name": PROBE_TOOL, "arguments": {}}
    requests: list[tuple[str, str, dict[str, object], dict[str, str]]] = [
        ("initialize", "initialize", _mcp.initialize_params(), {}),
        ("tools/list", "tools/list", {}, {}),
        ("tools/call", "tools/call", call, {}),
        ("tools/list, invalid token", "tools/list", {}, bogus),
    ]
    out = []
    with _mcp.client() as http:
        for number, (what, method, params, headers) in enumerate(requests, 1):
            answer = _mcp.post(server.url, method, params, headers, request_id=number, client=http)
            out.append(Probe(what=what, status=answer.status, verdict=judge(answer)))
    return tuple(out)


@check(
    id="MLC1080",
    title="HTTP tool and MCP servers refuse unauthenticated and badly authenticated requests",
    requirements=["M11.4.3"],
    applies_to=Project,
    severity=Severity.CRITICAL,
    capabilities=_NET,
    reads=(SourceFile,),
    timeout_s=300.0,
    remediation="Require a bearer token (OAuth 2.1 as the MCP authorization spec defines, or a "
    "gateway that validates tokens) on every request to the tool server, answering 401 to "
    "requests without a valid one; do not authenticate only the session's first request.",
)
def tool_servers_authenticated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """With ``--allow network``: each remote MCP server answers 401/403 to initialize,
    tools/list and tools/call without credentials and to tools/list with an invalid token; one
    request served fails. Stdio servers are not network servers (not applicable to them)."""
    inv = _mcp.inventory(ctx, project)
    yield from _unread(inv, "tool-server authentication")
    if (empty := _no_servers(inv)) is not None:
        yield empty
        return
    remote = [s for s in inv.servers if s.remote]
    if not remote:
        if inv.servers and not inv.gaps:
            yield not_applicable(
                f"every tool server ({', '.join(s.name for s in inv.servers[:8])}) is a stdio "
                "child process of the agent host; none takes network requests"
            )
        return
    if not ctx.granted(Capability.NETWORK):
        yield errored("not verified: probing the tool servers needs --allow network")
        return
    for server in remote:
        probes = probe_server(server)
        facts = (("server", server.name), ("url", server.url), ("declared in", server.path))
        seen = ", ".join(f"{p.what} {p.status or 'no answer'} {p.verdict}" for p in probes)
        served = [p for p in probes if p.verdict == "served"]
        if served:
            yield failed(
                f"{server.name} ({server.url}) serves requests without valid credentials: "
                + ", ".join(f"{p.what} -> {p.status}" for p in served),
                facts=facts,
                key=server.name,
            )
        elif any(p.verdict != "refused" for p in probes):
            yield not_verified(
                f"{server.name}: could not show that every request is refused ({seen})",
                tuple(
                    Gap(
                        item=f"{server.name}: {p.what}",
                        reason=GapReason.UNREADABLE,
                        detail=f"{p.status} {p.verdict}",
                    )
                    for p in probes
                    if p.verdict != "refused"
                ),
                facts=facts,
                key=server.name,
            )
        else:
            yield passed(
                f"{server.name} refuses requests without valid credentials ({seen})",
                facts=facts,
                key=server.name,
            )


# --- MLC1081: tool definitions pinned ----------------------------------------------------

_NPX = frozenset({"npx", "bunx", "pnpx"})
_UVX = frozenset({"uvx", "pipx"})
_EXACT_NPM = re.compile(r"^(@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+([-+][\w.-]+)?$")
_EXACT_PY = re.compile(r"^[\w.\[\],-]+(==|@)\d+(\.\d+)*([\w.+-]*)$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def launch_pin(server: _mcp.Server) -> tuple[str, bool] | None:
    """(what is launched, whether it is pinned) for a stdio server launched from a registry
    (npx, uvx/pipx, docker run); None for a local program (the repository pins it)."""
    command = server.command.rsplit("/", 1)[-1]
    args = [a for a in server.args if not a.startswith("-")]
    if command in _NPX:
        package = next((a for a in args), "")
        return package, bool(_EXACT_NPM.match(package))
    if command in _UVX:
        rest = [a for a in args if a != "run"]
        fromarg = next(
            (server.args[i + 1] for i, a in enumerate(server.args[:-1]) if a == "--from"), ""
        )
        package = fromarg or next((a for a in rest), "")
        return package, bool(_EXACT_PY.match(package))
    if command in {"docker", "podman"} and "run" in server.args:
        after = list(server.args[server.args.index("run") + 1 :])
        image = ""
        skip = False
        for a in after:
            if skip:
                skip = False
                continue
            if a in {"-e", "--env", "-v", "--volume", "--name", "--network", "-p", "--env-file"}:
                skip = True
                continue
            if a.startswith("-"):
                continue
            image = a
            break
        return image, bool(_DIGEST.search(image))
    return None


def read_pins(project: Project, rel: str) -> Mapping[str, Mapping[str, str]]:
    """server -> tool -> digest; ValueError when the file is not a pin file."""
    path = (project.root / rel).resolve()
    if not path.is_relative_to(project.root.resolve()):
        raise ValueError("outside the project")
    data = json.loads(path.read_text(encoding="utf-8"))
    servers = mapping(mapping(data).get("servers"))
    if not servers:
        raise ValueError("no servers object")
    out: dict[str, dict[str, str]] = {}
    for name, body in servers.items():
        tools = mapping(mapping(body).get("tools"))
        digests = {str(t): str(d) for t, d in tools.items() if isinstance(d, str)}
        if len(digests) != len(tools) or not all(d.startswith("sha256:") for d in digests.values()):
            raise ValueError(f"server {name}: every tool needs a sha256: digest")
        out[str(name)] = digests
    return out


def compare(
    live: list[Mapping[str, object]], pinned: Mapping[str, str]
) -> tuple[list[str], list[str], list[str]]:
    """(changed, unpinned, gone) tool names."""
    served = {str(t.get("name")): _mcp.tool_digest(t) for t in live}
    changed = sorted(n for n, d in served.items() if n in pinned and pinned[n] != d)
    unpinned = sorted(n for n in served if n not in pinned)
    gone = sorted(n for n in pinned if n not in served)
    return changed, unpinned, gone


@check(
    id="MLC1081",
    title="Tool servers are pinned and their live tool definitions match the approved digests",
    requirements=["M11.4.7"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=_NET,
    reads=(SourceFile,),
    timeout_s=300.0,
    remediation="Launch tool servers at exact versions (pkg@1.2.3, pkg==1.2.3, image@sha256:); "
    "record each approved tool definition's digest in the [agents] tool_pins file and refuse a "
    "tool whose served definition differs until it is re-approved.",
)
def tool_definitions_pinned(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every stdio server is launched at an exact version or digest; every server has pinned
    tool digests; with ``--allow network`` each remote server's ``tools/list`` is compared with
    its pins: a changed or new tool fails."""
    inv = _mcp.inventory(ctx, project)
    yield from _unread(inv, "tool pinning")
    if (empty := _no_servers(inv)) is not None:
        yield empty
        return
    unpinned_launch = []
    for server in inv.servers:
        launched = launch_pin(server)
        if launched is not None and not launched[1]:
            unpinned_launch.append(f"{server.name} ({launched[0] or server.command})")
    if unpinned_launch:
        yield failed(
            "tool server(s) launched from a registry without an exact version or digest, so a "
            f"new release changes their tools unseen: {', '.join(unpinned_launch[:6])}",
            key="launch",
        )
    pins_rel = ctx.section("agents").get("tool_pins")
    if not isinstance(pins_rel, str):
        yield not_verified(
            "no [agents] tool_pins file, so nothing records the approved tool definitions a "
            "change would be detected against",
            Gap(item="agents.tool_pins", reason=GapReason.NOT_PRESENT, detail="not configured"),
            key="pins",
        )
        return
    try:
        pins = read_pins(project, pins_rel)
    except OSError as exc:
        yield not_verified(
            f"{pins_rel}: {exc.strerror or 'unreadable'}",
            Gap(item=pins_rel, reason=GapReason.UNREADABLE, detail=exc.strerror or ""),
            key="pins",
        )
        return
    except (UnicodeDecodeError, ValueError) as exc:
        yield not_verified(
            f"{pins_rel} is not a tool pin file: {str(exc)[:200]}",
            Gap(item=pins_rel, reason=GapReason.UNPARSEABLE, detail=str(exc)[:200]),
            key="pins",
        )
        return
    missing = [s.name for s in inv.servers if s.name not in pins]
    if missing:
        yield failed(
            f"no pinned tool definitions for server(s) {', '.join(missing[:8])}", key="pins"
        )
    for server in inv.servers:
        if server.name not in pins:
            continue
        facts = (
            ("server", server.name),
            ("pins", pins_rel),
            ("tools pinned", str(len(pins[server.name]))),
        )
        if not server.remote:
            yield not_verified(
                f"{server.name} is a stdio server; mlsvs does not launch it, so its served "
                "tool definitions are not compared with the pins",
                Gap(
                    item=server.name,
                    reason=GapReason.UNSUPPORTED,
                    detail="stdio server not launched",
                ),
                facts=facts,
                key=server.name,
            )
            continue
        if not ctx.granted(Capability.NETWORK):
            yield errored(
                f"not verified: comparing {server.name}'s tools with the pins needs "
                "--allow network",
                key=server.name,
            )
            continue
        headers, unresolved = _mcp.resolve_headers(server.headers)
        if unresolved:
            yield not_verified(
                f"{server.name}: header(s) {', '.join(unresolved)} cannot be resolved, so its "
                "tools cannot be listed",
                Gap(item=server.name, reason=GapReason.NOT_PRESENT, detail="; ".join(unresolved)),
                facts=facts,
                key=server.name,
            )
            continue
        live, why = _mcp.list_tools(server, headers)
        if why:
            yield not_verified(
                f"{server.name}: {why}, so its tools could not be compared with the pins",
                Gap(item=server.name, reason=GapReason.UNREADABLE, detail=why),
                facts=facts,
                key=server.name,
            )
            continue
        changed, new, gone = compare(live, pins[server.name])
        if changed or new:
            parts = []
            if changed:
                parts.append(f"definition changed since approval: {', '.join(changed[:6])}")
            if new:
                parts.append(f"not approved: {', '.join(new[:6])}")
            yield failed(
                f"{server.name} serves tools that differ from the pins ({'; '.join(parts)})",
                facts=facts,
                key=server.name,
            )
            continue
        yield passed(
            f"{server.name}: {len(live)} served tool definition(s) match their pinned digests"
            + (
                f" ({len(gone)} pinned tool(s) no longer served: {', '.join(gone[:4])})"
                if gone
                else ""
            ),
            facts=facts,
            key=server.name,
        )


# --- MLC1082: no over-broad tools ---------------------------------------------------------

_FS_SERVERS = re.compile(r"(server-filesystem|mcp-server-filesystem|filesystem-mcp|mcp-filesystem)")
_SHELL_SERVERS = re.compile(
    r"(server-shell|mcp-shell|shell-mcp|mcp-server-shell|desktop-commander|server-commands|"
    r"mcp-server-commands|terminal-mcp|mcp-terminal|code-runner)"
)
_BROAD_ROOTS = re.compile(r"^(/|~/?|\$\{?HOME\}?/?|/home/?|/Users/?|/root/?|[A-Za-z]:\\?|\.\./?)$")
_BROAD_FLAGS = frozenset(
    {"--privileged", "--allow-all", "--dangerously-skip-permissions", "--allow-write-all"}
)
_BROAD_MOUNTS = re.compile(r"^(/|/var/run/docker\.sock|/etc|/root|/home)(:|$)")
_BROAD_SECRETS = (
    (
        re.compile(r"^ghp_[A-Za-z0-9]{30,}$"),
        "a classic GitHub token (all repositories; use a fine-grained token)",
    ),
    (re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$"), "an AWS access key written into the file"),
    (re.compile(r"^sk_live_[A-Za-z0-9]{16,}$"), "a live Stripe secret key (use a restricted key)"),
    (re.compile(r"^xox[ap]-"), "a Slack user or app-level token"),
)

_LANGCHAIN_BROAD = {
    "ShellTool": "runs any shell command",
    "BashProcess": "runs any shell command",
    "PythonREPLTool": "runs any Python",
    "PythonAstREPLTool": "runs any Python",
    "PythonREPL": "runs any Python",
    "CodeInterpreterToolSpec": "runs any Python",
    "TerminalTool": "runs any shell command",
}
_DANGEROUS_KWARGS = frozenset(
    {"allow_dangerous_requests", "allow_dangerous_code", "allow_dangerous_tools"}
)
_LOAD_TOOLS_BROAD = frozenset(
    {"terminal", "python_repl", "requests_all", "requests_post", "requests_delete"}
)


def server_findings(server: _mcp.Server) -> list[str]:
    """Why an MCP server entry grants more than a task needs (empty when nothing is seen)."""
    found = []
    launch = " ".join([server.command, *server.args])
    if _FS_SERVERS.search(launch):
        roots = [
            a
            for a in server.args
            if not a.startswith("-") and not _FS_SERVERS.search(a) and a not in {"-y", "npx", "run"}
        ]
        broad = [r for r in roots if _BROAD_ROOTS.match(r.strip())]
        if broad:
            found.append(f"filesystem access to {', '.join(broad)}")
    if _SHELL_SERVERS.search(launch):
        found.append("a shell/command-execution server")
    flags = sorted(_BROAD_FLAGS & set(server.args))
    if flags:
        found.append(f"flag(s) {', '.join(flags)}")
    mounts = [server.args[i + 1] for i, a in enumerate(server.args[:-1]) if a in {"-v", "--volume"}]
    if wide := [m for m in mounts if _BROAD_MOUNTS.match(m)]:
        found.append(f"mount(s) {', '.join(wide)}")
    for key, value in [*server.env.items(), *server.headers.items()]:
        literal = value.removeprefix("Bearer ").strip()
        for pattern, why in _BROAD_SECRETS:
            if pattern.match(literal):
                found.append(f"{key} is {why}")
    return found


def code_findings(source: str) -> list[tuple[int, str]]:
    """(line, why) for over-broad agent tools in Python code (LangChain, LlamaIndex)."""
    import ast

    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.attr
            if isinstance(func, ast.Attribute)
            else func.id
            if isinstance(func, ast.Name)
            else ""
        )
        if name in _LANGCHAIN_BROAD:
            out.append((node.lineno, f"{name} {_LANGCHAIN_BROAD[name]}"))
        out.extend(
            (node.lineno, f"{name}({kw.arg}=True)")
            for kw in node.keywords
            if kw.arg in _DANGEROUS_KWARGS
            and isinstance(kw.value, ast.Constant)
            and kw.value.value is True
        )
        if name == "FileManagementToolkit" and not any(k.arg == "root_dir" for k in node.keywords):
            out.append((node.lineno, "FileManagementToolkit without root_dir (whole filesystem)"))
        if name == "load_tools" and node.args and isinstance(node.args[0], ast.List | ast.Tuple):
            wanted = {
                e.value
                for e in node.args[0].elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
            if broad := sorted(wanted & _LOAD_TOOLS_BROAD):
                out.append((node.lineno, f"load_tools({', '.join(broad)})"))
    return out


_AGENT_IMPORT = re.compile(
    r"^\s*(from|import)\s+(langchain\w*|langgraph|llama_index|crewai|autogen\w*|agents|smolagents|mcp|fastmcp)\b",
    re.M,
)


@check(
    id="MLC1082",
    title="Agent tools hold no shell, unrestricted filesystem, dangerous-mode or broad credentials",
    requirements=["M11.4.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(SourceFile,),
    remediation="Give agents task-specific tools: a filesystem server limited to the task's "
    "directory, no shell or code-execution tool (or one in a sandbox with an allow-list), no "
    "allow_dangerous_* switches, and per-tool fine-grained credentials from a secret reference.",
)
def agent_tools_least_privileged(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """The MCP client files and the agent code (LangChain, LangGraph, LlamaIndex, CrewAI ...)
    hold no tool that grants unrestricted shell, code, filesystem or HTTP access and no literal
    broad credential; a project with neither shows no tool inventory (not verified)."""
    from mlsvs.checks.pipeline._yaml import DocumentError
    from mlsvs.checks.pipeline.hosted import python_of

    inv = _mcp.inventory(ctx, project)
    yield from _unread(inv, "tool privileges")
    problems: list[str] = []
    for server in inv.servers:
        problems += [f"{server.path}: {server.name}: {f}" for f in server_findings(server)]
    agent_files = []
    gaps: list[Gap] = []
    for source in project.of_type(SourceFile):
        try:
            text = python_of(source)
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)[:160]))
            continue
        if not _AGENT_IMPORT.search(text):
            continue
        agent_files.append(source.path)
        try:
            found = code_findings(text)
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        problems += [f"{source.path}:{line}: {why}" for line, why in found]
    facts = (("servers", str(len(inv.servers))), ("agent files", str(len(agent_files))))
    if problems:
        yield failed(
            f"{len(problems)} over-broad tool grant(s): " + "; ".join(problems[:6]),
            key="tools",
            facts=facts,
        )
        return
    if gaps:
        yield not_verified(
            f"{len(gaps)} agent source file(s) could not be read or parsed", gaps, key="tools"
        )
        return
    if not inv.servers and not agent_files:
        if not inv.gaps:
            yield not_verified(
                "no MCP client file and no agent code, so no tool inventory shows what the "
                "agents can do",
                Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no tool inventory"),
                key="tools",
            )
        return
    yield passed(
        f"{len(inv.servers)} MCP server(s) and {len(agent_files)} agent file(s) grant no shell, "
        "code-execution, unrestricted filesystem or dangerous-mode tool and no broad literal "
        "credential",
        key="tools",
        facts=facts,
    )
