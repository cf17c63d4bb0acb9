"""``mlsvs probe``: probe the inference endpoints declared in the project configuration.

Exit codes: 0 every area passed (or does not apply), 1 at least one area failed or could not be
verified, 2 bad usage or configuration (including a missing ``--allow network``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import CapabilityError, UsageError
from mlsvs.util.text import one_line, strip_control

if TYPE_CHECKING:
    import argparse

    from mlsvs.model.artifact import Endpoint
    from mlsvs.probes import ProbeReport

TRAIT = "exposes_inference_api"
_LABEL = {
    "pass": "PASS",
    "fail": "FAIL",
    "error": "ERROR",
    "not_applicable": "N/A",
    "not_verified": "N/V",
}


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "project", nargs="?", default=".", help="project directory (default: current directory)"
    )
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CAPABILITY",
        help="grant a capability (comma-separated); probing needs 'network'",
    )
    parser.add_argument(
        "--endpoint", action="append", default=[], metavar="NAME", help="probe only this endpoint"
    )
    from mlsvs.cli._common import FINDINGS, add_common

    add_common(parser, ("text", "json", *FINDINGS), jobs=1)


def run(args: argparse.Namespace) -> int:
    """Probe every selected endpoint; print the report; return the exit code."""
    from mlsvs import __version__
    from mlsvs.cli._common import emit, jobs, output_specs
    from mlsvs.config import load_config
    from mlsvs.model.artifact import Capability
    from mlsvs.probes import parse_settings, probe_endpoint
    from mlsvs.probes.findings import probe_findings_report

    specs = output_specs(args)
    jobs(args)  # validated; endpoints are probed one after another (bounded load)
    granted = {c.strip() for value in args.allow for c in value.split(",") if c.strip()}
    unknown = sorted(granted - {c.value for c in Capability})
    if unknown:
        raise UsageError(f"unknown capability {unknown[0]!r} (known: network, model-exec)")
    if Capability.NETWORK.value not in granted:
        raise CapabilityError(
            "probing sends requests to the declared endpoints; re-run with --allow network"
        )
    root = Path(args.project)
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    config = load_config(root, args.config)
    endpoints = _select(config.endpoints, tuple(args.endpoint), TRAIT in config.traits)
    section = config.settings.get("probes", {})
    reports = []
    for endpoint in endpoints:
        settings = parse_settings(section, endpoint.name)
        credential = os.environ.get(endpoint.auth_env) if endpoint.auth_env else None
        reports.append(probe_endpoint(endpoint, settings, credential))
    config_path = _relative(Path(config.source) if config.source else root / "mlsvs.toml", root)
    emit(
        args,
        lambda: probe_findings_report(
            reports, config_path=config_path, version=__version__, root=str(root.resolve())
        ),
        {
            "text": lambda: _as_text(reports),
            "json": lambda: (
                json.dumps(_as_json(reports), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            ),
        },
        specs,
    )
    ok = all(r.verdict.value in {"pass", "not_applicable"} for rep in reports for r in rep.results)
    return 0 if ok else 1


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _select(
    declared: tuple[Endpoint, ...], wanted: tuple[str, ...], has_trait: bool
) -> tuple[Endpoint, ...]:
    if not declared:
        hint = f" (the project declares {TRAIT})" if has_trait else ""
        raise UsageError(
            f"no endpoint declared{hint}: declare the endpoint to probe ([[endpoints]])"
        )
    if not wanted:
        return declared
    names = {e.name for e in declared}
    missing = [w for w in wanted if w not in names]
    if missing:
        raise UsageError(f"unknown endpoint {missing[0]!r} (declared: {', '.join(sorted(names))})")
    return tuple(e for e in declared if e.name in wanted)


def _url(report: ProbeReport) -> str:
    """The endpoint URL with its query elided (it may carry a token)."""
    bare, query, _ = report.observations.url.partition("?")
    return f"{bare}?…" if query else bare


def _as_json(reports: list[ProbeReport]) -> dict[str, object]:
    from mlsvs.probes import AREA_CHECKS, AREA_REQUIREMENTS

    return {
        "endpoints": [
            {
                "name": rep.endpoint,
                "url": _url(rep),
                "duration_ms": rep.duration_ms,
                "results": [
                    {
                        "area": str(r.area),
                        "check": AREA_CHECKS[r.area],
                        "requirements": list(AREA_REQUIREMENTS[r.area]),
                        "verdict": str(r.verdict),
                        "severity": str(r.gravity) if r.gravity else None,
                        "message": strip_control(r.message),
                        "facts": {k: strip_control(v) for k, v in r.facts},
                        "gaps": [strip_control(g.describe()) for g in r.gaps],
                    }
                    for r in rep.results
                ],
            }
            for rep in reports
        ]
    }


def _as_text(reports: list[ProbeReport]) -> str:
    from mlsvs.probes import AREA_CHECKS, AREA_REQUIREMENTS

    lines: list[str] = []
    for rep in reports:
        url = one_line(_url(rep))
        lines.append(f"{rep.endpoint} ({url}), probed in {rep.duration_ms / 1000:.1f} s")
        for r in rep.results:
            label = _LABEL[r.verdict.value]
            requirements = ",".join(AREA_REQUIREMENTS[r.area])
            head = f"  {label:<5} {AREA_CHECKS[r.area]} {requirements:<7} {r.area}"
            lines.append(f"{head}: {one_line(r.message, 300)}")
            if r.verdict.value in {"fail", "error", "not_verified"}:
                lines.extend(f"          {k} = {one_line(v)}" for k, v in r.facts[:14])
            lines.extend(f"          not covered: {one_line(g.describe())}" for g in r.gaps[:8])
        lines.append("")
    return "\n".join(lines)
