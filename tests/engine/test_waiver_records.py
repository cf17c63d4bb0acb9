"""What results.json records about each configured waiver (schema 1.3): expiry, state, use."""

from __future__ import annotations

import datetime as dt

from mlsvs.engine.waivers import apply_waivers, waiver_records
from mlsvs.model.attestation import Waiver
from mlsvs.model.result import Finding, Severity, Status, TargetRef

TODAY = dt.date(2026, 12, 2)


def _failure(path: str, check: str = "MLC101") -> Finding:
    return Finding(
        id=f"{check}-{path}",
        check=check,
        requirements=("M4.1.1",),
        severity=Severity.HIGH,
        status=Status.FAIL,
        target=TargetRef(path=path, kind="model"),
        message="m",
    )


def test_records_list_every_waiver_soonest_first_with_state_and_failures_covered() -> None:
    waivers = (
        Waiver(id="later", reason="r", expires=dt.date(2027, 6, 1), check="MLC101",
               paths=("models/*",), approved_by="ciso"),
        Waiver(id="gone", reason="r", expires=dt.date(2026, 11, 30), check="MLC101"),
        Waiver(id="unused", reason="r", expires=dt.date(2026, 12, 20), check="MLC999"),
    )  # fmt: skip
    findings, _ = apply_waivers(
        [_failure("models/a.pkl"), _failure("models/b.pkl"), _failure("other/c.pkl")],
        waivers,
        today=TODAY,
    )
    records = waiver_records(waivers, findings, today=TODAY)
    assert [r.id for r in records] == ["gone", "unused", "later"]
    by_id = {r.id: r for r in records}
    assert by_id["gone"].expired and by_id["gone"].applied == 0
    assert not by_id["unused"].expired and by_id["unused"].applied == 0
    assert by_id["later"].applied == 2 and by_id["later"].approved_by == "ciso"
    assert by_id["later"].expires == dt.date(2027, 6, 1)
