"""Limits of the emulator that the unpickler does not have never become findings: protocol 0
text lines of any length, LONG text past ``int()``'s digit limit, LONG4 literals over 1 MiB.
The samples are real ``pickle.dumps`` output (tests/scanner/scan_long_lines.py); the oracle
tier proves them benign or malicious with the real loader."""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING

import pytest

from mlsvs.model.formats import ModelFormat
from mlsvs.model.severity import Severity
from mlsvs.scanner.api import expand, scan_path
from mlsvs.scanner.pickle_ops import OpError
from mlsvs.scanner.pickle_values import Opaque, Text
from mlsvs.scanner.pickle_vm import Budget, run_stream
from tests.scanner.scan_long_lines import BENIGN_LONG, LONG, MALICIOUS_LONG, Builder

if TYPE_CHECKING:
    from pathlib import Path


def _run(data: bytes) -> object:
    result = run_stream(data, 0, Budget(opcodes=10**6))
    assert result.error is None, result.error
    return result.value


@pytest.mark.parametrize("build", BENIGN_LONG.values(), ids=list(BENIGN_LONG))
def test_large_benign_pickles_scan_clean(build: Builder, tmp_path: Path) -> None:
    report = scan_path(build(tmp_path))
    assert report.format in (ModelFormat.PICKLE, ModelFormat.JOBLIB)
    assert report.findings == (), report.findings
    assert report.verified


@pytest.mark.parametrize("build", MALICIOUS_LONG.values(), ids=list(MALICIOUS_LONG))
def test_payloads_behind_or_inside_long_lines_are_critical(build: Builder, tmp_path: Path) -> None:
    report = scan_path(build(tmp_path))
    assert any(f.severity is Severity.CRITICAL for f in report.hazards), report.findings


def test_a_directory_walk_does_not_skip_a_pickle_whose_first_line_outruns_the_head(
    tmp_path: Path,
) -> None:
    path = MALICIOUS_LONG["system-after-long-str"](tmp_path)
    (tmp_path / "README.md").write_text("Very plain text.\n" * 10_000)
    assert str(path) in expand([tmp_path])


def test_long_unicode_line_stays_in_the_buffer() -> None:
    body = "caf\u00e9 \\ \n\u4e2d" * (LONG // 8)
    # As pickle writes it: backslash and newline escaped first, then raw-unicode-escape.
    raw = body.replace("\\", "\\u005c").replace("\n", "\\u000a").encode("raw-unicode-escape")
    data = b"V" + raw + b"\n."
    value = _run(data)
    assert isinstance(value, Text) and value.source is data
    assert value.materialize() == body
    assert value.head(5) == value.materialize()[:5]


def test_long_string_line_decodes_its_escapes() -> None:
    body = b"a\\x00\\n\\'\\\\\\101" * (LONG // 10)
    value = _run(b"S'" + body + b"'\n.")
    assert isinstance(value, Text)
    assert value.materialize() == codecs.escape_decode(body)[0].decode("latin-1")
    # An escape cut by the 1 MiB chunk boundary is read with the next chunk.
    for shift in range(4):
        shifted = b"b" * shift + body
        assert isinstance(_run(b"S'" + shifted + b"'\n."), Text)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"S'" + b"a" * LONG + b"\\x4'\n.", "malformed STRING escape"),
        (b"S'" + b"a" * LONG + b"\n.", "STRING argument is not quoted"),
        (b"I" + b"1" * 5000 + b"x\n.", "malformed decimal argument"),
        (b"(lg" + b"1" * LONG + b"\n.", "memo index"),
        (b"V" + b"a" * LONG, "unterminated text argument"),
    ],
)
def test_long_lines_the_unpickler_refuses_are_still_errors(data: bytes, reason: str) -> None:
    result = run_stream(data, 0, Budget(opcodes=10**6))
    assert isinstance(result.error, OpError)
    assert result.error.reason.startswith(reason)


def test_numbers_past_the_decoders_limits_read_on() -> None:
    digits = b"L" + b"7" * 6000 + b"L\n"
    assert isinstance(_run(digits + b"."), Opaque)
    long4 = b"\x80\x02\x8b" + (LONG).to_bytes(4, "little") + b"\x01" * LONG + b"."
    assert isinstance(_run(long4), Opaque)
    assert isinstance(_run(b"F" + b"1" * LONG + b"\n."), Opaque)


def test_objects_past_the_heap_limit_end_in_not_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each opcode may build an object: the opcode budget alone allowed ~1.2 GiB of empty
    lists. Past the heap limit the stream stops, not verified, and what follows the stop is
    not read as another (malformed) pickle."""
    from mlsvs.scanner import pickle_vm

    path = tmp_path / "lists.pkl"
    path.write_bytes(b"\x80\x02](" + b"]" * 100_000 + b"e.")
    monkeypatch.setattr(pickle_vm, "HEAP_LIMIT", 0)
    report = scan_path(path)
    assert [f.rule.value for f in report.findings] == ["PKL008"], report.findings
    assert "memory" in report.findings[0].message
    assert not report.verified


def test_archive_members_whose_first_line_outruns_the_head_are_pickles(tmp_path: Path) -> None:
    """Deflated (in memory) and stored (read in place) zip members are decided on their whole
    content too, as files are."""
    import zipfile

    data = MALICIOUS_LONG["system-after-long-str"](tmp_path).read_bytes()
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("deflated.pkl", data, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("stored.pkl", data, compress_type=zipfile.ZIP_STORED)
    report = scan_path(path)
    members = {f.location.member for f in report.hazards if f.severity is Severity.CRITICAL}
    assert {"deflated.pkl", "stored.pkl"} <= members, report.findings
