from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlsvs.supply.errors import HashManifestError
from mlsvs.supply.hashing import (
    HashAlgorithm,
    digest,
    file_digest,
    parse_sums,
    tree_digest,
    verify_sums,
)


def test_file_digest_matches_hashlib(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000
    (tmp_path / "f").write_bytes(data)
    assert file_digest(tmp_path / "f") == hashlib.sha256(data).hexdigest()
    assert file_digest(tmp_path / "f", HashAlgorithm.SHA512) == hashlib.sha512(data).hexdigest()
    blake = hashlib.blake2b(data, digest_size=32).hexdigest()
    assert file_digest(tmp_path / "f", HashAlgorithm.BLAKE2B_256) == blake


def test_blake3_digest(tmp_path: Path) -> None:
    blake3 = pytest.importorskip("blake3")
    (tmp_path / "f").write_bytes(b"abc" * 1000)
    assert (
        file_digest(tmp_path / "f", HashAlgorithm.BLAKE3)
        == blake3.blake3(b"abc" * 1000).hexdigest()
    )


def test_tree_digest_changes_with_content_and_names(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a").write_bytes(b"1")
    first = tree_digest(tmp_path / "m")
    assert digest(tmp_path / "m") == first
    (tmp_path / "m" / "a").write_bytes(b"2")
    assert tree_digest(tmp_path / "m") != first
    (tmp_path / "m" / "a").write_bytes(b"1")
    (tmp_path / "m" / "a").rename(tmp_path / "m" / "b")
    assert tree_digest(tmp_path / "m") != first


def test_tree_digest_refuses_symlinks(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "link").symlink_to("/etc/hostname")
    with pytest.raises(OSError, match="symbolic link"):
        tree_digest(tmp_path / "m")


def test_algorithm_spellings() -> None:
    assert HashAlgorithm.parse("sha256") is HashAlgorithm.SHA256
    assert HashAlgorithm.parse("SHA-256") is HashAlgorithm.SHA256
    assert HashAlgorithm.parse("blake2b") is HashAlgorithm.BLAKE2B_512
    with pytest.raises(ValueError, match="unsupported"):
        HashAlgorithm.parse("crc32")


def test_sums_gnu_and_bsd_formats(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"a")
    (tmp_path / "b.bin").write_bytes(b"b")
    sha_a = hashlib.sha256(b"a").hexdigest()
    sha_b = hashlib.sha512(b"b").hexdigest()
    text = f"# comment\n{sha_a}  a.bin\nSHA512 (b.bin) = {sha_b}\n{'0' * 64} *gone.bin\n"
    entries = parse_sums(text, source="SUMS")
    assert [e.algorithm for e in entries] == [
        HashAlgorithm.SHA256,
        HashAlgorithm.SHA512,
        HashAlgorithm.SHA256,
    ]
    result = verify_sums(tmp_path, entries)
    assert result.matched == ("a.bin", "b.bin")
    assert result.missing == ("gone.bin",)
    assert not result.ok


def test_sums_detect_tampering_and_escapes(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"tampered")
    text = (
        f"{hashlib.sha256(b'a').hexdigest()}  a.bin\n{'1' * 64}  ../outside\n{'2' * 32}  md5.bin\n"
    )
    result = verify_sums(tmp_path, parse_sums(text, source="SUMS"))
    assert result.mismatched == ("a.bin",)
    assert result.unsafe == ("../outside", "md5.bin")


@pytest.mark.parametrize("text", ["", "not a checksum\n", "abc  short.bin\n"])
def test_malformed_sums_name_the_file(text: str) -> None:
    with pytest.raises(HashManifestError) as info:
        parse_sums(text, source="dir/SHA256SUMS")
    assert info.value.diagnostics().startswith("dir/SHA256SUMS")
