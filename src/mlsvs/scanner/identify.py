"""Decide a file's format from its content (head bytes and zip directory), never its name."""

from __future__ import annotations

import bz2
import io
import lzma
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.model.formats import ModelFormat
from mlsvs.scanner import proto
from mlsvs.scanner.fileaccess import open_regular
from mlsvs.scanner.formats_dataonly import data_only_format
from mlsvs.scanner.lz4frames import LZ4_ERROR, LZ4_FRAME, lz4_decompressor
from mlsvs.scanner.pickle_ops import is_opcode
from mlsvs.scanner.pickle_values import Event, EventKind
from mlsvs.scanner.pickle_vm import Budget, StreamResult, run_stream
from mlsvs.scanner.zipread import ZipFormatError, has_end_record, read_directory

if TYPE_CHECKING:
    from typing import BinaryIO

    from mlsvs.scanner.pickle_ops import OpError


HEAD = 64 * 1024
TORCH_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
SEVENZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
_ONNX_FIELDS = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25})
_SAVEDMODEL_FIELDS = frozenset({1, 2})
_PROTO_FIRST = (1, proto.VARINT)
_LEGACY_TAR = frozenset({"sys_info", "pickle", "storages", "tensors"})
# First opcodes of complete pickles whose stream makes no call (plain containers, constants).
_PICKLE_FIRST = frozenset(b"(cdl]}).KJMNSVIiFGLTUXBC\x88\x89\x8c\x8d\x8e\x95")


def identify(path: str | Path) -> ModelFormat:
    """Format of a file or directory, from content only. Unreadable paths are ``UNKNOWN``."""
    p = Path(path)
    try:
        if p.is_dir():
            return (
                ModelFormat.TF_SAVEDMODEL
                if (p / "saved_model.pb").is_file()
                else ModelFormat.UNKNOWN
            )
        fh, size = open_regular(p)  # FIFOs and devices are never opened
        with fh:
            return sniff(fh, size)
    except OSError:
        return ModelFormat.UNKNOWN


def sniff(fh: BinaryIO, size: int) -> ModelFormat:
    """Classify an open binary stream of ``size`` bytes (reads the head and zip directory)."""
    fh.seek(0)
    head = fh.read(HEAD)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _zip_format(fh, size)
    fmt = sniff_head(head, size)
    if fmt is ModelFormat.UNKNOWN and cut_by_window(head, size):
        fmt = _sniff_whole(fh, size, fmt)
    if fmt is ModelFormat.ARCHIVE and _is_tar(head):
        return _tar_format(fh)
    if fmt is ModelFormat.UNKNOWN and size > HEAD and hdf5_offset(fh, size) is not None:
        return ModelFormat.HDF5
    if fmt is ModelFormat.UNKNOWN and has_end_record(lambda at, n: _pread(fh, at, n), size):
        # A zip whose records start after a prefix (self-extracting/polyglot): readers that
        # locate the end-of-central-directory record still open it.
        try:
            directory = read_directory(fh, size)
        except (ZipFormatError, OSError, ValueError):
            return fmt
        if directory.members:
            return zip_kind([m.name for m in directory.members])
    return fmt


def _pread(fh: BinaryIO, offset: int, n: int) -> bytes:
    fh.seek(offset)
    return fh.read(n)


