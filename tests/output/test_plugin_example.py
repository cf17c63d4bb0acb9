"""The example plugin installs like any distribution and its check runs inside ``verify``;
a check with incomplete metadata stops the run with a one-line error instead of vanishing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "plugin-example"


def _mlsvs(args: list[str], *, path: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in path)}
    env.pop("MLSVS_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "mlsvs", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(EXAMPLE)],
        capture_output=True, text=True, timeout=300, check=False, cwd=build,
        env={**os.environ, "PIP_NO_INPUT": "1", "TMPDIR": str(build)},
    )  # fmt: skip
    if done.returncode != 0 and "No module named" in done.stderr and "setuptools" in done.stderr:
        pytest.skip("setuptools is not installed: cannot build the example plugin offline")
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(target.glob("mlsvs_plugin_example-*.dist-info/entry_points.txt"))
    return target


@pytest.mark.slow
def test_example_plugin_loads_and_runs(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "models" / "a").mkdir(parents=True)
    (project / "models" / "b").mkdir(parents=True)
    (project / "mlsvs.toml").write_text('name = "cards"\nlevel = "L1"\n')
    (project / "models" / "a" / "README.md").write_text(
        "---\nlicense: apache-2.0\nlibrary_name: sklearn\nowner: ml-platform@example.com\n---\n# Model A\n"
    )
    (project / "models" / "b" / "README.md").write_text(
        "---\nlicense: mit\nlibrary_name: sklearn\n---\n# Model B\n\n## Intended use\nDemo.\n"
    )
    path = [installed, ROOT / "src"]
    listed = _mlsvs(["plugins", "--strict"], path=path, cwd=project)
    assert listed.returncode == 0, listed.stderr
    assert "mlsvs_plugin_example.checks: 1 check(s)" in listed.stdout
    explained = _mlsvs(["checks", "explain", "ACME001"], path=path, cwd=project)
    assert explained.returncode == 0 and "accountable owner" in explained.stdout
    out = tmp_path / "results.json"
    ran = _mlsvs(["verify", ".", "--select", "ACME*", "-f", f"json:{out}", "-q"], path=path,
                 cwd=project)  # fmt: skip
    assert ran.returncode in {0, 1}, ran.stderr
    results = json.loads(out.read_text())
    found = {
        (f["target"]["path"], f["status"]) for f in results["findings"] if f["check"] == "ACME001"
    }
    assert found == {("models/a/README.md", "pass"), ("models/b/README.md", "fail")}


@pytest.mark.slow
def test_a_check_without_a_docstring_is_an_error_at_load(installed: Path, tmp_path: Path) -> None:
    """Copy the example, drop its docstring, install it: the registry refuses it loudly."""
    broken = tmp_path / "broken"
    (broken / "src" / "mlsvs_plugin_broken").mkdir(parents=True)
    (broken / "pyproject.toml").write_text(
        (EXAMPLE / "pyproject.toml")
        .read_text()
        .replace("mlsvs-plugin-example", "mlsvs-plugin-broken")
        .replace("mlsvs_plugin_example", "mlsvs_plugin_broken")
    )
    (broken / "src" / "mlsvs_plugin_broken" / "__init__.py").write_text("")
    source = (EXAMPLE / "src" / "mlsvs_plugin_example" / "checks.py").read_text()
    head, _, body = source.partition("-> Iterator[Outcome]:\n")
    docstring_end = body.index('"""', body.index('"""') + 3) + 3
    (broken / "src" / "mlsvs_plugin_broken" / "checks.py").write_text(
        head + "-> Iterator[Outcome]:\n" + body[docstring_end:]
    )
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(broken)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    project = tmp_path / "proj"
    project.mkdir()
    (project / "mlsvs.toml").write_text(textwrap.dedent('name = "p"\nlevel = "L1"\n'))
    ran = _mlsvs(["verify", "."], path=[target, ROOT / "src"], cwd=project)
    assert ran.returncode == 2
    assert "ACME001" in ran.stderr and "has no docstring" in ran.stderr
    assert "Traceback" not in ran.stderr
