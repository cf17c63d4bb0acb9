"""The oracle's throwaway loader process. Run only by ``tests.scanner.oracle.harness``.

It imports the real loaders once, then for every request forks a child that gets a fresh
temporary cwd, installs a ``sys.addaudithook`` recorder, runs ONE real loader on a sample the
test built itself and reports what the loader did. Dangerous operations (processes, network,
file-system writes, foreign code) are recorded and then refused by the hook, so even a payload
that is not inert cannot act. This file is never imported by the product.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import signal
import sys
import tempfile
import time
from types import CodeType, FrameType, ModuleType
from typing import Any

# Libraries whose own modules may be imported while they load an ordinary file.
EXPECTED_ROOTS = frozenset(
    {"torch", "numpy", "pandas", "sklearn", "scipy", "joblib", "keras", "jinja2", "markupsafe",
     "onnx", "google", "pyarrow", "xgboost", "lightgbm", "h5py", "gguf", "threadpoolctl",
     "dateutil", "pytz", "tzdata", "optree", "ml_dtypes", "namex", "rich", "absl", "py7zr",
     "safetensors", "yaml", "typing_extensions", "sympy", "mpmath", "fsspec", "filelock",
     "networkx", "packaging", "_distutils_hack", "onnxruntime",
     "encodings"}  # codec modules the codec registry imports on first use (rot13, latin1 ...)
)  # fmt: skip

_PROCESS = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
            "subprocess.Popen", "pty.spawn", "os.startfile", "os.kill", "os.killpg")  # fmt: skip
_NETWORK = ("socket.", "http.client.", "urllib.Request", "smtplib.", "ftplib.", "imaplib.",
            "poplib.", "nntplib.", "telnetlib.", "webbrowser.open", "ssl.")  # fmt: skip
_FS_WRITE = ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown",
             "os.truncate", "os.link", "os.symlink", "os.utime", "os.chdir", "os.chflags",
             "shutil.", "os.setxattr", "os.removexattr", "tempfile.mkstemp", "tempfile.mkdtemp")  # fmt: skip
_NATIVE = ("ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function", "_ctypes.call_function",
           "ctypes.PyObj_FromPtr", "ctypes.string_at", "ctypes.wstring_at", "ctypes.set_errno",
           "sys.setprofile", "sys.settrace",
           "cpython.run_", "sys.addaudithook", "sys.remote_exec")  # fmt: skip
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_QUIET_READ_PREFIXES = ("/proc/", "/sys/", "/dev/", "/etc/ld.so", "/usr/lib", "/lib")


def _category(name: str, args: tuple[Any, ...]) -> str | None:
    if name.startswith(_PROCESS):
        return "process"
    if name.startswith(_NETWORK):
        return "network"
    if name.startswith(_FS_WRITE):
        return "fs-write"
    if name.startswith(_NATIVE):
        return "native"
    if name in (
        "exec",
        "compile",
        "code.__new__",
        "function.__new__",
        "builtins.input",
        "marshal.loads",
        "marshal.load",
    ):
        return "code"
    if name == "open":
        mode = args[1] if len(args) > 1 else "r"
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
            flags & _WRITE_FLAGS
        )
        return "fs-write" if writing else "fs-read"
    if name == "object.__setattr__" or name == "object.__delattr__":
        return "mutation"
    if name == "import":
        return "import"
    if name == "pickle.find_class":
        return "find-class"
    return None


class _Recorder:
    def __init__(self, sample: str, quiet_dirs: tuple[str, ...]) -> None:
        self.sample = os.path.realpath(sample)
        self.sample_dir = os.path.dirname(self.sample)
        self.quiet_dirs = quiet_dirs
        self.events: list[dict[str, Any]] = []
        self.active = False
        self.seen: set[tuple[str, str]] = set()
        self.last_find: str | None = None
        self.pending: list[tuple[str, str]] = []
        self.snapshots: dict[str, tuple[object, dict[str, int]]] = {}
        self.expected_imports: set[str] = set()
        self.allowed_dir: str | None = None
        """Set by the extraction loader: writes and links that stay inside are ordinary."""
        self.unpacked_dir: str | None = None
        """Set by unpack-then-load: the loader reading what was unpacked is ordinary."""

    def _context(self, frame: FrameType | None) -> tuple[bool, str | None, str | None]:
        """(import machinery on the stack, innermost module body running, first caller module)."""
        machinery = False
        body = None
        caller = None
        while frame is not None:
            code = frame.f_code
            if code.co_filename.startswith("<frozen importlib"):
                machinery = True
            else:
                name = frame.f_globals.get("__name__")
                if caller is None:
                    caller = str(name)
                if body is None and code.co_name == "<module>" and name != "__main__":
                    body = str(name)
            frame = frame.f_back
        return machinery, body, caller

    def _quiet_read(self, path: str) -> bool:
        real = os.path.realpath(path)
        if real == self.sample or real.startswith(self.sample_dir + os.sep):
            return True
        if self.unpacked_dir is not None and real.startswith(self.unpacked_dir + os.sep):
            return True
        return real.startswith(self.quiet_dirs) or real.startswith(_QUIET_READ_PREFIXES)

    def _expected_module(self, name: str | None) -> bool:
        return name is not None and (
            name.split(".")[0] in EXPECTED_ROOTS or name in self.expected_imports
        )

    def _inside(self, path: object) -> bool:
        if self.allowed_dir is None or not isinstance(path, str | bytes | os.PathLike):
            return False
        real = os.path.realpath(os.fsdecode(path))
        return real == self.allowed_dir or real.startswith(self.allowed_dir + os.sep)

    def _extraction_quiet(self, name: str, args: tuple[Any, ...], category: str) -> bool:
        """An extractor writing inside its folder (links must also point inside it)."""
        if self.allowed_dir is None or category != "fs-write" or not args:
            return False
        if name in ("os.symlink", "os.link"):
            src, dst = args[0], args[1]
            if name == "os.symlink" and isinstance(dst, str | bytes | os.PathLike):
                src = os.path.join(os.path.dirname(os.fsdecode(dst)), os.fsdecode(src))
            return self._inside(src) and self._inside(dst)
        return self._inside(args[0])

    def hook(self, name: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        category = _category(name, args)
        if category is None:
            return
        if category == "fs-write" and name in ("os.symlink", "os.link"):
            category = "fs-link"
        if self._extraction_quiet(name, args, "fs-write" if category == "fs-link" else category):
            return
        self.active = False  # the hook's own work must not recurse
        try:
            self._record(name, args, category)
        finally:
            self.active = True

    def _record(self, name: str, args: tuple[Any, ...], category: str) -> None:
        machinery, body, caller = self._context(sys._getframe(2))
        detail = ""
        if category == "find-class":
            self.last_find = str(args[0])
            detail = f"{args[0]}.{args[1]}"
            self.snapshot_pending()
            self.pending.append((str(args[0]), str(args[1])))
        elif category == "import":
            module = str(args[0])
            from_pickle = self.last_find is not None and (
                self.last_find == module or self.last_find.startswith(module + ".")
            )
            importer = body if body is not None else caller
            if (
                module.split(".", maxsplit=1)[0] in EXPECTED_ROOTS
                or module in _PRELOADED
                or (not from_pickle and self._expected_module(importer))
            ):
                self.expected_imports.add(module)
                return
            detail = module
        else:
            if body is not None and self._expected_module(body):
                return
            module_file = _module_code_file(name, args)
            if module_file is not None:
                # a module body: an import (importlib.import_module raises no "import" event)
                importer = body if body is not None else caller
                root = self._root_of_file(module_file)
                if root is None:
                    category, detail = "code", f"module body from {module_file}"
                elif root in EXPECTED_ROOTS or self._expected_module(importer):
                    return
                else:
                    category, detail = "import", module_file
            elif body is None and machinery:
                return  # reading/unmarshalling a module for an import judged on its own
            elif name == "compile" and (caller == "ast" or self._expected_module(caller)):
                return  # ast.literal_eval / inspect-style parsing by the loader itself
            elif name == "exec" and _template_code(args) and (caller or "").startswith("jinja2"):
                return  # Jinja2 runs the template it compiled; what the template does is judged
            elif category == "native" and self._quiet_library(args):
                return  # a library's own ctypes binding (xgboost, lightgbm)
            else:
                detail = self._detail(name, args, category)
                if detail is None:
                    return
        key = (category, detail)
        if key not in self.seen:
            self.seen.add(key)
            self.events.append(
                {"category": category, "event": name, "detail": detail[:300],
                 "during_import": body}
            )  # fmt: skip
        if category in _REFUSED or (category == "code" and name == "exec"):
            raise PermissionError(f"refused by the oracle: {name}")

    def snapshot_pending(self) -> None:
        """Remember the attributes of every class/module the pickle named, to spot patching."""
        still = []
        for module, qual in self.pending:
            mod = sys.modules.get(module)
            if mod is None:
                still.append((module, qual))
                continue
            obj: object = mod
            for part in qual.split("."):
                obj = mod.__dict__.get(part) if obj is mod else getattr(obj, part, None)
                if obj is None:
                    break
            for target in (mod, obj):
                if isinstance(target, type | ModuleType) and target is not None:
                    key = f"{module}.{qual}" if target is obj else module
                    if key not in self.snapshots:
                        self.snapshots[key] = (target, _attrs(target))
        self.pending = still

    def mutations(self) -> list[dict[str, Any]]:
        """Attributes of named classes/modules that changed while loading."""
        self.snapshot_pending()
        out = []
        for key, (target, before) in self.snapshots.items():
            after = _attrs(target)
            changed = sorted(k for k in after if before.get(k) != after[k] and not _benign_attr(k))
            if changed:
                out.append({"category": "mutation", "event": "BUILD/setattr",
                            "detail": f"{key}: {', '.join(changed)[:200]}", "during_import": None})  # fmt: skip
        return out

    def _root_of_file(self, filename: str) -> str | None:
        """Top-level module name of a file on sys.path (None: not an installed module)."""
        real = os.path.realpath(filename)
        for base in sorted(self.quiet_dirs, key=len, reverse=True):
            if real.startswith(base.rstrip(os.sep) + os.sep):
                first = real[len(base.rstrip(os.sep)) + 1 :].split(os.sep)[0]
                return first.removesuffix(".py").split(".")[0]
        return None

    def _quiet_library(self, args: tuple[Any, ...]) -> bool:
        text = repr(args[0]) if args else ""
        return any(d in text for d in self.quiet_dirs if d.endswith("site-packages"))

    def _detail(self, name: str, args: tuple[Any, ...], category: str) -> str | None:
        if category == "code":
            code = args[0] if args else None
            if name == "exec" and isinstance(code, CodeType):
                if code.co_name == "<module>" and os.path.isfile(code.co_filename):
                    return None  # a module body run by the import system; judged via "import"
                return f"{code.co_name} from {code.co_filename}"
            if name == "compile":
                filename = str(args[1]) if len(args) > 1 else ""
                if os.path.isfile(filename):
                    return None
                src = args[0]
                text = src.decode("latin-1") if isinstance(src, bytes) else str(src)
                return f"{filename}: {text[:80]!r}"
            return name
        if category == "fs-read":
            if isinstance(args[0], int) or self._quiet_read(str(args[0])):
                return None
            return str(args[0])
        if category == "fs-write":
            return f"{name} {str(args[0])[:120] if args else ''}"
        if category == "fs-link":
            return f"{name} {str(args[1])[-80:]} -> {str(args[0])[:120]}"
        if category == "mutation":
            target = args[0] if args else None
            owner = getattr(target, "__module__", "?")
            qual = getattr(target, "__qualname__", type(target).__name__)
            return f"{owner}.{qual}.{args[1] if len(args) > 1 else '?'}"
        return f"{name} {repr(args)[:120]}"


_REFUSED = frozenset({"process", "network", "fs-write", "fs-link", "native"})


def _attrs(target: object) -> dict[str, int]:
    try:
        return {str(k): id(v) for k, v in vars(target).items()}
    except TypeError:
        return {}


def _benign_attr(name: str) -> bool:
    # caches the interpreter and libraries fill in lazily
    return name in ("_abc_impl", "__abstractmethods__", "__annotations__", "__warningregistry__",
                    "_is_protocol", "__parameters__", "_cache", "__pycache__")  # fmt: skip


def _template_code(args: tuple[Any, ...]) -> bool:
    code = args[0] if args else None
    return isinstance(code, CodeType) and code.co_filename == "<template>"


def _module_code_file(name: str, args: tuple[Any, ...]) -> str | None:
    code = args[0] if args else None
    if (
        name == "exec"
        and isinstance(code, CodeType)
        and code.co_name == "<module>"
        and os.path.isfile(code.co_filename)
    ):
        return code.co_filename
    return None


_PRELOADED: frozenset[str] = frozenset()


def _load(loader: str, path: str, recorder: _Recorder) -> None:
    if loader == "pickle":
        import pickle

        with open(path, "rb") as f:
            pickle.load(f)
    elif loader == "pickle-stream":
        import pickle

        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            while f.tell() < size:
                pickle.load(f)
    elif loader == "torch":
        import torch

        torch.load(path, weights_only=False, map_location="cpu")
    elif loader == "torch-jit":
        import torch

        torch.jit.load(path, map_location="cpu")
    elif loader == "joblib":
        import joblib

        joblib.load(path)
    elif loader == "numpy":
        import numpy

        out = numpy.load(path, allow_pickle=True)
        if hasattr(out, "files"):
            for key in out.files:
                out[key]
    elif loader == "pandas":
        import pandas

        pandas.read_pickle(path)
    elif loader == "keras":
        import keras

        keras.saving.load_model(path, safe_mode=False, compile=False)
    elif loader == "onnx":
        import onnx

        onnx.load(path, load_external_data=True)
    elif loader == "jinja2-gguf":
        _render_gguf(path)
    elif loader == "extract-torch":
        _extract_then_load(path, recorder)
    elif loader == "extract":
        _extract_defaults(path, recorder)
    elif loader == "onnxruntime":
        import onnxruntime

        onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    elif loader == "safetensors":
        from safetensors.numpy import load_file

        load_file(path)
    else:
        raise ValueError(f"unknown loader {loader}")


def _render_gguf(path: str) -> None:
    """What llama-cpp-python style servers do: read the template, render it without a sandbox."""
    import gguf
    import jinja2

    reader = gguf.GGUFReader(path)
    field = reader.get_field("tokenizer.chat_template")
    if field is None:
        return
    template = bytes(field.parts[field.data[0]]).decode("utf-8")
    env = jinja2.Environment(loader=jinja2.BaseLoader())  # noqa: S701 - the oracle is the victim
    env.from_string(template).render(
        messages=[{"role": "user", "content": "hi"}], add_generation_prompt=True,
        bos_token="<s>", eos_token="</s>",
    )  # fmt: skip


def _extract_then_load(path: str, recorder: _Recorder) -> None:
    """A user unpacking a bundle (tar/zip/7z, nested) and loading every file in it with torch."""
    import tarfile
    import zipfile

    import torch

    todo = [path]
    recorder.active = False  # unpacking is the victim's own doing; loading is what is judged
    out = tempfile.mkdtemp(dir=os.getcwd())
    recorder.unpacked_dir = os.path.realpath(out)
    n = 0
    while todo and n < 64:
        n += 1
        item = todo.pop()
        dest = os.path.join(out, str(n))
        recorder.active = False
        if tarfile.is_tarfile(item):
            with tarfile.open(item) as tar:
                tar.extractall(dest, filter="data")
        elif zipfile.is_zipfile(item) and not _is_torch_zip(item):
            with zipfile.ZipFile(item) as z:
                z.extractall(dest)  # noqa: S202
        elif _head(item) == b"7z\xbc\xaf\x27\x1c":
            import py7zr

            with py7zr.SevenZipFile(item) as z:
                z.extractall(dest)  # noqa: S202
        else:
            if item != path:
                recorder.active = True
                with contextlib.suppress(Exception):
                    torch.load(item, weights_only=False, map_location="cpu")
            continue
        for root, _dirs, files in os.walk(dest):
            todo.extend(os.path.join(root, f) for f in files)


def _extract_defaults(path: str, recorder: _Recorder) -> None:
    """What ``tar.extractall()`` / ``zip.extractall()`` with library defaults do to a bundle."""
    import tarfile
    import zipfile

    recorder.active = False
    dest = os.path.realpath(tempfile.mkdtemp(dir=os.getcwd()))
    recorder.allowed_dir = dest
    recorder.active = True
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as tar:
            # no filter: what code written for Python < 3.14 gets by default ("fully_trusted")
            kwargs = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
            tar.extractall(dest, **kwargs)  # noqa: S202 - the trusting default is what is judged
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            z.extractall(dest)  # noqa: S202
    else:
        raise ValueError("not a tar or zip archive")


def _mark_missing_imports(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An import of a module that does not exist ran nothing: kept, as ``import-missing``.

    Judged after loading with the hook off: the name is absent from ``sys.modules`` and no
    finder can locate it (a module that was imported and then removed is still findable)."""
    import importlib.util

    out = []
    for event in events:
        if event["category"] == "import" and event["event"] == "import":
            name = event["detail"]
            try:
                missing = name not in sys.modules and importlib.util.find_spec(name) is None
            except (ImportError, ValueError):
                missing = True
            if missing:
                event = {**event, "category": "import-missing"}
        out.append(event)
    return out


