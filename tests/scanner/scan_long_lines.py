"""Pickles with literals longer than the emulator's in-memory decoder takes (1 MiB lines,
LONG4 and digit strings past ``int()``'s limit): real ``pickle.dumps`` output of large benign
objects, and payloads behind (or inside) long lines or a nested frame. The unpickler has none of these limits,
so none of them may turn into a finding. Proven benign/malicious by the oracle tier
(tests/scanner/oracle/test_oracle_long_lines.py)."""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from pathlib import Path

from tests.scanner.scan_pk import PAYLOAD

Builder = Callable[[Path], Path]
LONG = (1 << 20) + 4099
"""Longer than ``pickle_ops.MAX_LINE`` and ``pickle_values.BIG_LITERAL``."""


def _write(d: Path, name: str, data: bytes) -> Path:
    path = d / name
    path.write_bytes(data)
    return path


def _text() -> str:
    # Characters protocol 0 escapes (backslash, newline, non-Latin-1) and plain ones.
    unit = "tok\\en\n\u00e9\u4e2d "
    return (unit * (LONG // len(unit) + 1))[:LONG]


def proto0_long_str(d: Path) -> Path:
    return _write(d, "vocab_p0.pkl", pickle.dumps({"text": _text(), "n": 3}, protocol=0))


def proto0_long_bytes(d: Path) -> Path:
    data = bytes(range(256)) * (LONG // 256 + 1)
    return _write(d, "blob_p0.pkl", pickle.dumps([data, b"x"], protocol=0))


def proto1_long_str(d: Path) -> Path:
    return _write(d, "vocab_p1.pkl", pickle.dumps((_text(), 1), protocol=1))


def proto2_long_int(d: Path) -> Path:
    return _write(d, "bigint_p2.pkl", pickle.dumps({"n": 1 << (8 * LONG)}, protocol=2))


def proto0_many_digits(d: Path) -> Path:
    """A LONG line of 6000 digits: written (and read) only with the digit limit lifted."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        data = pickle.dumps({"n": 10**6000 + 7}, protocol=0)
    finally:
        sys.set_int_max_str_digits(old)
    return _write(d, "digits_p0.pkl", data)


def py2_long_string(d: Path) -> Path:
    """What Python 2's ``pickle.dumps(str, 0)`` wrote: a quoted STRING with ``repr`` escapes."""
    body = b"ab\\x00\\n\\'q\\\\" * (LONG // 14 + 1)
    return _write(d, "py2_p0.pkl", b"(dp0\nS'text'\np1\nS'" + body + b"'\np2\ns.")


BENIGN_LONG: dict[str, Builder] = {
    "proto0-long-str": proto0_long_str,
    "proto0-long-bytes": proto0_long_bytes,
    "proto1-long-str": proto1_long_str,
    "proto2-long-int": proto2_long_int,
    "proto0-many-digits": proto0_many_digits,
    "py2-long-string": py2_long_string,
}


def _chain() -> bytes:
    """``os`` then ``path.os.`` repeated past 1 MiB, then ``system``: protocol 4's dotted
    ``find_class`` walks it to ``os.system``."""
    return b"path.os." * (LONG // 8 + 1) + b"system"


def system_after_long_str(d: Path) -> Path:
    """A 1 MiB protocol-0 UNICODE line, popped, then ``os.system(PAYLOAD)``."""
    line = b"V" + b"a" * LONG + b"\n0"
    call = b"cos\nsystem\n(V" + PAYLOAD.encode() + b"\ntR."
    return _write(d, "after_long.pkl", line + call)


def long_global_line(d: Path) -> Path:
    return _write(
        d,
        "long_global.pkl",
        b"\x80\x04cos\n" + _chain() + b"\n(V" + PAYLOAD.encode() + b"\ntR.",
    )


def long_inst_line(d: Path) -> Path:
    return _write(
        d, "long_inst.pkl", b"\x80\x04(V" + PAYLOAD.encode() + b"\nios\n" + _chain() + b"\n."
    )


def nested_frame(d: Path) -> Path:
    """A FRAME inside a FRAME, then ``os.system``: the C unpickler (``pickle.load``) only
    checks that a frame's bytes exist and runs on; ``pickle._Unpickler`` would refuse."""
    call = b"cos\nsystem\n(V" + PAYLOAD.encode() + b"\ntR."
    inner = b"\x95" + len(call).to_bytes(8, "little") + call
    body = b"K\x010" + inner
    return _write(d, "nested_frame.pkl", b"\x80\x04\x95" + len(body).to_bytes(8, "little") + body)


MALICIOUS_LONG: dict[str, Builder] = {
    "system-after-long-str": system_after_long_str,
    "long-global-line": long_global_line,
    "long-inst-line": long_inst_line,
    "nested-frame": nested_frame,
}
