"""Every technique of shared/design/scanners.md, built byte by byte with inert payloads.

Each case writes one file into a directory and names the rules the scanner must report.
Nothing here is ever loaded; the payload is the string ``echo inert``.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import json
import lzma
import struct
import tarfile
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.scanner.scan_pk import (
    PAYLOAD,
    bb,
    benign_dict,
    call,
    glob,
    proto,
    s,
    short_binstring,
    stack_global,
    stop,
    system_call,
)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]
    rules: frozenset[str]
    """Rules that must all be reported."""


CASES: list[Case] = []


def case(name: str, *rules: str) -> Callable[[Callable[[Path], Path]], Callable[[Path], Path]]:
    def deco(fn: Callable[[Path], Path]) -> Callable[[Path], Path]:
        CASES.append(Case(name=name, build=fn, rules=frozenset(rules)))
        return fn

    return deco


def _write(d: Path, name: str, data: bytes) -> Path:
    p = d / name
    p.write_bytes(data)
    return p


CODE = "open('inert-marker', 'w')"
"""Python source for code-running gadgets: an expression that would only create a marker file."""
URL = "http://127.0.0.1:9/inert"
"""Network gadgets target the discard port of the loopback interface."""


def _val(value: object) -> bytes:
    """Pickle opcodes for a constant (int, str, bytes, None, bool, tuple, list, dict)."""
    match value:
        case None:
            return b"N"
        case bool():
            return b"\x88" if value else b"\x89"
        case int():
            return b"J" + struct.pack("<i", value)
        case str():
            return s(value)
        case bytes():
            return bb(value)
        case tuple():
            return b"(" + b"".join(_val(v) for v in value) + b"t"
        case list():
            return b"(" + b"".join(_val(v) for v in value) + b"l"
        case dict():
            return b"(" + b"".join(_val(k) + _val(v) for k, v in value.items()) + b"d"
    raise TypeError(type(value))


def _code_fields() -> list[object]:
    """CodeType constructor arguments of CODE compiled by this interpreter (3.11 order)."""
    code = compile(CODE, "<inert>", "exec")
    return [code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_nlocals,
            code.co_stacksize, code.co_flags, code.co_code, code.co_consts, code.co_names,
            code.co_varnames, code.co_filename, code.co_name, code.co_qualname,
            code.co_firstlineno, code.co_linetable, code.co_exceptiontable, code.co_freevars,
            code.co_cellvars]  # fmt: skip


def _marshalled() -> bytes:
    import marshal

    return call(glob("marshal", "loads"), bb(marshal.dumps(compile(CODE, "<inert>", "exec"))))


def _compiled() -> bytes:
    return call(glob("builtins", "compile"), s(CODE), s("<inert>"), s("exec"))


def _method(obj: bytes, name: str, *args: bytes) -> bytes:
    """obj.name(*args) through operator.methodcaller (the loader calls the bound method)."""
    return call(call(glob("operator", "methodcaller"), s(name), *args), obj)


_CMD = s(PAYLOAD)
_NEW_LOOP = call(glob("asyncio", "new_event_loop"))
# module, qualname, arguments that make the real callable act, protocol (4: dotted names)
_GADGETS: list[tuple[str, str, bytes, int]] = [
    ("os", "system", _CMD, 2), ("posix", "system", _CMD, 2), ("nt", "system", _CMD, 2),
    ("subprocess", "Popen", _CMD, 2), ("subprocess", "check_output", _CMD, 2),
    ("builtins", "eval", s(CODE), 2), ("builtins", "exec", s(CODE), 2),
    ("__builtin__", "eval", s(CODE), 2),
    ("builtins", "compile", s(CODE) + s("<inert>") + s("exec"), 2),
    ("builtins", "open", s("inert-marker") + s("w"), 2),
    ("runpy", "_run_code", _compiled() + b"}", 2),
    ("pip", "main", _val(["--version"]), 2), ("ensurepip", "_run_pip", _val(["--version"]), 2),
    ("timeit", "timeit", s(CODE), 2), ("cProfile", "run", s(CODE), 2),
    ("profile", "run", s(CODE), 2),
    ("trace", "Trace.runctx", call(glob("trace", "Trace")) + s(CODE) + b"}}", 4),
    ("bdb", "Bdb.run", call(glob("bdb", "Bdb")) + s(CODE), 4), ("pdb", "run", s(CODE), 2),
    ("idlelib.calltip", "get_entity", s(CODE), 2),
    ("idlelib.pyshell", "ModifiedInterpreter.runcode", b"N" + _compiled(), 4),
    ("lib2to3.pgen2.driver", "load_grammar", s("inert-grammar.txt"), 2),
    ("asyncio.unix_events", "_UnixSubprocessTransport",
     _NEW_LOOP + b"N" + _CMD + b"\x88NNNK\x00", 2),
    ("pty", "spawn", _CMD, 2), ("uuid", "_get_command_stdout", s("echo") + s("inert"), 2),
    ("imaplib", "IMAP4_stream", _CMD, 2), ("_osx_support", "_read_output", _CMD, 2),
    ("_aix_support", "_read_cmd_output", _CMD, 2), ("_pyrepl.pager", "pipe_pager", _CMD, 2),
    ("pydoc", "pipepager", s("text") + _CMD, 2),
    ("webbrowser", "open", s(URL), 2), ("logging", "FileHandler", s("inert-marker"), 2),
    ("_io", "FileIO", s("inert-marker") + s("w"), 2),
    ("distutils.file_util", "write_file", s("inert-marker") + _val(["x"]), 2),
    ("shutil", "rmtree", s("inert-dir"), 2), ("urllib.request", "urlopen", s(URL), 2),
    ("socket", "create_connection", _val(("127.0.0.1", 9)), 2),
    ("ssl", "get_server_certificate", _val(("127.0.0.1", 9)), 2),
    ("requests.api", "get", s(URL), 2), ("aiohttp.client", "request", s("GET") + s(URL), 2),
    ("smtplib", "SMTP", s("127.0.0.1") + _val(9), 2),
    ("torch.utils.collect_env", "run", _CMD, 2),
    ("torch.jit.unsupported_tensor_ops", "execWrapper", s(CODE) + b"}}", 2),
    ("torch._inductor.codecache", "compile_file",
     _val(["inert.c"]) + _val(["inert.o"]) + _val(["true"]), 2),
    ("torch.serialization", "load", s("inert-file"), 2),
    ("numpy.f2py.crackfortran", "_eval_length", s(CODE) + b"}", 2),
    ("numpy.f2py.crackfortran", "getlincoef", s(CODE) + b"}", 2),
    ("numpy.testing._private.utils", "runstring", s(CODE) + b"}", 2),
    ("mlflow.projects.backend.local", "_run_entry_point", _CMD, 2),
    ("pandas", "read_csv", s(URL), 2),
    ("pickle", "loads", bb(system_call()), 2), ("_pickle", "loads", bb(system_call()), 2),
    ("dill", "loads", bb(system_call()), 2), ("joblib", "load", s("inert-file"), 2),
    ("torch", "load", s("inert-file"), 2),
    ("code", "InteractiveInterpreter.runsource",
     call(glob("code", "InteractiveInterpreter")) + s(CODE), 4),
    ("codeop", "compile_command", s(CODE), 2),
    ("marshal", "loads", b"", 2), ("types", "FunctionType", b"", 2),
    ("types", "CodeType", b"", 2), ("dill._dill", "_create_code", b"", 2),
    ("cloudpickle.cloudpickle", "_make_function", b"", 2), ("pydoc", "locate", b"", 2),
    ("ctypes", "CDLL", s("libc.so.6"), 2), ("importlib", "import_module", s("this"), 2),
    ("sys", "exit", s("inert"), 2),
    ("torch.serialization", "os.system", _CMD, 4),  # attribute path through an innocent module
    ("pathlib", "os.system", _CMD, 4),  # pathlib imports os (collections does not, in 3.11)
]  # fmt: skip


def _gadget_pickle(module: str, func: str, args: bytes, protocol: int) -> bytes:
    """A pickle in which ``module.func`` does what it is dangerous for (payloads inert)."""
    import marshal

    code = bb(marshal.dumps(compile(CODE, "<inert>", "exec")))
    fields = b"".join(_val(v) for v in _code_fields())
    match (module, func):
        case ("marshal", "loads"):
            return stop(call(glob("builtins", "exec"), call(glob(module, func), code)), protocol)
        case ("types", "FunctionType"):
            return stop(call(call(glob(module, func), _marshalled(), b"}")), protocol)
        case ("types", "CodeType") | ("dill._dill", "_create_code"):
            return stop(call(glob("builtins", "exec"), call(glob(module, func), fields)), protocol)
        case ("cloudpickle.cloudpickle", "_make_function"):
            fn = call(glob(module, func), _marshalled(), b"}", s("f"), b"N", b"N")
            return stop(call(fn), protocol)
        case ("pydoc", "locate"):
            return stop(call(call(glob(module, func), s("os.system")), _CMD), protocol)
    return stop(call(glob(module, func), args), protocol)


def _raw(name: str, data: bytes, fname: str = "model.pkl") -> None:
    CASES.append(
        Case(name=name, build=lambda d: _write(d, fname, data), rules=frozenset({"PKL001"}))
    )


# --- 2.1 denylist gaps: one raw pickle per gadget, with arguments that make it act ---------------
for _mod, _fn, _args, _proto in _GADGETS:
    _raw(f"gadget-{_mod}.{_fn}", _gadget_pickle(_mod, _fn, _args, _proto))


@case("gadget-torch.hub._load_local", "PKL001")
def _hub(d: Path) -> Path:
    # torch.hub runs the hubconf.py of any directory it is pointed at
    (d / "hubconf.py").write_text(CODE + "\n")
    return _write(d, "model.pkl", stop(call(glob("torch.hub", "_load_local"), s(str(d)), s("m"))))


_raw(
    "gadget-http.client.HTTPConnection",
    stop(_method(call(glob("http.client", "HTTPConnection"), s("127.0.0.1"), _val(9)), "connect")),
)


@case("unknown-callable", "PKL002")
def _unknown(d: Path) -> Path:
    return _write(d, "model.pkl", stop(call(glob("acme_internal.tools", "rebuild"), s("x"))))


# --- 2.2 indirection ----------------------------------------------------------------------------
@case("getattr-import-chain", "PKL001")
def _getattr(d: Path) -> Path:
    mod = call(glob("builtins", "__import__"), s("os"))
    fn = call(glob("builtins", "getattr"), mod, s("system"))
    return _write(d, "a.pkl", stop(call(fn, s(PAYLOAD))))


@case("operator-attrgetter", "PKL001")
def _attrgetter(d: Path) -> Path:
    getter = call(glob("_operator", "attrgetter"), s("system"))
    mod = call(glob("importlib", "import_module"), s("os"))
    fn = call(getter, mod)
    return _write(d, "a.pkl", stop(call(fn, s(PAYLOAD))))


@case("operator-methodcaller", "PKL001")
def _methodcaller(d: Path) -> Path:
    caller = call(glob("operator", "methodcaller"), s("system"), s(PAYLOAD))
    mod = call(glob("builtins", "__import__"), s("os"))
    return _write(d, "a.pkl", stop(call(caller, mod)))


@case("functools-partial", "PKL001")
def _partial(d: Path) -> Path:
    part = call(glob("functools", "partial"), glob("os", "system"), s(PAYLOAD))
    return _write(d, "a.pkl", stop(call(part)))


@case("pkgutil-resolve-name", "PKL001")
def _resolve(d: Path) -> Path:
    fn = call(glob("pkgutil", "resolve_name"), s("os:system"))
    return _write(d, "a.pkl", stop(call(fn, s(PAYLOAD))))


@case("marshal-function", "PKL001")
def _marshal(d: Path) -> Path:
    fn = call(glob("types", "FunctionType"), _marshalled(), b"}")
    return _write(d, "a.pkl", stop(call(fn)))


@case("inst-opcode", "PKL001")
def _inst(d: Path) -> Path:
    return _write(d, "a.pkl", b"(" + b"S'" + PAYLOAD.encode() + b"'\nios\nsystem\n.")


@case("obj-opcode", "PKL001")
def _obj(d: Path) -> Path:
    return _write(d, "a.pkl", stop(b"(" + glob("subprocess", "Popen") + s(PAYLOAD) + b"o"))


@case("newobj-opcode", "PKL001")
def _newobj(d: Path) -> Path:
    # NEWOBJ runs cls.__new__ only, so the class must build the weapon in __new__: a function.
    fn = glob("types", "FunctionType") + b"(" + _marshalled() + b"}t\x81"
    return _write(d, "a.pkl", stop(fn + b")R"))


@case("newobj-ex-opcode", "PKL001")
def _newobj_ex(d: Path) -> Path:
    fn = stack_global("types", "FunctionType") + b"(" + _marshalled() + b"}t}\x92"
    return _write(d, "a.pkl", stop(fn + b")R", 4))


@case("ext-opcode", "PKL004")
def _ext(d: Path) -> Path:
    return _write(d, "a.pkl", stop(b"\x82\x07" + b"(" + s(PAYLOAD) + b"tR"))


@case("build-mutates-class", "PKL005")
def _build_global(d: Path) -> Path:
    # slot state is applied with setattr: patches an allowlisted class for the whole process
    state = b"N}" + s("__eq__") + glob("os", "system") + b"s\x86"
    return _write(d, "a.pkl", stop(glob("argparse", "Namespace") + state + b"b"))


# --- 2.3 parser differentials -------------------------------------------------------------------
@case("memo-dup-memoize", "PKL001")
def _memo(d: Path) -> Path:
    # 'os' is memoized after DUP, 'system' via BINPUT/BINGET chains; STACK_GLOBAL reads the memo.
    body = (
        s("posix") + b"2\x94" + b"0" + s("system") + b"q\x05" + b"0"
        + b"h\x00" + b"h\x05" + b"q\x06" + b"0" + b"h\x06" + b"\x93"
        + b"(" + s(PAYLOAD) + b"tR"
    )  # fmt: skip
    return _write(d, "a.pkl", stop(body, 4))


@case("computed-stack-global", "PKL001")
def _computed(d: Path) -> Path:
    mod = call(glob("_codecs", "decode"), s("bf"), s("rot13"))
    body = mod + s("system") + b"\x93(" + s(PAYLOAD) + b"tR"
    return _write(d, "a.pkl", stop(body, 4))


@case("opaque-stack-global", "PKL003")
def _opaque(d: Path) -> Path:
    mod = call(glob("acme", "name_for"), s("x"))
    return _write(d, "a.pkl", stop(mod + s("system") + b"\x93(" + s(PAYLOAD) + b"tR", 4))


@case("short-binstring-operands", "PKL001")
def _short(d: Path) -> Path:
    body = short_binstring("os") + short_binstring("system") + b"\x93(" + s(PAYLOAD) + b"tR"
    return _write(d, "a.pkl", stop(body, 4))


@case("popped-call", "PKL001")
def _popped(d: Path) -> Path:
    return _write(d, "a.pkl", stop(call(glob("os", "system"), s(PAYLOAD)) + b"0N"))


@case("broken-after-payload", "PKL001", "PKL006")
def _broken(d: Path) -> Path:
    return _write(d, "a.pkl", proto(2) + call(glob("os", "system"), s(PAYLOAD)) + b"\xff\xfe junk")


@case("payload-after-stop", "PKL001")
def _after_stop(d: Path) -> Path:
    return _write(d, "a.pkl", benign_dict() + system_call())


@case("protocol-0-text", "PKL001")
def _proto0(d: Path) -> Path:
    return _write(d, "a.txt", b"cos\nsystem\n(S'" + PAYLOAD.encode() + b"'\ntR.")


@case("nested-pickle-loads", "PKL001")
def _nested(d: Path) -> Path:
    inner = system_call("subprocess", "getoutput")
    return _write(d, "a.pkl", stop(call(glob("pickle", "loads"), bb(inner))))


@case("nested-base64-payload", "PKL001")
def _nested_b64(d: Path) -> Path:
    inner = base64.b64encode(system_call("pty", "spawn")).decode()
    data = call(glob("base64", "b64decode"), s(inner))
    return _write(d, "a.pkl", stop(call(glob("_pickle", "loads"), data)))


@case("nested-load-from-bytes", "PKL001")
def _load_from_bytes(d: Path) -> Path:
    inner = _torch_zip_bytes(system_call())
    return _write(d, "a.pkl", stop(call(glob("torch.storage", "_load_from_bytes"), bb(inner))))


# --- 2.4 containers -----------------------------------------------------------------------------
def _torch_zip_bytes(
    pkl: bytes, *, compress: int = zipfile.ZIP_STORED, prefix: str = "archive"
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        z.writestr(f"{prefix}/data.pkl", pkl)
        z.writestr(f"{prefix}/version", "3\n")
        z.writestr(f"{prefix}/data/0", b"\x00" * 16)
    return buf.getvalue()


@case("torch-zip", "PKL001")
def _tzip(d: Path) -> Path:
    return _write(d, "model.pt", _torch_zip_bytes(system_call()))


@case("torch-zip-deflate-other-prefix", "PKL001")
def _tzip_deflate(d: Path) -> Path:
    return _write(
        d, "weights.bin", _torch_zip_bytes(system_call(), compress=zipfile.ZIP_DEFLATED, prefix="x")
    )


def _patch_central(data: bytes, fn: Callable[[bytearray, int], None]) -> bytes:
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        fn(out, pos)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


@case("zip-bad-crc", "PKL001", "ZIP006")
def _crc(d: Path) -> Path:
    def bad(out: bytearray, pos: int) -> None:
        out[pos + 16 : pos + 20] = b"\xde\xad\xbe\xef"

    return _write(d, "model.pt", _patch_central(_torch_zip_bytes(system_call()), bad))


@case("zip-encrypted-flag", "PKL001", "ZIP006")
def _flag(d: Path) -> Path:
    def enc(out: bytearray, pos: int) -> None:
        out[pos + 8] |= 1

    return _write(d, "model.pt", _patch_central(_torch_zip_bytes(system_call()), enc))


@case("zip-local-central-mismatch", "PKL001", "ZIP003")
def _mismatch(d: Path) -> Path:
    data = bytearray(_torch_zip_bytes(system_call()))
    pos = data.find(b"archive/data.pkl")  # first occurrence: the local header
    data[pos : pos + 16] = b"archive/data.xyz"
    return _write(d, "model.pt", bytes(data))


@case("zip-duplicate-names", "PKL001", "ZIP004")
def _dupes(d: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", benign_dict())
        z.writestr("archive/version", "3\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z.writestr("archive/data.pkl", system_call())
    return _write(d, "model.pt", buf.getvalue())


@case("zip-two-data-pkl", "PKL001", "ZIP007")
def _two(d: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a/data.pkl", benign_dict())
        z.writestr("a/version", "3\n")
        z.writestr("b/data.pkl", system_call())
        z.writestr("b/version", "3\n")
    return _write(d, "model.pt", buf.getvalue())


@case("pickle-zip-polyglot", "PKL001", "ZIP005")
def _polyglot(d: Path) -> Path:
    return _write(d, "model.pt", system_call() + _torch_zip_bytes(benign_dict()))


@case("zip-prefixed-archive", "PKL001", "ZIP005")
def _prefixed(d: Path) -> Path:
    return _write(d, "model.pt", b"\x00" * 64 + _torch_zip_bytes(system_call()))


@case("legacy-stacked", "PKL001")
def _legacy(d: Path) -> Path:
    magic = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"
    version = stop(b"M\xe9\x03")
    sysinfo = stop(b"}")
    obj = system_call()
    keys = stop(b"]")
    return _write(d, "model.bin", magic + version + sysinfo + obj + keys)


@case("legacy-payload-after-storages", "PKL001")
def _legacy_tail(d: Path) -> Path:
    magic = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"
    tail = stop(b"]")
    return _write(
        d,
        "model.bin",
        magic + stop(b"M\xe9\x03") + stop(b"}") + benign_dict() + tail + system_call(),
    )


@case("legacy-tar", "PKL001")
def _tar(d: Path) -> Path:
    p = d / "old.tar"
    with tarfile.open(p, "w") as tar:
        for name, data in (("sys_info", stop(b"}")), ("pickle", system_call()),
                           ("storages", stop(b"K\x00")), ("tensors", stop(b"K\x00"))):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return p


@case("sevenzip-checkpoint", "PKL001")
def _7z(d: Path) -> Path:
    import py7zr

    p = d / "model.7z"
    with py7zr.SevenZipFile(p, "w") as z:
        z.writestr(_torch_zip_bytes(system_call()), "model.pt")
    return p


@case("joblib-zlib", "PKL001")
def _jz(d: Path) -> Path:
    return _write(d, "model.joblib", zlib.compress(system_call()))


@case("joblib-lzma-alone", "PKL001")
def _jl(d: Path) -> Path:
    return _write(d, "model.joblib", lzma.compress(system_call(), format=lzma.FORMAT_ALONE))


@case("pickle-gzip", "PKL001")
def _gz(d: Path) -> Path:
    return _write(d, "model.pkl.gz", gzip.compress(system_call()))


@case("pickle-bz2", "PKL001")
def _bz(d: Path) -> Path:
    return _write(d, "model.pkl.bz2", bz2.compress(system_call()))


@case("pickle-xz", "PKL001")
def _xz(d: Path) -> Path:
    return _write(d, "model.pkl.xz", lzma.compress(system_call()))


def _npy_object(pkl: bytes) -> bytes:
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + pkl


@case("npy-object-array", "PKL001", "NPY001")
def _npy(d: Path) -> Path:
    return _write(d, "arr.npy", _npy_object(system_call()))


@case("npz-object-array", "PKL001", "NPY001")
def _npz(d: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("x.npy", _npy_object(system_call()))
    return _write(d, "arr.npz", buf.getvalue())


@case("nested-zip-in-tar", "PKL001")
def _nested_arch(d: Path) -> Path:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("deep/model.pt", _torch_zip_bytes(system_call()))
    p = d / "bundle.tar.gz"
    with tarfile.open(p, "w:gz") as tar:
        info = tarfile.TarInfo("bundle.zip")
        info.size = len(inner.getvalue())
        tar.addfile(info, io.BytesIO(inner.getvalue()))
    return p


@case("zip-slip", "ZIP001")
def _slip(d: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../../evil.safetensors", b"x")
        z.writestr("ok.txt", "hello")
    return _write(d, "bundle.zip", buf.getvalue())


@case("tar-symlink", "ZIP002")
def _symlink(d: Path) -> Path:
    p = d / "bundle.tar"
    with tarfile.open(p, "w") as tar:
        info = tarfile.TarInfo("model.bin")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    return p


@case("tar-slip", "ZIP001")
def _tar_slip(d: Path) -> Path:
    # tarfile.extractall() without a filter (the default before Python 3.14) writes outside
    p = d / "bundle.tar"
    with tarfile.open(p, "w") as tar:
        info = tarfile.TarInfo("../inert-escaped.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"inert"))
    return p


@case("disguised-as-safetensors", "PKL001")
def _disguise(d: Path) -> Path:
    return _write(d, "model.safetensors", system_call())


@case("disguised-no-extension", "PKL001")
def _noext(d: Path) -> Path:
    return _write(d, "weights", system_call())


@case("torchscript-custom-op", "TS001")
def _ts(d: Path) -> Path:
    # saved by torch.jit, then its code calls an operator of a namespace no library registers
    import torch

    class Add(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + 1

    path = d / "scripted.pt"
    torch.jit.save(torch.jit.script(Add()), str(path))
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:
            if info.filename.endswith(".py") and b"def forward" in data:
                data = data.replace(b"torch.add(x, 1)", b"ops.evil_ns.run(x)")
            z.writestr(info, data)
    return path


# --- 2.5 non-pickle formats ----------------------------------------------------------------------
def _real_keras(
    d: Path, name: str, activation: str = "linear", *, with_lambda: bool = True
) -> Path:
    """A model saved by the installed keras: Input -> [Lambda(x * 2)] -> Dense (benign as saved)."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    layers = [keras.layers.Lambda(lambda x: x * 2.0)] if with_lambda else []
    model = keras.Sequential(
        [keras.Input((2,)), *layers, keras.layers.Dense(1, activation=activation)]
    )
    path = d / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
    return path