def _head(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(6)


def _is_torch_zip(path: str) -> bool:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return any(n.endswith("data.pkl") for n in z.namelist())


def _child(request: dict[str, Any], fd: int, work: str) -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(devnull, std)
    cwd = tempfile.mkdtemp(dir=work)
    os.chdir(cwd)
    quiet = tuple(
        sorted({p for p in sys.path if p and os.path.isabs(p) and p != cwd} | {sys.prefix})
    )
    rec = _Recorder(request["path"], quiet)
    sys.addaudithook(rec.hook)
    error = None
    exit_kind = None
    rec.active = True
    try:
        _load(request["loader"], request["path"], rec)
    except SystemExit as exc:
        exit_kind = f"SystemExit({exc.code!r})"
    except KeyboardInterrupt:
        exit_kind = "KeyboardInterrupt"
    except BaseException as exc:  # noqa: BLE001 - the loader's failure is data, not an error
        error = f"{type(exc).__name__}: {str(exc)[:200]}"
    rec.active = False
    payload = {
        "events": _mark_missing_imports(rec.events) + rec.mutations(),
        "error": error,
        "exit": exit_kind,
        "cwd": cwd,
    }
    os.write(fd, json.dumps(payload).encode() + b"\n")
    os.close(fd)
    os._exit(0)


def _serve(work: str) -> None:
    out = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        timeout = float(request.get("timeout", 60))
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            try:
                _child(request, wfd, work)
            finally:
                os._exit(3)
        os.close(wfd)
        chunks: list[bytes] = []
        deadline = time.monotonic() + timeout
        timed_out = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            ready, _, _ = select.select([rfd], [], [], left)
            if ready:
                chunk = os.read(rfd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
        os.close(rfd)
        _, status = os.waitpid(pid, 0)
        raw = b"".join(chunks)
        if raw:
            reply = json.loads(raw)
        else:
            reply = {"events": [], "error": None, "exit": None, "cwd": None}
            reply["crash"] = "timeout" if timed_out else f"child status {status}"
        reply["id"] = request["id"]
        reply["loader"] = request["loader"]
        out.write(json.dumps(reply) + "\n")
        out.flush()


def main() -> None:
    global _PRELOADED
    work = tempfile.mkdtemp(prefix="mlsvs-oracle-")
    os.environ["HOME"] = work
    os.chdir(work)
    wanted = sys.argv[1].split(",") if len(sys.argv) > 1 and sys.argv[1] else []
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for module in wanted:
            with contextlib.suppress(Exception):
                __import__(module)
    _PRELOADED = frozenset(sys.modules)
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    _serve(work)


if __name__ == "__main__":
    main()
