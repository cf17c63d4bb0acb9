"""mlsvs data checks side by side with the tools users would pick instead, same inputs, one run.

    python benchmarks/data/compare.py --rows 1000000 --out /tmp/data-compare.json

Data: ``bench.generate`` (seeded): ``--rows`` train + ``rows/10`` test rows, CSV, with e-mails
in 10 % and phones in 4 % of the rows, a free-text column and 1 % of the test rows planted
from train. Every step runs in a fresh spawned process (imports included in its peak RSS, not
in its seconds); wall seconds are measured around the call only.

| area | mlsvs | reference |
|---|---|---|
| exact duplicates train/test (numeric columns) | ``find_overlap(near=False)`` | DuckDB ``SEMI JOIN`` on the same columns over ``read_csv`` |
| exact + near (quantised) duplicates | ``find_overlap`` numeric | (DuckDB has no near pass: the exact query is the floor) |
| near-duplicate text (MinHash) | ``find_overlap`` with the text column | - |
| entity overlap | ``entity_leakage(customer_id)`` | DuckDB ``count(DISTINCT)`` with ``IN`` |
| PII | ``scan_pii`` (every column, validators, column decisions) | DuckDB: three ``regexp_matches`` columns (e-mail, phone, card shapes, no validation) |
| label issues | ``labelnoise`` (native confident learning) | ``cleanlab.filter.find_label_issues`` + ``cleanlab.count.estimate_joint`` on the same out-of-sample probabilities |

References are not dependencies of mlsvs: ``pip install duckdb cleanlab`` before running this.
The references are not dependencies of mlsvs: ``pip install duckdb cleanlab`` first.
The machine is shared (2 vCPUs, 8 engineers): the load average before and after each step is
recorded; treat ratios as indicative, absolute seconds as noisy.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE = r"\+?\d[\d ().-]{7,}\d"
CARD = r"\d(?:[ -]?\d){12,18}"


def _mlsvs(kind: str, directory: str) -> object:
    from mlsvs.datacheck.leakage import entity_leakage
    from mlsvs.datacheck.overlap import OverlapParams, find_overlap
    from mlsvs.datacheck.pii_scan import scan_pii
    from mlsvs.datacheck.table import source_for

    base = Path(directory)
    train = source_for(base / "train.csv", "train.csv")
    test = source_for(base / "test.csv", "test.csv")
    ids = frozenset({"customer_id", "email", "phone"})
    if kind == "pii":
        report = scan_pii(train)
        return {"by_entity": report.by_entity(), "rows_with_pii": report.rows_with_pii}
    if kind == "entity":
        leak = entity_leakage([train], [test], "customer_id")
        return {"leaked": leak.leaked, "entities": leak.entities_later}
    near = kind != "exact"
    exclude = ids | ({"comment"} if kind in {"exact", "numeric"} else set())
    found = find_overlap([train], [test], OverlapParams(near=near, exclude=exclude))
    return {"exact": found.exact, "near": found.near}


def _duckdb(kind: str, directory: str) -> object:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    train = f"read_csv('{directory}/train.csv', all_varchar = false)"
    test = f"read_csv('{directory}/test.csv', all_varchar = false)"
    if kind == "exact":
        cols = "amount, ratio, count, label"
        row = con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {test}) t "
            f"SEMI JOIN {train} r USING ({cols})"
        ).fetchone()
        return {"exact": row[0] if row else None}
    if kind == "entity":
        row = con.execute(
            f"SELECT count(DISTINCT customer_id) FROM {test} WHERE customer_id IN "
            f"(SELECT customer_id FROM {train})"
        ).fetchone()
        return {"leaked": row[0] if row else None}
    query = (
        f"SELECT sum(regexp_matches(email, '{EMAIL}')::INT), "
        f"sum(regexp_matches(phone, '{PHONE}')::INT), "
        f"sum(regexp_matches(comment, '{CARD}')::INT) FROM {train}"
    )
    row = con.execute(query).fetchone()
    return {"email": row[0], "phone": row[1], "card": row[2]} if row else {}


def _label_inputs(rows: int) -> tuple[object, object, list[int]]:
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    x, y = make_classification(
        n_samples=rows,
        n_features=20,
        n_informative=10,
        n_classes=4,
        class_sep=2.0,
        random_state=0,
    )
    rng = np.random.default_rng(0)
    flipped = rng.choice(rows, rows // 20, replace=False)
    y[flipped] = (y[flipped] + rng.integers(1, 4, len(flipped))) % 4
    probs = cross_val_predict(LogisticRegression(max_iter=500), x, y, cv=5, method="predict_proba")
    return y, probs, flipped.tolist()


def _labels(tool: str, rows: int) -> object:
    import numpy as np

    y, probs, flipped = _label_inputs(rows)
    start = time.perf_counter()
    if tool == "mlsvs":
        from mlsvs.datacheck.labelnoise import label_issues, noise_rate

        issues, rate = label_issues(y, probs), noise_rate(y, probs)  # type: ignore[arg-type]
    else:
        from cleanlab.count import estimate_joint
        from cleanlab.filter import find_label_issues

        issues = find_label_issues(labels=y, pred_probs=probs, n_jobs=1)
        rate = 1 - float(np.trace(estimate_joint(labels=y, pred_probs=probs)))
    seconds = time.perf_counter() - start
    recall = float(np.mean(np.asarray(issues)[flipped]))
    digest = int(np.flatnonzero(issues).sum())
    return {"seconds_core": round(seconds, 3), "issues": int(np.sum(issues)),
            "noise_rate": round(rate, 6), "recall": round(recall, 4), "digest": digest}  # fmt: skip


def _step(tool: str, kind: str, directory: str, rows: int) -> tuple[float, object, float, float]:
    from bench import _peak_mib

    # Imports stay outside the timed call.
    if tool == "duckdb":
        import duckdb  # noqa: F401
    elif tool == "mlsvs":
        import mlsvs.codescan.secrets
        import mlsvs.datacheck.labelnoise
        import mlsvs.datacheck.leakage
        import mlsvs.datacheck.overlap
        import mlsvs.datacheck.pii_scan  # noqa: F401
    else:
        import cleanlab.filter  # noqa: F401
    load = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    if kind == "labels":
        summary = _labels(tool, rows)
    elif tool == "mlsvs":
        summary = _mlsvs(kind, directory)
    else:
        summary = _duckdb(kind, directory)
    if isinstance(summary, dict):
        summary["cpu_seconds"] = round(time.process_time() - cpu, 2)
    return time.perf_counter() - start, summary, _peak_mib(), load


PAIRS = (
    ("exact", "exact duplicates (numeric cols)", "duckdb"),
    ("numeric", "exact + near (quantised)", None),
    ("text", "exact + near + MinHash text", None),
    ("entity", "entity overlap customer_id", "duckdb"),
    ("pii", "PII scan of train", "duckdb"),
    ("labels", "label issues on given probs", "cleanlab"),
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--label-rows", type=int, default=100_000)
    parser.add_argument("--data", type=Path, help="reuse files bench.py --keep wrote")
    parser.add_argument("--skip", nargs="*", default=[], help="steps to skip (e.g. text)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from bench import generate

    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.data or Path(tmp)
        if not (directory / "train.csv").is_file():
            generate(directory, args.rows, 0)
        context = multiprocessing.get_context("spawn")
        for kind, label, reference in PAIRS:
            if kind in args.skip:
                continue
            row: dict[str, object] = {"step": label}
            for tool in ("mlsvs", reference):
                if tool is None:
                    continue
                with context.Pool(1) as pool:
                    seconds, summary, rss, load = pool.apply(
                        _step, (tool, kind, str(directory), args.label_rows)
                    )
                if kind == "labels" and isinstance(summary, dict):
                    seconds = float(summary["seconds_core"])
                row[tool] = {"seconds": round(seconds, 2), "peak_rss_mb": round(rss),
                             "load_before": round(load, 1), "found": summary}  # fmt: skip
                print(f"{label} [{tool}]: {seconds:.2f} s, {summary}", file=sys.stderr)
            if reference and reference in row:
                ours = row["mlsvs"]["seconds"]  # type: ignore[index]
                theirs = row[reference]["seconds"]  # type: ignore[index]
                row["ratio_mlsvs_over_reference"] = round(ours / max(theirs, 1e-9), 2)
            results.append(row)
    doc = {
        "rows_train": args.rows, "rows_test": args.rows // 10, "label_rows": args.label_rows,
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_avg_end": os.getloadavg(), "results": results,
    }  # fmt: skip
    print("| step | mlsvs s | reference | reference s | ratio |\n|---|---:|---|---:|---:|")
    for r in results:
        ref = next((k for k in ("duckdb", "cleanlab") if k in r), "")
        ours = r["mlsvs"]["seconds"]  # type: ignore[index]
        theirs = r[ref]["seconds"] if ref else "-"  # type: ignore[index]
        print(f"| {r['step']} | {ours} | {ref or '-'} | {theirs} | "
              f"{r.get('ratio_mlsvs_over_reference', '-')} |")  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(doc, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
