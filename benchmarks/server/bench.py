"""mlsvs server at scale: dashboard / history latency and ingest throughput.

    PYTHONPATH=src python benchmarks/server/bench.py                     # 10,000 runs, SQLite
    PYTHONPATH=src python benchmarks/server/bench.py --systems 50 --runs 1000
    PYTHONPATH=src python benchmarks/server/bench.py --database postgresql://postgres@127.0.0.1/test

1. A template results document: a real ``mlsvs verify`` of examples/insecure-classifier
   (or ``--template results.json``).
2. Bulk load: ``--runs`` runs spread over ``--systems`` systems. Each system's verdicts drift
   from run to run (a few percent of requirements flip per run), achieved levels follow the
   verdicts, failing findings are stored per run. Rows go in through SQLAlchemy Core in
   batches (the load is set-up, not the measurement); every run stores the template's
   compressed document (diff pages re-parse it; the measured pages do not).
3. Measured through the real app (in-process ASGI client, logged in as a viewer):
   the dashboard (``/``), system history pages (``/systems/N``, up to 200 runs with the level
   plot and the chapter grid), per-requirement history, and ingest of ``--ingest`` new,
   distinct documents through ``POST /api/v1/runs`` (JSON parse, schema validation, catalog
   check, inserts, commit per run).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import gzip
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "benchmark password 1"
VERDICTS = ("pass", "fail", "not_verified", "not_applicable", "error")


def template_document(path: str | None) -> dict:
    if path:
        return json.loads(Path(path).read_text())
    from mlsvs.api import assess
    from mlsvs.render.json import to_dict

    return to_dict(assess(ROOT / "examples" / "insecure-classifier"))


def _level(verdicts: dict[str, tuple[int, str]]) -> int:
    achieved = 0
    for level in (1, 2, 3):
        if all(v in {"pass", "not_applicable"} for lv, v in verdicts.values() if lv <= level):
            achieved = level
        else:
            break
    return achieved


def bulk_load(engine, template: dict, systems: int, runs: int, seed: int) -> float:
    from sqlalchemy import insert, update

    from mlsvs.catalog import load_standard
    from mlsvs.server.models import FindingRow, Run, System, VerdictRow

    rng = random.Random(seed)
    standard = load_standard(template["standard"]["version"])
    base = {v["requirement"]: (int(v["level"]), v["verdict"]) for v in template["verdicts"]}
    document = gzip.compress(json.dumps(template).encode(), mtime=0)
    failing = [f for f in template["findings"] if f["status"] in {"fail", "error"}][:10]
    start = time.perf_counter()
    per_system = [runs // systems + (1 if i < runs % systems else 0) for i in range(systems)]
    run_id = 0
    with engine.begin() as conn:
        conn.execute(
            insert(System),
            [
                {
                    "id": i + 1,
                    "name": f"system-{i:04d}",
                    "run_count": 0,
                    "latest_level": 0,
                    "latest_target": 1,
                    "latest_finished": "",
                }
                for i in range(systems)
            ],
        )
    t0 = 1_700_000_000
    batch_runs: list[dict] = []
    batch_verdicts: list[dict] = []
    batch_findings: list[dict] = []
    latest: dict[int, tuple[int, int, str]] = {}

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(insert(Run), batch_runs)
            conn.execute(insert(VerdictRow), batch_verdicts)
            if batch_findings:
                conn.execute(insert(FindingRow), batch_findings)
        batch_runs.clear()
        batch_verdicts.clear()
        batch_findings.clear()

    for sys_index, count in enumerate(per_system):
        state = dict(base)
        # Each system starts better or worse than the template.
        for rid in state:
            if rng.random() < 0.5 and state[rid][1] in {"fail", "not_verified"}:
                state[rid] = (state[rid][0], "pass")
        for n in range(count):
            run_id += 1
            for rid in rng.sample(sorted(state), k=max(1, len(state) // 25)):
                state[rid] = (state[rid][0], rng.choice(VERDICTS[:3]))
            finished = time.strftime(
                "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t0 + n * 86400 + sys_index)
            )
            level = _level(state)
            counts: dict[str, int] = {}
            chapters: dict[str, dict[str, int]] = {}
            for rid, (_, v) in state.items():
                counts[v] = counts.get(v, 0) + 1
                per = chapters.setdefault(standard.requirements[rid].chapter, {})
                per[v] = per.get(v, 0) + 1
            batch_runs.append(
                {
                    "id": run_id,
                    "system_id": sys_index + 1,
                    "digest": uuid.uuid4().hex * 2,
                    "standard_version": template["standard"]["version"],
                    "standard_digest": template["standard"]["digest"],
                    "tool_version": "bench",
                    "target_level": 1,
                    "achieved_level": level,
                    "traits": ",".join(template["project"]["traits"]),
                    "started_at": finished,
                    "finished_at": finished,
                    "uploaded_by": "bench",
                    "counts": ",".join(f"{k}={c}" for k, c in sorted(counts.items())),
                    "chapter_counts": json.dumps(chapters, sort_keys=True),
                    "document": document,
                }
            )
            batch_verdicts.extend(
                {
                    "run_id": run_id,
                    "requirement": rid,
                    "chapter": standard.requirements[rid].chapter,
                    "level": lv,
                    "verdict": v,
                    "basis": "automated",
                    "reason": "",
                }
                for rid, (lv, v) in state.items()
            )
            batch_findings.extend(
                {
                    "run_id": run_id,
                    "fingerprint": f["id"],
                    "check_id": f["check"],
                    "status": f["status"],
                    "severity": f["severity"],
                    "requirements": ",".join(f["requirements"]),
                    "path": f["target"]["path"],
                    "message": f["message"],
                    "waiver": "",
                }
                for f in failing
                if rng.random() < 0.6
            )
            latest[sys_index + 1] = (run_id, level, finished)
            if len(batch_runs) >= 200:
                flush()
    if batch_runs:
        flush()
    with engine.begin() as conn:
        for sid, (rid, level, finished) in latest.items():
            conn.execute(
                update(System)
                .where(System.id == sid)
                .values(
                    latest_run_id=rid,
                    latest_level=level,
                    latest_finished=finished,
                    run_count=per_system[sid - 1],
                )
            )
        if engine.dialect.name == "postgresql":
            from sqlalchemy import text

            for table in ("systems", "runs", "findings"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - start


CPU: dict[str, list[float]] = {}


def timed(client, path, n: int, kind: str = "") -> list[float]:
    """Wall-clock ms per request; process CPU ms (all threads) go to ``CPU[kind]``."""
    out = []
    for _ in range(n):
        c = time.process_time()
        t = time.perf_counter()
        r = client.get(path() if callable(path) else path)
        out.append((time.perf_counter() - t) * 1000)
        CPU.setdefault(kind, []).append((time.process_time() - c) * 1000)
        assert r.status_code == 200, (r.status_code, r.text[:200])
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="default: a temporary SQLite file")
    parser.add_argument("--systems", type=int, default=200)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--ingest", type=int, default=200, help="documents POSTed for ingest/s")
    parser.add_argument("--requests", type=int, default=60, help="requests per page kind")
    parser.add_argument(
        "--clients", type=int, default=1, help="concurrent uploaders for ingest/s (default 1)"
    )
    parser.add_argument("--template")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from mlsvs.server import app as server_app
    from mlsvs.server.app import create_app
    from mlsvs.server.models import Run, VerdictRow
    from mlsvs.server.roles import Scope
    from mlsvs.server.settings import Settings
    from mlsvs.server.users import create_token, create_user

    tmp = Path(tempfile.mkdtemp(prefix="mlsvs-server-bench-"))
    database = args.database or str(tmp / "bench.db")
    template = template_document(args.template)
    app = create_app(Settings(database=database, data_dir=tmp, secret_key="b" * 48))
    engine = app.state.engine
    with app.state.sessions() as session:
        if session.execute(select(func.count()).select_from(Run)).scalar_one():
            print("the database is not empty; use a fresh one", file=sys.stderr)
            return 2
        viewer = create_user(session, "viewer", PASSWORD, "viewer", actor="bench")
        engineer = create_user(session, "engineer", PASSWORD, "engineer", actor="bench")
        token = create_token(session, engineer, "bench", frozenset({Scope.INGEST}), actor="bench")
        session.commit()
    del viewer
    load_s = bulk_load(engine, template, args.systems, args.runs, args.seed)
    if hasattr(server_app, "tune_gc"):
        server_app.tune_gc()  # what ``mlsvs server serve`` does after start-up
    with app.state.sessions() as session:
        n_runs = session.execute(select(func.count()).select_from(Run)).scalar_one()
        n_verdicts = session.execute(select(func.count()).select_from(VerdictRow)).scalar_one()
    client = TestClient(app, follow_redirects=False).__enter__()  # one portal, not one per request
    page = client.get("/login").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = client.post(
        "/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )
    assert r.status_code == 303
    rng = random.Random(args.seed)
    reqs = [v["requirement"] for v in template["verdicts"]]
    timed(client, "/", 3)  # warm caches (catalog load, templates)
    dashboard = timed(client, "/", args.requests, "dashboard")
    history = timed(
        client, lambda: f"/systems/{rng.randint(1, args.systems)}", args.requests, "history"
    )
    req_history = timed(
        client,
        lambda: f"/systems/{rng.randint(1, args.systems)}/requirements/{rng.choice(reqs)}",
        args.requests,
        "requirement_history",
    )
    api = TestClient(app).__enter__()
    docs = []
    for i in range(args.ingest + 1):
        doc = copy.deepcopy(template)
        doc["project"]["name"] = f"system-{i % args.systems:04d}"
        doc["started_at"] = doc["finished_at"] = time.strftime(
            "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1_900_000_000 + i)
        )
        docs.append(json.dumps(doc).encode())
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    # One upload first, not timed: it builds the results validator (once per process).
    assert api.post("/api/v1/runs", content=docs.pop(), headers=headers).status_code == 201
    uploaders = [api] + [TestClient(app).__enter__() for _ in range(args.clients - 1)]

    def upload(n: int) -> None:
        for body in docs[n :: args.clients]:
            r = uploaders[n].post("/api/v1/runs", content=body, headers=headers)
            assert r.status_code == 201, r.text[:300]

    t = time.perf_counter()
    c = time.process_time()
    with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(upload, range(args.clients)))
    ingest_s = time.perf_counter() - t
    ingest_cpu = time.process_time() - c
    figures = {
        "database": engine.dialect.name,
        "systems": args.systems,
        "runs": n_runs,
        "verdict_rows": n_verdicts,
        "bulk_load_s": round(load_s, 1),
        "dashboard_ms": {
            "p50": round(statistics.median(dashboard), 1),
            "p95": round(p95(dashboard), 1),
        },
        "history_ms": {"p50": round(statistics.median(history), 1), "p95": round(p95(history), 1)},
        "requirement_history_ms": {
            "p50": round(statistics.median(req_history), 1),
            "p95": round(p95(req_history), 1),
        },
        "ingest_runs_per_s": round(args.ingest / ingest_s, 1),
        "ingest_clients": args.clients,
        "cpu_ms_p95": {k: round(p95(v), 1) for k, v in CPU.items()},
        "ingest_runs_per_cpu_s": round(args.ingest / ingest_cpu, 1),
        "load_average": [round(x, 2) for x in __import__("os").getloadavg()],
        "requests_per_kind": args.requests,
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
