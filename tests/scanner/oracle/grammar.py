"""Grammar-based generation of pickle programs (and their containers) for the oracle.

Every decision goes through a :class:`Chooser`, which records the index it picked; option 0 is
always the simplest. The same grammar serves hypothesis (``HypothesisChooser``, which shrinks)
and the long seeded benchmark (``RandomChooser`` + :func:`shrink`). A sample is a *bug* when
the oracle calls it malicious and ``mlsvs scan`` reports nothing.

Payloads are inert (``echo inert``, a marker file in the throwaway cwd, the loopback discard
port) and the oracle refuses them anyway after recording.
"""

from __future__ import annotations

import codecs
import gzip
import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from tests.scanner.scan_pk import PAYLOAD, system_call

T = TypeVar("T")
CODE = "open('inert-marker', 'w')"
URL = "http://127.0.0.1:9/inert"


def _torch_zip(pkl: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


# (module, qualname, arguments) - arguments are plain constants the grammar encodes itself.
GADGETS: list[tuple[str, str, tuple[object, ...]]] = [
    ("os", "system", (PAYLOAD,)), ("posix", "system", (PAYLOAD,)),
    ("subprocess", "check_output", (PAYLOAD,)), ("subprocess", "getoutput", (PAYLOAD,)),
    ("builtins", "eval", (CODE,)), ("builtins", "exec", (CODE,)),
    ("builtins", "open", ("inert-marker", "w")), ("timeit", "timeit", (CODE,)),
    ("cProfile", "run", (CODE,)), ("pty", "spawn", (PAYLOAD,)),
    ("uuid", "_get_command_stdout", ("echo", "inert")), ("shutil", "rmtree", ("inert-dir",)),
    ("webbrowser", "open", (URL,)), ("socket", "create_connection", (("127.0.0.1", 9),)),
    ("logging", "FileHandler", ("inert-marker",)), ("_io", "FileIO", ("inert-marker", "w")),
    ("torch.utils.collect_env", "run", (PAYLOAD,)),
    ("numpy.testing._private.utils", "runstring", (CODE, {})),
    ("pickle", "loads", (system_call(),)), ("_pickle", "loads", (system_call(),)),
    ("torch.storage", "_load_from_bytes", (_torch_zip(system_call()),)),
    ("imaplib", "IMAP4_stream", (PAYLOAD,)), ("pydoc", "pipepager", ("x", PAYLOAD)),
]  # fmt: skip
BENIGN: list[tuple[str, str, tuple[object, ...]]] = [
    ("collections", "OrderedDict", ()),
    ("builtins", "set", ([1, 2],)),
    ("datetime", "timedelta", (1,)),
    ("builtins", "bytearray", (b"ab",)),
]
_TOP_LEVEL = frozenset(m for m, _, _ in GADGETS + BENIGN if "." not in m)


class Chooser:
    """Makes (and records) every decision of one sample."""

    def __init__(self, pick: Callable[[int, str], int]) -> None:
        self._pick = pick
        self.trace: list[int] = []

    def choose(self, options: Sequence[T], label: str) -> T:
        """One of ``options`` (index 0 is the simplest)."""
        i = self._pick(len(options), label) if len(options) > 1 else 0
        self.trace.append(i)
        return options[i]


class ReplayChooser(Chooser):
    """Replays a recorded trace (indices past its end pick 0): used to shrink."""

    def __init__(self, trace: Sequence[int]) -> None:
        it = iter(trace)
        super().__init__(lambda n, _label: min(next(it, 0), n - 1))


@dataclass(slots=True)
class _Ctx:
    c: Chooser
    memo_keys: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def fresh_key(self) -> int:
        key = 100 + len(self.memo_keys)
        while key in self.memo_keys:
            key += 1
        self.memo_keys.add(key)
        return key


def _u(text: str) -> bytes:
    raw = text.encode("utf-8", "surrogatepass")
    return b"X" + struct.pack("<I", len(raw)) + raw


def _value(x: _Ctx, value: object) -> bytes:
    """Opcodes pushing a constant."""
    match value:
        case None:
            return b"N"
        case bool():
            return b"\x88" if value else b"\x89"
        case int():
            return b"J" + struct.pack("<i", value)
        case str():
            return _string(x, value)
        case bytes():
            return _bytes(x, value)
        case tuple():
            return b"(" + b"".join(_value(x, v) for v in value) + b"t"
        case list():
            return b"]" + (b"(" + b"".join(_value(x, v) for v in value) + b"e" if value else b"")
        case dict():
            return b"}"
    raise TypeError(type(value))


def _string(x: _Ctx, text: str) -> bytes:
    how = x.c.choose(["binunicode", "short", "binstring", "text", "memo", "rot13"], "string")
    raw = text.encode()
    if how == "short" and len(raw) < 256:
        return b"\x8c" + bytes([len(raw)]) + raw
    if how == "binstring" and len(raw) < 256 and text.isascii():
        return b"U" + bytes([len(raw)]) + raw
    if how == "text" and text.isascii() and "'" not in text and "\\" not in text:
        return b"S'" + raw + b"'\n"
    if how == "memo":
        key = x.fresh_key()
        return _u(text) + b"r" + struct.pack("<I", key) + b"0" + b"j" + struct.pack("<I", key)
    if how == "rot13":
        x.notes.append("rot13")
        enc = codecs.encode(text, "rot13")
        return b"c_codecs\nencode\n(" + _u(enc) + _u("rot13") + b"tR"
    return _u(text)


def _bytes(x: _Ctx, data: bytes) -> bytes:
    how = x.c.choose(["binbytes", "latin1"], "bytes")
    if how == "latin1":  # protocol 2 style: _codecs.encode(text, 'latin1')
        return b"c_codecs\nencode\n(" + _u(data.decode("latin-1")) + _u("latin1") + b"tR"
    return b"B" + struct.pack("<I", len(data)) + data


def _callable(x: _Ctx, module: str, name: str) -> bytes:
    how = x.c.choose(
        ["global", "stack_global", "import_getattr", "resolve_name", "attrgetter", "memo",
         "builtins_get", "patched_function"],
        "callable",
    )  # fmt: skip
    x.notes.append(how)
    if how == "memo":  # stashed in the memo, fetched back later (scanners tracking opcodes lose it)
        key = x.fresh_key()
        inner = b"c" + module.encode() + b"\n" + name.encode() + b"\n"
        return inner + b"r" + struct.pack("<I", key) + b"0" + b"j" + struct.pack("<I", key)
    if how == "builtins_get" and module == "builtins":
        # dict.get(numpy.__builtins__, name): needs protocol 4 for the dotted global
        return b"cbuiltins\ndict.get\n(cnumpy\n__builtins__\n" + _string(x, name) + b"tR"
    if how == "patched_function":
        # BUILD copies sys.modules onto numpy.mean; then numpy.mean.<module>.<name>
        patch = b"cnumpy\nmean\nNccollections\n_sys.modules\n\x86b0"
        return patch + b"cnumpy\nmean." + module.encode() + b"." + name.encode() + b"\n"
    if how == "stack_global":
        return _string(x, module) + _string(x, name) + b"\x93"
    if how == "import_getattr" and "." not in name:
        mod = b"cimportlib\nimport_module\n(" + _string(x, module) + b"tR"
        return b"cbuiltins\ngetattr\n(" + mod + _string(x, name) + b"tR"
    if how == "resolve_name":
        return b"cpkgutil\nresolve_name\n(" + _string(x, f"{module}:{name}") + b"tR"
    if how == "attrgetter" and "." not in name:
        mod = b"cimportlib\nimport_module\n(" + _string(x, module) + b"tR"
        return b"c_operator\nattrgetter\n(" + _string(x, name) + b"tR(" + mod + b"tR"
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _call(x: _Ctx, module: str, name: str, args: tuple[object, ...]) -> bytes:
    how = x.c.choose(
        ["reduce", "inst", "obj", "partial", "generator_ctor", "rebuild_from_type"], "call"
    )
    x.notes.append(how)
    argv = b"".join(_value(x, a) for a in args)
    if how == "inst" and "." not in name:
        return b"(" + argv + b"i" + module.encode() + b"\n" + name.encode() + b"\n"
    func = _callable(x, module, name)
    if how == "obj":
        return b"(" + func + argv + b"o"
    if how == "partial":
        return b"cfunctools\npartial\n(" + func + argv + b"tR)R"
    if how == "generator_ctor" and len(args) == 1:
        # numpy's constructor calls its second argument with its first
        return b"cnumpy.random._pickle\n__generator_ctor\n(" + argv + func + b"tR"
    if how == "rebuild_from_type":
        rft = b"ctorch._tensor\n_rebuild_from_type_v2\n("
        return rft + func + b"ctorch._tensor\nTensor\n(" + argv + b"t}tR"
    return func + b"(" + argv + b"tR"


def _program(x: _Ctx, body: bytes) -> bytes:
    """Wrap the call: what happens to its result, protocol header, streams, trailing data."""
    use = x.c.choose(["stop", "pop", "in_list", "in_dict", "memo_dup"], "use")
    x.notes.append(use)
    match use:
        case "pop":
            body = body + b"0N"
        case "in_list":
            body = b"](" + b"K\x01" + body + b"e"
        case "in_dict":
            body = b"}" + _u("weights") + body + b"s"
        case "memo_dup":
            body = body + b"2\x94" + b"0"
    proto = x.c.choose([2, 0, 3, 4, 5], "protocol")
    head = b"" if proto == 0 else b"\x80" + bytes([proto])
    if proto >= 4 and x.c.choose([False, True], "frame"):
        head += b"\x95" + struct.pack("<Q", len(body) + 1)
    stream = head + body + b"."
    layout = x.c.choose(["single", "after_benign", "broken_tail", "truncated"], "layout")
    x.notes.append(layout)
    if layout == "after_benign":
        return b"\x80\x02}q\x00." + stream
    if layout == "broken_tail":
        return stream[:-1] + b"\xff\xfe junk"
    if layout == "truncated":
        return stream[:-1]
    return stream


def _container(x: _Ctx, pkl: bytes) -> tuple[bytes, str]:
    kind = x.c.choose(["pkl", "torch_zip", "joblib_zlib", "gzip", "npy", "bin"], "container")
    x.notes.append(kind)
    if kind == "torch_zip":
        return _torch_zip(pkl), "model.pt"
    if kind == "joblib_zlib":
        return zlib.compress(pkl), "model.joblib"
    if kind == "gzip":
        return gzip.compress(pkl), "model.pkl.gz"
    if kind == "npy":
        header = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
        header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + pkl, "arr.npy"
    if kind == "bin":
        return pkl, "weights.bin"
    return pkl, "model.pkl"


@dataclass(frozen=True, slots=True)
class Sample:
    """One generated file."""

    data: bytes
    filename: str
    target: str
    malicious_intent: bool
    description: str
    trace: tuple[int, ...]


def generate(c: Chooser) -> Sample:
    """One sample: a gadget (or a benign call) reached, called and wrapped some way."""
    x = _Ctx(c)
    intent = c.choose([True, True, True, False], "intent")
    module, name, args = c.choose(GADGETS if intent else BENIGN, "target")
    body = _call(x, module, name, args)
    data, fname = _container(x, _program(x, body))
    return Sample(
        data=data,
        filename=fname,
        target=f"{module}.{name}",
        malicious_intent=intent,
        description=" ".join(x.notes),
        trace=tuple(c.trace),
    )


def shrink(trace: Sequence[int], still_bad: Callable[[Sample], bool]) -> Sample:
    """Simplify a failing trace greedily (each decision towards option 0) while it still fails."""
    best = list(trace)
    changed = True
    while changed:
        changed = False
        for i in range(len(best)):
            if best[i] == 0:
                continue
            trial = [*best[:i], 0, *best[i + 1 :]]
            sample = generate(ReplayChooser(trial))
            if still_bad(sample):
                best = list(sample.trace)
                changed = True
                break
    return generate(ReplayChooser(best))
