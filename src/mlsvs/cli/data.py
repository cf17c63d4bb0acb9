"""``mlsvs data``: dataset manifests, split leakage, PII and label-quality checks.

Exit codes: 0 clean, 1 findings, 2 error (a malformed file, bad usage).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.errors import UsageError

if TYPE_CHECKING:
    import argparse

    from mlsvs.datacheck.pii_scan import PiiReport
    from mlsvs.datacheck.progress import Progress
    from mlsvs.datacheck.report import Json
    from mlsvs.datacheck.settings import DataSettings
    from mlsvs.datacheck.splits import SplitSet
    from mlsvs.output.report import ReportFinding


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-commands and their arguments."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    man = sub.add_parser("manifest", help="write a dataset hash manifest")
    man.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to hash")
    man.add_argument("-o", "--output", required=True, metavar="MANIFEST")
    man.add_argument("--records", action="store_true", help="also hash every row of tables")
    ver = sub.add_parser("verify", help="verify manifests, DVC files or SHA256SUMS files")
    ver.add_argument("paths", nargs="+", metavar="MANIFEST")
    leak = sub.add_parser("leakage", help="exact/near-duplicate and entity/time leakage")
    leak.add_argument("project", nargs="?", default=".", help="project (uses [datasets])")
    for split in ("train", "valid", "test"):
        leak.add_argument(f"--{split}", nargs="+", default=[], metavar="FILE")
    leak.add_argument("--key-column", default=None)
    leak.add_argument("--time-column", default=None)
    leak.add_argument("--no-near", action="store_true", help="exact duplicates only")
    pii = sub.add_parser("pii", help="find personal data and secrets in tables")
    pii.add_argument("paths", nargs="+", metavar="PATH")
    pii.add_argument("--min-confidence", choices=("low", "medium", "high"), default="medium")
    pii.add_argument("--max-rows", type=int, default=0, help="scan only the first N rows")
    pii.add_argument(
        "--task-mb", type=float, default=64.0, metavar="MB",
        help="--engine ray: compressed megabytes of Parquet row groups per task (default 64)",
    )  # fmt: skip
    qual = sub.add_parser("quality", help="label-issue, duplicate, outlier, imbalance rates")
    qual.add_argument("file", metavar="FILE")
    qual.add_argument("--label", default=None, help="label column")
    qual.add_argument(
        "--level", choices=("L1", "L2", "L3"), default="L2",
        help="verification level whose label-noise limit applies (default L2)",
    )  # fmt: skip
    from mlsvs.cli._common import FINDINGS, add_common

    for cmd in (man, leak, pii):
        cmd.add_argument(
            "--engine", choices=("local", "ray"), default="local",
            help="local: this process; ray: Ray tasks (leakage: Ray Data over Parquet splits, "
            "same results; files must be readable at the same path on every node)",
        )  # fmt: skip
        cmd.add_argument(
            "--address", default="", metavar="ADDR",
            help="Ray cluster to join (host:6379, ray://host:10001 or 'auto'; default: start a "
            "local one with --jobs CPUs)",
        )  # fmt: skip
    for cmd in (man, ver, leak, pii, qual):
        add_common(cmd, ("text", "json") if cmd is man else ("text", "json", *FINDINGS), jobs=1)


class _Bar:
    """A rich progress display on stderr (TTY only)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress as RichProgress
        from rich.progress import SpinnerColumn, TextColumn

        self._rich = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._rich.add_task("", total=None)
        self._rich.start()

    def __call__(self, label: str, done: int, total: int | None) -> None:
        self._rich.update(self._task, description=label[-50:], completed=done, total=total)

    def close(self) -> None:
        self._rich.stop()


def run(args: argparse.Namespace) -> int:
    """Dispatch to the action; returns 0 (clean), 1 (findings) or 2 (errors)."""
    from mlsvs.cli._common import jobs, output_specs, progress_enabled
    from mlsvs.datacheck.progress import silent

    output_specs(args)  # a bad -f is a usage error before any work
    jobs(args)
    bar = _Bar() if progress_enabled(args) and sys.stderr.isatty() else None
    progress: Progress = bar if bar is not None else silent
    if getattr(args, "engine", "local") == "ray":
        from mlsvs.fleet.data import ray_session

        with ray_session(args.address, jobs(args)):
            return _dispatch(args, progress, bar)
    return _dispatch(args, progress, bar)


