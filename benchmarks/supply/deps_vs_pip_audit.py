"""Side by side: `mlsvs deps` (offline snapshot, and --online) vs `pip-audit -s osv`.

Both query the same local OSV stand-in on 127.0.0.1 (the OSV API shapes: /v1/query for
pip-audit, /v1/querybatch + /v1/vulns/ID for mlsvs), answering from an OSV zip you pass (for
example a PyPA advisory-database export converted to JSON). Reports the advisory IDs each tool
finds per package and the median wall time of 3 runs. Run by hand:

    python benchmarks/supply/deps_vs_pip_audit.py OSV.zip requirements.txt [--pip-audit PATH]

Noisy on a shared machine: say so with the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from mlsvs.supply.osv import AdvisoryIndex, parse_record  # noqa: E402


def _server(records: list[dict[str, object]]) -> tuple[ThreadingHTTPServer, str]:
    advisories = tuple(a for a in (parse_record(r) for r in records) if a is not None)
    index = AdvisoryIndex(advisories)
    by_id = {str(r["id"]): r for r in records}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _ids(self, query: dict[str, dict[str, str]]) -> list[str]:
            found, _ = index.match(query["package"]["name"], str(query["version"]))
            return [a.id for a in found]

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/v1/query":
                self._send({"vulns": [by_id[i] for i in self._ids(body)]})
            else:
                self._send(
                    {
                        "results": [
                            {"vulns": [{"id": i} for i in self._ids(q)]} for q in body["queries"]
                        ]
                    }
                )

        def do_GET(self) -> None:
            self._send(by_id[self.path.rsplit("/", 1)[1]])

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        times.append(time.perf_counter() - start)
        out = done.stdout
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("osv_zip", type=Path)
    parser.add_argument("requirements", type=Path)
    parser.add_argument("--pip-audit", default="pip-audit")
    args = parser.parse_args()
    with zipfile.ZipFile(args.osv_zip) as archive:
        records = [json.loads(archive.read(n)) for n in archive.namelist() if n.endswith(".json")]
    httpd, url = _server(records)
    cache = tempfile.mkdtemp()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MLSVS_CACHE_DIR": cache}
    mlsvs = [sys.executable, "-m", "mlsvs"]
    subprocess.run([*mlsvs, "advisories", "import", str(args.osv_zip)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    runs = {
        "mlsvs deps (offline snapshot)": [*mlsvs, "deps", str(args.requirements), "-f", "json",
                                          "--max-age", "100000"],
        "mlsvs deps --online": [*mlsvs, "deps", str(args.requirements), "-f", "json", "--online",
                                "--osv-api", url, "--allow", "network"],
        "pip-audit -s osv": [args.pip_audit, "-r", str(args.requirements), "--no-deps",
                             "--disable-pip", "-s", "osv", "--osv-url", f"{url}/v1/query",
                             "-f", "json", "--progress-spinner", "off"],
    }  # fmt: skip
    found: dict[str, dict[str, set[str]]] = {}
    for name, command in runs.items():
        seconds, out = _timed(command, env)
        doc = json.loads(out)
        per: dict[str, set[str]] = {}
        if "vulnerable" in doc:
            for hit in doc["vulnerable"]:
                per[hit["package"]] = {a["id"] for a in hit["advisories"]}
        else:
            for dep in doc["dependencies"]:
                if dep.get("vulns"):
                    per[dep["name"].lower()] = {v["id"] for v in dep["vulns"]}
        found[name] = per
        total = sum(len(v) for v in per.values())
        print(f"{name:32s} {seconds:6.2f} s median of 3   {total:3d} advisories "
              f"in {len(per)} packages")  # fmt: skip
    packages = sorted({p for per in found.values() for p in per})
    for package in packages:
        cells = "  ".join(f"{len(per.get(package, ())):3d}" for per in found.values())
        print(f"  {package:20s} {cells}")
    httpd.shutdown()


if __name__ == "__main__":
    main()
