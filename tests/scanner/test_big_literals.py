"""Big bytes and string literals stay in the scanned buffer: same verdicts as copying or
decoding them, no copy."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from mlsvs.scanner import pickle_vm
from mlsvs.scanner.api import scan_path
from mlsvs.scanner.pickle_shapes import kind
from mlsvs.scanner.pickle_values import BIG_LITERAL, MAX_NAME, Blob, EventKind, Text, describe
from mlsvs.scanner.pickle_vm import Budget, run_stream
from tests.scanner.scan_pk import call, glob, stop, system_call

SIZE = BIG_LITERAL + 17


def _binbytes8(data: bytes) -> bytes:
    return b"\x8e" + struct.pack("<Q", len(data)) + data


def _bytearray8(data: bytes) -> bytes:
    return b"\x96" + struct.pack("<Q", len(data)) + data


def _binbytes(data: bytes) -> bytes:
    return b"B" + struct.pack("<I", len(data)) + data


def _nested_loader(literal: bytes) -> bytes:
    """pickle.loads(<literal>) where the literal is a command pickle padded to SIZE bytes."""
    return stop(call(glob("pickle", "loads"), literal), protocol=4)


def _observed(data: bytes) -> list[tuple[str, int, str, str, bytes | None, str]]:
    result = run_stream(data, 0, Budget(opcodes=10**6))
    assert result.error is None
    return [(str(e.kind), e.pos, e.name, e.via, e.data, repr(e.value)) for e in result.events]


@pytest.mark.parametrize("opcode", [_binbytes8, _bytearray8, _binbytes])
def test_big_literal_is_not_copied_and_reads_as_bytes(opcode: object) -> None:
    payload = system_call() + b"\x00" * (SIZE - len(system_call()))
    data = _nested_loader(opcode(payload))  # type: ignore[operator]
    result = run_stream(data, 0, Budget(opcodes=10**6))
    assert result.error is None
    call_args = result.value.args  # type: ignore[attr-defined]
    assert isinstance(call_args[0], Blob)
    assert call_args[0].source is data  # a view into the buffer, not a copy
    assert call_args[0].materialize() == payload
    nested = [e for e in result.events if e.name == "pickle.loads" and e.data is not None]
    assert nested and nested[0].data == payload  # the nested loader still gets the bytes
    signatures = [
        e.value for e in result.events if e.name == "pickle.loads" and e.kind is EventKind.CALL
    ]
    assert signatures == [("bytes",)]


def test_same_observations_as_the_copying_path(monkeypatch: pytest.MonkeyPatch) -> None:
    payload = system_call() + b"'" * 100 + b"\x00" * SIZE
    samples = [
        _nested_loader(_binbytes8(payload)),
        stop(call(glob("builtins", "bytearray"), _binbytes8(b"\x01" * SIZE)), protocol=4),
        stop(call(glob("base64", "b64decode"), _binbytes(b"QUJD" * (SIZE // 4))), protocol=4),
        pickle.dumps([b"x" * SIZE, b"y" * 10], protocol=5),
    ]
    lazy = [_observed(d) for d in samples]
    monkeypatch.setattr(pickle_vm, "BIG_LITERAL", 1 << 62)  # every literal copied again
    assert [_observed(d) for d in samples] == lazy


def test_describe_matches_the_bytes_it_stands_for() -> None:
    for literal in (b"'" * SIZE, b"'\"" + b"a" * SIZE, b"\\\n\x00" * SIZE, b'"' + b"'" * SIZE):
        source = b"pad" + literal + b"tail"
        assert describe(Blob(source, 3, len(literal))) == describe(literal)


def test_scan_of_a_big_literal_finds_the_nested_payload(tmp_path: Path) -> None:
    payload = system_call() + b"\x00" * SIZE
    path = tmp_path / "big.pkl"
    path.write_bytes(_nested_loader(_binbytes8(payload)))
    rules = {str(f.rule) for f in scan_path(path).findings}
    assert "PKL001" in rules  # os.system inside the nested pickle.loads payload


# --- big strings (BINUNICODE, BINUNICODE8, BINSTRING) stay undecoded: Text -------------------


def _binunicode8(text: str) -> bytes:
    raw = text.encode("utf-8", "surrogatepass")
    return b"\x8d" + struct.pack("<Q", len(raw)) + raw


def _binunicode(text: str) -> bytes:
    raw = text.encode("utf-8", "surrogatepass")
    return b"X" + struct.pack("<I", len(raw)) + raw


def _binstring(text: str) -> bytes:
    raw = text.encode("latin-1")
    return b"T" + struct.pack("<I", len(raw)) + raw


_TEXT = "\u00e9\u4e2d\U0001f600'\"" + "a" * SIZE


@pytest.mark.parametrize("opcode", [_binunicode8, _binunicode])
def test_big_string_is_not_decoded_and_reads_as_str(opcode: object) -> None:
    data = stop(b"]" + opcode(_TEXT) + b"a", protocol=4)  # type: ignore[operator]
    result = run_stream(data, 0, Budget(opcodes=10**6))
    assert result.error is None
    [value] = result.value  # type: ignore[misc]
    assert isinstance(value, Text) and value.source is data
    assert value.materialize() == _TEXT
    assert kind(value) == "str"


def test_big_binstring_is_latin1_text() -> None:
    text = "\xff\x00" * SIZE
    result = run_stream(stop(b"]" + _binstring(text) + b"a", protocol=2), 0, Budget(10**6))
    [value] = result.value  # type: ignore[misc]
    assert isinstance(value, Text) and value.materialize() == text


def test_big_strings_same_observations_as_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything but names: the same events, values, errors and end offsets as before."""
    nested = system_call().decode("latin-1") + "\x00" * SIZE
    bad_utf8 = b"\x8d" + struct.pack("<Q", SIZE) + b"a" * (SIZE - 1) + b"\xff"
    bad_short = b"X" + struct.pack("<I", SIZE) + b"\xc3" + b"a" * (SIZE - 1)
    samples = [
        # a payload hidden as text and turned into bytes by an allowlisted-looking codec
        stop(
            call(
                glob("pickle", "loads"),
                call(glob("_codecs", "encode"), _binunicode8(nested), _binunicode("latin1")),
            ),
            protocol=4,
        ),
        stop(call(glob("builtins", "str"), _binunicode(_TEXT)), protocol=4),
        stop(call(glob("numpy", "dtype"), _binunicode8(_TEXT)), protocol=4),
        pickle.dumps({"k": "x" * SIZE, "u": "\u4e2d" * SIZE}, protocol=4),
        pickle.dumps(["y" * SIZE], protocol=2),
        b"\x80\x04]" + bad_utf8 + b"a.",
        b"\x80\x04]" + bad_short + b"a.",
    ]

    def seen(data: bytes) -> list[object]:
        r = run_stream(data, 0, Budget(opcodes=10**6))
        events = [(str(e.kind), e.pos, e.name, e.via, e.data, repr(e.value)) for e in r.events]
        err = None if r.error is None else (str(r.error), r.error.offset)
        return [events, err, r.end, r.ops, describe(r.value)]

    lazy = [seen(d) for d in samples]
    assert lazy[5][1] is not None and lazy[6][1] is not None  # invalid UTF-8 still stops
    monkeypatch.setattr(pickle_vm, "BIG_LITERAL", 1 << 62)  # every string decoded again
    assert [seen(d) for d in samples] == lazy


