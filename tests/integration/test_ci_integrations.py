"""The CI integrations run: the GitHub Action's steps, the pre-commit hooks, the GitLab CI
template, the container image (statically, and built when a Docker daemon is reachable) and
the shell completion scripts. Each is executed as CI would, with ``mlsvs`` on PATH."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.output.conftest import Validators
from tests.scanner.scan_pk import PAYLOAD, call, glob, proto, s, stop

ROOT = Path(__file__).parents[2]
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


@pytest.fixture(scope="module")
def validators() -> Validators:
    return Validators()


@pytest.fixture
def shim(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has an ``mlsvs`` running this tree's code."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "mlsvs"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mlsvs "$@"\n')
    exe.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MLSVS_"))}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT / "src")
    env["MLSVS_CACHE_DIR"] = str(tmp_path / "cache")
    return env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the insecure example plus a pickle that runs os.system on load (inert)."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "examples" / "insecure-classifier", root)
    (root / "models" / "evil.pkl").write_bytes(
        proto() + stop(call(glob("os", "system"), s(PAYLOAD)))
    )
    return root


def _bash(script: str, *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", script], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip


# --- GitHub Action ------------------------------------------------------------------------------


def _action() -> dict[str, object]:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_inputs_and_steps_are_consistent() -> None:
    action = _action()
    inputs = set(action["inputs"])  # type: ignore[arg-type]
    text = (ROOT / "action.yml").read_text()
    for expression in EXPRESSION.findall(text):
        for name in re.findall(r"inputs\.([\w-]+)", expression):
            assert name in inputs, f"action.yml uses undeclared input {name!r}"
    runs = action["runs"]
    assert runs["using"] == "composite"  # type: ignore[index]
    for step in runs["steps"]:  # type: ignore[index]
        if "uses" in step:
            assert re.search(r"@v\d+$", step["uses"]), step["uses"]  # pinned major versions
        else:
            assert step["shell"] == "bash"
    uses = {s.get("uses", "").split("@")[0] for s in runs["steps"]}  # type: ignore[index]
    assert {"actions/setup-python", "github/codeql-action/upload-sarif"} <= uses
    install = next(s for s in runs["steps"] if s.get("name") == "Install mlsvs")  # type: ignore[index]
    assert "github.action_path" in install["env"]["ACTION_PATH"]  # never a name no index serves


@pytest.mark.slow
def test_action_verify_and_summary_steps_run(
    project: Path, tmp_path: Path, shim: dict[str, str], validators: Validators
) -> None:
    steps = {s.get("id") or s.get("name"): s for s in _action()["runs"]["steps"]}  # type: ignore[index]
    defaults = {k: str(v.get("default", "")) for k, v in _action()["inputs"].items()}  # type: ignore[union-attr]
    output, summary = tmp_path / "github_output", tmp_path / "summary.md"
    env = {**shim, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    inputs = {**defaults, "level": "L1", "args": "--jobs 2"}

    def step_env(step: dict[str, object]) -> dict[str, str]:
        values = {}
        for key, value in (step.get("env") or {}).items():  # type: ignore[union-attr]
            values[key] = EXPRESSION.sub(lambda m: inputs.get(m.group(1).split(".")[-1], ""), value)
        return {**env, **values}

    verify = _bash(steps["verify"]["run"], env=step_env(steps["verify"]), cwd=project)
    assert verify.returncode == 0, verify.stderr[-2000:]
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs["exit-code"] == "1"  # the insecure example does not reach L1
    sarif = validators.check("sarif", project / outputs["sarif"])
    assert sarif["runs"][0]["results"]
    validators.check("junit", project / "mlsvs-reports" / "mlsvs-junit.xml")
    job_summary = _bash(
        steps["Job summary"]["run"], env=step_env(steps["Job summary"]), cwd=project
    )
    assert job_summary.returncode == 0 and summary.read_text().startswith("#")
    enforce = _bash(steps["Enforce the target level"]["run"], env=env, cwd=project)
    assert enforce.returncode == 1 and "::error::" in enforce.stdout


# --- pre-commit hooks ---------------------------------------------------------------------------


def _hooks() -> dict[str, dict[str, object]]:
    return {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def test_hook_file_patterns() -> None:
    hooks = _hooks()
    assert set(hooks) == {"mlsvs-scan", "mlsvs-code", "mlsvs-secrets"}
    scan = re.compile(str(hooks["mlsvs-scan"]["files"]))
    for name in ("models/a.pkl", "w/MODEL.PT", "x.safetensors", "m.onnx", "ckpt.joblib"):
        assert scan.search(name), name
    for name in ("train.py", "README.md", "data.csv"):
        assert not scan.search(name), name
    code = re.compile(str(hooks["mlsvs-code"]["files"]))
    assert code.search("src/train.py") and code.search("nb/explore.ipynb")
    assert not code.search("model.pkl")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("hook", "bad", "good"),
    [
        ("mlsvs-scan", "models/evil.pkl", "models/classifier.pkl"),
        ("mlsvs-code", "train.py", "ok.py"),
        ("mlsvs-secrets", ".env", "ok.py"),
    ],
)
def test_hooks_run_like_pre_commit(
    project: Path, shim: dict[str, str], hook: str, bad: str, good: str
) -> None:
    """pre-commit runs ``entry`` followed by the staged file names."""
    (project / "train.py").write_text("import torch\nmodel = torch.load('weights.pt')\n")
    (project / "ok.py").write_text("import json\nprint(json.dumps({'ok': True}))\n")
    (project / ".env").write_text("HF_TOKEN=hf_" + "Q7wErT9yUi0pAs2dFg4hJk6lZx8cVb1nM3\n")
    entry = shlex.split(str(_hooks()[hook]["entry"]))
    for name, expected in ((bad, 1), (good, 0)):
        done = subprocess.run(
            [*entry, name], env=shim, cwd=project, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == expected, (hook, name, done.stdout, done.stderr)
    assert "Q7wErT9" not in done.stdout + done.stderr


# --- GitLab CI template -------------------------------------------------------------------------


@pytest.mark.slow
def test_gitlab_template_job_runs(
    project: Path, shim: dict[str, str], validators: Validators
) -> None:
    template = yaml.safe_load((ROOT / "ci" / "gitlab" / "mlsvs.gitlab-ci.yml").read_text())
    job = template["mlsvs-verify"]
    variables = {k: str(v) for k, v in template["variables"].items()}
    assert variables["MLSVS_INSTALL"].startswith("mlsvs @ git+https://")  # not an index name
    env = {**shim, **variables, **{k: str(v) for k, v in job["variables"].items()}}
    env.update(MLSVS_LEVEL="L1", MLSVS_ALLOW_FAILURE="true")
    done = _bash("\n".join(job["script"]), env=env, cwd=project)
    assert done.returncode == 0, done.stderr[-2000:]
    reports = job["artifacts"]["reports"]
    gitlab = validators.check("gitlab-sast", project / reports["sast"])
    assert gitlab["vulnerabilities"]
    validators.check("junit", project / reports["junit"])
    deps = template["mlsvs-dependencies"]
    done = _bash("\n".join(deps["script"]), env=env, cwd=project)
    assert done.returncode == 0, done.stderr[-2000:]
    report = project / deps["artifacts"]["reports"]["dependency_scanning"]
    assert validators.check("gitlab-dependency-scanning", report)["scan"]["type"] == (
        "dependency_scanning"
    )
    # Without MLSVS_ALLOW_FAILURE the job fails on findings (the example pins loosely).
    env["MLSVS_ALLOW_FAILURE"] = "false"
    assert _bash("\n".join(deps["script"]), env=env, cwd=project).returncode == 1


# --- container image ----------------------------------------------------------------------------


def test_dockerfile_is_slim_non_root_and_copies_what_exists() -> None:
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    stages = [i["value"].split()[0] for i in parser.structure if i["instruction"] == "FROM"]
    assert stages and all(s.endswith("-slim") for s in stages), stages
    instructions = [(i["instruction"], i["value"]) for i in parser.structure]
    users = [v for k, v in instructions if k == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    last_user = max(n for n, (k, _) in enumerate(instructions) if k == "USER")
    entry = max(n for n, (k, _) in enumerate(instructions) if k == "ENTRYPOINT")
    assert last_user < entry and json.loads(instructions[entry][1]) == ["mlsvs"]
    assert not any(k == "ADD" for k, _ in instructions)  # no remote fetches into the image
    ignore = {line.rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for kind, value in instructions:
        if kind == "COPY" and "--from" not in value:
            *sources, _ = value.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert f"!{source.rstrip('/')}" in ignore, source  # not excluded from the context


def _docker() -> str | None:
    exe = shutil.which("docker")
    if exe is None:
        return None
    probe = subprocess.run([exe, "info"], capture_output=True, text=True, timeout=60, check=False)
    return exe if probe.returncode == 0 else None


@pytest.mark.slow
@pytest.mark.network
def test_image_builds_and_scans(tmp_path: Path) -> None:
    docker = _docker()
    if docker is None:
        pytest.skip("no reachable Docker daemon: image smoke test skipped (static checks ran)")
    tag = "mlsvs-smoke:test"
    build = subprocess.run(
        [docker, "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=900,
        check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    models = tmp_path / "models"
    models.mkdir()
    (models / "evil.pkl").write_bytes(proto() + stop(call(glob("os", "system"), s(PAYLOAD))))
    with zipfile.ZipFile(models / "ok.zip", "w") as zf:
        zf.writestr(
            "weights.npy",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"
            + b" " * 50
            + b"\n"
            + b"\x00" * 4,
        )
    run = [docker, "run", "--rm", "-v", f"{models}:/work:ro", tag]
    whoami = subprocess.run(
        [*run[:-1], "--entrypoint", "id", tag, "-u"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert whoami.stdout.strip() not in {"", "0"}
    version = subprocess.run(
        [*run, "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    assert version.returncode == 0 and version.stdout.startswith("mlsvs ")
    scanned = subprocess.run(
        [*run, "scan", "/work/evil.pkl"], capture_output=True, text=True, timeout=120, check=False
    )
    assert scanned.returncode == 1 and "PKL001" in scanned.stdout


# --- shell completion ---------------------------------------------------------------------------


def _completion(shell: str, shim: dict[str, str]) -> str:
    done = subprocess.run(
        ["mlsvs", "completion", shell], env=shim, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bash_completion_registers_and_completes(tmp_path: Path, shim: dict[str, str]) -> None:
    script = tmp_path / "mlsvs.bash"
    script.write_text(_completion("bash", shim))
    registered = _bash(f"source {script}; complete -p mlsvs", env=shim, cwd=tmp_path)
    assert registered.returncode == 0 and "mlsvs" in registered.stdout
    words = _bash(
        f"source {script}; COMP_WORDS=(mlsvs ver); COMP_CWORD=1; COMP_LINE='mlsvs ver'; "
        "COMP_POINT=9; _shtab_mlsvs mlsvs ver mlsvs; printf '%s\\n' \"${COMPREPLY[@]}\"",
        env=shim, cwd=tmp_path,
    )  # fmt: skip
    assert "verify" in words.stdout.split() and "verify-signature" in words.stdout.split()
    options = _bash(
        f"source {script}; COMP_WORDS=(mlsvs scan --allow-g); COMP_CWORD=2; "
        "COMP_LINE='mlsvs scan --allow-g'; COMP_POINT=20; _shtab_mlsvs mlsvs --allow-g scan; "
        "printf '%s\\n' \"${COMPREPLY[@]}\"",
        env=shim, cwd=tmp_path,
    )  # fmt: skip
    assert "--allow-global" in options.stdout.split()


def test_zsh_and_fish_scripts(tmp_path: Path, shim: dict[str, str]) -> None:
    from mlsvs.cli.main import COMMANDS

    zsh = _completion("zsh", shim)
    assert zsh.startswith("#compdef mlsvs")
    fish = _completion("fish", shim)
    for command in COMMANDS:
        assert f"-a {command} " in fish, command
    assert "-l allow-global" in fish and "-s f -l format" in fish
    for shell, text in (("zsh", zsh), ("fish", fish)):
        exe = shutil.which(shell)
        if exe is None:
            continue  # the structure above is what can be checked without the shell
        path = tmp_path / f"completion.{shell}"
        path.write_text(text)
        command = (
            f"source {path}; complete -C 'mlsvs ver'"
            if shell == "fish"
            else f"autoload -Uz compinit && compinit -u && source {path}"
        )
        done = subprocess.run(
            [exe, "-c", command], env=shim, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        if shell == "fish":
            assert "verify" in done.stdout


def test_no_workflow_installs_a_package_no_index_serves() -> None:
    for path in [*ROOT.rglob("*.yml"), *ROOT.rglob("*.yaml")]:
        if ".git" in path.parts or "node_modules" in path.parts:
            continue
        for line in path.read_text(errors="replace").splitlines():
            assert not re.search(r"pip install (-U )?mlsvs(\s|$|\[)", line), (path, line)
