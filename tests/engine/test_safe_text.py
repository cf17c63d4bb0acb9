"""Names from hostile trees are escaped once, the same way, for every output."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mlsvs.model.coverage import Gap, GapReason
from mlsvs.model.result import Finding, Severity, Status, TargetRef
from mlsvs.util.text import safe_path, safe_text, sanitize


@dataclass(frozen=True, slots=True, kw_only=True)
class _Box:
    path: str
    note: str
    items: tuple[object, ...] = ()


def test_surrogates_become_visible_byte_escapes() -> None:
    assert safe_text("w\udcffx") == "w\\xffx"
    assert safe_text("plain") == "plain"
    assert safe_path("a\nb\x1b[31m\u202e.pkl") == "a\\x0ab\\x1b[31m\\u202e.pkl"


def test_sanitize_walks_dataclasses_and_keeps_identity_when_clean() -> None:
    clean = _Box(path="ok", note="fine")
    assert sanitize(clean) is clean
    dirty = _Box(path="bad\udcff\nname", note="line1\nline2 \udce9", items=("x\udcff",))
    fixed = sanitize(dirty)
    assert fixed.path == "bad\\xff\\x0aname"  # a path: control characters escaped too
    assert fixed.note == "line1\nline2 \\xe9"  # a message keeps its newline
    assert fixed.items == ("x\\xff",)
    json.dumps([fixed.path, fixed.note, *fixed.items]).encode("utf-8")


def test_sanitize_reaches_findings_and_gaps() -> None:
    gap = Gap(item="m\udcff.pkl", reason=GapReason.UNREADABLE)
    finding = Finding(
        id="x",
        check="MLC101",
        requirements=("M4.1.1",),
        severity=Severity.LOW,
        status=Status.NOT_VERIFIED,
        target=TargetRef(path="m\udcff.pkl", kind="model"),
        message="cannot read m\udcff.pkl",
        gaps=(gap,),
    )
    fixed = sanitize(finding)
    assert fixed.target.path == fixed.gaps[0].item == "m\\xff.pkl"
    assert fixed.message.encode("utf-8")
    assert fixed.status is Status.NOT_VERIFIED and fixed.gaps[0].reason is GapReason.UNREADABLE
