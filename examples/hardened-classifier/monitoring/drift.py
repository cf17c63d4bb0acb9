"""Input and prediction drift of logged requests against the training data (MLSVS M10.2.1).

    python monitoring/drift.py LOGFILE [--reference data/train.csv] [--config monitoring/alerts.toml]

LOGFILE holds the JSON lines written by ``ops.py`` (schema ``mlsvs.inference/1``); only
answered inference records (status 200) that carry ``features`` are used. For each feature the
monitor computes the population stability index (PSI, ten quantile bins of the reference) and the
two-sample Kolmogorov-Smirnov statistic with its asymptotic p-value; for the predictions it
computes the PSI of the predicted-label mix against the model's own mix on the reference data
(scored with onnxruntime when installed, otherwise the reference labels are used and the report
says so). Thresholds come from ``monitoring/alerts.toml``.

Prints a JSON report on stdout; every breached threshold is also written to stderr as one
``{"event": "alert", ...}`` line for the scheduler's alert routing. Exit status: 0 no alert,
1 alert, 2 usage or input error. Standard library only (numpy/onnxruntime optional).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import json
import math
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FEATURES = ["age", "income_k", "debt_ratio", "credit_lines", "years_employed"]
LABELS = ("repays", "defaults")
EPS = 1e-4


def quantile_edges(reference: list[float], bins: int = 10) -> list[float]:
    """Inner bin edges at the reference quantiles (duplicates removed for discrete features)."""
    ordered = sorted(reference)
    edges = []
    for k in range(1, bins):
        edge = ordered[min(len(ordered) - 1, int(k * len(ordered) / bins))]
        if not edges or edge > edges[-1]:
            edges.append(edge)
    return edges


def _shares(values: list[float], edges: list[float]) -> list[float]:
    counts = [0] * (len(edges) + 1)
    for value in values:
        counts[bisect.bisect_right(edges, value)] += 1
    return [c / len(values) for c in counts]


def psi(reference: list[float], current: list[float], edges: list[float] | None = None) -> float:
    edges = quantile_edges(reference) if edges is None else edges
    expected, actual = _shares(reference, edges), _shares(current, edges)
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, EPS), max(a, EPS)
        total += (a - e) * math.log(a / e)
    return total


def ks_2samp(a: list[float], b: list[float]) -> tuple[float, float]:
    """Two-sample KS statistic D and its asymptotic p-value (Numerical Recipes' approximation)."""
    xs, ys = sorted(a), sorted(b)
    n, m = len(xs), len(ys)
    i = j = 0
    d = 0.0
    while i < n and j < m:
        value = min(xs[i], ys[j])
        while i < n and xs[i] <= value:
            i += 1
        while j < m and ys[j] <= value:
            j += 1
        d = max(d, abs(i / n - j / m))
    en = math.sqrt(n * m / (n + m))
    lam = (en + 0.12 + 0.11 / en) * d
    if lam < 1e-3:
        return d, 1.0
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return d, min(1.0, max(0.0, p))


def load_reference(path: Path) -> tuple[dict[str, list[float]], list[int]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ValueError(f"{path}: no rows")
    columns = {f: [float(r[f]) for r in rows] for f in FEATURES}
    labels = [int(r["default"]) for r in rows] if "default" in rows[0] else []
    return columns, labels


def reference_predictions(columns: dict[str, list[float]], model: Path) -> tuple[list[int], str]:
    """The deployed model's labels on the reference rows, or ('', reason) if it cannot be run."""
    try:
        import numpy as np
        import onnxruntime
    except ImportError:
        return [], "onnxruntime not installed"
    if not model.is_file():
        return [], f"{model} not found"
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    matrix = np.asarray(
        [list(r) for r in zip(*(columns[f] for f in FEATURES), strict=True)], dtype=np.float32
    )
    outputs = session.run(None, {session.get_inputs()[0].name: matrix})
    return [int(p.argmax()) for p in np.asarray(outputs[-1])], f"model {model.name}"


def load_batch(path: Path) -> tuple[dict[str, list[float]], list[int], dict[str, object]]:
    columns: dict[str, list[float]] = {f: [] for f in FEATURES}
    predicted: list[int] = []
    seen = {"records": 0, "used": 0, "model_sha256": set(), "first_ts": None, "last_ts": None}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc})") from None
            seen["records"] += 1  # type: ignore[operator]
            if record.get("event") != "inference" or record.get("status") != 200:
                continue
            features = record.get("features")
            if not isinstance(features, list) or len(features) != len(FEATURES):
                continue
            for name, value in zip(FEATURES, features, strict=True):
                columns[name].append(float(value))
            output = record.get("output") or {}
            if isinstance(output, dict) and output.get("label") in LABELS:
                predicted.append(LABELS.index(output["label"]))
            seen["used"] += 1  # type: ignore[operator]
            seen["model_sha256"].add(record.get("model_sha256"))  # type: ignore[union-attr]
            ts = record.get("ts")
            seen["first_ts"] = seen["first_ts"] or ts
            seen["last_ts"] = ts or seen["last_ts"]
    seen["model_sha256"] = sorted(str(d) for d in seen["model_sha256"])  # type: ignore[arg-type]
    return columns, predicted, seen