def sniff_head(head: bytes, size: int) -> ModelFormat:
    """Classify from the first bytes alone (zip members are classified by the caller)."""
    if head.startswith(b"GGUF"):
        return ModelFormat.GGUF
    if head.startswith(b"\x93NUMPY"):
        return ModelFormat.NUMPY
    if any(head[o : o + 8] == HDF5_MAGIC for o in (0, 512, 1024, 2048)):
        return ModelFormat.HDF5
    if head.startswith(TORCH_MAGIC):
        return ModelFormat.PYTORCH_LEGACY
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return ModelFormat.ARCHIVE
    if _is_safetensors(head, size):
        return ModelFormat.SAFETENSORS
    if head.startswith(SEVENZIP_MAGIC) or _is_tar(head):
        return ModelFormat.ARCHIVE
    zfile = zfile_offset(head)
    inner = decompress_head(head if zfile is None else head[zfile:])
    if inner is not None:
        return ModelFormat.JOBLIB if _looks_like_pickle(inner, len(inner)) else ModelFormat.ARCHIVE
    if _looks_like_pickle(head, size):
        return ModelFormat.JOBLIB if b"joblib.numpy_pickle" in head else ModelFormat.PICKLE
    # ONNX, SavedModel and Core ML all open with field 1 as a varint (ir_version, a
    # version number); nothing else is walked as protobuf here.
    fields = proto.prefix_fields(head, size, first=_PROTO_FIRST)
    data_only = data_only_format(head, size, fields)
    if data_only is not None:
        return data_only
    if fields:
        numbers = {num for num, _, _ in fields}
        first = fields[0]
        if first[:2] == (1, proto.VARINT) and numbers <= _ONNX_FIELDS and numbers & {7, 8}:
            return ModelFormat.ONNX
        if first == (1, proto.VARINT, 1) and numbers == _SAVEDMODEL_FIELDS:
            return ModelFormat.TF_SAVEDMODEL
    return ModelFormat.UNKNOWN


def _is_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 10:
        return False
    n = int.from_bytes(head[:8], "little")
    if n < 2 or head[8:9] != b"{":
        return False
    # Text whose ninth byte is a brace ("@ARTICLE{", "plugins {") reads as a length of
    # exabytes with no NUL among its eight bytes; a real header length below 2**56 has one.
    # Such a file could never be opened by safetensors, so it goes on to the text checks.
    return n + 8 <= size or b"\x00" in head[:8]


def _is_tar(head: bytes) -> bool:
    return head[257:262] == b"ustar"


def decompress_head(head: bytes) -> bytes | None:
    """First bytes of a gzip/bz2/xz/lzma/zlib/LZ4 payload, or None if ``head`` is not one (or
    is LZ4 and the lz4 package is absent)."""
    try:
        if head.startswith(b"\x1f\x8b"):
            return zlib.decompressobj(31).decompress(head, 4096)
        if head.startswith(b"BZh"):
            return bz2.BZ2Decompressor().decompress(head, 4096)
        if head.startswith(b"\xfd7zXZ\x00") or head[:3] == b"\x5d\x00\x00":
            return lzma.LZMADecompressor().decompress(head, 4096)
        if len(head) > 1 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
            return zlib.decompressobj().decompress(head, 4096)
        if head.startswith(LZ4_FRAME):
            lz4 = lz4_decompressor()
            return None if lz4 is None else lz4.decompress(head, 4096)
    except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError, LZ4_ERROR):
        return None
    return None


_ZFILE = re.compile(rb"ZF0x[0-9a-fA-F]{1,17} *")
_ZFILE_HEADER = 21
"""joblib < 0.10 compressed files: "ZF" + the payload length in hex padded to 19 bytes."""


def zfile_offset(head: bytes) -> int | None:
    """Where the zlib stream of a joblib < 0.10 "ZF" file starts (joblib.load still reads
    them: numpy_pickle_compat.read_zfile skips one more space if there is one), or None."""
    if not head.startswith(b"ZF") or _ZFILE.fullmatch(head[:_ZFILE_HEADER]) is None:
        return None
    return _ZFILE_HEADER + 1 if head[_ZFILE_HEADER : _ZFILE_HEADER + 1] == b" " else _ZFILE_HEADER


_TRUNCATION_REASONS = ("argument of", "unterminated text argument", "stream ends without STOP")


