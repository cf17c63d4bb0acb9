"""Worker: probe one endpoint with whichever ``mlsvs`` is on PYTHONPATH and print JSON.

Used by ``bench_probes.py`` to run the released (main) and the current probes on the same
servers in one run. Only settings both versions know are passed unless they exist.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time


def main() -> int:
    spec = json.loads(sys.argv[1])
    from mlsvs.model.artifact import Endpoint
    from mlsvs.probes import ProbeSettings, probe_endpoint

    known = {f.name for f in dataclasses.fields(ProbeSettings)}
    settings = ProbeSettings(**{k: v for k, v in spec["settings"].items() if k in known})
    endpoint = Endpoint(
        name="e",
        url=spec["url"],
        auth_env="BENCH_KEY",
        auth_header=spec.get("auth_header", "Authorization"),
        auth_scheme=spec.get("auth_scheme", "Bearer"),
        request_template=spec["template"],
        health_path=spec.get("health_path", ""),
    )
    start = time.perf_counter()
    report = probe_endpoint(endpoint, settings, spec.get("key"))
    elapsed = time.perf_counter() - start
    json.dump(
        {
            "seconds": round(elapsed, 3),
            "requests": len(report.observations.exchanges)
            + (report.observations.burst.sent if report.observations.burst else 0),
            "verdicts": {str(r.area): str(r.verdict) for r in report.results},
            "messages": {str(r.area): r.message[:160] for r in report.results},
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