def _payload_lambda() -> str:
    """base64 of a marshalled lambda whose body would run the (inert) payload."""
    import marshal

    source = f"lambda x: __import__('os').system({PAYLOAD!r}) and x"
    code = compile(source, "<lambda>", "eval").co_consts[0]
    return base64.encodebytes(marshal.dumps(code)).decode()


def _patch_layers(config: dict[str, object], patch: Callable[[dict[str, object]], None]) -> None:
    inner = config["config"]
    assert isinstance(inner, dict)
    for layer in inner["layers"]:
        patch(layer)


def _rewrite_keras_zip(path: Path, patch: Callable[[dict[str, object]], None]) -> Path:
    """Rewrite config.json of a real .keras archive; every other member stays as keras wrote it."""
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:
            if info.filename == "config.json":
                config = json.loads(data)
                _patch_layers(config, patch)
                data = json.dumps(config).encode()
            z.writestr(info, data)
    return path


def _lambda_to_payload(layer: dict[str, object]) -> None:
    if layer.get("class_name") == "Lambda":
        cfg = layer["config"]
        assert isinstance(cfg, dict)
        cfg["function"]["config"]["code"] = _payload_lambda()


@case("keras-lambda", "KRS001")
def _klambda(d: Path) -> Path:
    # saved by keras 3, the Lambda's marshalled code then swapped for the payload's
    return _rewrite_keras_zip(_real_keras(d, "model.keras"), _lambda_to_payload)


