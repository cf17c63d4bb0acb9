"""SHA-256 digests share the process-wide cache, so one verify run reads a model once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlsvs.supply.hashing import HashAlgorithm, file_digest
from mlsvs.util.hashing import sha256_file


def test_sha256_reads_an_unchanged_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights" * 1000)
    reads: list[str] = []
    original = hashlib.file_digest

    def counting(handle, digest):  # type: ignore[no-untyped-def]
        reads.append(handle.name)
        return original(handle, digest)

    monkeypatch.setattr(hashlib, "file_digest", counting)
    expected = hashlib.sha256(model.read_bytes()).hexdigest()
    assert sha256_file(model) == expected
    assert file_digest(model, HashAlgorithm.SHA256) == expected
    assert len(reads) == 1
    model.write_bytes(b"tampered" * 1000)  # a changed file is hashed again, never served stale
    assert file_digest(model, HashAlgorithm.SHA256) != expected
    assert len(reads) == 2