def _dispatch(args: argparse.Namespace, progress: Progress, bar: _Bar | None) -> int:
    try:
        match args.action:
            case "manifest":
                return _manifest(args, progress)
            case "verify":
                return _verify(args, progress)
            case "leakage":
                return _leakage(args, progress)
            case "pii":
                return _pii(args, progress)
            case _:
                return _quality(args, progress)
    finally:
        if bar is not None:
            bar.close()


def _emit(
    args: argparse.Namespace,
    doc: Json,
    lines: list[str],
    findings: list[ReportFinding] | None = None,
    targets: list[str] | None = None,
) -> None:
    from mlsvs import __version__
    from mlsvs.cli._common import emit
    from mlsvs.datacheck.findings import RULES
    from mlsvs.output.report import FindingsReport

    def report() -> FindingsReport:
        return FindingsReport(
            command=f"data {args.action}",
            tool_version=__version__,
            rules=RULES,
            findings=tuple(findings or ()),
            targets=tuple(targets or ()),
            root=str(Path.cwd()),
        )

    emit(
        args,
        report,
        {"text": lambda: "\n".join(lines) + "\n", "json": lambda: json.dumps(doc, indent=2) + "\n"},
    )


def _manifest(args: argparse.Namespace, progress: Progress) -> int:
    from mlsvs.datacheck.manifest import build_manifest, dump_manifest

    output = Path(args.output).resolve()
    base = output.parent
    roots: list[str] = []
    for raw in args.paths:
        path = Path(raw).resolve()
        if not path.exists():
            raise UsageError(f"{raw}: no such file or directory")
        if not path.is_relative_to(base):
            raise UsageError(f"{raw}: must lie under the manifest's directory {base}")
        roots.append(path.relative_to(base).as_posix() or ".")
    now = dt.datetime.now(dt.UTC)
    if args.engine == "ray":
        from mlsvs.cli._common import jobs
        from mlsvs.fleet.data import distributed_manifest

        manifest = distributed_manifest(
            base, roots, records=args.records, now=now, exclude=output, address=args.address,
            jobs=jobs(args),
        )  # fmt: skip
    else:
        manifest = build_manifest(
            base, roots, records=args.records, now=now, exclude=output, progress=progress
        )
    output.write_text(dump_manifest(manifest), encoding="utf-8")
    rows = sum(e.rows or 0 for e in manifest.files)
    doc: Json = {"manifest": str(args.output), "files": len(manifest.files), "rows": rows}
    text = f"wrote {args.output}: {len(manifest.files)} file(s)"
    _emit(args, doc, [text + (f", {rows} record hash(es)" if args.records else "")])
    return 0


def _verify(args: argparse.Namespace, progress: Progress) -> int:
    from mlsvs.datacheck.errors import DataError
    from mlsvs.datacheck.findings import data_finding
    from mlsvs.datacheck.report import evidence_json, evidence_lines
    from mlsvs.datacheck.verify import verify_evidence
    from mlsvs.output.report import FindingKind

    results: list[Json] = []
    lines: list[str] = []
    found: list[ReportFinding] = []
    errors = failures = 0
    for raw in args.paths:
        try:
            result = verify_evidence(Path(raw), Path.cwd(), progress=progress)
        except DataError as exc:
            errors += 1
            results.append({"source": raw, "error": exc.message})
            lines.append(f"mlsvs: error: {exc.message}")
            found.append(data_finding("DATA005", raw, exc.message, kind=FindingKind.ERROR))
            continue
        failures += not result.ok
        results.append(evidence_json(result))
        shown = evidence_lines(result)
        lines.extend(shown)
        if not result.ok:
            found.append(data_finding("DATA001", raw, "; ".join(shown[1:] or shown)))
    _emit(args, {"results": results}, lines, found, list(args.paths))
    return 2 if errors else 1 if failures else 0