@case("keras-module-function", "KRS002")
def _kmod(d: Path) -> Path:
    # the Dense activation names os.system by module (keras 2 / early keras 3 imported any module)
    def to_os_system(layer: dict[str, object]) -> None:
        if layer.get("class_name") == "Dense":
            cfg = layer["config"]
            assert isinstance(cfg, dict)
            cfg["activation"] = {"module": "os", "class_name": "function", "config": "system",
                                 "registered_name": "function"}  # fmt: skip

    return _rewrite_keras_zip(
        _real_keras(d, "model.keras", "relu", with_lambda=False), to_os_system
    )


@case("keras-h5-lambda", "KRS001")
def _h5(d: Path) -> Path:
    # a legacy HDF5 model saved by keras 3, the Lambda's code swapped in the model_config attribute
    import h5py

    path = _real_keras(d, "model.h5")
    with h5py.File(path, "r+") as f:
        raw = f.attrs["model_config"]
        config = json.loads(raw if isinstance(raw, str) else raw.decode())
        _patch_layers(config, _lambda_to_payload)
        f.attrs["model_config"] = json.dumps(config)
    return path


def _pb_len(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _varint(n: int) -> bytes:
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def _saved_model(ops: list[tuple[str, str]]) -> bytes:
    nodes = b"".join(_pb_len(1, _pb_len(1, n.encode()) + _pb_len(2, o.encode())) for n, o in ops)
    meta = _pb_len(1, _pb_len(4, b"tensorflow-2.16")) + _pb_len(2, nodes)
    return b"\x08\x01" + _pb_len(2, meta)


@case("tf-readfile", "TF001")
def _tf(d: Path) -> Path:
    sm = d / "saved"
    sm.mkdir()
    (sm / "saved_model.pb").write_bytes(_saved_model([("c", "Const"), ("rf", "ReadFile")]))
    return sm


@case("tf-pyfunc", "TF002")
def _tfpy(d: Path) -> Path:
    return _write(d, "saved_model.pb", _saved_model([("p", "PyFunc"), ("w", "WriteFile")]))


def _onnx(d: Path, location: str, domain: str = "") -> Path:
    from onnx import TensorProto, helper

    t = helper.make_tensor("w", TensorProto.FLOAT, [1], [0.0])
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    entry = t.external_data.add()
    entry.key, entry.value = "location", location
    node = helper.make_node("Add", ["x", "w"], ["y"], domain=domain)
    (d / "weights.bin").write_bytes(struct.pack("<f", 1.0))
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], [t])  # fmt: skip
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    model = helper.make_model(graph, opset_imports=opsets)
    p = d / "model.onnx"
    p.write_bytes(model.SerializeToString())
    return p


