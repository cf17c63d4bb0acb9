"""Turn emulated pickle streams into findings: every stream in a buffer, past parse errors."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.model.severity import Severity
from mlsvs.scanner.pickle_names import normalize
from mlsvs.scanner.pickle_shapes import mismatch
from mlsvs.scanner.pickle_values import EventKind
from mlsvs.scanner.pickle_vm import Budget, StreamResult, run_stream
from mlsvs.scanner.policy import CallVerdict, call_shape, classify
from mlsvs.scanner.report import ScanFinding, finding
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from mlsvs.scanner.pickle_values import Event

    BlobScanner = Callable[[bytes, str, int], list[ScanFinding]]
    """(payload, member label, depth) -> findings; scans nested loader payloads."""

_MAX_RESYNC = 32
RESOLVERS = frozenset({"builtins.getattr"})
"""Callables judged by the targets the emulator resolves them to, not by their own name."""
_PROTO_STARTS = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


@dataclass(slots=True, kw_only=True)
class PickleScan:
    """Everything needed to scan the pickles of one buffer."""

    member: str | None
    allow: frozenset[str]
    budget: Budget
    depth: int = 0
    nested: BlobScanner | None = None
    findings: list[ScanFinding] = field(default_factory=list)


def analyze(
    data: bytes, start: int, scan: PickleScan, *, max_streams: int = 0, trailing: bool = False
) -> list[StreamResult]:
    """Emulate consecutive streams from ``start``; report malformed/trailing data.

    ``max_streams`` (0 = unlimited) stops after that many well-formed streams, for formats
    whose loaders read a fixed number of pickles followed by raw data.
    """
    streams: list[StreamResult] = []
    pos = start
    resyncs = 0
    while pos < len(data) and _has_content(data, pos) and resyncs <= _MAX_RESYNC:
        result = run_stream(data, pos, scan.budget)
        streams.append(result)
        report_events(_all_events(result), scan)
        if result.raw_reads:
            _plain_reading(data, pos, scan)
        if result.budget_exceeded:
            scan.findings.append(
                finding(
                    ScanRule.PKL008,
                    "emulation time budget spent; the rest was not verified"
                    if scan.budget.timed_out
                    else "emulation memory budget spent (objects built); the rest was not verified"
                    if scan.budget.out_of_memory
                    else "opcode budget exhausted; the rest was not verified",
                    member=scan.member,
                    offset=result.end,
                )
            )
            break
        if result.error is None:
            pos = result.end
            if max_streams and len(streams) >= max_streams:
                break
            continue
        if result.ops <= 1 and (streams[:-1] or trailing) and resyncs == 0:
            scan.findings.append(
                finding(
                    ScanRule.PKL007,
                    f"{len(data) - pos} byte(s) after the last complete pickle are not a pickle",
                    member=scan.member,
                    offset=pos,
                )
            )
        elif resyncs == 0:
            scan.findings.append(
                finding(
                    ScanRule.PKL006,
                    f"pickle stream starting at {pos:#x} is malformed: {result.error.reason}",
                    member=scan.member,
                    offset=result.error.offset,
                )
            )
        resyncs += 1
        nxt = _next_proto(data, max(result.error.offset, pos + 1))
        if nxt < 0:
            break
        pos = nxt
    return streams


def _plain_reading(data: bytes, pos: int, scan: PickleScan) -> None:
    """Also read a joblib stream as plain ``pickle.load`` (or torch, pandas…) would.

    Those loaders do not read array payloads out of band: they parse the bytes after a
    ``NumpyArrayWrapper`` BUILD as opcodes, so one file can hold one program for joblib and
    another for ``pickle.load``. Array bytes of ordinary files are garbage to this reading
    and stop it within a few opcodes; only what could run is reported: imports of real
    dotted names (garbage never spells one) and what follows from them, not computed
    ``STACK_GLOBAL`` operands (garbage stacks produce those, and the real unpickler refuses
    non-string operands) nor extension codes.
    """
    plain = run_stream(data, pos, scan.budget, joblib=False)
    report_events((e for e in plain.events if _could_run(e)), scan)


def _could_run(event: Event) -> bool:
    if event.kind in (EventKind.DYNAMIC, EventKind.EXT):
        return False  # EXT codes run nothing unless code registered them first
    if event.kind in (EventKind.IMPORT, EventKind.REACH):
        parts = event.name.split(".")
        return all(part.isidentifier() for part in parts) and _importable(parts[0])
    if event.kind is EventKind.LONG_NAME:  # judged by its (bounded) head, as imports are
        base = event.value[0] if isinstance(event.value, tuple) else ""
        parts = str(base).split(".")
        return all(part.isidentifier() for part in parts) and _importable(parts[0])
    return True


@functools.lru_cache(maxsize=1024)
def _importable(top: str) -> bool:
    """Whether ``import top`` could succeed here (found, never executed). In the plain
    reading, array bytes and the strings memoised before them (joblib 1.6 object arrays give
    ``subclass.dtype``) spell names no loader can import; those run nothing."""
    import importlib.util
    import sys

    if top in sys.stdlib_module_names or top in sys.builtin_module_names:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _has_content(data: bytes, pos: int) -> bool:
    """Anything but whitespace/NUL padding from ``pos`` on (checked in windows, no copy of the
    rest: the buffer may be a memory-mapped multi-GB file)."""
    window = 1 << 16
    while pos < len(data):
        if data[pos : pos + window].strip(b" \t\r\n\x00"):
            return True
        pos += window
    return False


def _all_events(result: StreamResult) -> list[Event]:
    events = list(result.events)
    for inner in result.inner:
        events.extend(_all_events(inner))
    return events


def _next_proto(data: bytes, start: int) -> int:
    found = [i for i in (data.find(p, start) for p in _PROTO_STARTS) if i >= 0]
    return min(found) if found else -1


_observers: list[Callable[[Event], None]] = []


@contextlib.contextmanager
def observing(callback: Callable[[Event], None]) -> Iterator[None]:
    """Also hand every emulator event to ``callback`` (allowlist calibration, fuzzing)."""
    _observers.append(callback)
    try:
        yield
    finally:
        _observers.remove(callback)


def report_events(events: Iterable[Event], scan: PickleScan) -> None:
    """Classify emulator events and append findings (one per distinct callable and rule)."""
    seen: set[tuple[ScanRule, str]] = {(f.rule, f.message) for f in scan.findings}
    for event in events:
        for observer in _observers:
            observer(event)
        for item in _event_findings(event, scan):
            key = (item.rule, item.message)
            if key not in seen:
                seen.add(key)
                scan.findings.append(item)


def _event_findings(event: Event, scan: PickleScan) -> list[ScanFinding]:
    member, pos = scan.member, event.pos
    match event.kind:
        case EventKind.IMPORT | EventKind.REACH:
            if normalize(event.name) in RESOLVERS:
                # Judged by what it resolves to: every application is either a REACH of a
                # constant target or a DYNAMIC event (see pickle_calls).
                return []
            verdict = classify(event.name, scan.allow)
            how = f"via {event.via}" if event.via else ""
            if verdict.verdict is CallVerdict.DANGEROUS:
                verb = "imports" if event.kind is EventKind.IMPORT else "reaches"
                return [
                    finding(
                        ScanRule.PKL001,
                        f"{verb} {verdict.name} {how}: {verdict.reason}",
                        member=member,
                        offset=pos,
                        facts=(("callable", verdict.name),),
                    )
                ]
            if verdict.verdict is CallVerdict.UNKNOWN:
                return [
                    finding(
                        ScanRule.PKL002,
                        f"{verdict.name} ({how.removeprefix('via ')}) is not on the allowlist",
                        member=member,
                        offset=pos,
                        facts=(("callable", verdict.name),),
                    )
                ]
            return []
        case EventKind.DYNAMIC:
            return [
                finding(
                    ScanRule.PKL003,
                    f"{event.via} of a value computed at load time: {event.name}",
                    member=member,
                    offset=pos,
                )
            ]
        case EventKind.EXT:
            return [
                finding(
                    ScanRule.PKL004,
                    f"{event.via} extension code {event.name}",
                    member=member,
                    offset=pos,
                )
            ]
        case EventKind.MUTATE:
            return [
                finding(
                    ScanRule.PKL005,
                    f"BUILD sets state on {event.name}"
                    if event.via == "BUILD"
                    else f"{event.via} changes {event.name} in place",
                    member=member,
                    offset=pos,
                )
            ]
        case EventKind.NESTED:
            return _nested(event, scan)
        case EventKind.PERSID:
            return []
        case EventKind.CALL:
            return _shape_findings(event, scan)
        case EventKind.FILE_REF:
            return [_file_reference(event, scan)]
        case EventKind.LONG_NAME:
            total = event.value[1] if isinstance(event.value, tuple) else 0
            return [
                finding(
                    ScanRule.PKL001,
                    f"{event.via} resolves a name of {total} characters ({event.name[:120]}...): "
                    "no library writes one; the unpickler follows every dotted part, so it can "
                    "reach any callable",
                    member=member,
                    offset=pos,
                    facts=(("callable", event.name[:200]),),
                )
            ]


def _file_reference(event: Event, scan: PickleScan) -> ScanFinding:
    """A legacy joblib array in another file: a sibling is a gap, anything else a hazard."""
    name = event.value
    sibling = (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(c in name for c in "/\\\x00")
        and not (len(name) > 1 and name[1] == ":")
    )
    if sibling:
        return finding(
            ScanRule.PKL010,
            f"{event.name} makes joblib.load run numpy.load(allow_pickle=True) on the sibling "
            f"file {name!r}; this file is verified only together with it",
            member=scan.member,
            offset=event.pos,
            facts=(("file", str(name)),),
        )
    shown = repr(name)[:200] if name is not None else "a value the scanner cannot compute"
    return finding(
        ScanRule.PKL011,
        f"{event.name} makes joblib.load run numpy.load(allow_pickle=True) on {shown}, "
        "outside the model's directory",
        member=scan.member,
        offset=event.pos,
        facts=(("callable", event.name),),
    )


def _shape_findings(event: Event, scan: PickleScan) -> list[ScanFinding]:
    shape = call_shape(event.name)
    sig = event.value
    if shape is None or not isinstance(sig, tuple):
        return []
    bad = mismatch(normalize(event.name), shape, sig)
    if bad is None:
        return []
    where = "the argument tuple" if bad.position < 0 else f"argument {bad.position}"
    what = "calls" if bad.invoked else "receives"
    return [
        finding(
            ScanRule.PKL009,
            f"{event.name} {what} {where} = {bad.got}, which ordinary files never pass there",
            member=scan.member,
            offset=event.pos,
            severity=Severity.CRITICAL if bad.invoked else Severity.MEDIUM,
            facts=(("callable", event.name), ("argument", str(bad.position))),
        )
    ]


def _nested(event: Event, scan: PickleScan) -> list[ScanFinding]:
    label = f"{scan.member or ''}!{event.name}@{event.pos:#x}"
    if event.data is None:
        return [
            finding(
                ScanRule.PKL001,
                f"nested loader {event.name} gets a payload that is not constant bytes",
                member=scan.member,
                offset=event.pos,
            )
        ]
    if scan.nested is None:
        return []
    return scan.nested(event.data, label, scan.depth + 1)
