"""The differential oracle: what a *real* loader does with a sample the test built itself.

Usage (module API, shared with other scanner tests)::

    from tests.scanner.oracle.harness import Loader, Oracle

    with Oracle() as oracle:                       # one throwaway zygote process
        verdict = oracle.judge(path)               # every loader that applies to the file
        verdict = oracle.judge(path, [Loader.TORCH])
        assert verdict.malicious, verdict.explain()

``Oracle.observe(path, loader)`` returns the raw :class:`Observation` (audit events the loader
triggered beyond ordinary model loading). A sample is *malicious* when the loader ran foreign
code, started a process, opened a socket, wrote or read files outside the sample's directory,
touched native code, imported a module no ordinary model load imports, patched a class or module,
or exited the process. The loaders run in forked children of a zygote started with ``python -I``,
a temporary HOME and a fresh temporary cwd per sample; dangerous operations are refused by the
audit hook after they are recorded. Only samples built by the tests may be passed here.
"""

from __future__ import annotations

import enum
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

_ZYGOTE = Path(__file__).with_name("_zygote.py")


class Loader(enum.StrEnum):
    """The real loaders the oracle can run."""

    PICKLE = "pickle"
    """``pickle.load`` once."""
    PICKLE_STREAM = "pickle-stream"
    """``pickle.load`` repeatedly until the end of the file (readers of concatenated pickles)."""
    TORCH = "torch"
    """``torch.load(weights_only=False, map_location='cpu')``."""
    TORCH_JIT = "torch-jit"
    JOBLIB = "joblib"
    NUMPY = "numpy"
    """``numpy.load(allow_pickle=True)``, every member of an ``.npz``."""
    PANDAS = "pandas"
    """``pandas.read_pickle`` (decompresses by extension)."""
    KERAS = "keras"
    """``keras.saving.load_model(safe_mode=False)``."""
    ONNX = "onnx"
    """``onnx.load(load_external_data=True)``."""
    JINJA2_GGUF = "jinja2-gguf"
    """Render ``tokenizer.chat_template`` of a GGUF file with a sandbox-free Jinja2."""
    EXTRACT_TORCH = "extract-torch"
    """Unpack tar/zip/7z bundles (recursively) and ``torch.load`` every file inside."""
    EXTRACT = "extract"
    """Unpack a tar/zip as code written for Python < 3.14 does (``tarfile.extractall()`` without
    a filter, i.e. ``fully_trusted``; ``zipfile.extractall``); judged: writes and links leaving
    the extraction folder (writes inside it are ordinary)."""
    ONNXRUNTIME = "onnxruntime"
    """``onnxruntime.InferenceSession(path)`` on the CPU provider (custom operators resolve here)."""
    SAFETENSORS = "safetensors"
    """``safetensors.numpy.load_file``."""


# Modules each loader imports up front, so that loading an ordinary file imports nothing new.
_PRELOAD: dict[Loader, tuple[str, ...]] = {
    Loader.PICKLE: (),
    Loader.PICKLE_STREAM: (),
    Loader.TORCH: ("torch",),
    Loader.TORCH_JIT: ("torch",),
    Loader.JOBLIB: ("joblib", "numpy"),
    Loader.NUMPY: ("numpy",),
    Loader.PANDAS: ("pandas",),
    Loader.KERAS: ("keras",),
    Loader.ONNX: ("onnx",),
    Loader.JINJA2_GGUF: ("gguf", "jinja2"),
    Loader.EXTRACT_TORCH: ("torch", "tarfile", "zipfile", "py7zr"),
    Loader.EXTRACT: ("tarfile", "zipfile"),
    Loader.ONNXRUNTIME: ("onnxruntime",),
    Loader.SAFETENSORS: ("safetensors.numpy",),
}
# Libraries ordinary ML pickles reference; imported up front so their import is not news.
_COMMON = ("numpy", "torch", "sklearn", "pandas", "scipy", "collections", "datetime", "joblib")

MALICIOUS_CATEGORIES = frozenset(
    {
        "code",
        "process",
        "network",
        "fs-write",
        "fs-read",
        "fs-link",
        "native",
        "import",
        "mutation",
        "exit",
    }
)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One event the audit hook kept (already filtered against ordinary loading)."""

    category: str
    event: str
    detail: str
    during_import: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """What one real loader did with one sample."""

    loader: Loader
    events: tuple[AuditEvent, ...]
    error: str | None
    """The loader's own exception (the sample may still have acted before it)."""
    exit: str | None = None
    """SystemExit / KeyboardInterrupt raised by the sample."""
    crash: str | None = None
    """The child died or timed out."""

    @property
    def harmful(self) -> tuple[AuditEvent, ...]:
        """Events that make the sample malicious."""
        out = [e for e in self.events if e.category in MALICIOUS_CATEGORIES]
        if self.exit is not None:
            out.append(AuditEvent("exit", "SystemExit", self.exit))
        return tuple(out)

    @property
    def globals(self) -> tuple[str, ...]:
        """Every global the unpickler resolved (``pickle.find_class``)."""
        return tuple(e.detail for e in self.events if e.category == "find-class")