def _looks_like_pickle(head: bytes, size: int) -> bool:
    """Would ``pickle.load`` treat these bytes as a pickle (and run something)?

    Protocol 2+ announce themselves with PROTO. Anything else is emulated from offset 0: a
    stream that imports or calls before its first error is a pickle whatever its first byte
    (``pickle.load`` has already run the call when it hits the damage), and so is a complete
    stream or a long one cut by the sniff window. Text never gets that far.
    """
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    if not head or not is_opcode(head[0]):
        return False  # "invalid load key": the unpickler stops at byte 0 (most text: '#', '"')
    result = run_stream(head, 0, Budget(opcodes=4096))
    if _runs_something(result.events):
        return not _abandoned(result, head, size)
    if result.events and result.events[0].kind is EventKind.IMPORT:
        # The first thing the stream resolves is a name nothing can import ("ontext('Test
        # helper functions')" from an R script starting with "context("): pickle.load raises
        # there, having run nothing. (A computed or extension global before it keeps the
        # checks below: the unpickler may resolve that one first.)
        return False
    if result.error is None and not result.budget_exceeded:
        return result.ops >= 2 and head[0] in _PICKLE_FIRST and not _prose(head, size, result)
    if head[0] not in _PICKLE_FIRST:
        return False
    # An argument that crosses the end of the sniff window (protocol 0/1 arrays are one long
    # STRING line or BINSTRING) fails at its start offset, not at the window's end.
    truncated = size > len(head) and result.error is not None and _cut_here(result.error, head)
    return result.ops >= 8 and (truncated or result.budget_exceeded)


def cut_by_window(head: bytes, size: int) -> bool:
    """The head starts like a protocol 0/1 pickle whose emulation the window cut short: an
    argument (a text line of any length, a long literal) runs past the head within the first
    few opcodes, so only the bytes after the window can tell a pickle from text."""
    if size <= len(head) or not head or head[0] not in _PICKLE_FIRST or head[0] == 0x80:
        return False
    result = run_stream(head, 0, Budget(opcodes=4096))
    error = result.error
    return (
        error is not None
        and result.ops < 8
        and (error.offset >= len(head) - 1 or error.reason.startswith(_TRUNCATION_REASONS))
    )


_WHOLE_READ = 16 << 20
"""Largest stream neither mapped nor in memory (a stored archive member read in place) that is
read whole for the decision above."""


def _sniff_whole(fh: BinaryIO, size: int, fmt: ModelFormat) -> ModelFormat:
    """Decide from the whole stream (memory-mapped, or read when small): the emulator reads
    long lines and literals in place, so this costs a few opcodes, not the file."""
    import mmap

    if isinstance(fh, io.BytesIO):  # an in-memory member: getvalue() shares the buffer
        return ModelFormat.PICKLE if _looks_like_pickle(fh.getvalue(), size) else fmt
    try:
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, io.UnsupportedOperation, AttributeError):
        if size > _WHOLE_READ:
            return fmt  # a stored archive member this large: decided on its head (a gap)
        fh.seek(0)
        data = fh.read(size)
        return ModelFormat.PICKLE if _looks_like_pickle(data, size) else fmt
    with mapped:  # bytes-like; the emulator reads a map as it reads bytes
        found = _looks_like_pickle(mapped, size)  # type: ignore[arg-type]
    return ModelFormat.PICKLE if found else fmt


def _prose(head: bytes, size: int, result: StreamResult) -> bool:
    """Text that starts with a constant and a STOP by chance: "Copyright (c) 2018, ..." reads
    as SHORT_BINBYTES of ord("o") bytes, and the 114th byte is ".". ``pickle.load`` would
    return those bytes and run nothing; what follows in the file is prose, not another pickle."""
    from mlsvs.scanner.nonmodel import is_text

    return (
        not result.events
        and result.end < len(head)
        and is_text(head, truncated=size > len(head))
        and not pickle_at_start(head[result.end :])
    )


