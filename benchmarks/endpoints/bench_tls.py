"""TLS findings and time: the mlsvs TLS probe against sslyze, on the same local servers.

sslyze (https://github.com/nabla-c0d3/sslyze) is what users pick for TLS scanning. It needs
its own OpenSSL build (nassl), so it is run from a separate virtual environment:

    python -m venv /tmp/sslyze-venv && /tmp/sslyze-venv/bin/pip install sslyze==6.3.1
    python benchmarks/endpoints/bench_tls.py [--sslyze /tmp/sslyze-venv/bin/python] [--repeat 3]

For each server (self-signed, expired, TLS 1.0/1.1 offered, a weak suite offered, hardened)
it prints what each tool found and the median wall time of one scan, with the ratio
mlsvs / sslyze. sslyze runs only the comparable scan commands (certinfo, TLS 1.0, 1.1, 1.2,
1.3). Loopback only; timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.probes import servers  # noqa: E402

from mlsvs.probes.tls import client_context, inspect_tls  # noqa: E402
from mlsvs.probes.wire import parse_url  # noqa: E402

_WEAK_NAMES = ("NULL", "RC4", "DES", "EXP", "MD5", "ADH", "AECDH")


def _mlsvs(port: int, cert: Path | None) -> tuple[float, str]:
    address = parse_url(f"https://127.0.0.1:{port}/")
    start = time.perf_counter()
    info = inspect_tls(
        address,
        client_context(str(cert) if cert else ""),
        timeout_s=5.0,
        now=dt.datetime.now(tz=dt.UTC),
    )
    elapsed = time.perf_counter() - start
    found = []
    if info.failure is not None:
        found.append(f"{info.failure.value}: {info.reason}"[:60])
    if info.legacy_accepted:
        found.append("TLS 1.0/1.1 accepted")
    if info.weak_cipher:
        found.append(f"weak suite {info.weak_cipher}")
    if info.failure is None and (info.legacy_accepted is None or info.weak_cipher is None):
        found.append("not verified (OpenSSL)")
    return elapsed, "; ".join(found) or "clean"


def _sslyze(python: str, port: int, cert: Path | None, out: Path) -> tuple[float, str]:
    command = [
        python,
        "-m",
        "sslyze",
        "--quiet",
        f"--json_out={out}",
        "--certinfo",
        "--tlsv1",
        "--tlsv1_1",
        "--tlsv1_2",
        "--tlsv1_3",
    ]
    if cert is not None:
        command.append(f"--certinfo_ca_file={cert}")
    command.append(f"127.0.0.1:{port}")
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, timeout=300, check=False)
    elapsed = time.perf_counter() - start
    try:
        scan = json.loads(out.read_text())["server_scan_results"][0]["scan_result"]
    except (OSError, ValueError, KeyError, IndexError):
        return elapsed, "scan failed"
    found = []
    for version in ("tls_1_0", "tls_1_1"):
        suites = ((scan.get(f"{version}_cipher_suites") or {}).get("result") or {}).get(
            "accepted_cipher_suites", []
        )
        if suites:
            found.append(f"{version} accepted")
    tls12 = ((scan.get("tls_1_2_cipher_suites") or {}).get("result") or {}).get(
        "accepted_cipher_suites", []
    )
    names = [s["cipher_suite"]["openssl_name"] for s in tls12]
    weak = [
        n for n in names if not n.startswith(("ECDHE", "DHE")) or any(w in n for w in _WEAK_NAMES)
    ]
    if weak:
        found.append(f"weak suites {', '.join(weak[:3])}")
    deployments = ((scan.get("certificate_info") or {}).get("result") or {}).get(
        "certificate_deployments"
    ) or []
    for deployment in deployments[:1]:
        for validation in deployment.get("path_validation_results", []):
            if validation.get("validation_error"):
                found.append(f"certificate: {validation['validation_error']}"[:80])
                break
    return elapsed, "; ".join(found) or "clean"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sslyze", default="/tmp/sslyze-venv/bin/python")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tls1, tls12 = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        self_signed = servers.self_signed(tmp)
        ca, leaf, leaf_key = servers.ca_and_leaf(tmp)
        ca_x, expired, expired_key = servers.ca_and_leaf(tmp, expired=True)
        ca_r, rsa, rsa_key = servers.ca_and_leaf(tmp, rsa=True)
        cases = [
            ("self-signed (not trusted)", self_signed, {}, None),
            ("expired (trusted CA)", (expired, expired_key), {}, ca_x),
            (
                "TLS 1.0/1.1 offered",
                (leaf, leaf_key),
                {"minimum": tls1, "ciphers": "DEFAULT:@SECLEVEL=0"},
                ca,
            ),
            (
                "weak suite offered",
                (rsa, rsa_key),
                {"maximum": tls12, "ciphers": "ECDHE+AESGCM:AES128-SHA:@SECLEVEL=0"},
                ca_r,
            ),
            ("hardened (TLS 1.2+, forward-secret suites)", (rsa, rsa_key), {}, ca_r),
        ]
        print("| server | mlsvs finds | sslyze finds | mlsvs s | sslyze s | ratio mlsvs/sslyze |")
        print("|---|---|---|---|---|---|")
        for label, (cert, key), options, trusted in cases:
            ours: list[float] = []
            theirs: list[float] = []
            with servers.tls_server(cert, key, **options) as port:  # type: ignore[arg-type]
                for _ in range(args.repeat):
                    t, ours_found = _mlsvs(port, trusted)
                    ours.append(t)
                    t, theirs_found = _sslyze(args.sslyze, port, trusted, tmp / "scan.json")
                    theirs.append(t)
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"| {label} | {ours_found} | {theirs_found} | {a:.2f} | {b:.2f} | {a / b:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
