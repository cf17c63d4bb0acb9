"""Live servers on 127.0.0.1 (an ephemeral port) that stop themselves.

``serve`` runs an app object in a thread (fast, shares the test's database objects);
``serve_command`` runs the real ``mlsvs server`` command as a person would start it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@contextlib.contextmanager
def serve(app: object) -> Iterator[str]:
    """Serve ``app``; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def mlsvs_command(*argv: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``mlsvs ARGV`` in a subprocess (``MLSVS_PASSWORD`` set when given); never raises."""
    env = dict(os.environ)
    if password is not None:
        env["MLSVS_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "mlsvs", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@contextlib.contextmanager
def serve_command(data_dir: Path, port: int, *extra: str) -> Iterator[str]:
    """Run ``mlsvs server --data-dir DATA_DIR --port PORT``; yields the URL once it answers.

    Ready means ``/api/v1/health`` answers 200 (the schema is migrated and requests are
    served). The process is always stopped, and its stderr is in the error when it dies early.
    """
    log = data_dir.parent / f"mlsvs-server-{port}.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlsvs", "server", "--data-dir", str(data_dir),
             "--port", str(port), *extra],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"mlsvs server exited: {log.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mlsvs server did not answer in 60 s: {log.read_text()}")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
