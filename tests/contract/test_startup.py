"""The CLI starts light: no heavy library, no pydantic or rich for --version and --help."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = (
    "torch",
    "tensorflow",
    "onnx",
    "onnxruntime",
    "numpy",
    "sklearn",
    "pandas",
    "pyarrow",
    "keras",
    "art",
    "transformers",
)
LIGHT_ONLY = (*HEAVY, "pydantic", "rich", "yaml", "jinja2", "cyclonedx")

_PROBE = """
import sys, runpy
sys.argv = ["mlsvs", *{args!r}]
try:
    from mlsvs.cli.main import main
    main(sys.argv[1:])
except SystemExit:
    pass
banned = {banned!r}
print(sorted(m for m in sys.modules if m.split(".")[0] in banned))
"""


@pytest.mark.parametrize("args", [["--version"], ["--help"], []])
def test_version_and_help_import_nothing_heavy(args: list[str]) -> None:
    code = _PROBE.format(args=args, banned=LIGHT_ONLY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_every_check_module_imports_without_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from mlsvs.engine.registry import load_registry\n"
        "registry = load_registry(None)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
