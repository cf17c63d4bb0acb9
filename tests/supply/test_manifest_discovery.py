"""Dependency manifests found and read as broadly as pip, setuptools, Pipenv, Poetry, PDM, Hatch
and conda read them (issue 12, Deliver 3)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mlsvs.checks.supply_chain.dependencies import (
    dependencies_pinned,
    no_known_vulnerable_dependencies,
)
from mlsvs.discovery import discover
from mlsvs.plugin import CheckContext, Status
from mlsvs.supply.manifests import parse_manifest, parse_project

from .osv_server import FIXTURES

SETUP_PY = '''
import os
from setuptools import setup, find_packages

BASE = ["numpy==1.26.4", "scipy>=1.11"]
EXTRAS = {"torch": ["torch==2.6.0"], "dev": ["pytest"] + ["ruff==0.6.0"]}

if os.environ.get("NEVER"):
    raise SystemExit("setup.py must never be executed")

setup(
    name="demo",
    packages=find_packages(),
    install_requires=BASE + ["requests==2.32.3"],
    extras_require=EXTRAS,
    setup_requires=["setuptools>=61"],
    tests_require="""
        hypothesis==6.100.0
        pytest-cov
    """.split("\\n"),
)
'''

SETUP_CFG = """
[metadata]
name = demo

[options]
install_requires =
    flask==1.1.1
    jinja2>=2.10 ; python_version >= "3.8"
setup_requires = file: build-requirements.txt

[options.extras_require]
serve = gunicorn==19.9.0
"""

PIPFILE = """
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true

[packages]
requests = "==2.32.3"
flask = "*"
mylib = {path = ".", editable = true}
transformers = {version = "==4.36.0", extras = ["torch"]}

[dev-packages]
pytest = ">=8"
"""

PIPFILE_LOCK = {
    "_meta": {"hash": {"sha256": "00"}, "pipfile-spec": 6},
    "default": {
        "requests": {"hashes": ["sha256:" + "ab" * 32], "version": "==2.32.3"},
        "mlsvs-git": {"git": "https://github.com/x/y.git", "ref": "a" * 40},
    },
    "develop": {"pytest": {"hashes": ["sha256:" + "cd" * 32], "version": "==8.3.3"}},
}

PDM_LOCK = """
[metadata]
lock_version = "4.4"

[[package]]
name = "numpy"
version = "1.26.4"
files = [{file = "numpy-1.26.4.tar.gz", hash = "sha256:aaaa"}]
"""

PYPROJECT = """
[project]
name = "demo"
dependencies = ["torch==2.6.0", "not a valid requirement!!", "numpy==1.26.4"]

[tool.pdm.dev-dependencies]
lint = ["ruff==0.6.0"]

[tool.hatch.envs.test]
dependencies = ["pytest==8.3.3"]
extra-dependencies = ["coverage==7.6.0"]
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _ctx(project: object, advisories: dict[str, object] | None = None) -> CheckContext:
    return CheckContext(
        project=project,  # type: ignore[arg-type]
        today=dt.date(2026, 11, 25),
        settings={"advisories": advisories} if advisories else {},
    )


@pytest.fixture(autouse=True)
def _no_user_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLSVS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def test_manifests_anywhere_in_the_tree_are_discovered(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "setup.py": SETUP_PY,
            "setup.cfg": SETUP_CFG,
            "build-requirements.txt": "wheel==0.44.0\n",
            "requirements/base.txt": "numpy==1.26.4\n",
            "requirements/dev.in": "-r base.txt\npytest\n",
            "tests/test-requirements.txt": "pytest==8.3.3\n",
            "docs/requirements-docs.txt": "sphinx==8.0.0\n",
            "Pipfile": PIPFILE,
            "Pipfile.lock": json.dumps(PIPFILE_LOCK),
            "pdm.lock": PDM_LOCK,
            "env/environment-gpu.yml": "dependencies:\n  - python=3.11\n  - pytorch==2.6.0\n",
            "MANIFEST.in": "include README.md\n",
            "requirements/README.txt": "how to install\n",
        },
    )
    manifests = parse_project(discover(tmp_path).project)
    kinds = {m.path: m.kind.value for m in manifests.manifests}
    assert kinds == {
        "Pipfile": "pipfile",
        "Pipfile.lock": "pipfile_lock",
        "build-requirements.txt": "requirements",
        "docs/requirements-docs.txt": "requirements",
        "env/environment-gpu.yml": "conda",
        "pdm.lock": "pdm_lock",
        "requirements/base.txt": "requirements",
        "requirements/dev.in": "requirements",
        "setup.cfg": "setup_cfg",
        "setup.py": "setup_py",
        "tests/test-requirements.txt": "requirements",
    }
    assert manifests.errors == ()


