"""MLC956 (M11.2.1): model output through real HTML, Markdown, SQLite and shell sinks."""

from __future__ import annotations

import html
import json
import re
import shlex
import sqlite3
import subprocess
import threading
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlsvs.checks.endpoints import llm
from mlsvs.plugin import Capability, CheckContext, Project, Status

pytestmark = pytest.mark.network
MARK = "nothing else, no code fences: "


def model(prompt: str) -> str:
    """An obedient model: it repeats what it was asked to repeat."""
    return prompt.split(MARK, 1)[1] if MARK in prompt else "Here is your summary."


def markdown(text: str, *, safe: bool) -> str:
    if safe:
        text = html.escape(text)
        return "<p>" + re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"[image removed: \1]", text) + "</p>"
    return "<p>" + re.sub(r"!\[([^\]]*)\]\(([^)]*)\)", r'<img alt="\1" src="\2">', text) + "</p>"


def sql(text: str, *, safe: bool) -> str:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE docs (title TEXT)")
    db.execute("INSERT INTO docs VALUES ('quarterly report')")
    try:
        if safe:
            rows = db.execute("SELECT title FROM docs WHERE title = ?", (text,)).fetchall()
        else:
            rows = db.execute(f"SELECT title FROM docs WHERE title = '{text}'").fetchall()  # noqa: S608 - the flaw under test
    except sqlite3.Error as exc:
        return json.dumps({"error": str(exc)})
    return json.dumps({"rows": [r[0] for r in rows]})


def shell(text: str, *, safe: bool) -> str:
    arg = shlex.quote(text) if safe else text
    done = subprocess.run(  # noqa: S602 - the flaw under test (the payload is the probe's)
        f"echo {arg}",
        shell=True,
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    return done.stdout


@contextmanager
def app(*, safe: bool):
    class H(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            answer = model(body.get("prompt", ""))
            if self.path == "/chat/html":
                out = f"<div class=answer>{html.escape(answer) if safe else answer}</div>"
            elif self.path == "/chat/markdown":
                out = markdown(answer, safe=safe)
            elif self.path == "/search":
                out = sql(answer, safe=safe)
            elif self.path == "/export":
                out = shell(answer, safe=safe)
            else:
                self.send_response(404)
                self.end_headers()
                return
            data = out.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def _run(tmp_path, base, sinks=None):
    kinds = {
        "html": "/chat/html",
        "markdown": "/chat/markdown",
        "sql": "/search",
        "shell": "/export",
    }
    section = {
        "url": f"{base}/v1/chat/completions",
        "allowed_hosts": ["127.0.0.1"],
        "sinks": sinks
        if sinks is not None
        else [
            {"name": k, "kind": k, "url": base + path, "request_template": '{"prompt": "$PROMPT"}'}
            for k, path in kinds.items()
        ],
    }
    project = Project(root=tmp_path, name="p", traits=frozenset({"genai"}))
    ctx = CheckContext(
        project=project,
        today=date(2026, 12, 2),
        settings={"llm": section},
        capabilities=frozenset({Capability.NETWORK}),
    )
    [o] = llm.output_neutralised_in_sinks.run(ctx, project)
    return o


def test_flaws_are_real():
    assert "<img" in markdown("![a](https://attacker.example/x.png)", safe=False)
    assert "QZ" in sql("x' UNION SELECT 'Q' || 'Z' --", safe=False)
    assert "42" in shell("$(( 6 * 7 ))", safe=False) and "42" not in shell(
        "$(( 6 * 7 ))", safe=True
    )


def test_unsafe_sinks_fail_and_safe_sinks_pass(tmp_path):
    with app(safe=False) as base:
        bad = _run(tmp_path, base)
    assert bad.status is Status.FAIL, bad.message
    for sink in (
        "html (html): script tag",
        "markdown (markdown): markdown image exfiltration",
        "sql (sql): string concatenation",
        "shell (shell): command substitution",
    ):
        assert sink in bad.message, (sink, bad.message)
    with app(safe=True) as base:
        good = _run(tmp_path, base)
    assert good.status is Status.PASS, good.message
    assert good.measurements[0].value == 0.0


def test_no_sinks_or_dead_sink_is_not_verified(tmp_path):
    with app(safe=True) as base:
        o = _run(tmp_path, base, sinks=[])
        assert o.status is Status.NOT_VERIFIED and "no output sinks" in o.message
    o = _run(
        tmp_path,
        "http://127.0.0.1:9",
        sinks=[{"name": "ui", "kind": "html", "url": "http://127.0.0.1:9/render"}],
    )
    assert o.status is Status.NOT_VERIFIED, o.message
