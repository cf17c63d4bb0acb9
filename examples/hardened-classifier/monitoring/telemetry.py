"""Availability and cost telemetry per model and per principal, with alert rules (MLSVS M10.2.2).

    python monitoring/telemetry.py LOGFILE [--config monitoring/alerts.toml] [--json]

Reads the JSON lines written by ``ops.py`` for one window (e.g. the last five minutes exported
by the log pipeline) and prints a dashboard table: per model (``model_id`` + ``model_sha256``)
request count, 5xx error rate, p50/p95 latency and mean CPU milliseconds per request; per
principal request count, 401 and 429 (quota exhausted) answers. The rules in
``monitoring/alerts.toml`` ``[telemetry]`` are evaluated on those numbers; each breach is written
to stderr as one ``{"event": "alert", ...}`` line. Exit status: 0 no alert, 1 alert, 2 error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def summarise(records: list[dict[str, object]]) -> dict[str, dict[str, dict[str, float]]]:
    models: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    principals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    clients: dict[str, float] = defaultdict(float)
    for r in records:
        if r.get("event") not in {"inference", "request"}:
            continue
        model = f"{r.get('model_id')}@{str(r.get('model_sha256'))[:12]}"
        status = int(r.get("status") or 0)
        m = models[model]
        m["latency_ms"].append(float(r.get("latency_ms") or 0))
        m["cpu_ms"].append(float(r.get("cpu_ms") or 0))
        m["error"].append(1.0 if status >= 500 and not r.get("kill_switch") else 0.0)
        p = principals[str(r.get("principal"))]
        p["requests"] += 1
        p["quota_exhausted"] += status == 429
        p["unauthenticated"] += status == 401
        if status == 401:
            clients[str(r.get("client"))] += 1
    out: dict[str, dict[str, dict[str, float]]] = {"models": {}, "principals": {}, "clients": {}}
    for model, m in models.items():
        n = len(m["latency_ms"])
        out["models"][model] = {
            "requests": n,
            "error_rate": round(sum(m["error"]) / n, 4),
            "p50_latency_ms": round(percentile(m["latency_ms"], 0.50), 2),
            "p95_latency_ms": round(percentile(m["latency_ms"], 0.95), 2),
            "cpu_ms_per_query": round(sum(m["cpu_ms"]) / n, 3),
        }
    for principal, p in principals.items():
        out["principals"][principal] = {
            "requests": p["requests"],
            "quota_exhausted": p["quota_exhausted"],
            "quota_exhausted_share": round(p["quota_exhausted"] / p["requests"], 4),
            "unauthenticated": p["unauthenticated"],
        }
    out["clients"] = {c: {"unauthenticated": n} for c, n in clients.items()}
    return out


def evaluate(
    summary: dict[str, dict[str, dict[str, float]]], rules: dict[str, float]
) -> list[dict]:
    alerts = []
    for model, m in summary["models"].items():
        for metric, rule in (
            ("p95_latency_ms", "p95_latency_ms_alert"),
            ("error_rate", "error_rate_alert"),
            ("cpu_ms_per_query", "cpu_ms_per_query_alert"),
        ):
            if m[metric] > rules[rule]:
                alerts.append(
                    {"rule": rule, "model": model, "value": m[metric], "threshold": rules[rule]}
                )
    for principal, p in summary["principals"].items():
        if p["requests"] >= rules["min_requests"] and (
            p["quota_exhausted_share"] > rules["quota_exhausted_share_alert"]
        ):
            alerts.append(
                {
                    "rule": "quota_exhausted_share_alert",
                    "principal": principal,
                    "value": p["quota_exhausted_share"],
                    "threshold": rules["quota_exhausted_share_alert"],
                }
            )
    for client, c in summary["clients"].items():
        if c["unauthenticated"] > rules["unauthenticated_alert"]:
            alerts.append(
                {
                    "rule": "unauthenticated_alert",
                    "client": client,
                    "value": c["unauthenticated"],
                    "threshold": rules["unauthenticated_alert"],
                }
            )
    return alerts


def _table(summary: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = []
    for section in ("models", "principals", "clients"):
        for key, values in summary[section].items():
            cells = "  ".join(f"{k}={v:g}" for k, v in values.items())
            lines.append(f"{section[:-1]:<9} {key:<34} {cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logfile", type=Path)
    parser.add_argument("--config", type=Path, default=HERE / "alerts.toml")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    try:
        config = tomllib.loads(args.config.read_text(encoding="utf-8"))
        rules = {k: float(v) for k, v in config["telemetry"].items()}
        with args.logfile.open(encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        print(f"telemetry.py: error: {exc}", file=sys.stderr)
        return 2
    summary = summarise(records)
    alerts = evaluate(summary, rules)
    if args.json:
        print(
            json.dumps(
                {"config_version": config.get("version"), **summary, "alerts": alerts}, indent=2
            )
        )
    else:
        print(_table(summary))
        print(f"alerts: {len(alerts)}")
    for alert in alerts:
        print(
            json.dumps({"event": "alert", "monitor": "telemetry", "severity": "page", **alert}),
            file=sys.stderr,
        )
    return 1 if alerts else 0


if __name__ == "__main__":
    sys.exit(main())
