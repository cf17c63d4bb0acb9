"""``mlsvs fleet scan SOURCE...``: scan every model of trees, buckets, hubs and registries.

Exit codes as ``mlsvs scan``: 0 every object verified and clean, 1 findings at or above
``--min-severity``, 2 usage or read/listing errors, 3 no findings but something not verified.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare ``mlsvs fleet scan``."""
    from mlsvs.cli._common import FINDINGS, add_common

    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    scan = sub.add_parser(
        "scan",
        help="scan local trees, s3://bucket/prefix, hf://org[/repo], mlflow://[model[/version]]",
        description="Scan every model file of the sources, incrementally (a content-addressed "
        "cache in --out skips what is unchanged), locally or on a Ray cluster. Results: a "
        "Parquet dataset partitioned by source in OUT/results plus the -f outputs. Exit codes: "
        "0 all clean, 1 findings, 2 read or listing errors, 3 something not verified.",
    )
    scan.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a directory or file, s3://bucket/prefix, hf://org or hf://org/repo[@revision], "
        "mlflow:// (every registered model), mlflow://NAME[/VERSION]",
    )
    scan.add_argument(
        "--out",
        default=".mlsvs-fleet",
        metavar="DIR",
        help="results dataset and cache directory (default .mlsvs-fleet)",
    )
    add_common(scan, ("text", "json", "html", *FINDINGS), jobs=1)
    scan.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process or --jobs processes; ray: Ray tasks (default local)",
    )
    scan.add_argument(
        "--address",
        default="",
        metavar="ADDR",
        help="Ray cluster to join (ray://host:10001, host:6379 or 'auto'; default: start a "
        "local one with --jobs CPUs)",
    )
    scan.add_argument(
        "--task-mb", type=int, default=256, help="estimated megabytes read per task (default 256)"
    )
    scan.add_argument("--rescan", action="store_true", help="ignore cached results")
    scan.add_argument(
        "--s3-endpoint-url",
        default="",
        metavar="URL",
        help="S3-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS)",
    )
    scan.add_argument(
        "--hf-endpoint",
        default="",
        metavar="URL",
        help="Hugging Face Hub endpoint (default: HF_ENDPOINT, else huggingface.co)",
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
        help="report and fail on findings at or above LEVEL (info, low, medium, high, critical)",
    )
    scan.add_argument(
        "--upload",
        default="",
        metavar="URL",
        help="send the summary (the -f json document) to an mlsvs server after the run",
    )
    scan.add_argument(
        "--token", default=None, help="API token for --upload (default: $MLSVS_SERVER_TOKEN)"
    )
    scan.add_argument(
        "--allow-global",
        action="append",
        default=[],
        metavar="CALLABLE",
        help="extra allowed pickle callable; repeatable (a new policy version: everything is "
        "re-scanned once)",
    )


def _progress(args: argparse.Namespace) -> Callable[[int, int], None] | None:
    """'scanned task N/M' on a terminal's stderr unless --quiet."""
    import sys

    if args.quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rmlsvs fleet: {done}/{total} tasks scanned", end=end, file=sys.stderr, flush=True)

    return show


def run(args: argparse.Namespace) -> int:
    """Scan, write the dataset and the outputs, return the exit code."""
    from mlsvs.cli._common import emit, jobs, output_specs
    from mlsvs.cli.scan import exit_code
    from mlsvs.config import load_config
    from mlsvs.errors import ConfigError, UsageError
    from mlsvs.fleet.engine import EngineKind, make_engine
    from mlsvs.fleet.plan import Sizing
    from mlsvs.fleet.results import NATIVE, findings_report, reports_of, write_dataset
    from mlsvs.fleet.run import fleet_scan
    from mlsvs.fleet.sources import Endpoints
    from mlsvs.model.result import Severity
    from mlsvs.scanner.output import summarize
    from mlsvs.scanner.settings import options_from

    specs = output_specs(args)
    token = ""
    if args.upload:
        from mlsvs.server.client import resolve_token

        token = resolve_token(args.token)  # a missing token fails before the scan
    try:
        minimum = Severity.parse(args.min_severity)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    workers = jobs(args)
    if args.task_mb < 1:
        raise UsageError("--task-mb must be at least 1")
    config = load_config(Path.cwd(), args.config)
    try:
        options = options_from(config.settings.get("scanner", {}), args.allow_global)
    except ValueError as exc:
        raise ConfigError(str(exc), path=config.source) from None
    out = Path(args.out)
    engine = make_engine(EngineKind(args.engine), jobs=workers, address=args.address)
    fleet = fleet_scan(
        args.sources,
        cache_path=out / "cache.sqlite",
        options=options,
        engine=engine,
        endpoints=Endpoints(s3=args.s3_endpoint_url, hf=args.hf_endpoint, mlflow=args.mlflow_uri),
        sizing=Sizing(task_bytes=args.task_mb << 20),
        rescan=args.rescan,
        on_task=_progress(args),
    )
    try:
        write_dataset(fleet, out, minimum)
    except OSError as exc:
        raise UsageError(f"cannot write the results dataset: {exc.strerror or exc}") from None
    native = {
        name: (lambda render=render: render(fleet, minimum)) for name, render in NATIVE.items()
    }
    emit(args, lambda: findings_report(fleet, minimum), native, specs)
    if args.upload:
        _upload(args.upload, NATIVE["json"](fleet, minimum), token)
    return exit_code(summarize(reports_of(fleet.rows), minimum))


def _upload(url: str, document: str, token: str) -> None:
    """Send the summary; the scan's exit code stands, a refused upload is an error (exit 2)."""
    import sys

    from mlsvs.server.fleet_client import upload_fleet

    result = upload_fleet(url, document.encode("utf-8"), token)
    state = "uploaded" if result.created else "already on the server:"
    print(f"mlsvs: {state} fleet scan {result.fleet_scan_id}: {result.url}", file=sys.stderr)
