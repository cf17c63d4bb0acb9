"""Tampered model never serves (MLC1038, M4.3.3): a drill that starts the project's own model
server on a tampered copy of its artifact.

With ``--allow model-exec,drill`` (the server is the project's code; it runs on 127.0.0.1 on a
free port, from a temporary copy, with the caller's environment)::

    [drills.integrity]
    model = "models/credit/model.npz"      # the artifact the server loads
    copy = "models/credit"                 # what to copy (default: the model's folder)
    command = ["python", "serve.py", "--model-dir", "{dir}", "--port", "{port}"]
    path = "/v1/models/credit:predict"     # prediction route on the started server
    request = '{"instances": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]}'
    ready_timeout_s = 60
    tamper = ["byte", "file"]

``{dir}`` is the copied folder, ``{model}`` the copied artifact, ``{port}`` the port. First a
control run on an intact copy must serve a 2xx prediction (else the drill proves nothing).
Then one byte in the middle of the artifact is changed (``tamper = ["byte"]``, the default)
and, for a model folder whose files are all part of the artifact, one file is added to it
(``"file"``); each tampered copy must be refused: the server exits, or it stays up and
never answers a prediction with 2xx within three times the control's start-up time (at least
10 s). A prediction served from a tampered copy fails, whatever the logs say.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.checks.endpoints._calls import Caller, described, ok
from mlsvs.errors import ConfigError
from mlsvs.plugin import (
    Capability,
    Gap,
    GapReason,
    Isolation,
    Measurement,
    Project,
    Severity,
    abstained,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.plugin import CheckContext, Outcome

_KEYS = frozenset(
    {"model", "copy", "command", "path", "request", "ready_timeout_s", "method", "tamper"}
)
_TAMPER = ("byte", "file")
MIN_WINDOW_S = 10.0
_POLL_S = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class Drill:
    """The parsed ``[drills.integrity]`` table."""

    model: str
    copy: str
    command: tuple[str, ...]
    path: str
    method: str
    request: object
    ready_timeout_s: float
    tamper: tuple[str, ...] = ("byte",)


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """What one start of the server did."""

    served: bool
    exited: int | None
    seconds: float
    detail: str


def parse_drill(section: Mapping[str, object], root: Path) -> Drill:
    """Validate the table; ``ConfigError`` with one line."""
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ConfigError(f"drills.integrity: unknown key(s) {', '.join(unknown)}")
    model = section.get("model")
    if not isinstance(model, str) or not model:
        raise ConfigError("drills.integrity.model must name the artifact the server loads")
    base = root.resolve()
    target = (base / model).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise ConfigError(f"drills.integrity.model {model!r} is not a file in the project")
    copy = section.get("copy", str(Path(model).parent))
    if not isinstance(copy, str):
        raise ConfigError("drills.integrity.copy must be a path")
    folder = (base / copy).resolve()
    if not folder.is_relative_to(base) or not folder.is_dir() or not target.is_relative_to(folder):
        raise ConfigError("drills.integrity.copy must be a project folder holding the model")
    if folder == base:
        raise ConfigError("drills.integrity.copy must be the model's folder, not the project")
    command = section.get("command")
    if isinstance(command, str):
        command = shlex.split(command)
    if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
        raise ConfigError("drills.integrity.command must be a list of strings")
    if not any("{port}" in c for c in command):
        raise ConfigError("drills.integrity.command must take the port ({port})")
    path = section.get("path", "/predict")
    request = section.get("request")
    if not isinstance(path, str) or not path.startswith("/") or not isinstance(request, str):
        raise ConfigError("drills.integrity needs path (/route) and request (a JSON body)")
    try:
        body = json.loads(request)
    except ValueError:
        raise ConfigError("drills.integrity.request is not valid JSON") from None
    timeout = section.get("ready_timeout_s", 60)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError("drills.integrity.ready_timeout_s must be a positive number")
    tamper = section.get("tamper", ["byte"])
    if not isinstance(tamper, list) or not tamper or any(t not in _TAMPER for t in tamper):
        raise ConfigError("drills.integrity.tamper must list 'byte' and/or 'file'")
    return Drill(
        tamper=tuple(dict.fromkeys(str(t) for t in tamper)),
        model=str(target.relative_to(folder)),
        copy=str(folder.relative_to(base)),
        command=tuple(command),
        path=path,
        method=str(section.get("method", "POST")).upper(),
        request=body,
        ready_timeout_s=float(timeout),
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flip_byte(path: Path) -> int:
    """Change the byte in the middle of ``path``; returns its offset."""
    data = bytearray(path.read_bytes())
    if not data:
        raise ConfigError(f"{path.name} is empty: nothing to tamper with")
    offset = len(data) // 2
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    return offset


def serve_once(drill: Drill, root: Path, folder: Path, window_s: float) -> Run:
    """Start the server on ``folder`` and poll a prediction until 2xx, exit or ``window_s``."""
    port = _free_port()
    model = folder / drill.model
    values = {"{port}": str(port), "{dir}": str(folder), "{model}": str(model)}
    argv = []
    for arg in drill.command:
        for key, value in values.items():
            arg = arg.replace(key, value)
        argv.append(arg)
    env = {**os.environ, "MLSVS_DRILL": "integrity"}
    start = time.monotonic()
    try:
        proc = subprocess.Popen(  # the project's declared server, granted by --allow
            argv,
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ConfigError(f"drills.integrity.command cannot start: {exc.strerror}") from None
    caller = Caller(url=f"http://127.0.0.1:{port}{drill.path}", timeout_s=5.0)
    last = "no answer"
    try:
        while time.monotonic() - start < window_s:
            code = proc.poll()
            if code is not None:
                err = (proc.stderr.read() if proc.stderr else b"").decode(errors="replace")
                tail = err.strip().splitlines()[-1:] or ["(no output)"]
                return Run(
                    served=False,
                    exited=code,
                    seconds=time.monotonic() - start,
                    detail=f"exited with {code}: {tail[0][:200]}",
                )
            ex = caller.send(drill.method, drill.path, body=drill.request)
            if ok(ex):
                return Run(
                    served=True, exited=None, seconds=time.monotonic() - start, detail=described(ex)
                )
            if ex.status is not None:
                last = described(ex)
            time.sleep(_POLL_S)
        return Run(
            served=False,
            exited=None,
            seconds=time.monotonic() - start,
            detail=f"up but no prediction within {window_s:.0f} s (last: {last})",
        )
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            proc.wait(5)
    if proc.stderr:
        proc.stderr.close()


def run_drill(drill: Drill, root: Path) -> tuple[Run, list[tuple[str, Run]]]:
    """The control run and each tampering's run, every one on its own temporary copy."""
    source = root / drill.copy
    with tempfile.TemporaryDirectory(prefix="mlsvs-integrity-") as tmp:
        control_dir = Path(tmp) / "control"
        shutil.copytree(source, control_dir, symlinks=True)
        control = serve_once(drill, root, control_dir, drill.ready_timeout_s)
        if not control.served:
            return control, []
        window = max(MIN_WINDOW_S, 3 * control.seconds)
        runs: list[tuple[str, Run]] = []
        if "byte" in drill.tamper:
            flipped = Path(tmp) / "flipped"
            shutil.copytree(source, flipped, symlinks=True)
            offset = flip_byte(flipped / drill.model)
            run = serve_once(drill, root, flipped, window)
            runs.append((f"one byte changed at offset {offset}", run))
        if "file" in drill.tamper:
            added = Path(tmp) / "added"
            shutil.copytree(source, added, symlinks=True)
            (added / "extra_weights.bin").write_bytes(os.urandom(64))
            runs.append(
                ("one file added (extra_weights.bin)", serve_once(drill, root, added, window))
            )
        return control, runs