def _leakage(args: argparse.Namespace, progress: Progress) -> int:
    from mlsvs.datacheck.errors import DataError
    from mlsvs.datacheck.leakage import entity_leakage, time_leakage
    from mlsvs.datacheck.overlap import OverlapParams, find_overlap
    from mlsvs.datacheck.report import entity_json, overlap_json, overlap_line, time_json

    conf, sets = _split_sets(args)
    key = args.key_column if args.key_column is not None else conf.key_column
    when = args.time_column if args.time_column is not None else conf.time_column
    params = OverlapParams(
        near=conf.near_duplicates and not args.no_near, near_digits=conf.near_digits,
        minhash_threshold=conf.minhash_threshold, permutations=conf.minhash_permutations,
        bands=conf.minhash_bands, shingle=conf.shingle_size,
        exclude=frozenset(c for c in (key, when) if c),
    )  # fmt: skip
    from mlsvs.datacheck.findings import data_finding
    from mlsvs.output.report import FindingKind

    pairs: list[Json] = []
    lines: list[str] = []
    found: list[ReportFinding] = []
    targets: list[str] = []
    errors = findings = 0
    for split_set in sets:
        for earlier, later in split_set.pairs():
            a, b = split_set.splits[earlier], split_set.splits[later]
            item: Json = {"group": split_set.group, "earlier": earlier, "later": later}
            where = _split_path(split_set, later)
            targets.append(where)
            before = len(lines)
            try:
                if args.engine == "ray":
                    from mlsvs.fleet.data import distributed_overlap

                    overlap = distributed_overlap(a, b, params, names=(earlier, later))
                else:
                    overlap = find_overlap(a, b, params, names=(earlier, later), progress=progress)
                item["overlap"] = overlap_json(overlap)
                lines.append(overlap_line(split_set.group, overlap))
                findings += overlap.leaked > 0
                if key:
                    ent = entity_leakage(a, b, key, progress=progress)
                    item["entity"] = entity_json(ent)
                    lines.append(f"  {key}: {ent.leaked} of {ent.entities_later} entities leak")
                    findings += ent.leaked > 0
                if when:
                    tl = time_leakage(a, b, when, progress=progress)
                    item["time"] = time_json(tl)
                    lines.append(
                        f"  {when}: {tl.leaked_rows} {earlier} row(s) after {later} starts "
                        f"({tl.later_start}; {earlier} ends {tl.earlier_end})"
                    )
                    findings += tl.leaked_rows > 0
            except DataError as exc:
                errors += 1
                item["error"] = exc.message
                lines.append(f"mlsvs: error: {exc.message}")
                found.append(data_finding("DATA005", where, exc.message, kind=FindingKind.ERROR))
            else:
                leaked = _leaked(item)
                if leaked:
                    found.append(
                        data_finding("DATA002", where, " ".join(lines[before:]), key=leaked)
                    )
            pairs.append(item)
    _emit(args, {"pairs": pairs}, lines or ["no split pairs to compare"], found, targets)
    return 2 if errors else 1 if findings else 0


def _split_path(split_set: SplitSet, name: str) -> str:
    """The (first) file of one split, for report locations."""
    sources = split_set.splits[name]
    return sources[0].display if sources else f"{split_set.group}:{name}"


def _leaked(item: Json) -> str:
    """Which leakage kinds an item found (``overlap,entity,time``), empty when none."""
    kinds = []
    for kind, field in (("overlap", "leaked"), ("entity", "leaked"), ("time", "leaked_rows")):
        part = item.get(kind)
        if isinstance(part, dict) and (part.get(field) or 0) > 0:
            kinds.append(kind)
    return ",".join(kinds)


def _split_sets(args: argparse.Namespace) -> tuple[DataSettings, list[SplitSet]]:
    from mlsvs.datacheck.locate import project_splits

    given = {n: getattr(args, n) for n in ("train", "valid", "test") if getattr(args, n)}
    if len(given) == 1:
        raise UsageError("name at least two splits (--train and --test)")
    conf, sets = project_splits(Path(args.project), given)
    if not sets:
        raise UsageError("no train/valid/test files found; pass --train FILE --test FILE")
    return conf, sets


def _settings(start: Path, config: Path | None = None) -> DataSettings:
    from mlsvs.config import load_config
    from mlsvs.datacheck.settings import parse_settings

    return parse_settings(load_config(start, config).settings.get("datasets", {}))