def pickle_at_start(head: bytes, size: int | None = None) -> bool:
    """The first bytes of a non-pickle file would still run code under ``pickle.load``.
    ``size``: of the whole stream ``head`` starts (None: unknown, ``head`` may be cut)."""
    result = run_stream(head, 0, Budget(opcodes=4096))
    if not _runs_something(result.events):
        return False
    return size is None or not _abandoned(result, head, size)


def _abandoned(result: StreamResult, head: bytes, size: int) -> bool:
    """``pickle.load`` raises at the first global it resolves (a word list starting
    ``ccopy\ncgeev``: ``copy`` has no ``cgeev``), having run nothing: see ``pickle_stop``."""
    from mlsvs.scanner.pickle_stop import raises_at_first_global

    error = result.error
    cut = size > len(head) and error is not None and _cut_here(error, head)
    ends_in_error = error is not None and not cut and not result.budget_exceeded
    return raises_at_first_global(result.events, ends_in_error=ends_in_error)


def _cut_here(error: OpError, head: bytes) -> bool:
    """The error may only be the sniff window's end (an argument crossing it)."""
    return error.offset >= len(head) - 1 or error.reason.startswith(_TRUNCATION_REASONS)


_IMPORTABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _runs_something(events: list[Event]) -> bool:
    """The unpickler would import something: every code path of a pickle starts with
    ``find_class`` of an importable name. (``"har *M"`` from a C file starting with ``char``
    cannot be imported; EXT codes and computed STACK_GLOBAL operands of random bytes fail
    before anything runs.)"""
    return any(e.kind is EventKind.IMPORT and _IMPORTABLE.match(e.name) is not None for e in events)


def hdf5_offset(fh: BinaryIO, size: int) -> int | None:
    """Where the HDF5 library finds the superblock: offset 0, then 512, 1024, 2048, ..."""
    offset = 0
    while offset + 8 <= size:
        fh.seek(offset)
        if fh.read(8) == HDF5_MAGIC:
            return offset
        offset = 512 if offset == 0 else offset * 2
    return None


def zip_kind(names: list[str]) -> ModelFormat:
    """Classify a zip from its member names."""
    lowered = [n.lower() for n in names]
    bases = {n.rsplit("/", 1)[-1] for n in lowered}
    if any(n.endswith("data.pkl") for n in lowered) or "constants.pkl" in bases:
        if any("/code/" in f"/{n}" for n in lowered) or "constants.pkl" in bases:
            return ModelFormat.TORCHSCRIPT
        return ModelFormat.PYTORCH_ZIP
    if "config.json" in names and ("model.weights.h5" in names or "metadata.json" in names):
        return ModelFormat.KERAS
    if "schema.json" in names:
        return ModelFormat.SKOPS
    files = [n for n in names if not n.endswith("/")]
    if files and all(n.endswith(".npy") for n in files):
        return ModelFormat.NUMPY_ARCHIVE
    return ModelFormat.ARCHIVE


def _zip_format(fh: BinaryIO, size: int) -> ModelFormat:
    try:
        directory = read_directory(fh, size)
    except (ZipFormatError, OSError, ValueError):
        return ModelFormat.ARCHIVE
    return zip_kind([m.name for m in directory.members])


def _tar_format(fh: BinaryIO) -> ModelFormat:
    import tarfile  # only for tar candidates (costly import on the startup path)

    fh.seek(0)
    names: set[str] = set()
    try:
        with tarfile.open(fileobj=fh, mode="r:") as tar:
            for i, info in enumerate(tar):
                names.add(info.name)
                if i > 16:
                    break
    except (tarfile.TarError, OSError, EOFError):
        return ModelFormat.ARCHIVE
    return ModelFormat.PYTORCH_LEGACY if names >= _LEGACY_TAR else ModelFormat.ARCHIVE


def sniff_bytes(data: bytes) -> ModelFormat:
    """Classify an in-memory payload (archive members, decompressed wrappers)."""
    return sniff(io.BytesIO(data), len(data))
