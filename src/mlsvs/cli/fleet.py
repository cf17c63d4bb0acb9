"""``mlsvs fleet scan SOURCE...``: scan every model of trees, buckets, hubs and registries.

Exit codes as ``mlsvs scan``: 0 every object verified and clean, 1 findings at or above
``--min-severity``, 2 usage or read/listing errors, 3 no findings but something not verified.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare ``mlsvs fleet scan``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    scan = sub.add_parser(
        "scan",
        help="scan local trees, s3://bucket/prefix, hf://org[/repo], mlflow://[model[/version]]",
        description="Scan every model file of the sources, incrementally (a content-addressed "
        "cache in --out skips what is unchanged), locally or on a Ray cluster. Results: a "
        "Parquet dataset partitioned by source in OUT/results plus the -f outputs.",
    )
    scan.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a directory or file, s3://bucket/prefix, hf://org or hf://org/repo"
        "[@revision], mlflow:// (all models), mlflow://NAME[/VERSION]",
    )
    scan.add_argument(
        "--out",
        default=".mlsvs-fleet",
        metavar="DIR",
        help="results dataset and cache directory (default .mlsvs-fleet)",
    )
    scan.add_argument(
        "-f",
        "--format",
        dest="formats",
        action="append",
        metavar="FMT[:PATH]",
        help="summary output, repeatable: text, json, sarif, html (default: text on stdout)",
    )
    scan.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="run in this process/a process pool, or on Ray",
    )
    scan.add_argument(
        "--address",
        default="",
        metavar="ADDR",
        help="Ray cluster to join (ray://host:10001, host:6379 or 'auto'; "
        "default: start a local one)",
    )
    scan.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=1,
        help="local engine: processes; ray engine without --address: CPUs",
    )
    scan.add_argument(
        "--task-mb", type=int, default=256, help="estimated megabytes read per task (default 256)"
    )
    scan.add_argument("--rescan", action="store_true", help="ignore cached results")
    scan.add_argument(
        "--s3-endpoint-url",
        default="",
        metavar="URL",
        help="S3-compatible endpoint (default: AWS_ENDPOINT_URL or AWS)",
    )
    scan.add_argument(
        "--hf-endpoint",
        default="",
        metavar="URL",
        help="Hugging Face Hub endpoint (default: HF_ENDPOINT or huggingface.co)",
    )
    scan.add_argument(
        "--mlflow-uri",
        default="",
        metavar="URL",
        help="MLflow tracking server (default: MLFLOW_TRACKING_URI)",
    )
    scan.add_argument(
        "--min-severity",
        default="low",
        metavar="LEVEL",
        help="report and fail on findings at or above LEVEL",
    )
    scan.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CALLABLE",
        help="extra allowed pickle callable; repeatable (changes the policy "
        "version: everything is re-scanned once)",
    )
    scan.add_argument("--config", metavar="FILE", help="mlsvs.toml / pyproject.toml to read")


def run(args: argparse.Namespace) -> int:
    """Scan, write the dataset and the outputs, return the exit code."""
    from mlsvs.cli.scan import exit_code
    from mlsvs.config import load_config
    from mlsvs.errors import ConfigError, UsageError
    from mlsvs.fleet.engine import EngineKind, make_engine
    from mlsvs.fleet.plan import Sizing
    from mlsvs.fleet.results import RENDERERS, reports_of, write_dataset, write_output
    from mlsvs.fleet.run import fleet_scan
    from mlsvs.fleet.sources import Endpoints
    from mlsvs.model.result import Severity
    from mlsvs.render.base import parse_output_specs
    from mlsvs.scanner.output import summarize
    from mlsvs.scanner.settings import options_from

    try:
        minimum = Severity.parse(args.min_severity)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.jobs < 1 or args.task_mb < 1:
        raise UsageError("--jobs and --task-mb must be at least 1")
    specs = parse_output_specs(args.formats, default="text", known=RENDERERS)
    config = load_config(Path.cwd(), Path(args.config) if args.config else None)
    try:
        options = options_from(config.settings.get("scanner", {}), args.allow)
    except ValueError as exc:
        raise ConfigError(str(exc), path=config.source) from None
    out = Path(args.out)
    engine = make_engine(EngineKind(args.engine), jobs=args.jobs, address=args.address)
    fleet = fleet_scan(
        args.sources,
        cache_path=out / "cache.sqlite",
        options=options,
        engine=engine,
        endpoints=Endpoints(s3=args.s3_endpoint_url, hf=args.hf_endpoint, mlflow=args.mlflow_uri),
        sizing=Sizing(task_bytes=args.task_mb << 20),
        rescan=args.rescan,
    )
    try:
        write_dataset(fleet, out, minimum)
        for spec in specs:
            text = RENDERERS[spec.format](fleet, minimum)
            if spec.to_stdout:
                sys.stdout.write(text)
            else:
                write_output(Path(spec.path), text)
    except OSError as exc:
        raise UsageError(f"cannot write the results: {exc.strerror or exc}") from None
    return exit_code(summarize(reports_of(fleet.rows), minimum))
