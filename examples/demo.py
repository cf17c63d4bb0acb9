"""Run mlsvs on both bundled examples, with their model servers up on 127.0.0.1.

    python examples/demo.py [--out reports]

Starts each example's FastAPI server (insecure on :8401, hardened on :8402), runs
``mlsvs verify --allow network,model-exec`` on each project, writes terminal output plus
HTML / JSON / SARIF / CycloneDX reports under ``--out``, and stops the servers. Exit code 0
when the insecure example misses L1 and the hardened one reaches it, as expected.

"No known vulnerable dependency" (M3.2.3) passes only on a complete, current advisory database,
so the demo first runs ``mlsvs advisories update``. Offline that download cannot work: the
hardened example then stops one requirement short of L1, with M3.2.3 *not verified* — fail
closed, by design — and the demo says so and still counts that as the expected outcome.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = {"insecure-classifier": 8401, "hardened-classifier": 8402}


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"demo: the server on port {port} exited early")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"demo: nothing listens on port {port} after {timeout:g} s")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


ADVISORY_REQUIREMENT = "M3.2.3"


def _update_advisories(env: dict[str, str]) -> bool:
    """Fetch a current OSV snapshot; False (with the reason printed) when that is impossible."""
    print("=== mlsvs advisories update ===", flush=True)
    try:
        code = subprocess.call(
            [sys.executable, "-m", "mlsvs", "advisories", "update"], env=env, timeout=300
        )
    except subprocess.TimeoutExpired:
        code = -1
    if code != 0:
        print(
            f"demo: no current advisory database (offline?): {ADVISORY_REQUIREMENT} will be "
            "not verified, so the hardened example cannot reach L1 here. On a connected machine "
            "run `mlsvs advisories update` (or `mlsvs advisories import all.zip`) first.",
            flush=True,
        )
    return code == 0


def _blocking(results: Path) -> set[str]:
    try:
        levels = json.loads(results.read_text(encoding="utf-8"))["levels"]
    except (OSError, ValueError, KeyError):
        return {"(no readable results.json)"}
    return {r for level in levels if level["level"] == 1 for r in level["blocking"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    args = parser.parse_args()
    busy = [p for p in EXAMPLES.values() if not _port_free(p)]
    if busy:
        print(f"demo: port(s) {busy} already in use on 127.0.0.1", file=sys.stderr)
        return 2
    env = {**os.environ, "MLSVS_EXAMPLE_API_KEY": secrets.token_urlsafe(24)}
    servers = []
    codes: dict[str, int] = {}
    fresh_advisories = _update_advisories(env)
    try:
        for name, port in EXAMPLES.items():
            server = subprocess.Popen(
                [sys.executable, str(HERE / name / "serve.py"), "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            servers.append(server)
            _wait_for_port(port, server)
        for name in EXAMPLES:
            out = args.out / name
            print(f"\n=== mlsvs verify examples/{name} ===", flush=True)
            codes[name] = subprocess.call(
                [
                    sys.executable,
                    "-m",
                    "mlsvs",
                    "verify",
                    str(HERE / name),
                    "--no-progress",
                    "--allow",
                    "network,model-exec",
                    "-f",
                    "terminal",
                    "-f",
                    f"html:{out}/report.html",
                    "-f",
                    f"json:{out}/results.json",
                    "-f",
                    f"sarif:{out}/results.sarif",
                    "-f",
                    f"cyclonedx:{out}/attestation.cdx.json",
                ],
                env=env,
            )
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
    print(
        f"\ninsecure-classifier: exit {codes.get('insecure-classifier')} (1 = L1 not reached, "
        f"as expected); hardened-classifier: exit {codes.get('hardened-classifier')} "
        "(0 = L1 reached)"
    )
    print(f"reports: {args.out}/*/report.html")
    hardened_ok = codes.get("hardened-classifier") == 0
    if not fresh_advisories and codes.get("hardened-classifier") == 1:
        blocking = _blocking(args.out / "hardened-classifier" / "results.json")
        hardened_ok = blocking == {ADVISORY_REQUIREMENT}
        print(f"hardened-classifier: L1 blocked only by {sorted(blocking)} (expected offline)")
    expected = codes.get("insecure-classifier") == 1 and hardened_ok
    return 0 if expected else 1


if __name__ == "__main__":
    sys.exit(main())