@case("onnx-external-traversal", "ONX001")
def _onnx_trav(d: Path) -> Path:
    return _onnx(d, "../../../etc/passwd")


@case("onnx-external-absolute", "ONX001")
def _onnx_abs(d: Path) -> Path:
    return _onnx(d, "/etc/shadow")


@case("onnx-custom-domain", "ONX002")
def _onnx_dom(d: Path) -> Path:
    return _onnx(d, "weights.bin", domain="com.acme.native")


SSTI = [
    "{{ cycler.__init__.__globals__.os.popen('" + PAYLOAD + "').read() }}",
    "{{ self._TemplateReference__context.joiner.__init__.__globals__.os.popen('id') }}",
    "{% set g = cycler|attr('_'~'_init_'~'_')|attr('_'~'_globals_'~'_') %}"
    "{{ (g['o'~'s']|attr('po'~'pen'))('" + PAYLOAD + "') }}",
    "{{ namespace.__init__.__globals__['os'].system('" + PAYLOAD + "') }}",
    "{{ lipsum|attr('\\x5f\\x5fglobals\\x5f\\x5f') }}",
]


@case("gguf-chat-template-ssti", "GGUF002")
def _gguf(d: Path) -> Path:
    from tests.scanner.scan_benign import gguf_file

    return gguf_file(d, SSTI[0] + "{% for m in messages %}{{ m['content'] }}{% endfor %}")


