"""Faithful emulation of the pickle machine over symbolic values (never unpickles).

The emulator follows ``pickle._Unpickler``: the stack, the mark stack and the memo behave as
in CPython, so memo games (``BINGET`` of a slot filled by ``MEMOIZE`` after ``DUP``), computed
STACK_GLOBAL operands and every call opcode are seen exactly as the unpickler sees them.
"""

from __future__ import annotations

import os
import re
import struct
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.scanner.pickle_calls import apply
from mlsvs.scanner.pickle_ops import MAX_LINE, OpError, read_op
from mlsvs.scanner.pickle_values import (
    BIG_LITERAL,
    MAX_NAME,
    Attr,
    Blob,
    Call,
    Event,
    EventKind,
    Mark,
    Module,
    Opaque,
    PDict,
    PSet,
    Ref,
    Text,
    dotted,
    long_name,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

_WRAPPERS = frozenset(
    {
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    }
)


_LEGACY_WRAPPERS = frozenset(
    {
        "joblib.numpy_pickle.NDArrayWrapper",
        "joblib.numpy_pickle_compat.NDArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NDArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle_compat.NDArrayWrapper",
    }
)
"""joblib < 0.10: the array lives in a sibling file that joblib.load opens with numpy.load."""

_ARRAY_READ = "joblib-array"
"""``Call.op`` of the array joblib's BUILD puts on the stack in place of its wrapper."""

_PUSH_ARG = frozenset(
    {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
     "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
     "BINUNICODE8", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"}
)  # fmt: skip


_BIG_BYTES = {0x42: 4, 0x8E: 8, 0x96: 8}
"""BINBYTES, BINBYTES8, BYTEARRAY8: the width of their length field."""
_BIG_TEXT = {0x58: (4, "utf-8"), 0x8D: (8, "utf-8"), 0x54: (4, "latin-1")}
"""BINUNICODE, BINUNICODE8, BINSTRING: length width and encoding (left as ``Text``)."""
_CHUNK = 1 << 20


def _decodes(data: bytes, start: int, end: int) -> bool:
    """Whether ``data[start:end]`` is valid UTF-8 (``surrogatepass``), in bounded memory: a
    chunk at a time, and pages of a memory-mapped file dropped again once read (they would
    otherwise stay resident: a 1 GiB string would cost 1 GiB of RSS)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
    try:
        for chunk in _chunks(data, start, end):
            if not (chunk.isascii() and not decoder.getstate()[0]):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _chunks(data: bytes, start: int, end: int) -> Iterator[bytes]:
    """``data[start:end]`` a chunk at a time, dropping pages of a memory-mapped file again once
    read (bounded memory whatever the span)."""
    import mmap

    buffer: object = data  # typed bytes; a scanned file arrives as its mmap
    mapped = buffer if isinstance(buffer, mmap.mmap) else None
    for i in range(start, end, _CHUNK):
        stop = min(i + _CHUNK, end)
        yield data[i:stop]
        if mapped is not None:
            page = i - i % mmap.PAGESIZE
            mapped.madvise(mmap.MADV_DONTNEED, page, stop - page)


def _line_end(data: bytes, pos: int) -> int:
    """Offset of the newline ending the line at ``pos`` (-1: none), searched in chunks."""
    offset = pos
    for chunk in _chunks(data, pos, len(data)):
        nl = chunk.find(b"\n")
        if nl >= 0:
            return offset + nl
        offset += len(chunk)
    return -1


def _all_digits(data: bytes, start: int, end: int, *, trailing_l: bool) -> bool:
    """Whether ``data[start:end]`` is ``[+-]digits`` (``L`` allowed last for LONG)."""
    if data[start : start + 1] in (b"+", b"-"):
        start += 1
    if trailing_l and data[end - 1 : end] == b"L":
        end -= 1
    return end > start and all(chunk.isdigit() for chunk in _chunks(data, start, end))


_ESCAPED = re.compile(rb"(?:[^\\]|\\(?:x[0-9a-fA-F]{2}|[^x]))*")
"""What ``codecs.escape_decode`` accepts (a backslash before anything but a short ``\\x``)."""


def _escapes_ok(data: bytes, start: int, end: int) -> bool:
    """Whether the STRING body ``data[start:end]`` escape-decodes, a chunk at a time (a chunk
    boundary inside an escape resumes at its backslash)."""
    pos = start
    while pos < end:
        stop = min(pos + _CHUNK, end)
        reached = _ESCAPED.match(data, pos, stop)
        got = reached.end() if reached is not None else pos
        if got == stop:
            pos = stop
        elif stop < end and stop - got < 4:
            pos = got  # an escape cut by the chunk boundary: read it with the next chunk
            if stop - pos >= _CHUNK:  # pragma: no cover - cannot happen (escapes are short)
                return False
        else:
            return False
    return True


HEAP_LIMIT = 192 << 20
"""Growth of process memory (anonymous: the scanned file's mapped pages excluded) during one
file's scan past which emulation stops, not verified. Every opcode may build an object (an
empty list is ~60 bytes), so the opcode budget alone allows over a gigabyte; with this limit
``mlsvs scan`` peaks under 256 MiB (other threads of a process scanning concurrently count
too: fail closed). Checked with the clock, every ``_TIME_CHECK_EVERY`` opcodes (a few MiB of
objects at most in between)."""


def heap_now() -> int:
    """Resident minus file-backed/shared pages of this process, in bytes (0 where ``/proc``
    is missing: the opcode and time budgets still bound the emulation there)."""
    try:
        with open("/proc/self/statm", "rb") as fh:  # noqa: PTH123 - hot path: no Path object
            fields = fh.read().split()
    except OSError:
        return 0
    return (int(fields[1]) - int(fields[2])) * _PAGE


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TIME_CHECK_EVERY = 1 << 14
_FLOAT = struct.Struct(">d")
_MISSING = object()
# Protocol 0/1 opcodes whose argument is a text line: UNICODE, FLOAT, INT, LONG, GET, PUT.
_LINE_OPS = frozenset(b"VFILgp")
_SHORT_DECIMAL = 18  # digits decoded inline; longer (or odd) arguments take the generic path
# Opcodes whose argument is one or two text lines (STRING, UNICODE, PERSID, INT, LONG, FLOAT,
# GET, PUT; GLOBAL and INST have two): lines too long for the decoder go to ``_long_line``.
_TEXT_ARG_OPS = frozenset(b"SVPILFgpci")
_NAME_PAIR_OPS = frozenset(b"ci")
_INT_DIGITS = 4300
"""Python's default ``sys.int_info.default_max_str_digits``: longer INT/LONG text is not
converted (``int()`` refuses it, and is quadratic in the digits where allowed)."""


class BudgetExceededError(Exception):
    """The opcode budget of the file is spent."""


@dataclass(slots=True)
class Budget:
    """Opcodes and time left for the whole file (shared by every stream)."""

    opcodes: int
    deadline: float | None = None
    """``time.monotonic()`` after which emulation stops (the file is then not verified)."""
    timed_out: bool = False
    heap_base: int = -1
    """``heap_now()`` when the file's scan began; -1: no memory limit (sniffing, tests)."""
    out_of_memory: bool = False
    """The process grew by ``HEAP_LIMIT`` since ``heap_base`` (the file is then not verified)."""


@dataclass(slots=True)
class StreamResult:
    """What one pickle stream did. ``end`` is the offset just after STOP (or the error)."""

    start: int
    end: int
    events: list[Event] = field(default_factory=list)
    error: OpError | None = None
    value: object = None
    ops: int = 0
    budget_exceeded: bool = False
    inner: list[StreamResult] = field(default_factory=list)
    """Streams embedded in this one (joblib object arrays)."""
    frame_left: bool = False
    """The stream stopped with bytes of its last frame unread."""
    raw_reads: int = 0
    """joblib array payloads read from the file outside the opcode stream (inner object-array
    streams are read plainly, so they have none): where there are any, a plain
    ``pickle.load`` reads the file differently."""


class _Machine:
    def __init__(self, data: bytes, start: int, budget: Budget, depth: int, joblib: bool) -> None:
        self.data = data
        self.pos = start
        self.budget = budget
        self.depth = depth
        self.joblib = joblib
        # pickle._Unpickler reads a FRAME whole; joblib reads array payloads from the *file*,
        # i.e. after the current frame. ``frame_end`` is where the current frame stops and
        # ``resume`` (when >= 0) where opcodes continue once it is exhausted.
        self.frame_end = -1
        self.resume = -1
        self.stack: list[object] = []
        self.marks: list[list[object]] = []
        self.memo: dict[int, object] = {}
        self.result = StreamResult(start=start, end=start)
        self.calls_seen: set[tuple[str, tuple[str, ...]]] = set()

    # -- stack helpers ---------------------------------------------------------------------
    def pop(self, pos: int) -> object:
        if not self.stack:
            raise OpError(pos, "stack underflow")
        value = self.stack.pop()
        if isinstance(value, Mark):
            raise OpError(pos, "unexpected MARK on the stack")
        return value

    def pop_mark(self, pos: int) -> list[object]:
        if not self.marks:
            raise OpError(pos, "MARK expected")
        items = self.stack
        self.stack = self.marks.pop()
        return items

    def push(self, value: object) -> None:
        self.stack.append(value)

    def top(self, pos: int) -> object:
        if not self.stack:
            raise OpError(pos, "stack underflow")
        return self.stack[-1]

    def event(self, kind: EventKind, pos: int, name: str = "", via: str = "") -> None:
        self.result.events.append(Event(kind=kind, pos=pos, name=name, via=via))

    # -- main loop -------------------------------------------------------------------------
    def run(self) -> StreamResult:
        try:
            self._loop()
        except OpError as exc:
            # Drop the traceback: its frames reach the caller's buffers (a reference cycle
            # through the result would keep every scanned member alive until a GC pass).
            self.result.error = exc.with_traceback(None)
        except UnicodeDecodeError:
            # Invalid UTF-8 in a unicode argument: the real unpickler raises here too.
            self.result.error = OpError(self.pos, "invalid UTF-8 in a unicode argument")
        except BudgetExceededError:
            self.result.budget_exceeded = True
        self.result.end = self.pos
        self.result.frame_left = self.pos < self.frame_end
        return self.result

    def _loop(self) -> None:
        """The hot loop: frequent opcodes inline, the rest through ``step``.

        Inline paths only handle the well-formed case; anything unusual (truncation, missing
        memo slot, empty stack) goes through the generic decoder, which raises the same
        ``OpError`` the slow path always raised. State lives in locals and is written back
        before every generic step. Opcodes are tested in three byte ranges, each ordered by
        how often real files use them (a flat chain costs dozens of comparisons for the
        opcodes at its end). One counter pays for both budgets: ``ops`` past ``checkpoint``
        means the opcode budget is spent or the clock is due (first opcode, then every
        ``_TIME_CHECK_EVERY``).
        """
        data = self.data
        n = self._limit()
        pos = self.pos
        stack = self.stack
        memo = self.memo
        marks = self.marks
        events = self.result.events
        budget = self.budget
        total = budget.opcodes
        ops = 0
        checkpoint = 0  # the first opcode of every stream looks at the clock
        unpack_float = _FLOAT.unpack_from
        find = data.find
        seen = self.calls_seen
        # Protocol 0/1 streams (no PROTO opcode) are mostly text opcodes: decode those first.
        textual = data[pos : pos + 1] != b"\x80"
        try:
            while True:
                ops += 1
                if ops > checkpoint:
                    if ops > total:
                        ops -= 1
                        raise BudgetExceededError
                    checkpoint = min(ops + _TIME_CHECK_EVERY - 1, total)
                    if budget.deadline is not None and time.monotonic() > budget.deadline:
                        budget.timed_out = True
                        raise BudgetExceededError
                    base = budget.heap_base
                    if ops > 1 and base >= 0 and heap_now() - base > HEAP_LIMIT:
                        budget.out_of_memory = True
                        raise BudgetExceededError
                if pos + 9 < n:  # every inline opcode below fits (or is length-checked)
                    code = data[pos]
                    if textual and code in _LINE_OPS:
                        # The same decoding as pickle_ops._read_arg, for the plain forms only:
                        # the line ends before the inline limit, decimals are short and plain.
                        nl = find(b"\n", pos + 1, min(n, pos + 1 + MAX_LINE))
                        if nl > pos:
                            raw = data[pos + 1 : nl]
                            if code == 0x56:  # UNICODE
                                stack.append(raw.decode("raw-unicode-escape", "replace"))
                                pos = nl + 1
                                continue
                            if code == 0x46:  # FLOAT
                                try:
                                    stack.append(float(raw))
                                except ValueError:
                                    pass  # the generic path raises the OpError
                                else:
                                    pos = nl + 1
                                    continue
                            else:
                                digits = raw[:-1] if code == 0x4C and raw[-1:] == b"L" else raw
                                if (
                                    0 < len(digits) <= _SHORT_DECIMAL
                                    and digits.isdigit()
                                    and (code == 0x4C or raw not in (b"00", b"01"))
                                ):
                                    if code == 0x70:  # PUT
                                        if stack:
                                            memo[int(digits)] = stack[-1]
                                            pos = nl + 1
                                            continue
                                    elif code == 0x67:  # GET
                                        value = memo.get(int(digits), _MISSING)
                                        if value is not _MISSING:
                                            stack.append(value)
                                            pos = nl + 1
                                            continue
                                    else:  # INT, LONG
                                        stack.append(int(digits))
                                        pos = nl + 1
                                        continue
                    elif code >= 0x80:
                        if code == 0x94:  # MEMOIZE
                            if stack:
                                memo[len(memo)] = stack[-1]
                                pos += 1
                                continue
                        elif code == 0x8C:  # SHORT_BINUNICODE
                            end = pos + 2 + data[pos + 1]
                            if end <= n:
                                stack.append(data[pos + 2 : end].decode("utf-8", "surrogatepass"))
                                pos = end
                                continue
                        elif code == 0x85:  # TUPLE1
                            if stack:
                                stack[-1] = (stack[-1],)
                                pos += 1
                                continue
                        elif code == 0x86:  # TUPLE2
                            if len(stack) >= 2 and not isinstance(stack[-1], Mark):
                                b = stack.pop()
                                stack[-1] = (stack[-1], b)
                                pos += 1
                                continue
                        elif code == 0x88 or code == 0x89:  # NEWTRUE / NEWFALSE
                            stack.append(code == 0x88)
                            pos += 1
                            continue
                        elif code == 0x87:  # TUPLE3
                            if len(stack) >= 3:
                                c3 = stack.pop()
                                b3 = stack.pop()
                                stack[-1] = (stack[-1], b3, c3)
                                pos += 1
                                continue
                        elif code == 0x93:  # STACK_GLOBAL (constant strings)
                            if len(stack) >= 2:
                                qual = stack[-1]
                                module = stack[-2]
                                if isinstance(qual, str) and isinstance(module, str):
                                    del stack[-1]
                                    stack[-1] = self._global(module, qual, pos, "STACK_GLOBAL")
                                    pos += 1
                                    continue
                        elif code == 0x81 and len(stack) >= 2:  # NEWOBJ
                            args = stack[-1]
                            func = stack[-2]
                            if not isinstance(args, Mark) and not isinstance(func, Mark):
                                del stack[-1]
                                stack[-1] = apply(func, args, "NEWOBJ", pos, events, seen)
                                pos += 1
                                continue
                    elif code >= 0x60:
                        if code == 0x71:  # BINPUT
                            if stack:
                                memo[data[pos + 1]] = stack[-1]
                                pos += 2
                                continue
                        elif code == 0x68:  # BINGET
                            value = memo.get(data[pos + 1], _MISSING)
                            if value is not _MISSING:
                                stack.append(value)
                                pos += 2
                                continue
                        elif code == 0x72:  # LONG_BINPUT
                            if stack:
                                memo[int.from_bytes(data[pos + 1 : pos + 5], "little")] = stack[-1]
                                pos += 5
                                continue
                        elif code == 0x61:  # APPEND
                            target = stack[-2] if len(stack) >= 2 else None
                            if isinstance(target, list):
                                value = stack[-1]
                                if not isinstance(value, Mark):
                                    stack.pop()
                                    target.append(value)
                                    pos += 1
                                    continue
                        elif code == 0x74:  # TUPLE
                            if marks:
                                items = stack
                                stack = self.stack = marks.pop()
                                stack.append(tuple(items))
                                pos += 1
                                continue
                        elif code == 0x65:  # APPENDS
                            if marks:
                                items = stack
                                stack = self.stack = marks.pop()
                                if stack and isinstance(stack[-1], list):
                                    stack[-1].extend(items)
                                    pos += 1
                                    continue
                                self.stack = items  # undo; the generic path reports the error
                                marks.append(stack)
                                stack = items
                        elif code == 0x75:  # SETITEMS
                            if marks:
                                items = stack
                                stack = self.stack = marks.pop()
                                if stack and isinstance(stack[-1], PDict):
                                    stack[-1].items.extend(
                                        zip(items[::2], items[1::2], strict=False)
                                    )
                                    pos += 1
                                    continue
                                self.stack = items
                                marks.append(stack)
                                stack = items
                        elif code == 0x73:  # SETITEM
                            target = stack[-3] if len(stack) >= 3 else None
                            if isinstance(target, PDict):
                                value = stack[-1]
                                key = stack[-2]
                                if not isinstance(value, Mark) and not isinstance(key, Mark):
                                    del stack[-2:]
                                    target.items.append((key, value))
                                    pos += 1
                                    continue
                        elif code == 0x7D:  # EMPTY_DICT
                            stack.append(PDict())
                            pos += 1
                            continue
                        elif code == 0x6A:  # LONG_BINGET
                            value = memo.get(
                                int.from_bytes(data[pos + 1 : pos + 5], "little"), _MISSING
                            )
                            if value is not _MISSING:
                                stack.append(value)
                                pos += 5
                                continue
                        elif code == 0x6C:  # LIST
                            if marks:
                                items = stack
                                stack = self.stack = marks.pop()
                                stack.append(items)
                                pos += 1
                                continue
                        elif code == 0x62:  # BUILD
                            if len(stack) >= 2:
                                state = stack[-1]
                                target = stack[-2]
                                if not isinstance(state, Mark):
                                    del stack[-1]
                                    self.pos = pos + 1
                                    self.stack = stack
                                    self._build(target, state, pos)
                                    n = self._limit()
                                    pos = self.pos
                                    stack = self.stack
                                    continue
                        elif code == 0x64 and marks:  # DICT
                            items = stack
                            stack = self.stack = marks.pop()
                            stack.append(PDict(list(zip(items[::2], items[1::2], strict=False))))
                            pos += 1
                            continue
                    elif code == 0x4B:  # BININT1
                        stack.append(data[pos + 1])
                        pos += 2
                        continue
                    elif code == 0x28:  # MARK
                        marks.append(stack)
                        stack = self.stack = []
                        pos += 1
                        continue
                    elif code == 0x52:  # REDUCE
                        if len(stack) >= 2:
                            args = stack[-1]
                            func = stack[-2]
                            if not isinstance(args, Mark) and not isinstance(func, Mark):
                                del stack[-1]
                                stack[-1] = apply(func, args, "REDUCE", pos, events, seen)
                                pos += 1
                                continue
                    elif code == 0x58:  # BINUNICODE
                        end = pos + 5 + int.from_bytes(data[pos + 1 : pos + 5], "little")
                        if end <= n and end - pos - 5 < BIG_LITERAL:
                            stack.append(data[pos + 5 : end].decode("utf-8", "surrogatepass"))
                            pos = end
                            continue
                    elif code == 0x4E:  # NONE
                        stack.append(None)
                        pos += 1
                        continue
                    elif code == 0x29:  # EMPTY_TUPLE
                        stack.append(())
                        pos += 1
                        continue
                    elif code == 0x5D:  # EMPTY_LIST
                        stack.append([])
                        pos += 1
                        continue
                    elif code == 0x4D:  # BININT2
                        stack.append(data[pos + 1] | data[pos + 2] << 8)
                        pos += 3
                        continue
                    elif code == 0x4A:  # BININT
                        stack.append(int.from_bytes(data[pos + 1 : pos + 5], "little", signed=True))
                        pos += 5
                        continue
                    elif code == 0x47:  # BINFLOAT
                        stack.append(unpack_float(data, pos + 1)[0])
                        pos += 9
                        continue
                    elif code == 0x51:  # BINPERSID
                        if stack and not isinstance(stack[-1], Mark):
                            events.append(Event(kind=EventKind.PERSID, pos=pos, value=stack[-1]))
                            stack[-1] = Opaque("persistent")
                            pos += 1
                            continue
                    elif code == 0x30:  # POP
                        if stack:
                            stack.pop()
                            pos += 1
                            continue
                    elif code == 0x43:  # SHORT_BINBYTES
                        end = pos + 2 + data[pos + 1]
                        if end <= n:
                            stack.append(data[pos + 2 : end])
                            pos = end
                            continue
                # generic path
                if self.resume >= 0 and pos >= self.frame_end:
                    pos = self.resume  # the frame is exhausted: the file goes on after the array
                    self.resume = -1
                    n = len(data)
                    continue
                self.pos = pos
                self.stack = stack
                code = data[pos] if pos < len(data) else -1
                width = _BIG_BYTES.get(code, 0)
                if width and (span := self._big_literal(pos, width)) is not None:
                    # A big bytes literal stays in the buffer (read_op would copy it).
                    stack.append(Blob(data, span[0], span[1]))
                    pos = self.pos = span[2]
                    continue
                text = _BIG_TEXT.get(code)
                if (
                    text is not None
                    and (span := self._big_literal(pos, text[0])) is not None
                    and not (code == 0x54 and span[1] >= 1 << 31)
                ):
                    # A big string stays undecoded in the buffer (checked to decode).
                    start, size, end = span
                    if text[1] == "utf-8" and not _decodes(data, start, end):
                        # where the unpickler stops (the offset each path reported before)
                        raise OpError(pos if code == 0x58 else start,
                                      "invalid UTF-8 in a unicode argument")  # fmt: skip
                    stack.append(Text(data, start, size, text[1]))
                    pos = self.pos = end
                    continue
                if code in _TEXT_ARG_OPS and self._long_line(code, pos):
                    pos = self.pos
                    stack = self.stack
                    n = self._limit()
                    continue
                op = read_op(data, pos)
                if self.resume >= 0 and op.end > self.frame_end:
                    raise OpError(pos, "pickle exhausted before end of frame")
                self.pos = op.end
                if op.name == "STOP":
                    self.result.value = self.pop(op.pos)
                    pos = self.pos
                    break
                name = op.name
                if name in _PUSH_ARG:
                    self.stack.append(op.arg)
                else:
                    self.step(name, op.arg, op.pos)
                    n = self._limit()
                pos = self.pos
                stack = self.stack
        except OpError:
            pos = self.pos  # the generic path left the offset where the unpickler stops
            raise
        finally:
            self.stack = stack
            self.pos = pos
            budget.opcodes = total - ops
            self.result.ops += ops

    def _big_literal(self, pos: int, width: int) -> tuple[int, int, int] | None:
        """``(start, size, end)`` of the length-prefixed literal at ``pos`` (a ``width``-byte
        length) when it is ``BIG_LITERAL`` or longer and lies wholly in the data and in the
        current frame; ``None`` sends it down the generic decoder."""
        data = self.data
        start = pos + 1 + width
        if start > len(data):
            return None
        size = int.from_bytes(data[pos + 1 : start], "little")
        end = start + size
        if size < BIG_LITERAL or end > len(data) or (self.resume >= 0 and end > self.frame_end):
            return None
        return start, size, end

    def _long_line(self, code: int, pos: int) -> bool:
        """A text-line opcode whose line is ``MAX_LINE`` or longer (or, for INT and LONG, has
        more digits than ``int()`` converts): the unpickler reads lines of any length, so
        this is parsed, never reported as malformed, and never copied whole. ``False``: the
        line is ordinary (the generic decoder takes it)."""
        data = self.data
        first = _line_end(data, pos + 1)
        if code in _NAME_PAIR_OPS:
            second = _line_end(data, first + 1) if first >= 0 else -1
            if 0 <= first - pos <= MAX_LINE and 0 <= second - first <= MAX_LINE:
                return False
            if first < 0 or second < 0:
                raise OpError(pos + 1, "unterminated text argument")
            module = self._name_text(pos + 1, first)
            qual = self._name_text(first + 1, second)
            self.pos = second + 1
            if isinstance(module, str) and isinstance(qual, str):
                self.step("GLOBAL" if code == 0x63 else "INST", (module, qual), pos)
                return True
            via = "GLOBAL" if code == 0x63 else "INST"
            cls = self._long_global(module, qual, pos, via)
            self.push(cls if code == 0x63 else self._call(cls, tuple(self.pop_mark(pos)), via, pos))
            return True
        limit = _INT_DIGITS if code in b"IL" else MAX_LINE
        if 0 <= first - pos <= limit:
            return False
        if first < 0:
            raise OpError(pos + 1, "unterminated text argument")
        start, end = pos + 1, first
        self.pos = first + 1
        if code == 0x56:  # UNICODE: raw-unicode-escape (undecodable escapes replaced, as inline)
            self.push(Text(data, start, end - start, "raw-unicode-escape"))
        elif code == 0x53:  # STRING: quoted, with the escapes bytes literals accept
            end = end - 1 if data[end - 1 : end] == b"\r" else end
            quote = data[start : start + 1]
            if end - start < 2 or quote not in (b"'", b'"') or data[end - 1 : end] != quote:
                raise OpError(pos + 1, "STRING argument is not quoted")
            if not _escapes_ok(data, start + 1, end - 1):
                raise OpError(pos + 1, "malformed STRING escape")
            self.push(Text(data, start + 1, end - 1 - start - 1, "string-escape"))
        elif code == 0x50:  # PERSID: the id is text
            if not _decodes(data, start, end):
                raise OpError(pos + 1, "invalid UTF-8 in a persistent id")
            pid = Text(data, start, end - start, "utf-8")
            self.result.events.append(Event(kind=EventKind.PERSID, pos=pos, value=pid))
            self.push(Opaque("persistent"))
        elif code in b"IL":
            # More digits than int() converts by default: an unpickler with the limit lifted
            # (sys.set_int_max_str_digits(0)) reads on, so the emulation does too.
            if not _all_digits(data, start, end, trailing_l=code == 0x4C):
                raise OpError(pos + 1, "malformed decimal argument")
            self.push(Opaque(f"integer literal of {end - start} digits"))
        elif code == 0x46:  # FLOAT: a value nothing here looks at
            self.push(Opaque(f"float literal of {end - start} bytes"))
        else:  # GET, PUT: no memo index has a megabyte of digits (the unpickler overflows)
            raise OpError(pos + 1, f"memo index of {end - start} digits")
        return True

    def _name_text(self, start: int, end: int) -> str | Text:
        """One line of a GLOBAL/INST name: short ones decoded as the generic decoder does,
        long ones left in the buffer (reported as LONG_NAME, never resolved)."""
        if end - start <= MAX_NAME:
            return bytes(self.data[start:end]).decode("utf-8", "replace")
        if not _decodes(self.data, start, end):
            raise OpError(start, "invalid UTF-8 in a global name")
        return Text(self.data, start, end - start, "utf-8")

    def _limit(self) -> int:
        """How far the inline opcode paths may read: never past a frame with a pending jump."""
        return self.frame_end if self.resume >= 0 else len(self.data)

    def step(self, name: str, arg: object, pos: int) -> None:
        match name:
            case "GET" | "BINGET" | "LONG_BINGET":
                if not isinstance(arg, int) or arg not in self.memo:
                    raise OpError(pos, f"memo slot {arg!r} was never written")
                self.push(self.memo[arg])
            case "PUT" | "BINPUT" | "LONG_BINPUT":
                if not isinstance(arg, int) or arg < 0:
                    raise OpError(pos, "negative memo index")
                self.memo[arg] = self.top(pos)
            case "EMPTY_DICT":
                self.push(PDict())
            case "SETITEMS":
                items = self.pop_mark(pos)
                target = self.top(pos)
                self._setitems(target, list(zip(items[::2], items[1::2], strict=False)), pos, name)
            case "EMPTY_LIST":
                self.push([])
            case "APPENDS":
                items = self.pop_mark(pos)
                self._extend(self.top(pos), items, pos, name)
            case "TUPLE1" | "TUPLE2" | "TUPLE3":
                n = int(name[-1])
                items = [self.pop(pos) for _ in range(n)]
                self.push(tuple(reversed(items)))
            case "EMPTY_TUPLE":
                self.push(())
            case "SETITEM":
                value = self.pop(pos)
                key = self.pop(pos)
                self._setitems(self.top(pos), [(key, value)], pos, name)
            case "APPEND":
                value = self.pop(pos)
                self._extend(self.top(pos), [value], pos, name)
            case "NONE" | "NEWTRUE" | "NEWFALSE":
                self.push({"NONE": None, "NEWTRUE": True, "NEWFALSE": False}[name])
            case "REDUCE":
                args = self.pop(pos)
                func = self.pop(pos)
                self.push(self._call(func, args, "REDUCE", pos))
            case "BUILD":
                state = self.pop(pos)
                self._build(self.top(pos), state, pos)
            case "MARK":
                self.marks.append(self.stack)
                self.stack = []
            case "POP":
                if self.stack:
                    self.stack.pop()
                else:
                    self.pop_mark(pos)
            case "POP_MARK":
                self.pop_mark(pos)
            case "DUP":
                self.push(self.top(pos))
            case "PROTO":
                if isinstance(arg, int) and arg > 5:
                    raise OpError(pos, f"unsupported pickle protocol {arg}")
            case "FRAME":
                # The unpickler reads the whole frame up front; a short frame is an error.
                if isinstance(arg, int) and arg > len(self.data) - self.pos:
                    raise OpError(pos, f"frame of {arg} bytes runs past the end of the data")
                if pos < self.frame_end and self.resume >= 0:
                    # pure-Python unpickler (joblib) mid-array: it refuses a nested frame
                    raise OpError(pos, "beginning of a new frame before end of current frame")
                # pickle.load (the C unpickler) only checks that a frame's bytes are there, so a
                # frame starting inside another is read on (pickle._Unpickler would stop: reading
                # on sees at least what it runs).
                if isinstance(arg, int):
                    self.frame_end = self.pos + arg
            case "PERSID" | "BINPERSID":
                pid = arg if name == "PERSID" else self.pop(pos)
                self.result.events.append(Event(kind=EventKind.PERSID, pos=pos, value=pid))
                self.push(Opaque("persistent"))
            case "INT" | "BININT" | "BININT1" | "BININT2" | "LONG" | "LONG1" | "LONG4":
                self.push(arg)
            case "FLOAT" | "BINFLOAT":
                self.push(arg)
            case "STRING" | "BINSTRING" | "SHORT_BINSTRING" | "UNICODE" | "BINUNICODE":
                self.push(arg)
            case "SHORT_BINUNICODE" | "BINUNICODE8" | "BINBYTES" | "SHORT_BINBYTES":
                self.push(arg)
            case "BINBYTES8" | "BYTEARRAY8":
                self.push(arg)
            case "NEXT_BUFFER" | "READONLY_BUFFER":
                if name == "NEXT_BUFFER":
                    self.push(Opaque("out-of-band buffer"))
            case "TUPLE":
                self.push(tuple(self.pop_mark(pos)))
            case "LIST":
                self.push(list(self.pop_mark(pos)))
            case "DICT":
                items = self.pop_mark(pos)
                self.push(PDict(list(zip(items[::2], items[1::2], strict=False))))
            case "EMPTY_SET":
                self.push(PSet())
            case "FROZENSET":
                self.push(PSet(self.pop_mark(pos)))
            case "ADDITEMS":
                items = self.pop_mark(pos)
                target = self.top(pos)
                if isinstance(target, PSet):
                    target.items.extend(items)
                else:
                    self._mutate(target, pos, name)
            case "MEMOIZE":
                self.memo[len(self.memo)] = self.top(pos)
            case "GLOBAL":
                module, qual = arg if isinstance(arg, tuple) else ("", "")
                self.push(self._global(str(module), str(qual), pos, "GLOBAL"))
            case "STACK_GLOBAL":
                qual = self.pop(pos)
                module = self.pop(pos)
                if isinstance(module, str) and isinstance(qual, str):
                    self.push(self._global(module, qual, pos, "STACK_GLOBAL"))
                elif isinstance(module, str | Text) and isinstance(qual, str | Text):
                    self.push(self._long_global(module, qual, pos, "STACK_GLOBAL"))
                else:
                    self.event(EventKind.DYNAMIC, pos, f"{module!r}.{qual!r}"[:200], "STACK_GLOBAL")
                    self.push(Opaque("dynamic global"))
            case "EXT1" | "EXT2" | "EXT4":
                self.event(EventKind.EXT, pos, str(arg), name)
                self.push(Opaque("extension"))
            case "NEWOBJ":
                args = self.pop(pos)
                cls = self.pop(pos)
                self.push(self._call(cls, args, "NEWOBJ", pos))
            case "NEWOBJ_EX":
                kwargs = self.pop(pos)
                args = self.pop(pos)
                cls = self.pop(pos)
                self.push(self._call(cls, (args, kwargs), "NEWOBJ_EX", pos))
            case "INST":
                module, qual = arg if isinstance(arg, tuple) else ("", "")
                cls = self._global(str(module), str(qual), pos, "INST")
                self.push(self._call(cls, tuple(self.pop_mark(pos)), "INST", pos))
            case "OBJ":
                items = self.pop_mark(pos)
                if not items:
                    raise OpError(pos, "OBJ without a class")
                self.push(self._call(items[0], tuple(items[1:]), "OBJ", pos))
            case _:  # pragma: no cover - read_op only yields known names
                raise OpError(pos, f"unhandled opcode {name}")

    # -- semantics -------------------------------------------------------------------------
    def _global(self, module: str, qual: str, pos: int, via: str) -> Ref | Opaque:
        if len(module) + len(qual) > MAX_NAME:
            return self._long_global(module, qual, pos, via)
        ref = Ref(module, qual)
        self.result.events.append(
            Event(kind=EventKind.IMPORT, pos=pos, name=ref.dotted, via=via, value=ref)
        )
        return ref

    def _long_global(self, module: str | Text, qual: str | Text, pos: int, via: str) -> Opaque:
        """A global name no library writes: reported (LONG_NAME), never resolved."""
        self.result.events.append(long_name(module, qual, pos, via))
        return Opaque("oversized global")

    def _call(self, func: object, args: object, op: str, pos: int) -> object:
        return apply(func, args, op, pos, self.result.events, self.calls_seen)

    def _extend(self, target: object, items: list[object], pos: int, op: str) -> None:
        if isinstance(target, list):
            target.extend(items)
        elif isinstance(target, Call):
            target.state.extend(items)
        else:
            self._mutate(target, pos, op)

    def _setitems(
        self, target: object, items: list[tuple[object, object]], pos: int, op: str
    ) -> None:
        if isinstance(target, PDict):
            target.items.extend(items)
        elif isinstance(target, Call):
            target.state.extend(items)
        else:
            self._mutate(target, pos, op)

    def _mutate(self, target: object, pos: int, op: str) -> None:
        """APPEND(S)/SETITEM(S)/ADDITEMS on a global: the unpickler calls the real object's
        ``append``/``extend``/``__setitem__``/``add`` (``sys.path.append``, ``os.environ[k] =
        v``), no call opcode needed. On constants these raise and run nothing."""
        if isinstance(target, Ref | Module | Attr):
            self.event(EventKind.MUTATE, pos, dotted(target) or "?", op)

    def _build(self, target: object, state: object, pos: int) -> None:
        if isinstance(target, Ref | Module | Attr):
            self.event(EventKind.MUTATE, pos, dotted(target) or "?", "BUILD")
            return
        if not isinstance(target, Call):
            return
        target.state.append(state)
        if not self.joblib or target.op == _ARRAY_READ:
            return
        name = dotted(target.func)
        if name in _WRAPPERS:
            self._read_array(target, pos)
        elif name in _LEGACY_WRAPPERS:
            self._legacy_array(target, pos)
        else:
            return
        # joblib's load_build replaces the wrapper on the stack by the array it read: a second
        # BUILD lands on the array (no read); only the memoised wrapper reads again. The
        # array keeps the wrapper's callable so call shapes describe it as before.
        self.stack[-1] = Call(func=target.func, args=(), op=_ARRAY_READ, pos=pos)

    def _legacy_array(self, wrapper: Call, pos: int) -> None:
        """NDArrayWrapper.read: numpy.load(os.path.join(dirname, filename), allow_pickle=True)."""
        from mlsvs.scanner.joblib_arrays import ND_ARRAY_WRAPPER, wrapper_attributes

        attributes = wrapper_attributes(wrapper, ND_ARRAY_WRAPPER)
        filename = None if attributes is None else attributes.get("filename")
        self.result.events.append(
            Event(kind=EventKind.FILE_REF, pos=pos, name=dotted(wrapper.func) or "", value=filename)
        )

    def _file_position(self) -> int:
        """Where a read from the underlying file (not the current frame) starts."""
        if self.resume >= 0:
            return self.resume
        return self.frame_end if self.pos < self.frame_end else self.pos

    def _read_array(self, wrapper: Call, pos: int) -> None:
        """joblib reads the array payload (raw bytes, or a nested pickle for object dtypes)
        from the file right after the wrapper's BUILD: after the current frame, if any."""
        from mlsvs.scanner.joblib_arrays import array_span, wrapper_attributes

        span = array_span(wrapper_attributes(wrapper))
        if span is None:
            raise OpError(pos, "joblib array wrapper with an unreadable shape or dtype")
        start = self._file_position()
        if span.nested_pickle:
            # A fresh plain unpickler (joblib >= 1.5) or pickle.load (older releases): no
            # array reads inside, whatever classes the nested stream names.
            inner = run_stream(self.data, start, self.budget, self.depth + 1, joblib=False)
            self.result.inner.append(inner)
            if inner.error is not None or inner.budget_exceeded:
                raise OpError(inner.end, "nested joblib object-array pickle is malformed")
            if inner.frame_left:
                # The pure-Python unpickler drops the rest of the frame, the C one does not.
                raise OpError(inner.end, "nested object-array pickle ends inside a frame")
            end = inner.end
        else:
            skip = span.nbytes
            if span.aligned:
                if start >= len(self.data):
                    raise OpError(start, "joblib array padding byte missing")
                skip += 1 + self.data[start]
            if start + skip > len(self.data):
                raise OpError(start, "joblib array data runs past the end of the file")
            end = start + skip
        self.result.raw_reads += 1
        if self.pos < self.frame_end:
            self.resume = end
        else:
            self.pos = end


def run_stream(
    data: bytes, start: int, budget: Budget, depth: int = 0, *, joblib: bool = True
) -> StreamResult:
    """Emulate one pickle stream beginning at ``start``.

    ``joblib`` reads it as ``joblib.load`` does (array payloads after each
    ``NumpyArrayWrapper`` BUILD); otherwise as a plain ``pickle.load``.
    """
    return _Machine(data, start, budget, depth, joblib).run()
