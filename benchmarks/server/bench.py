"""mlsvs server at scale: page latency and ingest throughput against a real uvicorn server.

    PYTHONPATH=src python benchmarks/server/bench.py --template results.json   # 200 x 10,000
    PYTHONPATH=src python benchmarks/server/bench.py --template results.json \
        --database postgresql://postgres@127.0.0.1:5432/EMPTY_DB
    PYTHONPATH=src python benchmarks/server/bench.py --systems 20 --runs 1000 --ingest 60 \
        --requests 20                                                          # smoke size

1. A template results document: ``--template results.json`` (else a real ``mlsvs verify`` of
   examples/insecure-classifier).
2. Bulk load (set-up, not measurement, and not through HTTP): ``--runs`` runs spread over
   ``--systems`` systems, each system's verdicts drifting from run to run (a few percent of
   requirements flip per run), achieved levels following the verdicts, failing findings,
   attestations and waivers per run, every run storing the template's compressed document.
   Rows go in through ingest's own bulk path (``mlsvs.server.ingest.bulk_insert``: sqlite3
   ``executemany`` / psycopg ``COPY``), a few hundred runs per transaction.
3. ``mlsvs server serve`` starts in a subprocess (uvicorn, the command a person runs) on the
   loaded database. Everything below goes through HTTP on 127.0.0.1.
4. Ingest: ``--ingest`` new, distinct documents (the template with a few verdicts flipped,
   one system each in turn) ``POST``ed to ``/api/v1/runs`` by 1, then by 2 concurrent
   clients (``--clients``). Reported: runs/s (wall clock), runs per CPU-second of the server
   process (all its threads; on PostgreSQL also with the database backends' CPU), load average.
5. Pages, ``--requests`` each, one client logged in as a viewer: the dashboard ``/``, system
   history ``/systems/N``, run-to-run diff ``/runs/N/diff`` (runs from step 4 against their
   predecessors), requirement history, open findings ``/findings``, expiries ``/expiries``.
   Reported: wall-clock p50 / p95 and the server's mean CPU ms per request.

The machine's load average goes with every figure: on shared cores the wall-clock figures
measure the queue for a core as much as the server; the CPU-second figures much less.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "benchmark password 1"
VERDICTS = ("pass", "fail", "not_verified", "not_applicable", "error")
BATCH = 250
"""Runs per bulk-load transaction."""


def template_document(path: str | None) -> dict[str, Any]:
    if path:
        data: dict[str, Any] = json.loads(Path(path).read_text())
        return data
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


def _stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(seconds))


def bulk_load(engine: Any, template: dict[str, Any], systems: int, runs: int, seed: int) -> float:
    """Fill an empty, migrated database; returns the seconds it took."""
    from sqlalchemy import insert, text, update

    from mlsvs.server.ingest import bulk_insert, canonical, chapters_of, compress_document
    from mlsvs.server.models import System, utcnow

    sqlite = engine.dialect.name == "sqlite"
    columns = table_columns()
    rng = random.Random(seed)
    version = template["standard"]["version"]
    chapter = chapters_of(version)
    base = {v["requirement"]: (int(v["level"]), v["verdict"]) for v in template["verdicts"]}
    order = sorted(base)
    document = compress_document(canonical(template))
    failing = [f for f in template["findings"] if f["status"] in {"fail", "error"}][:10]
    attested = order[:: max(1, len(order) // 6)][:6]
    now = utcnow()
    uploaded = f"{now:%Y-%m-%d %H:%M:%S.%f}" if sqlite else now
    traits = ",".join(template["project"]["traits"])
    start = time.perf_counter()
    per_system = [runs // systems + (1 if i < runs % systems else 0) for i in range(systems)]
    with engine.begin() as conn:
        conn.execute(
            insert(System),
            [{"id": i + 1, "name": f"system-{i:04d}", "run_count": 0} for i in range(systems)],
        )
    t0 = 1_700_000_000
    today = dt.date.today()
    batches: dict[str, list[tuple[Any, ...]]] = {
        "runs": [],
        "verdicts": [],
        "findings": [],
        "run_attestations": [],
        "run_waivers": [],
    }
    latest: dict[int, tuple[int, int, str]] = {}

    def flush() -> None:
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            for table, rows in batches.items():
                bulk_insert(session, table, columns[table], rows, clean=False)
                rows.clear()
            session.commit()

    run_id = 0
    for sys_index, count in enumerate(per_system):
        state = dict(base)
        # Each system starts better or worse than the template.
        for rid in state:
            if rng.random() < 0.5 and state[rid][1] in {"fail", "not_verified"}:
                state[rid] = (state[rid][0], "pass")
        for n in range(count):
            run_id += 1
            for rid in rng.sample(order, k=max(1, len(order) // 25)):
                state[rid] = (state[rid][0], rng.choice(VERDICTS[:3]))
            finished = _stamp(t0 + n * 86400 + sys_index)
            level = _level(state)
            counts: dict[str, int] = {}
            chapters: dict[str, dict[str, int]] = {}
            for rid, (_, v) in state.items():
                counts[v] = counts.get(v, 0) + 1
                per = chapters.setdefault(chapter[rid], {})
                per[v] = per.get(v, 0) + 1
            run = {
                "id": run_id,
                "system_id": sys_index + 1,
                "digest": uuid.uuid4().hex * 2,
                "standard_version": version,
                "standard_digest": template["standard"]["digest"],
                "tool_version": "bench",
                "target_level": 1,
                "achieved_level": level,
                "traits": traits,
                "started_at": finished,
                "finished_at": finished,
                "uploaded_at": uploaded,
                "uploaded_by": "bench",
                "counts": ",".join(f"{k}={c}" for k, c in sorted(counts.items())),
                "chapter_counts": json.dumps(chapters, sort_keys=True),
                "document": document,
            }
            # KeyError here: the runs table gained a column this bulk load does not fill.
            batches["runs"].append(tuple(run[c] for c in columns["runs"]))
            batches["verdicts"].extend(
                (run_id, rid, chapter[rid], lv, v, "automated", "")
                for rid, (lv, v) in state.items()
            )
            batches["findings"].extend(
                (
                    run_id,
                    f["id"],
                    f["check"],
                    f["status"],
                    f["severity"],
                    ",".join(f["requirements"]),
                    f["target"]["path"],
                    f["message"],
                    "",
                )
                for f in failing
                if rng.random() < 0.6
            )
            day = today + dt.timedelta(days=(run_id * 7) % 400 - 30)
            batches["run_attestations"].extend(
                (
                    run_id,
                    rid,
                    "pass",
                    "valid" if day >= today else "expired",
                    f"attestations/{rid}.yaml",
                    "auditor",
                    day.isoformat(),
                )
                for rid in attested
            )
            batches["run_waivers"].append(
                (
                    run_id,
                    f"W-{sys_index}",
                    "accepted risk (benchmark)",
                    order[0],
                    "",
                    "appsec",
                    (day + dt.timedelta(days=45)).isoformat(),
                    False,
                    1,
                )
            )
            latest[sys_index + 1] = (run_id, level, finished)
            if len(batches["runs"]) >= BATCH:
                flush()
    if batches["runs"]:
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
        if not sqlite:
            for table in ("systems", "runs", "findings", "run_attestations", "run_waivers"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    if sqlite:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - start


def table_columns() -> dict[str, tuple[str, ...]]:
    """The bulk-loaded tables' columns: ingest's own lists (the row tuples' order) and the
    ``runs`` table's columns from the models, so the bulk load cannot drift from the schema."""
    from mlsvs.server import ingest
    from mlsvs.server.models import Base

    return {
        "runs": tuple(Base.metadata.tables["runs"].columns.keys()),
        "verdicts": ingest.VERDICT_COLUMNS,
        "findings": ingest.FINDING_COLUMNS,
        "run_attestations": ingest.ATTESTATION_COLUMNS,
        "run_waivers": ingest.WAIVER_COLUMNS,
    }


# ---------------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    database: str, data_dir: Path, port: int, workers: int = 1
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlsvs",
            "server",
            "--database",
            database,
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "serve",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                if workers > 1:  # every worker up (each answers once it has its app)
                    time.sleep(1.0)
                    while len(process_tree(proc.pid)) < workers + 1:
                        time.sleep(0.2)
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start in 120 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's supervisor, its workers), from /proc."""
    out = [pid]
    for p in out:
        try:
            out.extend(int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def server_cpu(pid: int) -> float:
    """CPU seconds of the server: the process and every worker it started."""
    total = 0.0
    for p in process_tree(pid):
        try:
            total += cpu_seconds(p)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def backend_cpu(engine: Any) -> float:
    """CPU seconds of the PostgreSQL backends connected to this database (0 on SQLite)."""
    if engine.dialect.name != "postgresql":
        return 0.0
    from sqlalchemy import text

    with engine.connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ).scalars()
        total = 0.0
        for pid in pids:
            try:
                total += cpu_seconds(int(pid))
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
    return total


# ---------------------------------------------------------------------------------- measuring


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Documents:
    """Distinct uploads: the template with a few verdicts flipped, one system each in turn."""

    def __init__(self, template: dict[str, Any], systems: int, seed: int, nonce: str = "") -> None:
        self.template = template
        self.tool = {**template["tool"], "version": f"{template['tool']['version']}{nonce}"}
        self.systems = systems
        self.rng = random.Random(seed)
        self.n = 0

    def next(self) -> bytes:
        import orjson

        i = self.n
        self.n += 1
        doc = dict(self.template)
        doc["project"] = {**self.template["project"], "name": f"system-{i % self.systems:04d}"}
        doc["tool"] = self.tool
        doc["started_at"] = doc["finished_at"] = _stamp(1_900_000_000 + i * 60)
        verdicts = list(self.template["verdicts"])
        for k in self.rng.sample(range(len(verdicts)), k=max(1, len(verdicts) // 25)):
            verdicts[k] = {**verdicts[k], "verdict": self.rng.choice(VERDICTS[:3])}
        doc["verdicts"] = verdicts
        return orjson.dumps(doc)


def ingest_phase(
    base: str,
    token: str,
    docs: Documents,
    n: int,
    clients: int,
    server_pid: int,
    engine: Any,
    workers: int = 1,
) -> dict[str, Any]:
    import httpx

    bodies = [docs.next() for _ in range(n)]
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    run_ids: list[int] = []
    sessions = [httpx.Client(base_url=base, timeout=120) for _ in range(clients)]

    def upload(k: int) -> list[int]:
        out = []
        for body in bodies[k::clients]:
            r = sessions[k].post("/api/v1/runs", content=body, headers=headers)
            if r.status_code != 201:
                raise SystemExit(f"upload refused: {r.status_code} {r.text[:300]}")
            out.append(int(r.json()["run_id"]))
        return out

    before_load = load()
    cpu0, db0 = server_cpu(server_pid), backend_cpu(engine)
    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for ids in pool.map(upload, range(clients)):
            run_ids.extend(ids)
    wall = time.perf_counter() - t
    cpu, db = server_cpu(server_pid) - cpu0, backend_cpu(engine) - db0
    for s in sessions:
        s.close()
    out: dict[str, Any] = {
        "workers": workers,
        "clients": clients,
        "runs": n,
        "runs_per_s": round(n / wall, 1),
        "server_cpu_ms_per_run": round(cpu * 1000 / n, 1),
        "runs_per_server_cpu_s": round(n / cpu, 1),
        "load_average_before": before_load,
        "load_average_after": load(),
        "run_ids": run_ids,
    }
    if engine.dialect.name == "postgresql":
        out["runs_per_cpu_s_server_and_db"] = round(n / (cpu + db), 1)
        out["db_backend_cpu_ms_per_run"] = round(db * 1000 / n, 1)
    return out


def page_phase(
    client: Any, kind: str, paths: list[str], server_pid: int
) -> tuple[str, dict[str, Any]]:
    wall = []
    cpu0 = server_cpu(server_pid)
    for path in paths:
        t = time.perf_counter()
        r = client.get(path)
        wall.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{path}: {r.status_code} {r.text[:200]}")
    cpu = server_cpu(server_pid) - cpu0
    return kind, {
        "p50_ms": round(statistics.median(wall), 1),
        "p95_ms": round(p95(wall), 1),
        "max_ms": round(max(wall), 1),
        "server_cpu_ms_mean": round(cpu * 1000 / len(paths), 1),
        "example": paths[0],
        "load_average": load(),
    }


def ensure_accounts(engine: Any) -> str:
    """The benchmark's viewer and engineer (made when missing) and a fresh ingest token."""
    from sqlalchemy import select

    from mlsvs.server.db import session_factory
    from mlsvs.server.models import User
    from mlsvs.server.roles import Scope
    from mlsvs.server.users import create_token, create_user

    with session_factory(engine)() as session:
        users = {u.username: u for u in session.execute(select(User)).scalars()}
        if "viewer" not in users:
            create_user(session, "viewer", PASSWORD, "viewer", actor="bench")
        engineer = users.get("engineer") or create_user(
            session, "engineer", PASSWORD, "engineer", actor="bench"
        )
        token = create_token(session, engineer, "bench", frozenset({Scope.INGEST}), actor="bench")
        session.commit()
    return token


def remove_runs_after(engine: Any, last: int) -> int:
    """Delete the runs with an ID above ``last`` (this session's uploads) and their rows, and
    point every system back at its newest remaining run: ``--reuse`` leaves the fleet as it
    found it. Returns the runs removed. (The audit log is append-only and keeps its entries.)"""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE systems SET "
                "latest_run_id = (SELECT max(r.id) FROM runs r "
                "WHERE r.system_id = systems.id AND r.id <= :last), "
                "run_count = (SELECT count(*) FROM runs r "
                "WHERE r.system_id = systems.id AND r.id <= :last)"
            ).bindparams(last=last)
        )
        conn.execute(
            text(
                "UPDATE systems SET "
                "latest_level = (SELECT r.achieved_level FROM runs r WHERE r.id = latest_run_id), "
                "latest_target = (SELECT r.target_level FROM runs r WHERE r.id = latest_run_id), "
                "latest_finished = (SELECT r.finished_at FROM runs r WHERE r.id = latest_run_id) "
                "WHERE latest_run_id IS NOT NULL"
            )
        )
        for table in ("verdicts", "findings", "run_attestations", "run_waivers"):
            conn.execute(text(f"DELETE FROM {table} WHERE run_id > :last").bindparams(last=last))
        removed = conn.execute(text("DELETE FROM runs WHERE id > :last").bindparams(last=last))
        return int(removed.rowcount or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an empty database URL (default: a new SQLite file)")
    parser.add_argument("--systems", type=int, default=200)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--ingest", type=int, default=500, help="uploads per client setting")
    parser.add_argument(
        "--clients", default="1,2", help="concurrent uploaders, comma-separated (default 1,2)"
    )
    parser.add_argument(
        "--workers",
        default="1",
        help="server processes (mlsvs server --workers), comma-separated (default 1); "
        "the ingest phases run for each, the pages with the first",
    )
    parser.add_argument("--requests", type=int, default=100, help="requests per page kind")
    parser.add_argument("--skip-pages", action="store_true", help="measure ingest only")
    parser.add_argument(
        "--load-only", action="store_true", help="bulk-load the (empty) database and stop"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="the database already holds a fleet (from --load-only): skip the bulk load, and "
        "delete this session's uploads at the end",
    )
    parser.add_argument("--template", help="a results.json (default: mlsvs verify an example)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()

    import httpx
    from sqlalchemy import func, select

    from mlsvs.server.db import make_engine, migrate, session_factory
    from mlsvs.server.models import Run, System, VerdictRow

    tmp = Path(tempfile.mkdtemp(prefix="mlsvs-server-bench-"))
    database = args.database or str(tmp / "bench.db")
    template = template_document(args.template)
    engine = make_engine(database)
    migrate(engine)
    with session_factory(engine)() as session:
        present = session.execute(select(func.count()).select_from(Run)).scalar_one()
    if present and not args.reuse:
        print("the database is not empty; use a fresh one (or --reuse)", file=sys.stderr)
        return 2
    if args.reuse and not present:
        print("--reuse: the database holds no runs; fill it with --load-only", file=sys.stderr)
        return 2
    token = ensure_accounts(engine)
    load_s = 0.0
    if not present:
        print(f"bulk load: {args.runs} runs of {args.systems} systems ...", file=sys.stderr)
        load_s = bulk_load(engine, template, args.systems, args.runs, args.seed)
    with session_factory(engine)() as session:
        n_runs = session.execute(select(func.count()).select_from(Run)).scalar_one()
        n_verdicts = session.execute(select(func.count()).select_from(VerdictRow)).scalar_one()
        last_run = session.execute(select(func.max(Run.id))).scalar_one()
        n_systems = session.execute(select(func.count()).select_from(System)).scalar_one()
    print(
        f"fleet: {n_runs} runs, {n_verdicts} verdict rows (bulk load {load_s:.0f} s)",
        file=sys.stderr,
    )
    if args.load_only:
        engine.dispose()
        return 0

    figures: dict[str, Any] = {
        "database": engine.dialect.name,
        "systems": n_systems,
        "bulk_runs": n_runs,
        "bulk_verdict_rows": n_verdicts,
        "bulk_load_s": round(load_s, 1),
        "template_bytes": len(json.dumps(template)),
        "cpus": os.cpu_count(),
        "load_average_start": load(),
        "ingest": [],
        "pages": {},
    }
    nonce = f"+bench.{uuid.uuid4().hex[:8]}" if args.reuse else ""
    docs = Documents(template, n_systems, args.seed, nonce)
    ingested: list[int] = []
    try:
        for n_workers in (int(w) for w in args.workers.split(",")):
            port = _free_port()
            server = start_server(database, tmp, port, n_workers)
            base = f"http://127.0.0.1:{port}"
            try:
                with httpx.Client(base_url=base, timeout=120) as warm:  # untimed: caches
                    for _ in range(3 * n_workers):
                        r = warm.post(
                            "/api/v1/runs",
                            content=docs.next(),
                            headers={"authorization": f"Bearer {token}"},
                        )
                        assert r.status_code == 201, r.text[:300]
                for clients in (int(c) for c in args.clients.split(",")):
                    print(
                        f"ingest: {args.ingest} uploads, {n_workers} worker(s), "
                        f"{clients} client(s) ...",
                        file=sys.stderr,
                    )
                    phase = ingest_phase(
                        base, token, docs, args.ingest, clients, server.pid, engine, n_workers
                    )
                    ingested.extend(phase.pop("run_ids"))
                    figures["ingest"].append(phase)
                    print(json.dumps(phase), file=sys.stderr)
                if not args.skip_pages and not figures["pages"]:
                    figures["pages"] = page_phases(
                        base, args, template, n_systems, ingested, server.pid
                    )
            finally:
                server.terminate()
                server.wait(timeout=30)
    finally:
        if args.reuse:
            removed = remove_runs_after(engine, last_run)
            print(f"--reuse: removed this session's {removed} runs again", file=sys.stderr)
        engine.dispose()
    figures["load_average_end"] = load()
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def page_phases(
    base: str,
    args: argparse.Namespace,
    template: dict[str, Any],
    n_systems: int,
    ingested: list[int],
    server_pid: int,
) -> dict[str, Any]:
    """Log in as the viewer and time every page kind (one untimed request each first)."""
    import httpx

    client = httpx.Client(base_url=base, timeout=120, follow_redirects=False)
    page = client.get("/login").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = client.post(
        "/login",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": csrf, "next": "/"},
    )
    assert r.status_code == 303, r.status_code
    rng = random.Random(args.seed)
    n = args.requests
    reqs = [v["requirement"] for v in template["verdicts"]]
    systems = list(range(1, n_systems + 1))
    kinds = {
        "dashboard": ["/"] * n,
        "system_history": [f"/systems/{rng.choice(systems)}" for _ in range(n)],
        "diff": [f"/runs/{rng.choice(ingested)}/diff" for _ in range(n)],
        "requirement_history": [
            f"/systems/{rng.choice(systems)}/requirements/{rng.choice(reqs)}" for _ in range(n)
        ],
        "findings": ["/findings"] * n,
        "expiries": ["/expiries"] * n,
    }
    for paths in kinds.values():
        assert client.get(paths[0]).status_code == 200
    out: dict[str, Any] = {}
    for kind, paths in kinds.items():
        print(f"pages: {kind} x {n} ...", file=sys.stderr)
        name, figures = page_phase(client, kind, paths, server_pid)
        out[name] = figures
    client.close()
    return out


if __name__ == "__main__":
    raise SystemExit(main())