@case("gguf-obfuscated-ssti", "GGUF002")
def _gguf_obf(d: Path) -> Path:
    from tests.scanner.scan_benign import gguf_file

    return gguf_file(d, SSTI[2])


@case("gguf-bad-counts", "GGUF001")
def _gguf_counts(d: Path) -> Path:
    return _write(
        d, "model.gguf", b"GGUF" + struct.pack("<IQQ", 3, 1 << 40, 1 << 40) + b"\x00" * 32
    )


def _st(header: dict[str, object], data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


@case("safetensors-offsets-beyond-eof", "ST001")
def _st_eof(d: Path) -> Path:
    hdr = {"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}
    return _write(d, "model.safetensors", _st(hdr, b"\x00" * 16))


@case("safetensors-overlap", "ST001")
def _st_overlap(d: Path) -> Path:
    hdr = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
           "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}  # fmt: skip
    return _write(d, "model.safetensors", _st(hdr, b"\x00" * 12))


@case("safetensors-huge-header-length", "ST001")
def _st_huge(d: Path) -> Path:
    return _write(d, "model.safetensors", struct.pack("<Q", (1 << 63) + 5) + b"{}" + b"\x00" * 8)


@case("safetensors-metadata-non-string", "ST001")
def _st_meta(d: Path) -> Path:
    hdr = {
        "__metadata__": {"k": {"nested": 1}},
        "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
    }
    return _write(d, "model.safetensors", _st(hdr, b"\x00" * 4))


@case("unidentified-binary", "GEN001")
def _unknown_bin(d: Path) -> Path:
    return _write(d, "model.bin", bytes(range(256)) * 8)


@case("call-of-call-result", "PKL003")
def _call_result(d: Path) -> Path:
    factory = call(glob("acme_factory", "make"), s("runner"))
    return _write(d, "a.pkl", stop(call(factory, s(PAYLOAD))))


# --- 2.6 allowlisted callables as gadgets (call shapes) ------------------------------------------
def _lfb_payload() -> bytes:
    """A nested torch checkpoint whose pickle runs the payload (torch.load inside)."""
    return _torch_zip_bytes(system_call())


def _p2bytes(data: bytes) -> bytes:
    """bytes the way protocol 2 writes them: _codecs.encode(text, 'latin1') (no raw zip in file)"""
    return call(glob("_codecs", "encode"), s(data.decode("latin-1")), s("latin1"))


_LFB = glob("torch.storage", "_load_from_bytes")
_PARAM = glob("torch.nn.parameter", "Parameter")


@case("numpy-generator-ctor-load-from-bytes", "PKL009", "PKL001")
def _gen_ctor(d: Path) -> Path:
    # __generator_ctor(name, ctor) calls ctor(name): hand it _load_from_bytes and a payload
    body = call(glob("numpy.random._pickle", "__generator_ctor"), _p2bytes(_lfb_payload()), _LFB)
    return _write(d, "rng.pkl", stop(body))


@case("numpy-randomstate-ctor-load-from-bytes", "PKL009", "PKL001")
def _rs_ctor(d: Path) -> Path:
    body = call(glob("numpy.random._pickle", "__randomstate_ctor"), _p2bytes(_lfb_payload()), _LFB)
    return _write(d, "rng.pkl", stop(body))


@case("torch-rebuild-from-type-v2-load-from-bytes", "PKL009", "PKL001")
def _rft_v2(d: Path) -> Path:
    args = b"(" + _p2bytes(_lfb_payload()) + b"t"
    body = call(glob("torch._tensor", "_rebuild_from_type_v2"), _LFB, _PARAM, args, b"}")
    return _write(d, "model.pkl", stop(body))


@case("torch-rebuild-from-type-load-from-bytes", "PKL009", "PKL001")
def _rft(d: Path) -> Path:
    args = b"(" + _p2bytes(_lfb_payload()) + b"t"
    body = call(glob("torch._tensor", "_rebuild_from_type"), _LFB, _PARAM, args, b"}")
    return _write(d, "model.pkl", stop(body))


@case("torch-rebuild-from-type-nested", "PKL009", "PKL001")
def _rft_nested(d: Path) -> Path:
    rft = glob("torch._tensor", "_rebuild_from_type_v2")
    inner = b"(" + _LFB + _PARAM + b"(" + _p2bytes(_lfb_payload()) + b"t}t"
    return _write(d, "model.pkl", stop(call(rft, rft, _PARAM, inner, b"}")))


@case("memo-hidden-load-from-bytes", "PKL009", "PKL001")
def _memo_lfb(d: Path) -> Path:
    # the callable is stored early as an innocent list item and fetched from the memo later
    stash = b"]" + _LFB + b"q\x07a0"
    body = stash + call(
        glob("numpy.random._pickle", "__generator_ctor"), _p2bytes(_lfb_payload()), b"h\x07"
    )
    return _write(d, "rng.pkl", stop(body))


@case("generator-ctor-allocation-bomb", "PKL009")
def _bomb(d: Path) -> Path:
    # ctor(name) with bytearray and 2**40: one terabyte allocated by an allowlisted callable
    body = call(
        glob("numpy.random._pickle", "__generator_ctor"),
        b"\x8a\x06" + (1 << 40).to_bytes(6, "little"),
        glob("builtins", "bytearray"),
    )
    return _write(d, "rng.pkl", stop(body))


@case("getattr-of-constructed-object", "PKL003")
def _getattr_obj(d: Path) -> Path:
    # getattr(PosixPath('inert-marker'), 'write_text')('x'): a method of a value built at load
    obj = call(glob("pathlib", "PosixPath"), s("inert-marker"))
    meth = call(glob("builtins", "getattr"), obj, s("write_text"))
    return _write(d, "a.pkl", stop(call(meth, s("x"))))


@case("getattr-of-class-attribute", "PKL001")
def _getattr_cls(d: Path) -> Path:
    # getattr on an allowlisted class reaching something dangerous through it
    meth = call(glob("builtins", "getattr"), glob("pathlib", "PosixPath"), s("write_text"))
    obj = call(glob("pathlib", "PosixPath"), s("inert-marker"))
    return _write(d, "a.pkl", stop(call(meth, obj, s("x"))))


# --- 2.7 from public bypass reports (modelscan #89, nltk picklesec audit, fx/sympy eval paths) ---
@case("module-builtins-dict-get", "PKL001")
def _builtins_get(d: Path) -> Path:
    # dict.get(numpy.__builtins__, 'exec')(code): reaches exec without naming it as a global
    getter = call(glob("builtins", "dict.get"), glob("numpy", "__builtins__"), s("exec"))
    return _write(d, "a.pkl", stop(call(getter, s(CODE)), 4))


@case("build-attaches-sys-modules", "PKL005", "PKL001")
def _build_sysmodules(d: Path) -> Path:
    # BUILD copies sys.modules onto an allowlisted function, then names prod.os.system
    patch = glob("numpy", "mean") + b"N" + glob("collections", "_sys.modules") + b"\x86b0"
    return _write(d, "a.pkl", stop(patch + call(glob("numpy", "mean.os.system"), _CMD), 4))


@case("torch-fx-exec-with-source", "PKL001")
def _fx(d: Path) -> Path:
    body = call(glob("torch.fx.graph_module", "_exec_with_source"), s(CODE), b"}")
    return _write(d, "model.pkl", stop(body))


@case("pandas-pickle-compat-nested", "PKL001")
def _pandas_compat(d: Path) -> Path:
    body = call(glob("pandas.compat.pickle_compat", "loads"), _p2bytes(system_call()))
    return _write(d, "frame.pkl", stop(body))


@case("sympy-sympify-eval", "PKL001")
def _sympify(d: Path) -> Path:
    return _write(d, "a.pkl", stop(call(glob("sympy", "sympify"), s(CODE))))
