"""Operational drills against the real service, in process (MLSVS M10.1.1, M10.2.1, M10.2.2, M10.3.1).

    python monitoring/drills.py replay        # ops log of normal traffic and of a shifted sample
    python monitoring/drills.py load          # burst above the rate limit, then telemetry alerts
    python monitoring/drills.py kill-switch   # flip the flag file, time the switch both ways
    python monitoring/drills.py kill-switch-live  # the same against `python serve.py` in a process

Each drill builds the application exactly as serve.py does (``serve.create_app``), wrapped by
``ops.install_ops`` (unchanged if serve.py already installed it), drives it with Starlette's
TestClient (needs httpx) and writes the ops log under ``monitoring/samples/``. A random API key
is generated per drill and never written anywhere. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLES = HERE / "samples"
sys.path.insert(0, str(ROOT))

import ops  # noqa: E402
import serve  # noqa: E402

FEATURES = serve.FEATURES


def _app(log: TextIO, *, flag_file: Path | None = None, **limits: float):
    key = secrets.token_urlsafe(24)
    app = serve.create_app(api_key=key, **limits)
    app = ops.install_ops(
        app,
        model_path=ROOT / "models" / "classifier.onnx",
        log_stream=log,
        kill_switch_file=flag_file,
        poll_interval_s=1.0,
    )
    if getattr(app, "log", None) is not None:
        app.log.stream = log  # serve.py may have installed ops with its own stream
        if flag_file is not None:
            app.kill_switch.flag_file = flag_file
    from starlette.testclient import TestClient

    return TestClient(app), {"Authorization": f"Bearer {key}"}


def _rows(path: Path) -> list[list[float]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [[float(r[f]) for f in FEATURES] for r in csv.DictReader(handle)]


def _shift(row: list[float], rng: random.Random) -> list[float]:
    """A plausible distribution shift: poorer, more indebted applicants (e.g. a new broker)."""
    age, income, debt, lines, years = row
    return [
        age,
        round(income * 0.6, 1),
        round(min(1.5, debt * 1.5 + 0.15), 3),
        min(12.0, lines + rng.randint(1, 3)),
        years,
    ]


def replay(_: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(2026)
    rows = _rows(ROOT / "data" / "test.csv")
    summary: dict[str, object] = {}
    for name, batch in (("baseline", rows), ("shifted", [_shift(r, rng) for r in rows])):
        out = SAMPLES / f"{name}.jsonl"
        with out.open("w", encoding="utf-8") as log:
            client, auth = _app(log, rate_capacity=100_000, rate_refill_per_s=100_000)
            statuses = [
                client.post("/predict", json={"features": r}, headers=auth).status_code
                for r in batch
            ]
        summary[name] = {
            "log": str(out.relative_to(ROOT)),
            "requests": len(statuses),
            "ok": statuses.count(200),
        }
    return summary


def load(_: argparse.Namespace) -> dict[str, object]:
    out = SAMPLES / "load-test.jsonl"
    rows = _rows(ROOT / "data" / "test.csv")
    with out.open("w", encoding="utf-8") as log:
        client, auth = _app(log)  # serve.py's default limits: burst 20, 5 requests/s per key
        started = time.monotonic()
        statuses = [
            client.post(
                "/predict", json={"features": rows[i % len(rows)]}, headers=auth
            ).status_code
            for i in range(150)
        ]
        elapsed = time.monotonic() - started
        bad = [
            client.post(
                "/predict",
                json={"features": rows[0]},
                headers={"Authorization": "Bearer wrong-key"},
            ).status_code
            for _ in range(60)
        ]
    return {
        "log": str(out.relative_to(ROOT)),
        "requests": len(statuses),
        "elapsed_s": round(elapsed, 2),
        "statuses": {s: statuses.count(s) for s in set(statuses)},
        "wrong_key_statuses": {s: bad.count(s) for s in set(bad)},
    }


def kill_switch(args: argparse.Namespace) -> dict[str, object]:
    out = SAMPLES / "kill-switch-drill.jsonl"
    row = _rows(ROOT / "data" / "test.csv")[0]
    with tempfile.TemporaryDirectory() as tmp, out.open("w", encoding="utf-8") as log:
        flag = Path(tmp) / "model-disabled"
        client, auth = _app(log, flag_file=flag, rate_capacity=100_000, rate_refill_per_s=100_000)

        def status() -> int:
            return client.post("/predict", json={"features": row}, headers=auth).status_code

        before = status()
        flag.write_text(json.dumps({"actor": args.actor, "reason": args.reason}), encoding="utf-8")
        flipped = time.monotonic()
        while (current := status()) != 503:
            time.sleep(0.05)
        to_disabled = time.monotonic() - flipped
        disabled = client.post("/predict", json={"features": row}, headers=auth)
        health = client.get("/healthz").status_code
        flag.unlink()
        flipped = time.monotonic()
        while status() != 200:
            time.sleep(0.05)
        to_enabled = time.monotonic() - flipped
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return {
        "log": str(out.relative_to(ROOT)),
        "status_before": before,
        "seconds_to_disabled": round(to_disabled, 2),
        "disabled_answer": {
            "status": disabled.status_code,
            "body": disabled.json(),
            "retry_after": disabled.headers.get("retry-after"),
        },
        "healthz_while_disabled": health,
        "seconds_to_enabled": round(to_enabled, 2),
        "last_status_seen_disabled": current,
        "kill_switch_events": [e for e in events if e.get("event") == "kill_switch"],
    }


def live_kill_switch(args: argparse.Namespace) -> dict[str, object]:
    """The same drill against ``python serve.py`` in its own process (the production entry point)."""
    import socket
    import subprocess

    import httpx

    out = SAMPLES / "kill-switch-live.jsonl"
    row = _rows(ROOT / "data" / "test.csv")[0]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as tmp, out.open("w", encoding="utf-8") as log:
        flag = Path(tmp) / "model-disabled"
        env = {**os.environ, "MLSVS_EXAMPLE_API_KEY": key}
        env["MLSVS_KILL_SWITCH_FILE"] = str(flag)
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "serve.py"), "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.DEVNULL,
        )
        try:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5)
            auth = {"Authorization": f"Bearer {key}"}
            deadline = time.monotonic() + 30
            while True:
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)

            def status() -> int:
                return client.post("/predict", json={"features": row}, headers=auth).status_code

            before = status()
            note = {"actor": args.actor, "reason": args.reason}
            flag.write_text(json.dumps(note), encoding="utf-8")
            flipped = time.monotonic()
            while status() != 503:
                time.sleep(0.05)
            to_disabled = time.monotonic() - flipped
            flag.unlink()
            flipped = time.monotonic()
            while status() != 200:
                time.sleep(0.05)
            to_enabled = time.monotonic() - flipped
        finally:
            server.terminate()
            server.wait(10)
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return {
        "log": str(out.relative_to(ROOT)),
        "entry_point": "python serve.py (uvicorn, ops installed by serve.main)",
        "status_before": before,
        "seconds_to_disabled": round(to_disabled, 2),
        "seconds_to_enabled": round(to_enabled, 2),
        "kill_switch_events": [e for e in events if e.get("event") == "kill_switch"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="drill", required=True)
    sub.add_parser("replay").set_defaults(run=replay)
    sub.add_parser("load").set_defaults(run=load)
    kill = sub.add_parser("kill-switch")
    kill.add_argument("--actor", default="on-call ML engineer (drill)")
    kill.add_argument("--reason", default="scheduled kill-switch drill")
    kill.set_defaults(run=kill_switch)
    live = sub.add_parser("kill-switch-live")
    live.add_argument("--actor", default="on-call ML engineer (drill)")
    live.add_argument("--reason", default="scheduled kill-switch drill, live process")
    live.set_defaults(run=live_kill_switch)
    args = parser.parse_args()
    SAMPLES.mkdir(exist_ok=True)
    print(json.dumps(args.run(args), indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
