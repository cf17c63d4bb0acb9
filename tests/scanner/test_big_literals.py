"""Big bytes literals stay in the scanned buffer: same verdicts as copying them, no copy."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import pytest

from mlsvs.scanner import pickle_vm
from mlsvs.scanner.api import scan_path
from mlsvs.scanner.pickle_values import BIG_LITERAL, Blob, describe
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
    signatures = [e.value for e in result.events if e.name == "pickle.loads" and e.value]
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
