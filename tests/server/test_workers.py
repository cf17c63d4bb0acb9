"""Several server processes on one database: the login throttle and sessions hold across them."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.server.conftest import PASSWORD, make_env

if TYPE_CHECKING:
    from collections.abc import Iterator

SRC = Path(__file__).resolve().parents[2] / "src"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _server(database: str, data_dir: Path, *extra: str) -> Iterator[tuple[str, int]]:
    """``mlsvs server … serve`` in a subprocess; yields its base URL and process ID."""
    import httpx

    port = _port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("MLSVS_SERVER_SECRET", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlsvs", "server", "--database", database, "--data-dir",
         str(data_dir), "--port", str(port), *extra, "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"server exited {proc.returncode}: {err[-2000:]}")
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not start in 90 s")
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
            proc.kill()
            proc.wait()


def _login(client, user: str, password: str) -> int:  # type: ignore[no-untyped-def]
    page = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf, page[:300]
    data = {"username": user, "password": password, "csrf_token": csrf.group(1), "next": "/"}
    return int(client.post("/login", data=data).status_code)


def _data_dir(database: str, tmp_path: Path) -> Path:
    env = make_env(database, tmp_path / "fixture")  # the users, one per role
    env.app.state.engine.dispose()  # type: ignore[attr-defined]
    data = tmp_path / "data"
    data.mkdir()
    return data


def test_the_throttle_counts_attempts_of_every_process(database, tmp_path):
    """Two apps (as two processes would hold them) share one count; the window slides."""
    from mlsvs.server.db import make_engine, migrate, session_factory
    from mlsvs.server.security import LoginThrottle

    engines = [make_engine(database), make_engine(database)]
    migrate(engines[0])
    try:
        a, b = (
            LoginThrottle(sessions=session_factory(e), attempts=3, window_s=60) for e in engines
        )
        t = 1_000_000.0
        assert [a.attempt("ada|1.2.3.4", now=t), b.attempt("ada|1.2.3.4", now=t + 1)] == [True] * 2
        assert a.attempt("ada|1.2.3.4", now=t + 2)
        # The fourth attempt, from either process, waits; another key does not.
        assert not b.attempt("ada|1.2.3.4", now=t + 3)
        assert not a.attempt("ada|1.2.3.4", now=t + 4)
        assert b.attempt("bob|1.2.3.4", now=t + 4)
        # Refused attempts are not counted: 60 s after the first failure one slot is free.
        assert b.attempt("ada|1.2.3.4", now=t + 60.5)
        assert not a.attempt("ada|1.2.3.4", now=t + 60.6)
        # Success clears the key for every process.
        b.succeeded("ada|1.2.3.4")
        assert a.attempt("ada|1.2.3.4", now=t + 61)
        # Old rows are pruned and keys are stored hashed.
        from sqlalchemy import select

        from mlsvs.server.models import LoginFailure

        with session_factory(engines[0])() as session:
            keys = list(session.execute(select(LoginFailure.key, LoginFailure.at)))
        assert all(len(k) == 64 and "ada" not in k for k, _ in keys)
        assert all(at >= t + 1 for _, at in keys)
    finally:
        for engine in engines:
            engine.dispose()


def test_login_throttle_holds_across_two_server_processes(database, tmp_path):
    import httpx

    data = _data_dir(database, tmp_path)
    with _server(database, data) as (one, _), _server(database, data) as (two, _):
        clients = [httpx.Client(base_url=u, timeout=30) for u in (one, two, one, two, one)]
        # Five failures spread over both processes, then the right password is refused by both.
        assert [_login(c, "vic", "wrong password!!") for c in clients] == [401] * 5
        assert _login(httpx.Client(base_url=one, timeout=30), "vic", PASSWORD) == 429
        assert _login(httpx.Client(base_url=two, timeout=30), "vic", PASSWORD) == 429
        # Another user is unaffected, and its session cookie works on the other process.
        ada = httpx.Client(base_url=one, timeout=30)
        assert _login(ada, "ada", PASSWORD) == 303
        other = httpx.Client(base_url=two, timeout=30, cookies=ada.cookies)
        assert other.get("/").status_code == 200
        for c in [*clients, ada, other]:
            c.close()


@pytest.mark.slow
def test_workers_option_serves_from_several_processes(database, tmp_path):
    import httpx

    data = _data_dir(database, tmp_path)
    with _server(database, data, "--workers", "2") as (url, pid):
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():  # Linux: two worker processes (besides multiprocessing's tracker)
            workers = [
                c
                for c in children.read_text().split()
                if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()
            ]
            assert len(workers) == 2
        client = httpx.Client(base_url=url, timeout=30)
        assert _login(client, "vic", PASSWORD) == 303
        # Every request of the session succeeds whichever worker takes it.
        assert {client.get("/").status_code for _ in range(12)} == {200}
        for _ in range(5):
            _login(httpx.Client(base_url=url, timeout=30), "ada", "wrong password!!")
        assert _login(httpx.Client(base_url=url, timeout=30), "ada", PASSWORD) == 429
        client.close()


def test_workers_option_is_bounded(capsys):
    from mlsvs.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(["server", "--workers", "0", "serve"])
    assert exited.value.code == 2
    assert "--workers takes 1 to 64" in capsys.readouterr().err
