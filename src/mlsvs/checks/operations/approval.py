"""High-impact agent tools pause for human approval (MLC1085, M11.4.5), read from the agent
code with ``ast``.

Tools are the functions decorated ``@tool`` (LangChain), ``@function_tool`` (OpenAI Agents SDK)
or ``@<server>.tool()`` (MCP FastMCP), and those wrapped by ``StructuredTool.from_function``,
``Tool(...)`` or ``FunctionTool.from_defaults`` (LlamaIndex). A tool is high-impact when
``[agents] high_impact_tools`` names it (shell-style patterns) or a word of its name is an
irreversible verb (delete, transfer, refund, send, deploy ...).

A high-impact tool is gated when the code shows one of: a ``langgraph.types.interrupt(...)``
call or a call of an approval helper (a name containing ``approv``) in the tool's body; an
approval decorator (``@requires_approval``, ``@human_in_the_loop``); ``needs_approval=True``
(OpenAI Agents SDK); ``HumanInTheLoopMiddleware(interrupt_on={...})`` naming it; a
``HumanApprovalCallbackHandler`` in the tool's callbacks; or an agent/graph compiled with
``interrupt_before`` containing ``"tools"`` (or the tool's node) in the same file. The gate is
read from the code; that injected instructions cannot bypass it follows from the gate being in
the tool's execution path, not in the prompt.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.operations._records import items
from mlsvs.plugin import (
    Gap,
    GapReason,
    Project,
    Severity,
    SourceFile,
    abstained,
    check,
    failed,
    not_applicable,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

IRREVERSIBLE = frozenset(
    {
        "delete",
        "remove",
        "drop",
        "destroy",
        "purge",
        "wipe",
        "transfer",
        "pay",
        "payment",
        "refund",
        "send",
        "email",
        "publish",
        "deploy",
        "execute",
        "exec",
        "shutdown",
        "revoke",
        "grant",
        "purchase",
        "buy",
        "cancel",
        "withdraw",
        "wire",
        "merge",
        "push",
        "terminate",
        "approve",
        "charge",
        "sell",
        "trade",
        "rollback",
        "truncate",
    }
)
_TOOL_DECORATORS = frozenset({"tool", "function_tool"})
_TOOL_FACTORIES = frozenset({"from_function", "from_defaults"})
_APPROVAL_NAME = re.compile(r"(approv|human_in_the_loop|hitl|confirm_with_human)", re.I)
_AGENT_IMPORT = re.compile(
    r"^\s*(from|import)\s+(langchain\w*|langgraph|llama_index|crewai|autogen\w*|agents|"
    r"smolagents|mcp|fastmcp)\b",
    re.M,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tool:
    """One agent tool found in the code."""

    name: str
    line: int
    gated: str
    """How it is gated ('' when it is not)."""


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _kw(call: ast.Call, key: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == key), None)


def _const(node: ast.expr | None) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def _strings(node: ast.expr | None) -> set[str]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return {s for e in node.elts if (s := _const(e))}
    return {s} if (s := _const(node)) else set()


def _body_gate(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            called = _name(node.func)
            if called == "interrupt":
                return "interrupt() in the tool"
            if _APPROVAL_NAME.search(called):
                return f"{called}() in the tool"
    return ""


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.tools: list[Tool] = []
        self.middleware: set[str] = set()
        self.interrupt_nodes: set[str] = set()
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.wrapped: list[tuple[int, str]] = []
        """(index into tools, wrapped function name) of tools built by a factory."""

    def _decorated(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions[fn.name] = fn
        for deco in fn.decorator_list:
            called = _name(deco)
            if called not in _TOOL_DECORATORS:
                continue
            name = fn.name
            gated = ""
            if isinstance(deco, ast.Call):
                name = (deco.args and _const(deco.args[0])) or _const(_kw(deco, "name")) or name
                name = _const(_kw(deco, "name_override")) or name
                approval = _kw(deco, "needs_approval")
                if isinstance(approval, ast.Constant) and approval.value is True:
                    gated = "needs_approval=True"
                elif approval is not None and not isinstance(approval, ast.Constant):
                    gated = "needs_approval=<function>"
            others = [_name(d) for d in fn.decorator_list if d is not deco]
            gated = (
                gated
                or next((f"@{o}" for o in others if _APPROVAL_NAME.search(o)), "")
                or _body_gate(fn)
            )
            self.tools.append(Tool(name=name, line=fn.lineno, gated=gated))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._decorated(node)
        self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._decorated(node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        called = _name(node.func)
        if called == "HumanInTheLoopMiddleware":
            spec = _kw(node, "interrupt_on")
            if isinstance(spec, ast.Dict):
                for key, value in zip(spec.keys, spec.values, strict=True):
                    off = isinstance(value, ast.Constant) and value.value is False
                    if (k := _const(key)) and not off:
                        self.middleware.add(k)
        nodes = _strings(_kw(node, "interrupt_before"))
        self.interrupt_nodes |= nodes
        if called in _TOOL_FACTORIES or called in {"Tool", "StructuredTool", "FunctionTool"}:
            fn = _kw(node, "func") or _kw(node, "fn") or (node.args[0] if node.args else None)
            fn_name = _name(fn) if fn is not None else ""
            name = _const(_kw(node, "name")) or fn_name
            if name:
                callbacks = _kw(node, "callbacks")
                gated = ""
                if callbacks is not None and any(
                    _name(c) == "HumanApprovalCallbackHandler"
                    for c in ast.walk(callbacks)
                    if isinstance(c, ast.Call)
                ):
                    gated = "HumanApprovalCallbackHandler"
                self.tools.append(Tool(name=name, line=node.lineno, gated=gated))
                self.wrapped.append((len(self.tools) - 1, fn_name))
        self.generic_visit(node)

    def finish(self) -> list[Tool]:
        out = []
        for index, tool in enumerate(self.tools):
            gated = tool.gated
            fn_name = next((f for i, f in self.wrapped if i == index), "")
            if not gated and fn_name in self.functions:
                gated = _body_gate(self.functions[fn_name])
            if not gated and tool.name in self.middleware:
                gated = "HumanInTheLoopMiddleware"
            if not gated and ({"tools", "action", tool.name} & self.interrupt_nodes):
                gated = f"interrupt_before={sorted(self.interrupt_nodes)}"
            out.append(Tool(name=tool.name, line=tool.line, gated=gated))
        # one tool defined by a decorator and wrapped again is one tool
        unique: dict[tuple[str, int], Tool] = {(t.name, t.line): t for t in out}
        return list(unique.values())


def agent_tools(source: str) -> list[Tool]:
    """Every tool in a Python source and how (whether) it is gated; SyntaxError propagates."""
    finder = _Finder()
    finder.visit(ast.parse(source))
    return finder.finish()


def high_impact(name: str, patterns: list[str]) -> bool:
    """Declared by pattern, or a word of the name is an irreversible verb."""
    if any(fnmatch.fnmatchcase(name, p) for p in patterns):
        return True
    words = re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", name)
    return any(w.lower() in IRREVERSIBLE for w in words)


@check(
    id="MLC1085",
    title="High-impact agent tools pause for human approval in their execution path",
    requirements=["M11.4.5"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(SourceFile,),
    remediation="Gate each irreversible tool in code: interrupt() from langgraph.types in the "
    "tool, HumanInTheLoopMiddleware(interrupt_on=...), interrupt_before=['tools'], "
    "needs_approval=True (OpenAI Agents SDK) or an approval decorator; list the high-impact "
    "tools in [agents] high_impact_tools.",
)
def high_impact_tools_approved(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Each high-impact tool in the agent code (declared or named with an irreversible verb)
    has a human-approval gate in its execution path; one without fails."""
    from mlsvs.checks.pipeline._yaml import DocumentError
    from mlsvs.checks.pipeline.hosted import python_of

    conf = ctx.section("agents")
    patterns = [p for p in items(conf.get("high_impact_tools")) if isinstance(p, str)]
    found: list[tuple[str, Tool]] = []
    gaps: list[Gap] = []
    agent_files = 0
    for source in project.of_type(SourceFile):
        try:
            text = python_of(source)
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)[:160]))
            continue
        if not _AGENT_IMPORT.search(text):
            continue
        agent_files += 1
        try:
            found += [(source.path, t) for t in agent_tools(text)]
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
    impactful = [(p, t) for p, t in found if high_impact(t.name, patterns)]
    ungated = [(p, t) for p, t in impactful if not t.gated]
    facts = (
        ("tools", str(len(found))),
        ("high-impact", ",".join(sorted({t.name for _, t in impactful}))),
    )
    if ungated:
        yield failed(
            f"{len(ungated)} high-impact tool(s) run without human approval: "
            + ", ".join(f"{t.name} ({p}:{t.line})" for p, t in ungated[:6]),
            key="approval",
            facts=facts,
        )
        return
    if gaps:
        yield not_verified(
            f"{len(gaps)} source file(s) could not be read or parsed", gaps, key="approval"
        )
        return
    if not agent_files:
        # no agent code here: abstain (the agents may live elsewhere; attest them)
        yield abstained(
            "no agent code found, so nothing shows how high-impact actions are gated",
            key="approval",
        )
        return
    if not found:
        yield not_verified(
            f"no agent tool found in the code ({agent_files} agent file(s)), so nothing shows "
            "how high-impact actions are gated",
            Gap(item="*", reason=GapReason.NOT_PRESENT, detail="no agent tools in the code"),
            key="approval",
        )
        return
    if not impactful:
        if "high_impact_tools" in conf:
            yield not_applicable(
                f"none of the {len(found)} agent tool(s) is high-impact by the configuration "
                "or by its name",
                facts=facts,
                key="approval",
            )
        else:
            yield not_verified(
                f"none of the {len(found)} agent tool(s) is named like an irreversible action; "
                "list the high-impact ones in [agents] high_impact_tools ([] when there are "
                "none)",
                Gap(item="agents.high_impact_tools", reason=GapReason.NOT_PRESENT),
                key="approval",
                facts=facts,
            )
        return
    yield passed(
        f"{len(impactful)} high-impact tool(s) wait for human approval: "
        + ", ".join(f"{t.name} ({t.gated})" for _, t in impactful[:6]),
        key="approval",
        facts=facts,
    )
