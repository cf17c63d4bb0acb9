"""Detection and run time of the endpoint probes: released (main) against this tree, same run.

Starts every flawed server of ``tests/probes/flawed.py`` (one flaw each), the TLS variants and
the two example servers on 127.0.0.1, probes each with both versions (``probe_once.py`` in a
subprocess, PYTHONPATH pointing at each ``src``), and prints

* a detection table: for each flaw class, the verdict of the check that should fail it;
* run time and requests per probe run (median of ``--repeat``), with the ratio new / old.

    python benchmarks/endpoints/bench_probes.py [--old /work/main/src] [--repeat 3]

Loopback only. Timings on a shared machine are noisy: read the ratios, not the digits.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.probes import flawed, servers  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterator

SETTINGS = {
    "timeout_s": 2.0,
    "slow_body_s": 2.0,
    "burst": 60,
    "max_body_bytes": 256 * 1024,
    "cost_max_bytes": 8 * 1024,
}
FLAW_CLASSES = [
    ("route alias /v1/predict without auth", "alias_without_auth", "authentication"),
    ("lower-case scheme skips the key check", "lowercase_scheme_skips_check", "authentication"),
    ("credential accepted in the query string", "query_credential_echo", "authentication"),
    ("credential echoed in errors", "query_credential_echo", "error_leakage"),
    ("rate limit keyed on X-Forwarded-For", "xff_rate_limit", "rate_limit"),
    ("CORS reflects any origin with credentials", "cors_reflects_with_credentials", "cors"),
    ("weights download route", "weights_route", "management_surface"),
    ("no body limit for a valid batch", "no_body_limit", "resource_limits"),
    ("quadratic-cost endpoint", "quadratic_cost", "cost"),
    ("unauthenticated route listed in OpenAPI", "openapi_hidden_route", "authentication"),
]


def _probe(src: str, spec: dict[str, object]) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("probe_once.py")), json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout)


def _spec(port: int, scheme: str = "http", **extra: object) -> dict[str, object]:
    settings = dict(SETTINGS)
    if "ca_file" in extra:
        settings["ca_file"] = extra.pop("ca_file")
    return {
        "url": f"{scheme}://127.0.0.1:{port}/predict",
        "template": flawed.TEMPLATE,
        "key": flawed.API_KEY,
        "health_path": "/healthz",
        "settings": settings,
        **extra,
    }


@contextlib.contextmanager
def _tls(kind: str, tmp: Path) -> Iterator[tuple[int, Path]]:
    tls1, tls12 = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_2
    if kind == "self-signed":
        cert, key = servers.self_signed(tmp)
        with servers.tls_server(cert, key) as port:
            yield port, Path("")
    elif kind == "expired":
        cert, key = servers.self_signed(tmp, expired=True)
        with servers.tls_server(cert, key) as port:
            yield port, cert
    elif kind == "TLS 1.0/1.1 offered":
        cert, key = servers.self_signed(tmp)
        with servers.tls_server(cert, key, minimum=tls1, ciphers="DEFAULT:@SECLEVEL=0") as port:
            yield port, cert
    else:
        cert, key = servers.self_signed(tmp, rsa=True)
        ciphers = "ECDHE+AESGCM:AES128-SHA:@SECLEVEL=0"
        with servers.tls_server(cert, key, maximum=tls12, ciphers=ciphers) as port:
            yield port, cert


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="/work/main/src", help="src of the released version")
    parser.add_argument("--new", default=str(ROOT / "src"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    for label, flag, area in FLAW_CLASSES:
        with flawed.serve(flawed.Flaws(**{flag: True})) as port:
            old = _probe(args.old, _spec(port))["verdicts"].get(area, "absent")
        with flawed.serve(flawed.Flaws(**{flag: True})) as port:
            new = _probe(args.new, _spec(port))["verdicts"][area]
        rows.append((label, area, old, new))
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("self-signed", "expired", "TLS 1.0/1.1 offered", "weak cipher suite"):
            results = []
            for src in (args.old, args.new):
                with _tls(kind, Path(tmp)) as (port, cert):
                    extra = {"ca_file": str(cert)} if str(cert) != "." else {}
                    results.append(_probe(src, _spec(port, "https", **extra))["verdicts"])
            rows.append((f"TLS: {kind}", "transport", *(r["transport"] for r in results)))
    with flawed.serve() as port:
        old_h = _probe(args.old, _spec(port))["verdicts"]
    with flawed.serve() as port:
        new_h = _probe(args.new, _spec(port))["verdicts"]
    print("| flaw class | check area | before (main) | after (this branch) |")
    print("|---|---|---|---|")
    for label, area, old, new in rows:
        print(f"| {label} | {area} | {old} | {new} |")
    caught_old = sum(r[2] == "fail" for r in rows)
    caught_new = sum(r[3] == "fail" for r in rows)
    print(f"\ncaught: before {caught_old}/{len(rows)}, after {caught_new}/{len(rows)}")
    print(f"hardened server, before: {sorted(set(old_h.values()))}; after: {new_h}")

    print("\n| server | version | median s | requests | ratio new/old |")
    print("|---|---|---|---|---|")
    timing_targets = ["hardened flawed-server", "quadratic flawed-server"]
    for name in timing_targets:
        flaws = (
            flawed.Flaws(quadratic_cost=True) if name.startswith("quadratic") else flawed.Flaws()
        )
        medians = {}
        for version, src in (("old", args.old), ("new", args.new)):
            runs = []
            for _ in range(args.repeat):
                with flawed.serve(flaws) as port:
                    runs.append(_probe(src, _spec(port)))
            medians[version] = statistics.median(r["seconds"] for r in runs)
            print(
                f"| {name} | {version} | {medians[version]:.2f} | {runs[0]['requests']} | "
                + (f"{medians['new'] / medians['old']:.2f} |" if version == "new" else "|")
            )
    for example in ("insecure-classifier", "hardened-classifier"):
        medians = {}
        for version, src in (("old", args.old), ("new", args.new)):
            runs = []
            for _ in range(args.repeat):
                # A fresh server per run: the hardened one remembers failed logins and quotas.
                port = servers.free_port()
                process = servers.start_example(example, port)
                try:
                    servers.wait_listening(port, process)
                    spec = {
                        "url": f"http://127.0.0.1:{port}/predict",
                        "template": servers.TEMPLATE,
                        "key": servers.API_KEY,
                        "health_path": "/healthz",
                        "settings": {"slow_body_s": 3.0},
                    }
                    runs.append(_probe(src, spec))
                finally:
                    servers.stop(process)
            medians[version] = statistics.median(r["seconds"] for r in runs)
            print(
                f"| example {example} | {version} | {medians[version]:.2f} | "
                f"{runs[0]['requests']} | "
                + (f"{medians['new'] / medians['old']:.2f} |" if version == "new" else "|")
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
