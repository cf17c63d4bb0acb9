"""Forged client-IP headers against a rate limit: the experiment and its decision.

A limiter keyed on ``X-Forwarded-For`` (or another header any client can set) gives every
forged address a fresh quota. The experiment, per header, in rounds: bring the real client
back to its limit (*prime*), send ``SPOOF_TRIES`` requests each with a fresh forged address,
then one without (*control*). Timing is the trap: a token bucket refills while the requests
travel, so on a slow or loaded machine an honest limiter can serve a whole round. One round
therefore never decides a bypass; rounds repeat until the outcome is clear or the bound is
reached (at most ``MAX_ROUNDS`` rounds of at most ``prime_bound + SPOOF_TRIES + 1`` requests).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mlsvs.probes.burst import limited
from mlsvs.probes.client import Request
from mlsvs.probes.credentials import SPOOF_TRIES
from mlsvs.probes.types import Exchange, RequestKind

MAX_ROUNDS = 3
CONFIRMATIONS = 2
"""Rounds in which the forged requests were served while the real client stayed limited
before the limiter is called bypassable: one such round can be a refill coincidence."""


@enum.unique
class RoundOutcome(enum.Enum):
    """What one round showed."""

    HELD = "held"
    """A forged request was refused: the forged address did not get a quota of its own."""
    BYPASSED = "bypassed"
    """Every forged request was served and the real client was still limited right after."""
    LIFTED = "lifted"
    """Every forged request was served, and so was the real client: cannot tell."""
    UNPRIMED = "unprimed"
    """The real client could not be brought back to its limit: cannot tell."""


def _served(exchange: Exchange) -> bool:
    return exchange.status is not None and 200 <= exchange.status < 300


def round_outcome(
    primed: bool, tries: Sequence[Exchange], control: Exchange | None, statuses: tuple[int, ...]
) -> RoundOutcome:
    """Decide one round (pure)."""
    if not primed:
        return RoundOutcome.UNPRIMED
    if not tries or not all(_served(e) for e in tries):
        return RoundOutcome.HELD
    if control is not None and limited(control, statuses):
        return RoundOutcome.BYPASSED
    return RoundOutcome.LIFTED


def header_outcome(rounds: Sequence[RoundOutcome]) -> RoundOutcome | None:
    """The header's outcome from its rounds so far; None while another round is needed."""
    if RoundOutcome.HELD in rounds:
        return RoundOutcome.HELD
    if rounds.count(RoundOutcome.BYPASSED) >= CONFIRMATIONS:
        return RoundOutcome.BYPASSED
    if len(rounds) >= MAX_ROUNDS:
        return RoundOutcome.LIFTED
    return None


@dataclass(frozen=True, slots=True)
class RoundExchanges:
    """The exchanges of one round, as the judge regroups them from the observations."""

    primes: tuple[Exchange, ...]
    tries: tuple[Exchange, ...]
    control: Exchange | None


def variant(header: str, round_index: int) -> str:
    """The ``variant`` of a round's exchanges: the header and the round."""
    return f"{header}#{round_index}"


def rounds_of(exchanges: Sequence[Exchange], header: str) -> tuple[RoundExchanges, ...]:
    """Regroup the prime, forged and control exchanges sent for ``header``, by round."""
    out = []
    for index in range(MAX_ROUNDS):
        mine = [e for e in exchanges if e.variant == variant(header, index)]
        if not mine:
            break
        out.append(
            RoundExchanges(
                primes=tuple(e for e in mine if e.kind is RequestKind.SPOOF_PRIME),
                tries=tuple(e for e in mine if e.kind is RequestKind.SPOOF),
                control=next((e for e in mine if e.kind is RequestKind.SPOOF_CONTROL), None),
            )
        )
    return tuple(out)


def judge_rounds(
    rounds: Sequence[RoundExchanges], statuses: tuple[int, ...]
) -> tuple[RoundOutcome, ...]:
    """The outcome of each recorded round (pure)."""
    return tuple(
        round_outcome(
            bool(r.primes) and limited(r.primes[-1], statuses), r.tries, r.control, statuses
        )
        for r in rounds
    )


Send = Callable[[Request], Exchange]


def probe_header(
    send: Send,
    plain: Callable[[RequestKind, str], Request],
    spoofed: Callable[[str], Request],
    header: str,
    *,
    prime_bound: int,
    statuses: tuple[int, ...],
) -> RoundOutcome:
    """Run rounds for one header until ``header_outcome`` decides (bounded).

    ``plain(kind, tag)`` is the real client's request; ``spoofed(tag)`` the same request with
    ``header`` set to a fresh forged address."""
    outcomes: list[RoundOutcome] = []
    while True:
        index = len(outcomes)
        tag = variant(header, index)
        primed = False
        for _ in range(prime_bound):
            if limited(send(plain(RequestKind.SPOOF_PRIME, tag)), statuses):
                primed = True
                break
        tries: list[Exchange] = []
        if primed:
            tries = [send(spoofed(tag)) for _ in range(SPOOF_TRIES)]
        control = send(plain(RequestKind.SPOOF_CONTROL, tag)) if primed else None
        outcomes.append(round_outcome(primed, tries, control, statuses))
        decided = header_outcome(outcomes)
        if decided is not None:
            return decided