def assess(
    reference: dict[str, list[float]],
    reference_labels: list[int],
    label_source: str,
    batch: dict[str, list[float]],
    predicted: list[int],
    limits: dict[str, float],
) -> dict[str, object]:
    size = len(batch[FEATURES[0]])
    report: dict[str, object] = {"batch_size": size, "features": {}, "alerts": [], "warnings": []}
    alerts: list[dict[str, object]] = report["alerts"]  # type: ignore[assignment]
    warnings: list[dict[str, object]] = report["warnings"]  # type: ignore[assignment]
    if size < limits["min_batch"]:
        report["status"] = "insufficient_data"
        return report
    for name in FEATURES:
        value = psi(reference[name], batch[name])
        d, p = ks_2samp(reference[name], batch[name])
        status = "ok"
        if value >= limits["psi_alert"] or (
            p < limits["ks_alert_pvalue"] and d >= limits["ks_alert_statistic"]
        ):
            status = "alert"
            alerts.append(
                {
                    "test": "feature_drift",
                    "feature": name,
                    "psi": round(value, 4),
                    "ks_d": round(d, 4),
                    "ks_p": float(f"{p:.3g}"),
                }
            )
        elif value >= limits["psi_warn"]:
            status = "warn"
            warnings.append({"test": "feature_drift", "feature": name, "psi": round(value, 4)})
        report["features"][name] = {  # type: ignore[index]
            "psi": round(value, 4),
            "ks_d": round(d, 4),
            "ks_p": float(f"{p:.3g}"),
            "reference_mean": round(sum(reference[name]) / len(reference[name]), 4),
            "batch_mean": round(sum(batch[name]) / size, 4),
            "status": status,
        }
    if predicted and reference_labels:
        value = psi([float(x) for x in reference_labels], [float(x) for x in predicted], [0.5])
        share = sum(predicted) / len(predicted)
        ref_share = sum(reference_labels) / len(reference_labels)
        report["prediction"] = {
            "psi": round(value, 4),
            "defaults_share": round(share, 4),
            "reference_defaults_share": round(ref_share, 4),
            "reference_source": label_source,
        }
        if value >= limits["prediction_psi_alert"]:
            alerts.append(
                {
                    "test": "prediction_drift",
                    "psi": round(value, 4),
                    "defaults_share": round(share, 4),
                }
            )
    report["status"] = "alert" if alerts else "ok"
    return report


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logfile", type=Path, help="JSON-lines inference log written by ops.py")
    parser.add_argument("--reference", type=Path, default=ROOT / "data" / "train.csv")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "classifier.onnx")
    parser.add_argument("--config", type=Path, default=HERE / "alerts.toml")
    args = parser.parse_args(argv)
    try:
        config = tomllib.loads(args.config.read_text(encoding="utf-8"))
        limits = {k: float(v) for k, v in config["drift"].items()}
        reference, labels = load_reference(args.reference)
        reference_labels, source = reference_predictions(reference, args.model)
        if not reference_labels:
            reference_labels, source = labels, f"training labels ({source})"
        batch, predicted, seen = load_batch(args.logfile)
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        print(f"drift.py: error: {exc}", file=sys.stderr)
        return 2
    report = {
        "monitor": "drift",
        "config_version": config.get("version"),
        "evaluated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "logfile": _shown(args.logfile),
        "reference": _shown(args.reference),
        "log_records": seen["records"],
        "window": [seen["first_ts"], seen["last_ts"]],
        "model_sha256": seen["model_sha256"],
        **assess(reference, reference_labels, source, batch, predicted, limits),
    }
    print(json.dumps(report, indent=2))
    for alert in report["alerts"]:  # type: ignore[attr-defined]
        line = {
            "event": "alert",
            "monitor": "drift",
            "severity": "page",
            "model_sha256": seen["model_sha256"],
            **alert,
        }
        print(json.dumps(line), file=sys.stderr)
    return 1 if report["alerts"] else 0


if __name__ == "__main__":
    sys.exit(main())
