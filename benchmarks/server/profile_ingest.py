"""Profile ``POST /api/v1/runs`` end to end (ASGI app, auth, parse, validate, insert).

    PYTHONPATH=src python benchmarks/server/profile_ingest.py --template results.json
    PYTHONPATH=src python benchmarks/server/profile_ingest.py --template results.json \
        --database postgresql://postgres@127.0.0.1:5432/EMPTY_DB --top 40

Everything runs in one thread (an httpx ASGI client on one event loop, the server's thread
pool replaced by inline calls) so cProfile sees the handler, the validation and the driver
calls; the compression pool still runs beside it. Prints CPU ms per upload (min and median
over ``--uploads`` distinct documents, after one untimed warm-up) and the profile's top
functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


async def _inline(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="default: a temporary SQLite file")
    parser.add_argument("--template", required=True, help="a results.json")
    parser.add_argument("--uploads", type=int, default=60)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true", help="CPU figures only")
    args = parser.parse_args()

    import fastapi.routing
    import httpx
    import starlette.concurrency

    from mlsvs.server.app import create_app, tune_gc
    from mlsvs.server.roles import Scope
    from mlsvs.server.settings import Settings
    from mlsvs.server.users import create_token, create_user

    starlette.concurrency.run_in_threadpool = _inline
    fastapi.routing.run_in_threadpool = _inline  # type: ignore[attr-defined]
    tmp = Path(tempfile.mkdtemp(prefix="mlsvs-profile-"))
    app = create_app(
        Settings(database=args.database or str(tmp / "p.db"), data_dir=tmp, secret_key="p" * 48)
    )
    with app.state.sessions() as session:
        user = create_user(session, "engineer", "profile password 1", "engineer", actor="p")
        token = create_token(session, user, "p", frozenset({Scope.INGEST}), actor="p")
        session.commit()
    template = json.loads(Path(args.template).read_text())
    bodies = []
    for i in range(args.uploads + 1):
        doc = copy.deepcopy(template)
        doc["project"]["name"] = f"system-{i % 20:04d}"
        doc["started_at"] = doc["finished_at"] = time.strftime(
            "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1_900_000_000 + i)
        )
        bodies.append(json.dumps(doc).encode())
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    tune_gc()

    async def run() -> tuple[list[float], pstats.Stats | None]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            r = await client.post("/api/v1/runs", content=bodies.pop(), headers=headers)
            assert r.status_code == 201, r.text
            profiler = None if args.no_profile else cProfile.Profile()
            cpu = []
            for body in bodies:
                c = time.process_time()
                if profiler:
                    profiler.enable()
                r = await client.post("/api/v1/runs", content=body, headers=headers)
                if profiler:
                    profiler.disable()
                cpu.append((time.process_time() - c) * 1000)
                assert r.status_code == 201, r.text
            return cpu, (pstats.Stats(profiler) if profiler else None)

    cpu, stats = asyncio.run(run())
    print(
        f"{app.state.engine.dialect.name}: {len(cpu)} uploads of {len(bodies[0])} bytes, "
        f"CPU ms per upload min {min(cpu):.1f} median {statistics.median(cpu):.1f}"
        + (" (profiled)" if stats else "")
    )
    if stats:
        for key in ("cumulative", "tottime"):
            out = io.StringIO()
            stats.stream = out  # type: ignore[attr-defined]
            stats.sort_stats(key).print_stats(args.top)
            print(out.getvalue())
    app.state.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
