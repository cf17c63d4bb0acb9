"""What ``mlsvs scan`` imports at startup, and how it exits (issue 11: a checkpoint scan is mostly
interpreter start and teardown).

Not a timing test: the modules a scan loads are read from ``python -X importtime`` of the real
command in a fresh interpreter, so a heavy import that creeps back onto the scan path (the
catalogue model, the artifact dataclasses, pydantic, rich, YAML, Jinja2, a format handler the
file does not need) fails here on any machine, however loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Never needed by `mlsvs scan` on a checkpoint, a pickle or a directory of them.
HEAVY = frozenset(
    {
        "pydantic",
        "rich",
        "yaml",
        "jinja2",
        "numpy",
        "torch",
        "mlsvs.catalog",
        "mlsvs.model.catalog",
        "mlsvs.model.attestation",
        "mlsvs.model.artifact",
        "mlsvs.engine",
        "mlsvs.checks",
        "mlsvs.render",
        "concurrent.futures.process",
    }
)
# Off the start path of a scan without a configuration file that prints text: logging (the
# scanner never logs), hashlib (the defaults' digest is a constant), the shared findings-report
# model (SARIF, JUnit ...) and the check-result model (only Severity and Location are needed),
# the configuration model (no file to parse), importlib.resources (the allowlist is read from
# the package directory) and tempfile (nothing is written).
START_PATH = frozenset(
    {
        "logging",
        "hashlib",
        "mlsvs.output.report",
        "mlsvs.model.result",
        "mlsvs.model.coverage",
        "mlsvs.config",
        "importlib.resources",
        "tempfile",
    }
)
# Handlers a PyTorch checkpoint / plain pickle never reaches (each imported by its own branch).
OTHER_FORMATS = frozenset(
    {
        "tarfile",
        "tomllib",
        "mlsvs.scanner.formats_archive",
        "mlsvs.scanner.formats_gguf",
        "mlsvs.scanner.template",
        "mlsvs.scanner.formats_onnx",
        "mlsvs.scanner.formats_keras",
        "mlsvs.scanner.formats_tf",
        "mlsvs.scanner.formats_data",
    }
)


def _imported(*argv: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """What ``mlsvs ARGV`` imports beyond what the interpreter's own start-up imports (a
    site-packages ``.pth`` hook may load e.g. importlib.resources before mlsvs runs)."""
    proc, names = _importtime(["-m", "mlsvs", *argv], cwd)
    _, baseline = _importtime(["-c", "pass"], cwd)
    return proc, names - baseline


def _python(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    env.pop("MLSVS_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def _importtime(argv: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    proc = _python(["-X", "importtime", *argv], cwd)
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "self [us]" not in line
    }
    return proc, names


def _top(names: set[str]) -> set[str]:
    """Each name and its parent packages (``yaml.reader`` counts as ``yaml``)."""
    out: set[str] = set()
    for name in names:
        parts = name.split(".")
        out.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return out


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = pytest.importorskip("torch")
    d = tmp_path_factory.mktemp("startup")
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    path = d / "model.pt"
    torch.save(model.state_dict(), path)
    return path


def test_checkpoint_scan_imports_only_the_zip_and_pickle_path(checkpoint: Path) -> None:
    proc, names = _imported("scan", str(checkpoint), cwd=checkpoint.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert "[pytorch_zip]: clean" in proc.stdout
    loaded = _top(names)
    # The parse actually ran through the emulator (the list is not vacuous).
    assert {"mlsvs.scanner.pickle_vm", "mlsvs.scanner.formats_zip"} <= loaded
    assert not loaded & HEAVY, sorted(loaded & HEAVY)
    assert not loaded & OTHER_FORMATS, sorted(loaded & OTHER_FORMATS)
    assert not loaded & START_PATH, sorted(loaded & START_PATH)


def test_default_configuration_digest_is_the_digest_of_no_settings() -> None:
    import hashlib

    from mlsvs import config

    # The canonical JSON of an empty table is "{}"; non-empty tables are still hashed.
    assert config._digest({}) == hashlib.sha256(b"{}").hexdigest()
    assert config._digest({"a": 1}) == hashlib.sha256(b'{"a":1}').hexdigest()


def test_pickle_scan_with_a_config_file_stays_light(tmp_path: Path) -> None:
    import pickle

    (tmp_path / "mlsvs.toml").write_text(
        'name = "startup"\nlevel = "L2"\n\n[scanner]\nallow = ["collections.Counter"]\n'
    )
    with (tmp_path / "vocab.pkl").open("wb") as fh:
        pickle.dump({"tokens": [f"tok{i}" for i in range(200)], "ids": list(range(200))}, fh, 4)
    proc, names = _imported("scan", "vocab.pkl", "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert '"status": "clean"' in proc.stdout
    loaded = _top(names)
    assert "tomllib" in loaded  # the configuration was read
    assert not loaded & HEAVY, sorted(loaded & HEAVY)


def test_version_imports_no_scanner_or_configuration() -> None:
    proc, names = _imported("--version", cwd=ROOT)
    assert proc.returncode == 0
    mine = {n for n in names if n.startswith("mlsvs")}
    assert mine <= {"mlsvs", "mlsvs.cli", "mlsvs.cli.main"}, sorted(mine)


# How it exits: the console entry ends `mlsvs scan` with os._exit (no interpreter teardown).
# What must still hold: every byte of a report larger than the pipe buffer reaches the reader,
# the exit code is the scan's, and only commands that declare SKIP_TEARDOWN skip it.


def test_large_json_report_arrives_whole_through_a_pipe(tmp_path: Path) -> None:
    import json
    import pickle

    # 400 files -> a JSON report of well over the 64 KiB a pipe buffers.
    for i in range(400):
        (tmp_path / f"vocab_{i:03d}.pkl").write_bytes(pickle.dumps({f"token{i}": i}, protocol=4))
    proc = _python(["-m", "mlsvs", "scan", str(tmp_path), "-f", "json"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout) > 64 * 1024
    assert len(json.loads(proc.stdout)["files"]) == 400


def test_exit_code_is_the_scans(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(b"cos\nsystem\n(S'true'\ntR.")  # never loaded
    proc = _python(["-m", "mlsvs", "scan", str(tmp_path / "model.pkl")], tmp_path)
    assert proc.returncode == 1
    assert "PKL001" in proc.stdout


@pytest.mark.parametrize(
    ("argv", "skips"),
    [
        (["scan", "x.pkl"], True),
        (["-v", "scan", "x.pkl"], True),
        (["catalog", "list"], False),
        (["--version"], False),
        ([], False),
    ],
)
def test_only_commands_that_declare_it_skip_teardown(argv: list[str], skips: bool) -> None:
    import mlsvs.cli.catalog  # loaded, as after a run
    import mlsvs.cli.scan
    from mlsvs.cli import main as cli_main

    assert mlsvs.cli.catalog and mlsvs.cli.scan
    assert cli_main._skips_teardown(argv) is skips
