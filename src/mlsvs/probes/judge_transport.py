"""Pure judgement of the transport: TLS version, certificate, plain HTTP beyond loopback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model.coverage import Gap, GapReason
from mlsvs.probes.judge import baseline_problem, result
from mlsvs.probes.redact import excerpt
from mlsvs.probes.types import Area, Failure, Gravity, ProbeVerdict, RequestKind

if TYPE_CHECKING:
    from mlsvs.probes.types import AreaResult, Observations


def judge_transport(obs: Observations) -> AreaResult:
    """M8.6.1: TLS ≥ 1.2 with a valid certificate; plain HTTP only on loopback."""
    area = Area.TRANSPORT
    facts: list[tuple[str, str]] = [("transport.scheme", obs.scheme), ("transport.host", obs.host)]
    if obs.scheme == "http":
        if not obs.loopback:
            return result(
                area,
                ProbeVerdict.FAIL,
                f"plain HTTP to non-loopback host {obs.host}",
                tuple(facts),
                Gravity.HIGH,
            )
        problem = baseline_problem(obs)
        baseline = obs.first(RequestKind.BASELINE)
        if baseline is None or baseline.status is None:
            return result(area, ProbeVerdict.ERROR, f"could not verify: {problem}", tuple(facts))
        return result(
            area, ProbeVerdict.PASS, "plain HTTP, but only on the loopback interface", tuple(facts)
        )
    tls = obs.tls
    if tls is None:
        return result(
            area,
            ProbeVerdict.ERROR,
            f"could not verify: {obs.setup_error or 'TLS not inspected'}",
            tuple(facts),
        )
    if tls.failure is Failure.CERTIFICATE:
        facts.append(("tls.failure", excerpt(tls.reason)))
        return result(
            area,
            ProbeVerdict.FAIL,
            f"certificate rejected: {tls.reason}",
            tuple(facts),
            Gravity.HIGH,
        )
    if tls.failure is Failure.TLS and (tls.weak_cipher or tls.legacy_accepted):
        facts.append(("tls.failure", excerpt(f"{tls.failure.value}: {tls.reason}")))
        offered = f"the weak suite {tls.weak_cipher}" if tls.weak_cipher else "TLS 1.0/1.1"
        return result(
            area,
            ProbeVerdict.FAIL,
            f"a modern TLS client cannot connect ({tls.reason}), but the server accepts {offered}",
            tuple(facts),
            Gravity.HIGH,
        )
    if tls.failure is not None:
        facts.append(("tls.failure", excerpt(f"{tls.failure.value}: {tls.reason}")))
        return result(
            area,
            ProbeVerdict.ERROR,
            f"could not verify: {tls.failure.value}: {tls.reason}",
            tuple(facts),
        )
    facts += [
        ("tls.version", tls.version),
        ("tls.cipher", tls.cipher),
        ("tls.not_after", tls.not_after),
    ]
    facts.append(
        (
            "tls.legacy_accepted",
            {True: "yes", False: "no", None: "not verified"}[tls.legacy_accepted],
        )
    )
    facts.append(
        (
            "tls.weak_cipher",
            "not verified" if tls.weak_cipher is None else (tls.weak_cipher or "refused"),
        )
    )
    if tls.legacy_reason:
        facts.append(("tls.legacy_reason", excerpt(tls.legacy_reason)))
    if tls.weak_reason:
        facts.append(("tls.weak_reason", excerpt(tls.weak_reason)))
    if tls.version not in {"TLSv1.2", "TLSv1.3"}:
        return result(
            area,
            ProbeVerdict.FAIL,
            f"negotiated {tls.version or 'unknown protocol'}, below TLS 1.2",
            tuple(facts),
            Gravity.HIGH,
        )
    if tls.legacy_accepted:
        return result(
            area,
            ProbeVerdict.FAIL,
            "the server also accepts TLS 1.0/1.1",
            tuple(facts),
            Gravity.MEDIUM,
        )
    if tls.weak_cipher:
        return result(
            area,
            ProbeVerdict.FAIL,
            f"the server accepts the weak cipher suite {tls.weak_cipher} when offered only weak "
            "ones (no forward secrecy, NULL, anonymous or broken ciphers)",
            tuple(facts),
            Gravity.MEDIUM,
        )
    gaps: list[Gap] = []
    if tls.legacy_accepted is None:
        why = tls.legacy_reason or "the TLS 1.0/1.1 handshake could not be tried"
        gaps.append(Gap(item="TLS 1.0/1.1 handshake", reason=GapReason.UNSUPPORTED, detail=why))
    if tls.weak_cipher is None:
        why = tls.weak_reason or "the weak-suite handshake could not be tried"
        gaps.append(Gap(item="weak cipher suites", reason=GapReason.UNSUPPORTED, detail=why))
    if gaps:
        return result(
            area,
            ProbeVerdict.NOT_VERIFIED,
            f"not verified: {gaps[0].detail}",
            tuple(facts),
            gaps=tuple(gaps),
        )
    days = f"; certificate expires in {tls.days_left} days" if tls.days_left is not None else ""
    return result(
        area,
        ProbeVerdict.PASS,
        f"{tls.version}, certificate and hostname verified, TLS 1.0/1.1 and weak suites "
        f"refused{days}",
        tuple(facts),
    )