@check(
    id="MLC1038",
    title="A tampered copy of the model is refused at load and never serves a prediction",
    requirements=["M4.3.3"],
    applies_to=Project,
    severity=Severity.CRITICAL,
    capabilities=(Capability.MODEL_EXECUTION, Capability.DRILL),
    isolation=Isolation.PROCESS,
    reads=(),
    timeout_s=1800.0,
    remediation="Verify the artifact's digest or signature (against the registry manifest) "
    "in the loader before deserialising, and exit or stay unready when it does not match; "
    "reject unexpected files in the model folder.",
)
def tampered_model_refused(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Start the declared server on an intact copy (control), then on a copy with one byte
    changed and on one with a file added: neither may serve a 2xx prediction."""
    section = ctx.section("drills").get("integrity")
    if not isinstance(section, dict) or not section:
        yield abstained(
            "no integrity drill declared ([drills.integrity] with the model, the server "
            "command and a prediction request): a tampered artifact's refusal is untested"
        )
        return
    try:
        drill = parse_drill(section, project.root)
    except ConfigError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    if not (ctx.granted(Capability.MODEL_EXECUTION) and ctx.granted(Capability.DRILL)):
        yield errored(
            "not verified: the integrity drill runs the project's server: --allow model-exec,drill"
        )
        return
    try:
        control, runs = run_drill(drill, project.root)
    except (ConfigError, OSError) as exc:
        yield errored(f"not verified: {exc}")
        return
    facts: tuple[tuple[str, str], ...] = (
        ("model", f"{drill.copy}/{drill.model}"),
        ("control", control.detail),
    )
    if not control.served:
        yield not_verified(
            f"the control run on an intact copy served no prediction ({control.detail}): the "
            "drill cannot tell a refusal from a broken set-up",
            Gap(
                item="drills.integrity control",
                reason=GapReason.UNSUPPORTED,
                detail=control.detail[:300],
            ),
            facts=facts,
        )
        return
    ms = (
        Measurement(name="control_start_seconds", value=control.seconds, unit="s"),
        *(
            Measurement(
                name=f"tampered_{i}_served",
                value=float(r.served),
                parameters=(("tampering", what), ("result", r.detail[:200])),
            )
            for i, (what, r) in enumerate(runs)
        ),
    )
    served = [f"{what}: served {r.detail}" for what, r in runs if r.served]
    refused = [f"{what}: {r.detail}" for what, r in runs if not r.served]
    facts += tuple(("tampered", t) for t in served + refused)
    if served:
        yield failed(
            "a tampered model served predictions: " + "; ".join(served),
            facts=facts,
            measurements=ms,
        )
    else:
        yield passed(
            f"the intact copy served after {control.seconds:.1f} s; every tampered copy was "
            "refused: " + "; ".join(refused),
            facts=facts,
            measurements=ms,
        )
