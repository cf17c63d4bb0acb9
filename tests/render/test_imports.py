from __future__ import annotations

import subprocess
import sys

HEAVY = ("rich", "jinja2", "pydantic", "markupsafe", "cyclonedx", "jsonschema", "numpy", "torch")


def test_importing_renderers_and_commands_loads_no_heavy_library():
    code = (
        "import sys\n"
        "import mlsvs.cli.render, mlsvs.cli.diff, mlsvs.render.diff\n"
        "from mlsvs.render.base import load_renderers\n"
        "load_renderers()\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
