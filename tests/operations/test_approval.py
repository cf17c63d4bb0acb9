"""High-impact agent tools pause for human approval (MLC1085), read from agent code."""

from __future__ import annotations

from mlsvs.checks.operations.approval import agent_tools, high_impact, high_impact_tools_approved
from tests.operations.helpers import put
from tests.platform.helpers import run

LANGGRAPH = '''
"""Support agent: looks up orders and issues refunds."""
from langchain_core.tools import tool
from langgraph.prebuilt import create_react_agent
from langgraph.types import interrupt

from support.backend import orders, payments


@tool
def lookup_order(order_id: str) -> dict:
    """Return the order's status and items."""
    return orders.get(order_id)


@tool("refund_payment")
def refund(order_id: str, amount_cents: int) -> str:
    """Refund part or all of an order."""
    decision = interrupt({"action": "refund_payment", "order_id": order_id, "amount": amount_cents})
    if decision.get("approved") is not True:
        return "refund not approved"
    return payments.refund(order_id, amount_cents)


agent = create_react_agent("anthropic:claude-3-5-sonnet-20241022", tools=[lookup_order, refund])
'''

MIDDLEWARE = """
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.tools import StructuredTool

from crm import mailer, accounts


def send_customer_email(to: str, subject: str, body: str) -> str:
    return mailer.send(to, subject, body)


def delete_account(account_id: str) -> str:
    return accounts.delete(account_id)


email_tool = StructuredTool.from_function(func=send_customer_email, name="send_customer_email")
delete_tool = StructuredTool.from_function(func=delete_account)

agent = create_agent(
    model="openai:gpt-4o-2024-08-06",
    tools=[email_tool, delete_tool],
    middleware=[
        HumanInTheLoopMiddleware(
            interrupt_on={"send_customer_email": True, "delete_account": {"allowed_decisions": ["approve", "reject"]}}
        )
    ],
)
"""

OPENAI_AGENTS = """
from agents import Agent, function_tool

from ops import k8s


@function_tool
def get_pod_status(namespace: str) -> str:
    return k8s.status(namespace)


@function_tool(needs_approval=True)
def deploy_release(version: str) -> str:
    return k8s.rollout(version)


@function_tool
def restart_service(name: str) -> str:
    return k8s.restart(name)


ops_agent = Agent(name="ops", tools=[get_pod_status, deploy_release, restart_service])
"""


def test_gated_high_impact_tools_pass(tmp_path) -> None:
    put(tmp_path, "support/agent.py", LANGGRAPH)
    put(tmp_path, "crm/agent.py", MIDDLEWARE)
    put(tmp_path, "ops/agent.py", OPENAI_AGENTS)
    settings = {"agents": {"high_impact_tools": ["restart_*"]}}
    outcomes = run(high_impact_tools_approved, tmp_path, settings=settings)
    assert [o.status.value for o in outcomes] == ["fail"]
    # restart_service is declared high-impact and has no gate
    assert "restart_service (ops/agent.py:" in outcomes[0].message
    put(
        tmp_path,
        "ops/agent.py",
        OPENAI_AGENTS.replace(
            "@function_tool\ndef restart_service",
            "@function_tool(needs_approval=True)\ndef restart_service",
        ),
    )
    outcomes = run(high_impact_tools_approved, tmp_path, settings=settings)
    assert [o.status.value for o in outcomes] == ["pass"], outcomes
    message = outcomes[0].message
    for gated in (
        "refund_payment (interrupt() in the tool)",
        "send_customer_email (HumanInTheLoopMiddleware)",
        "delete_account (HumanInTheLoopMiddleware)",
        "deploy_release (needs_approval=True)",
    ):
        assert gated in message, gated


def test_ungated_irreversible_tool_fails(tmp_path) -> None:
    ungated = LANGGRAPH.replace(
        '    decision = interrupt({"action": "refund_payment", "order_id": order_id, "amount": amount_cents})\n'
        '    if decision.get("approved") is not True:\n'
        '        return "refund not approved"\n',
        "",
    )
    put(tmp_path, "support/agent.py", ungated)
    outcomes = run(high_impact_tools_approved, tmp_path)
    assert [o.status.value for o in outcomes] == ["fail"]
    assert "refund_payment (support/agent.py:" in outcomes[0].message
    # the graph-level gate before the tool node covers every tool
    gated = ungated.replace(
        "tools=[lookup_order, refund])", 'tools=[lookup_order, refund], interrupt_before=["tools"])'
    )
    put(tmp_path, "support/agent.py", gated)
    assert [o.status.value for o in run(high_impact_tools_approved, tmp_path)] == ["pass"]
    # the middleware switched off for one tool does not gate it
    put(tmp_path, "support/agent.py", "")
    put(
        tmp_path,
        "crm/agent.py",
        MIDDLEWARE.replace('"send_customer_email": True', '"send_customer_email": False'),
    )
    outcomes = run(high_impact_tools_approved, tmp_path)
    assert "send_customer_email" in outcomes[0].message and outcomes[0].status.value == "fail"


def test_names_and_tools_are_read() -> None:
    assert high_impact("transferFunds", [])
    assert high_impact("issue_refund", [])
    assert not high_impact("lookup_order", [])
    assert high_impact("close_ticket", ["close_*"])
    names = {t.name: t.gated for t in agent_tools(MIDDLEWARE)}
    assert names == {
        "send_customer_email": "HumanInTheLoopMiddleware",
        "delete_account": "HumanInTheLoopMiddleware",
    }


def test_no_tools_unparsable_or_declared_none(tmp_path) -> None:
    put(tmp_path, "app/train.py", "import sklearn\n")
    assert [o.status.value for o in run(high_impact_tools_approved, tmp_path)] == ["abstained"]
    readonly = OPENAI_AGENTS.replace("deploy_release", "get_release").replace(
        "restart_service", "get_service"
    )
    put(tmp_path, "ops/agent.py", readonly)
    assert [o.status.value for o in run(high_impact_tools_approved, tmp_path)] == ["not_verified"]
    declared = {"agents": {"high_impact_tools": []}}
    assert [
        o.status.value for o in run(high_impact_tools_approved, tmp_path, settings=declared)
    ] == ["not_applicable"]
    put(tmp_path, "support/agent.py", LANGGRAPH.replace("def refund(", "def refund(("))
    assert [o.status.value for o in run(high_impact_tools_approved, tmp_path)] == ["not_verified"]
