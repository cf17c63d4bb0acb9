"""``mlsvs test robustness|privacy|extraction``: run runtime model tests and print the numbers.

Reads ``[tool.mlsvs.model_tests]`` (pyproject.toml / mlsvs.toml) or ``[model_tests]``
(mlsvs.toml). Exit codes: 0 every test passed, 1 a test failed or could not verify,
2 bad usage or configuration.
"""

from __future__ import annotations

import json
import sys
import tomllib
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError, UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

    from mlsvs.model.artifact import Endpoint
    from mlsvs.modeltest.result import TestResult

SUITES = {
    "robustness": ("clean_accuracy", "blackbox_evasion", "whitebox_evasion"),
    "privacy": ("membership_inference", "attribute_inference", "output_minimisation"),
    "extraction": ("extraction", "output_minimisation"),
}
_ALLOWED = ("model-exec", "network")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    parser.add_argument("suite", choices=sorted(SUITES), help="which family of tests to run")
    parser.add_argument("project", nargs="?", default=".", help="project root (default: .)")
    parser.add_argument("-c", "--config", help="mlsvs.toml or pyproject.toml to read")
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CAP[,CAP]",
        help="grant capabilities: model-exec (load and run the model), network (HTTP model)",
    )
    parser.add_argument(
        "--level",
        choices=("L1", "L2", "L3"),
        help="level to verify: the standard's limits and budgets for it apply (default: "
        "model_tests.level; without either, only the project's own thresholds decide)",
    )
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text")


def load_section(
    project: Path, config: str | None
) -> tuple[Mapping[str, object], dict[str, Endpoint]]:
    """The ``model_tests`` table and the declared endpoints from the configuration file."""
    candidates = [Path(config)] if config else [project / "mlsvs.toml", project / "pyproject.toml"]
    for path in candidates:
        if not path.is_file():
            if config:
                raise ConfigError(f"config file {config} does not exist")
            continue
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot parse {path.name}: {exc}") from None
        tool = doc.get("tool", {}).get("mlsvs", {})
        scope = tool if "model_tests" in tool else doc
        section = scope.get("model_tests")
        if section is not None:
            if not isinstance(section, dict):
                raise ConfigError(f"{path.name}: model_tests must be a table")
            return section, _endpoints(scope.get("endpoints", []), path.name)
    raise ConfigError(
        "no model under test declared: add [tool.mlsvs.model_tests] (see docs/model-testing.md)"
    )


def _endpoints(raw: object, where: str) -> dict[str, Endpoint]:
    from mlsvs.model.artifact import Endpoint

    keys = frozenset(
        {"name", "url", "method", "auth_env", "auth_header", "auth_scheme", "request_template"}
        | {"health_path"}
    )
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise ConfigError(f"{where}: endpoints must be an array of tables")
    out: dict[str, Endpoint] = {}
    for entry in raw:
        if not isinstance(entry.get("name"), str) or not isinstance(entry.get("url"), str):
            raise ConfigError(f"{where}: every [[endpoints]] needs a name and a url")
        out[entry["name"]] = Endpoint(**{k: v for k, v in entry.items() if k in keys})
    return out


def _grants(values: list[str]) -> frozenset[str]:
    grants = {v.strip() for item in values for v in item.split(",") if v.strip()}
    unknown = sorted(grants - set(_ALLOWED))
    if unknown:
        raise UsageError(f"unknown capability {unknown[0]!r} (use {', '.join(_ALLOWED)})")
    return frozenset(grants)


def run(args: argparse.Namespace) -> int:
    """Run the suite; print text or JSON."""
    from mlsvs.modeltest.result import TestName
    from mlsvs.modeltest.session import run_tests

    project = Path(args.project)
    if not project.is_dir():
        raise UsageError(f"project {args.project} is not a directory")
    grants = _grants(args.allow)
    section, endpoints = load_section(project, args.config)
    results = run_tests(
        section,
        project.resolve(),
        [TestName(n) for n in SUITES[args.suite]],
        model_exec="model-exec" in grants,
        network="network" in grants,
        endpoints=endpoints,
        level=args.level,
    )
    if args.format == "json":
        print(json.dumps({"suite": args.suite, "tests": [_json(r) for r in results]}, indent=2))
    else:
        _text(results)
    return 0 if all(r.ok is True for r in results) else 1


def _status(result: TestResult) -> str:
    if result.ok is None and result.gaps:
        return "not verified"
    return {True: "pass", False: "fail", None: "error"}[result.ok]


def _json(result: TestResult) -> dict[str, object]:
    return {
        "name": result.name,
        "status": _status(result),
        "message": result.message,
        "facts": dict(result.facts),
        "measurements": [asdict(m) for m in result.measurements],
    }


def _text(results: tuple[TestResult, ...]) -> None:
    out = sys.stdout
    for r in results:
        out.write(f"[{_status(r).upper().replace(' ', '-'):5}] {r.name}: {r.message}\n")
        shown: tuple[tuple[str, str], ...] = ()
        for m in r.measurements:
            ci = "" if m.lower is None else f"  [{m.lower:.4f}, {m.upper:.4f}]"
            limit = "" if m.threshold is None else f"  limit {m.threshold:g}"
            out.write(f"        {m.name} = {m.value:.4f}{ci}{limit}\n")
            if m.series and len(m.series) <= 12:
                pts = ", ".join(f"{p.x:g}:{p.y:.3f}" for p in m.series)
                out.write(f"          {m.x_label or 'x'} -> {m.y_label or 'y'}: {pts}\n")
            if m.parameters != shown:  # measurements of one test usually share them
                out.write("          " + " ".join(f"{k}={v}" for k, v in m.parameters) + "\n")
                shown = m.parameters
