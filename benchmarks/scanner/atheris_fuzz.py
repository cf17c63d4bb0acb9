"""Coverage-guided fuzzing of the scanner with atheris (not in CI; atheris is optional).

Two targets, both guided by coverage of mlsvs.scanner:

* ``grammar`` (default): atheris' bytes drive the decisions of the pickle grammar
  (tests/scanner/oracle/grammar.py). Every sample the scanner calls clean goes to the real-loader
  oracle; oracle-malicious + scan-clean raises (a bug: shrink it with fuzz_oracle.py's trace).
* ``layouts`` (``--layouts``): the same for the container/format layout grammar
  (tests/scanner/oracle/formats.py: keras, onnx, gguf, torch records, bundles, extraction).
* ``raw``: arbitrary bytes (seeded with real pickles) straight into the scanner; any internal
  scanner error (GEN002 "scanner error") raises.

    python -m venv --system-site-packages /tmp/atheris && /tmp/atheris/bin/pip install atheris
    KERAS_BACKEND=torch /tmp/atheris/bin/python benchmarks/scanner/atheris_fuzz.py -atheris_runs=20000
    KERAS_BACKEND=torch /tmp/atheris/bin/python benchmarks/scanner/atheris_fuzz.py --raw -max_total_time=600
    KERAS_BACKEND=torch /tmp/atheris/bin/python benchmarks/scanner/atheris_fuzz.py --layouts -max_total_time=600
"""

from __future__ import annotations

import atexit
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import atheris  # noqa: E402 - after the path setup

with atheris.instrument_imports(include=["mlsvs.scanner"]):
    from mlsvs.scanner import scan_path
    from mlsvs.scanner.context import Ctx
    from mlsvs.scanner.dispatch import scan_bytes
    from mlsvs.scanner.report import ScanOptions

from tests.scanner.oracle.campaign import _LOADERS, write_layout  # noqa: E402
from tests.scanner.oracle.formats import generate_layout  # noqa: E402
from tests.scanner.oracle.grammar import Chooser, generate  # noqa: E402
from tests.scanner.oracle.harness import Loader, Oracle  # noqa: E402

COUNTS = {"samples": 0, "scan_clean": 0, "oracle_runs": 0}
_WORK = Path(tempfile.mkdtemp(prefix="mlsvs-atheris-"))
_ORACLE: Oracle | None = None


class DisagreementError(AssertionError):
    """The oracle saw an exploit the scanner missed."""


def grammar_target(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    sample = generate(Chooser(lambda n, _label: fdp.ConsumeIntInRange(0, n - 1)))
    COUNTS["samples"] += 1
    path = _WORK / sample.filename
    path.write_bytes(sample.data)
    report = scan_path(path)
    if any("scanner error" in f.message for f in report.findings):
        raise RuntimeError(f"scanner error on {sample.description}: {report.findings}")
    if not report.clean:
        return
    COUNTS["scan_clean"] += 1
    global _ORACLE
    if _ORACLE is None:
        _ORACLE = Oracle()
    COUNTS["oracle_runs"] += 1
    verdict = _ORACLE.judge(path, _LOADERS[sample.filename])
    if verdict.malicious:
        raise DisagreementError(f"{sample.target} {sample.description} trace={sample.trace}")


def layout_target(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    sample = generate_layout(Chooser(lambda n, _label: fdp.ConsumeIntInRange(0, n - 1)))
    COUNTS["samples"] += 1
    path = write_layout(sample, _WORK)
    report = scan_path(path)
    if any("scanner error" in f.message for f in report.findings):
        raise RuntimeError(f"scanner error on {sample.description}: {report.findings}")
    if not report.clean:
        return
    COUNTS["scan_clean"] += 1
    global _ORACLE
    if _ORACLE is None:
        _ORACLE = Oracle()
    COUNTS["oracle_runs"] += 1
    verdict = _ORACLE.judge(path, tuple(Loader(v) for v in sample.loaders))
    if verdict.malicious:
        raise DisagreementError(f"{sample.target} {sample.description} trace={sample.trace}")


def raw_target(data: bytes) -> None:
    COUNTS["samples"] += 1
    ctx = Ctx.new(ScanOptions(max_seconds=5), _WORK)
    scan_bytes(ctx, data, None, 0)
    for f in ctx.findings:
        if "scanner error" in f.message:
            raise RuntimeError(f.message)


def main() -> None:
    raw = "--raw" in sys.argv
    layouts = "--layouts" in sys.argv
    argv = [a for a in sys.argv if a not in ("--raw", "--layouts")]
    atexit.register(lambda: print(f"atheris counts: {COUNTS}", file=sys.stderr))
    target = raw_target if raw else layout_target if layouts else grammar_target
    atheris.Setup(argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