def test_setup_py_is_read_as_a_syntax_tree(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    _write(
        tmp_path,
        {
            "setup.py": SETUP_PY.replace(
                "raise SystemExit", f"open({str(marker)!r}, 'w'); raise SystemExit"
            )
        },
    )
    parsed = parse_manifest(tmp_path / "setup.py", root=tmp_path)
    assert not marker.exists()
    got = {(d.name, d.version, d.group) for d in parsed.dependencies}
    assert got == {
        ("numpy", "1.26.4", ""),
        ("scipy", None, ""),
        ("requests", "2.32.3", ""),
        ("torch", "2.6.0", "torch"),
        ("pytest", None, "dev"),
        ("ruff", "0.6.0", "dev"),
        ("setuptools", None, "setup"),
        ("hypothesis", "6.100.0", "test"),
        ("pytest-cov", None, "test"),
    }
    assert parsed.problems == ()


def test_setup_py_computed_requirements_are_problems_not_an_empty_pass(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\n"
            "with open('requirements.txt') as f:\n    reqs = f.read().splitlines()\n"
            "setup(name='x', install_requires=reqs, extras_require={'a': ['torch==2.6.0']})\n"
        },
    )
    parsed = parse_manifest(tmp_path / "setup.py", root=tmp_path)
    assert [d.name for d in parsed.dependencies] == ["torch"]
    assert [m for _, _, m in parsed.problems] == ["install_requires is computed at run time"]
    project = discover(tmp_path).project
    outcomes = dependencies_pinned.run(_ctx(project), project)
    assert [o.status for o in outcomes] == [Status.ERROR]
    assert "computed at run time" in outcomes[0].message


def test_setup_cfg_pipfile_and_lock_contents(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "setup.cfg": SETUP_CFG,
            "build-requirements.txt": "wheel==0.44.0\n",
            "Pipfile": PIPFILE,
            "Pipfile.lock": json.dumps(PIPFILE_LOCK),
            "pdm.lock": PDM_LOCK,
        },
    )
    cfg = parse_manifest(tmp_path / "setup.cfg", root=tmp_path)
    assert {(d.name, d.version, d.group) for d in cfg.dependencies} == {
        ("flask", "1.1.1", ""),
        ("jinja2", None, ""),
        ("gunicorn", "19.9.0", "serve"),
        ("wheel", "0.44.0", "setup"),
    }
    assert cfg.includes == ("build-requirements.txt",)
    pipfile = parse_manifest(tmp_path / "Pipfile", root=tmp_path)
    got = {(d.name, d.version, d.local) for d in pipfile.dependencies}
    assert got == {
        ("requests", "2.32.3", False),
        ("flask", None, False),
        ("mylib", None, True),
        ("transformers", "4.36.0", False),
        ("pytest", None, False),
    }
    lock = parse_manifest(tmp_path / "Pipfile.lock", root=tmp_path)
    assert lock.kind.is_lock
    by_name = {d.name: d for d in lock.dependencies}
    assert by_name["requests"].version == "2.32.3" and by_name["requests"].hashed
    assert by_name["mlsvs-git"].commit == "a" * 40 and by_name["pytest"].group == "dev"
    pdm = parse_manifest(tmp_path / "pdm.lock", root=tmp_path)
    [numpy] = pdm.dependencies
    assert numpy.version == "1.26.4" and numpy.hashes == ("sha256:aaaa",)


