"""A tiny pickle assembler for building malicious samples byte by byte (inert payloads)."""

from __future__ import annotations

import struct

PAYLOAD = "echo inert"
"""The argument every command-style sample carries; never executed by anything."""


def proto(n: int = 2) -> bytes:
    return b"\x80" + bytes([n])


def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def s(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def short_binstring(text: str) -> bytes:
    raw = text.encode()
    return b"U" + bytes([len(raw)]) + raw


def bb(data: bytes) -> bytes:
    return b"B" + struct.pack("<I", len(data)) + data


def stack_global(module: str, name: str) -> bytes:
    return s(module) + s(name) + b"\x93"


def tuple1(item: bytes) -> bytes:
    return item + b"\x85"


def call(func: bytes, *args: bytes) -> bytes:
    """func(*args) with REDUCE."""
    return func + b"(" + b"".join(args) + b"tR"


def stop(body: bytes, protocol: int = 2) -> bytes:
    return proto(protocol) + body + b"."


def system_call(module: str = "os", name: str = "system") -> bytes:
    return stop(call(glob(module, name), s(PAYLOAD)))


def benign_dict() -> bytes:
    return stop(b"}" + s("a") + b"K\x01s")