def test_nested_payload_in_a_big_string_is_found(tmp_path: Path) -> None:
    nested = system_call().decode("latin-1") + "\x00" * SIZE
    path = tmp_path / "text.pkl"
    path.write_bytes(stop(call(glob("pickle", "loads"), call(glob("_codecs", "encode"),
                     _binunicode8(nested), _binunicode("latin1"))), protocol=4))  # fmt: skip
    rules = {str(f.rule) for f in scan_path(path).findings}
    assert "PKL001" in rules  # os.system inside the nested payload


def test_describe_matches_the_string_it_stands_for() -> None:
    for text in ("'" * SIZE, "'\"" + "a" * SIZE, "\\\n\x00\u4e2d" * SIZE, '"' + "'" * SIZE):
        raw = text.encode("utf-8")
        source = b"pad" + raw + b"tail"
        assert describe(Text(source, 3, len(raw), "utf-8")) == describe(text)


@pytest.mark.parametrize("size", [MAX_NAME + 1, SIZE])
def test_oversized_global_name_is_a_finding(size: int, tmp_path: Path) -> None:
    """``find_class('os', 'path.os.path.os....system')`` resolves to os.system: a name this
    long is reported (PKL001), not resolved (and not decoded when it is big)."""
    chain = "path.os." * (size // 8) + "system"
    opcode = _binunicode8 if size >= BIG_LITERAL else _binunicode
    data = stop(call(_binunicode("os") + opcode(chain) + b"\x93", _binunicode("id")), protocol=4)
    result = run_stream(data, 0, Budget(opcodes=10**6))
    assert [e.kind for e in result.events if e.kind is EventKind.LONG_NAME]
    path = tmp_path / "long.pkl"
    path.write_bytes(data)
    found = [f for f in scan_path(path).findings if str(f.rule) == "PKL001"]
    assert found and "characters" in found[0].message


def test_oversized_getattr_name_is_a_finding(tmp_path: Path) -> None:
    name = "a" * SIZE
    body = call(glob("builtins", "getattr"), glob("builtins", "object"), _binunicode8(name))
    path = tmp_path / "attr.pkl"
    path.write_bytes(stop(body, protocol=4))
    assert "PKL001" in {str(f.rule) for f in scan_path(path).findings}


def test_a_big_string_costs_no_memory(tmp_path: Path) -> None:
    """A 256 MiB BINUNICODE8 string in a sparse file: peak RSS stays far below its size
    (decoding it cost ~3x its size)."""
    size = 256 << 20
    path = tmp_path / "text.pkl"
    with path.open("wb") as f:
        f.write(b"\x80\x04\x8d" + size.to_bytes(8, "little"))
        f.seek(size, 1)
        f.write(b".")
    code = (
        "import sys\nfrom mlsvs.scanner import scan_path\n"
        "before = int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])\n"
        "r = scan_path(sys.argv[1]); assert not r.findings, r.findings\n"
        "after = int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])\n"
        "print(after - before)\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": src}, timeout=120)  # fmt: skip
    assert int(out.stdout.strip()) < 64 * 1024, out.stdout  # KiB