def test_pyproject_pdm_and_hatch_groups_and_per_entry_problems(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": PYPROJECT})
    parsed = parse_manifest(tmp_path / "pyproject.toml", root=tmp_path)
    assert {(d.name, d.group) for d in parsed.dependencies} == {
        ("torch", ""),
        ("numpy", ""),
        ("ruff", "lint"),
        ("pytest", "hatch:test"),
        ("coverage", "hatch:test"),
    }
    [(path, _, message)] = parsed.problems
    assert path == "pyproject.toml" and "not a valid requirement" in message


def test_environment_variable_pins_leave_that_package_unverified(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"requirements.txt": "mlflow==${MLFLOW_VERSION}\nrequests==2.32.3\n${PKG}==1.0\n"},
    )
    parsed = parse_manifest(tmp_path / "requirements.txt", root=tmp_path)
    deps = {d.name: d for d in parsed.dependencies}
    assert set(deps) == {"mlflow", "requests"}
    assert deps["mlflow"].unresolved and deps["mlflow"].version is None
    assert [(line, "environment variable" in m) for _, line, m in parsed.problems] == [(3, True)]
    project = discover(tmp_path).project
    record = json.loads((FIXTURES / "PYSEC-2022-203.json").read_text())
    (tmp_path / "osv.json").write_text(json.dumps([{**record, "modified": "2026-11-24T00:00:00Z"}]))
    ctx = _ctx(project, {"osv": "osv.json"})
    outcomes = {o.key: o for o in no_known_vulnerable_dependencies.run(ctx, project)}
    # requests is still audited; mlflow is named as not verified; nothing fails the whole file.
    coverage = outcomes["coverage"]
    assert coverage.status is Status.NOT_VERIFIED
    assert [(g.item, g.reason.value) for g in coverage.gaps] == [("mlflow", "unsupported")]
    assert all(o.status is not Status.PASS for o in outcomes.values())


def test_include_cycle_and_includes_outside_the_project(tmp_path: Path) -> None:
    _write(
        tmp_path / "p",
        {
            "requirements.txt": "-r requirements/a.txt\n-c ../../etc/constraints.txt\n",
            "requirements/a.txt": "-r b.txt\nnumpy==1.26.4\n",
            "requirements/b.txt": "-r a.txt\n-r ${EXTRA_FILE}\nscipy==1.11.4\n",
        },
    )
    parsed = parse_manifest(tmp_path / "p" / "requirements.txt", root=tmp_path / "p")
    assert sorted(d.name for d in parsed.dependencies) == ["numpy", "scipy"]
    assert parsed.includes == ("requirements/a.txt", "requirements/b.txt")
    messages = sorted(m for _, _, m in parsed.problems)
    assert len(messages) == 2
    assert "environment variable" in messages[0] and "outside the project" in messages[1]


def test_deps_names_unread_paths_that_may_hold_dependencies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    from mlsvs.cli.main import main

    (tmp_path / "requirements.txt").write_text("requests==2.32.3 --hash=sha256:" + "ab" * 32 + "\n")
    os.mkfifo(tmp_path / "requirements-dev.txt")  # never opened: its content is unknown
    record = json.loads((FIXTURES / "PYSEC-2022-203.json").read_text())
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (tmp_path / "osv.json").write_text(json.dumps([{**record, "modified": now}]))
    assert main(["deps", str(tmp_path), "--osv", str(tmp_path / "osv.json")]) == 1
    err = capsys.readouterr().err
    assert "not read (may hold dependencies): requirements-dev.txt (not_regular" in err
    (tmp_path / "requirements-dev.txt").unlink()
    assert main(["deps", str(tmp_path), "--osv", str(tmp_path / "osv.json")]) == 0