def _pii(args: argparse.Namespace, progress: Progress) -> int:
    from mlsvs.datacheck.errors import DataError
    from mlsvs.datacheck.pii import Confidence
    from mlsvs.datacheck.pii_scan import scan_pii
    from mlsvs.datacheck.report import pii_json, pii_lines
    from mlsvs.datacheck.table import source_for

    threshold = Confidence[args.min_confidence.upper()]
    from mlsvs.datacheck.findings import data_finding
    from mlsvs.datacheck.locate import find_tables
    from mlsvs.output.report import FindingKind

    reports: list[Json] = []
    lines: list[str] = []
    found: list[ReportFinding] = []
    errors = findings = 0

    try:
        paths = find_tables([Path(p) for p in args.paths])
    except FileNotFoundError as exc:
        raise UsageError(f"{exc}: no such file or directory") from None
    scanned: list[PiiReport | DataError] | None = None
    if args.engine == "ray":
        from mlsvs.cli._common import jobs
        from mlsvs.fleet.data import distributed_pii

        if not args.task_mb > 0:
            raise UsageError("--task-mb must be positive")
        scanned = distributed_pii(
            paths, max_rows=args.max_rows, address=args.address, jobs=jobs(args),
            task_bytes=max(1, int(args.task_mb * (1 << 20))),
        )  # fmt: skip
    for number, path in enumerate(paths):
        try:
            if scanned is None:
                report = scan_pii(
                    source_for(path, str(path)), max_rows=args.max_rows, progress=progress
                )
            else:
                got = scanned[number]
                if isinstance(got, DataError):
                    raise got
                report = got
        except DataError as exc:
            errors += 1
            reports.append({"path": str(path), "error": exc.message})
            lines.append(f"mlsvs: error: {exc.message}")
            found.append(data_finding("DATA005", str(path), exc.message, kind=FindingKind.ERROR))
            continue
        report = replace(report, hits=tuple(h for h in report.hits if h.confidence >= threshold))
        findings += bool(report.hits)
        reports.append(pii_json(report))
        shown = pii_lines(report)
        lines.extend(shown)
        if report.hits:
            found.append(data_finding("DATA003", str(path), "; ".join(shown)))
    _emit(args, {"files": reports}, lines or ["no tabular files"], found, [str(p) for p in paths])
    return 2 if errors else 1 if findings else 0


def _quality(args: argparse.Namespace, progress: Progress) -> int:
    from mlsvs.datacheck.quality import quality_stats, read_training_table
    from mlsvs.datacheck.report import quality_json
    from mlsvs.datacheck.table import read_header, source_for

    path = Path(args.file)
    conf = _settings(path.parent, args.config)
    source = source_for(path, str(path))
    label = args.label or conf.label_column
    if not label:
        lowered = {h.lower(): h for h in read_header(source)}
        names = ("label", "labels", "target", "class", "y", "outcome")
        label = next((lowered[n] for n in names if n in lowered), "")
    if not label:
        raise UsageError(f"{path}: no label column found; pass --label COLUMN")
    exclude = frozenset(c for c in (conf.key_column, conf.time_column) if c)
    table = read_training_table(
        source, label, exclude=exclude, max_rows=conf.quality_max_rows, seed=conf.seed,
        progress=progress,
    )  # fmt: skip
    stats = quality_stats(
        table, outlier_z=conf.outlier_z, folds=conf.cv_folds, seed=conf.seed,
        method=conf.label_method,
    )  # fmt: skip
    from mlsvs.datacheck.labelnoise import NOISE_LIMITS
    from mlsvs.datacheck.quality import judge

    level = int(args.level.upper().removeprefix("L"))
    limit = conf.label_issue_rate_max
    limit = NOISE_LIMITS[level] if limit is None else limit
    verdict, reasons, noise = judge(stats, conf, limit)
    limits: dict[str, float | None] = {
        "label_noise_rate": limit,
        "duplicate_rate": conf.duplicate_rate_max,
        "outlier_rate": conf.outlier_rate_max,
        "class_imbalance": conf.class_imbalance_max,
    }
    lines = [f"{path}: {noise}"]
    lines += [
        f"{path}: {name} {value:.4g}" + (f" (max {limits[name]:g})" if limits[name] else "")
        for name, value in (
            ("duplicate_rate", stats.duplicate_rate),
            ("outlier_rate", stats.outlier_rate),
            ("class_imbalance", stats.class_imbalance),
        )
    ]
    lines.append(
        f"{path}: {stats.rows} row(s), {stats.sample} sampled, label {label!r}, {stats.model}, "
        f"kappa {stats.kappa:.2f}"
    )
    word = {"fail": "FAIL", "undecided": "NOT VERIFIED", "pass": "ok"}[verdict]
    lines.append(f"{path}: {word}" + (f": {'; '.join(reasons)}" if reasons else ""))
    from mlsvs.datacheck.findings import data_finding
    from mlsvs.output.report import FindingKind

    found = []
    if verdict != "pass":
        kind = FindingKind.FAIL if verdict == "fail" else FindingKind.NOT_VERIFIED
        found.append(data_finding("DATA004", str(path), "; ".join(reasons) or noise, kind=kind))
    doc = {"path": str(path), **quality_json(stats, limits, verdict, reasons)}
    _emit(args, doc, lines, found, [str(path)])
    return {"fail": 1, "undecided": 2, "pass": 0}[verdict]