@dataclass(frozen=True, slots=True)
class OracleVerdict:
    """The oracle's judgement over every loader that was tried."""

    path: Path
    observations: tuple[Observation, ...] = field(default_factory=tuple)

    @property
    def malicious(self) -> bool:
        """Some real loader did something ordinary model loading never does."""
        return any(o.harmful for o in self.observations)

    @property
    def categories(self) -> frozenset[str]:
        """Categories of harmful events across loaders."""
        return frozenset(e.category for o in self.observations for e in o.harmful)

    def explain(self) -> str:
        """Human-readable summary for assertion messages."""
        lines = [str(self.path)]
        for o in self.observations:
            what = "; ".join(f"{e.category}:{e.detail}" for e in o.harmful) or "quiet"
            tail = f" [error {o.error}]" if o.error else ""
            tail += f" [crash {o.crash}]" if o.crash else ""
            lines.append(f"  {o.loader}: {what}{tail}")
        return "\n".join(lines)


def applicable_loaders(path: Path) -> tuple[Loader, ...]:
    """Every real loader a victim might plausibly point at this file."""
    if path.is_dir():
        return ()
    head = path.read_bytes()[:8]
    name = path.name.lower()
    if head.startswith(b"GGUF"):
        return (Loader.JINJA2_GGUF,)
    if name.endswith(".onnx"):
        return (Loader.ONNX,)
    if name.endswith((".keras", ".h5")):
        return (Loader.KERAS,)
    if head.startswith(b"\x93NUMPY") or name.endswith(".npz"):
        return (Loader.NUMPY,)
    loaders = [Loader.PICKLE, Loader.PICKLE_STREAM, Loader.TORCH, Loader.JOBLIB]
    if name.endswith((".gz", ".bz2", ".xz", ".zip", ".zst", ".tar")) or ".pkl" in name:
        loaders.append(Loader.PANDAS)
    if (
        head.startswith(b"7z\xbc\xaf")
        or name.endswith((".tar", ".tar.gz", ".tgz", ".7z"))
        or zipfile.is_zipfile(path)
    ):
        loaders.append(Loader.EXTRACT_TORCH)
    return tuple(loaders)


class Oracle:
    """A zygote process holding the real loaders; each sample runs in a forked child."""

    def __init__(self, loaders: tuple[Loader, ...] = tuple(Loader), timeout: float = 60) -> None:
        modules = sorted({m for ld in loaders for m in _PRELOAD[ld]} | set(_COMMON))
        self._home = tempfile.TemporaryDirectory(prefix="mlsvs-oracle-home-")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self._home.name,
            "TMPDIR": self._home.name,
            "KERAS_BACKEND": "torch",
            "XDG_CACHE_HOME": self._home.name,
            "TORCH_HOME": self._home.name,
            "OMP_NUM_THREADS": "1",
        }
        self._timeout = timeout
        self._next = 0
        self._proc = subprocess.Popen(
            [sys.executable, "-I", str(_ZYGOTE), ",".join(modules)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self._home.name,
            env=env,
            text=True,
        )
        ready = self._read()
        if not ready.get("ready"):
            raise RuntimeError("oracle zygote did not start")

    def _read(self) -> dict[str, object]:
        stdout: IO[str] | None = self._proc.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            raise RuntimeError("oracle zygote exited")
        data = json.loads(line)
        if not isinstance(data, dict):
            raise RuntimeError("oracle zygote sent garbage")
        return data

    def observe(self, path: Path, loader: Loader) -> Observation:
        """Run one real loader on ``path`` in a throwaway child and report what it did."""
        self._next += 1
        request = {"id": self._next, "path": str(Path(path).resolve()), "loader": str(loader),
                   "timeout": self._timeout}  # fmt: skip
        stdin = self._proc.stdin
        if stdin is None:
            raise RuntimeError("oracle zygote has no stdin")
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        reply = self._read()
        raw_events = reply.get("events")
        events = tuple(
            AuditEvent(
                category=str(e["category"]),
                event=str(e["event"]),
                detail=str(e["detail"]),
                during_import=e.get("during_import"),
            )
            for e in (raw_events if isinstance(raw_events, list) else [])
        )
        return Observation(
            loader=loader,
            events=events,
            error=_opt(reply.get("error")),
            exit=_opt(reply.get("exit")),
            crash=_opt(reply.get("crash")),
        )

    def judge(
        self,
        path: Path,
        loaders: tuple[Loader, ...] | list[Loader] | None = None,
        *,
        first_hit: bool = False,
    ) -> OracleVerdict:
        """Observe ``path`` under every loader in ``loaders`` (default: all that apply).

        ``first_hit`` stops at the first loader that is exploited (proving malice needs one).
        """
        chosen = tuple(loaders) if loaders is not None else applicable_loaders(Path(path))
        seen: list[Observation] = []
        for loader in chosen:
            seen.append(self.observe(Path(path), loader))
            if first_hit and seen[-1].harmful:
                break
        return OracleVerdict(Path(path), tuple(seen))

    def close(self) -> None:
        """Stop the zygote and remove its temporary HOME."""
        if self._proc.poll() is None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._home.cleanup()

    def __enter__(self) -> Oracle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
