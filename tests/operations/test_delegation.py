"""Tool servers never forward the client's token downstream (MLC1083)."""

from __future__ import annotations

from mlsvs.checks.operations.delegation import forwards, no_token_passthrough
from tests.operations.helpers import put
from tests.platform.helpers import run

OWN_CREDENTIALS = '''
"""Ticket tools for the support agent (FastMCP, streamable HTTP)."""
import os

import httpx
from fastmcp import FastMCP
from fastmcp.server.dependencies import get_access_token

mcp = FastMCP("tickets")
TICKETS_API = "https://tickets.internal.acme.example/api/v2"


def _service_token() -> str:
    # the server's own client-credentials token, scoped to tickets:read tickets:comment
    response = httpx.post(
        "https://auth.acme.example/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "tickets:read tickets:comment",
              "client_id": os.environ["TICKETS_CLIENT_ID"], "client_secret": os.environ["TICKETS_CLIENT_SECRET"]},
        timeout=5,
    )
    return response.json()["access_token"]


@mcp.tool
def list_tickets(queue: str) -> list[dict]:
    """Open tickets in a queue."""
    caller = get_access_token()
    headers = {"Authorization": f"Bearer {_service_token()}", "X-On-Behalf-Of": caller.client_id}
    r = httpx.get(f"{TICKETS_API}/queues/{queue}/tickets", headers=headers, timeout=10)
    r.raise_for_status()
    return r.json()["tickets"]


@mcp.tool
def exchange_for_downstream() -> str:
    """RFC 8693 token exchange: the client token is the subject, never a header downstream."""
    subject = get_access_token().token
    r = httpx.post(
        "https://auth.acme.example/oauth2/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
              "subject_token": subject, "audience": "tickets-api"},
        timeout=5,
    )
    return r.json()["access_token"]
'''

PASSTHROUGH = """
from fastapi import Depends, FastAPI, Request
from fastapi.security import OAuth2PasswordBearer
import requests

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


@app.post("/tools/search_crm")
def search_crm(body: dict, token: str = Depends(oauth2_scheme)):
    return requests.get("https://crm.acme.example/api/search", params=body, headers={"Authorization": f"Bearer {token}"}).json()


@app.post("/tools/billing")
async def billing(request: Request):
    auth = request.headers.get("authorization")
    forwarded = {"Authorization": auth, "Accept": "application/json"}
    async with httpx.AsyncClient() as client:
        r = await client.post("https://billing.acme.example/v1/invoices", headers=forwarded)
    return r.json()
"""


def test_own_scoped_credentials_pass(tmp_path) -> None:
    put(tmp_path, "tools/tickets_server.py", OWN_CREDENTIALS)
    outcomes = run(no_token_passthrough, tmp_path)
    assert [o.status.value for o in outcomes] == ["pass"], outcomes
    assert "3 downstream HTTP call(s)" in outcomes[0].message


def test_forwarded_client_token_fails(tmp_path) -> None:
    put(tmp_path, "tools/tickets_server.py", OWN_CREDENTIALS)
    put(tmp_path, "tools/crm_server.py", PASSTHROUGH)
    outcome = run(no_token_passthrough, tmp_path)[0]
    assert outcome.status.value == "fail"
    assert "requests.get(headers=...) at tools/crm_server.py:12" in outcome.message
    assert "client.post(headers=...) at tools/crm_server.py:20" in outcome.message
    sneaky = OWN_CREDENTIALS.replace(
        '"Authorization": f"Bearer {_service_token()}"', '"Authorization": f"Bearer {caller.token}"'
    )
    found, _ = forwards(sneaky)
    assert [call for _, call in found] == ["httpx.get(headers=...)"]


def test_no_server_code_or_unparsable_is_not_verified(tmp_path) -> None:
    put(tmp_path, "app/train.py", "import requests\nrequests.get('https://example.org')\n")
    assert [o.status.value for o in run(no_token_passthrough, tmp_path)] == ["abstained"]
    put(
        tmp_path,
        "tools/crm_server.py",
        PASSTHROUGH.replace("async def billing(", "async def billing(("),
    )
    assert [o.status.value for o in run(no_token_passthrough, tmp_path)] == ["not_verified"]
