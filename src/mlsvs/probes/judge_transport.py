"""Pure judgement of the transport: TLS version, certificate, plain HTTP beyond loopback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.probes.judge import baseline_problem, result
from mlsvs.probes.redact import excerpt
from mlsvs.probes.types import Area, Failure, Gravity, RequestKind, Verdict

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
                Verdict.FAIL,
                f"plain HTTP to non-loopback host {obs.host}",
                tuple(facts),
                Gravity.HIGH,
            )
        problem = baseline_problem(obs)
        baseline = obs.first(RequestKind.BASELINE)
        if baseline is None or baseline.status is None:
            return result(area, Verdict.ERROR, f"could not verify: {problem}", tuple(facts))
        return result(
            area, Verdict.PASS, "plain HTTP, but only on the loopback interface", tuple(facts)
        )
    tls = obs.tls
    if tls is None:
        return result(
            area,
            Verdict.ERROR,
            f"could not verify: {obs.setup_error or 'TLS not inspected'}",
            tuple(facts),
        )
    if tls.failure is Failure.CERTIFICATE:
        facts.append(("tls.failure", excerpt(tls.reason)))
        return result(
            area, Verdict.FAIL, f"certificate rejected: {tls.reason}", tuple(facts), Gravity.HIGH
        )
    if tls.failure is not None:
        facts.append(("tls.failure", excerpt(f"{tls.failure.value}: {tls.reason}")))
        return result(
            area,
            Verdict.ERROR,
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
            {True: "yes", False: "no", None: "not testable"}[tls.legacy_accepted],
        )
    )
    if tls.version not in {"TLSv1.2", "TLSv1.3"}:
        return result(
            area,
            Verdict.FAIL,
            f"negotiated {tls.version or 'unknown protocol'}, below TLS 1.2",
            tuple(facts),
            Gravity.HIGH,
        )
    if tls.legacy_accepted:
        return result(
            area, Verdict.FAIL, "the server also accepts TLS 1.0/1.1", tuple(facts), Gravity.MEDIUM
        )
    days = f"; certificate expires in {tls.days_left} days" if tls.days_left is not None else ""
    return result(
        area, Verdict.PASS, f"{tls.version}, certificate and hostname verified{days}", tuple(facts)
    )
