"""The bundled, versioned probe corpus and canary tokens."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from functools import cache
from importlib import resources

SUITE_FILE = "suite-1.0.0.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Suite:
    """The probe texts (placeholders ``{A}``, ``{B}``, ``{GOAL}``, ``{PREFIX}``)."""

    name: str
    version: str
    injection: tuple[str, ...]
    covers: tuple[str, ...]
    positions: tuple[str, ...]
    extraction: tuple[str, ...]
    jailbreak: tuple[tuple[str, str], ...]
    """(style, text) pairs."""
    goals: tuple[str, ...]
    regurgitation: tuple[str, ...]

    @property
    def label(self) -> str:
        """``name@version`` as recorded with every result."""
        return f"{self.name}@{self.version}"


@cache
def load_suite() -> Suite:
    """The corpus shipped with mlsvs (package data, never fetched)."""
    raw = json.loads(resources.files(__package__).joinpath("data", SUITE_FILE).read_text("utf-8"))
    return Suite(
        name=raw["name"],
        version=raw["version"],
        injection=tuple(raw["injection"]),
        covers=tuple(raw["covers"]),
        positions=tuple(raw["positions"]),
        extraction=tuple(raw["extraction"]),
        jailbreak=tuple((j["style"], j["text"]) for j in raw["jailbreak"]),
        goals=tuple(raw["goals"]),
        regurgitation=tuple(raw["regurgitation"]),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Canary:
    """Two random parts; the probe succeeded when ``token`` (their join) comes back."""

    a: str
    b: str

    @property
    def token(self) -> str:
        """The joined token the instruction asks for."""
        return self.a + self.b

    def fill(self, text: str) -> str:
        """``text`` with ``{A}`` and ``{B}`` replaced."""
        return text.replace("{A}", self.a).replace("{B}", self.b)

    def found_in(self, answer: str) -> bool:
        """Whether the answer contains the joined token (case-insensitive)."""
        return self.token.lower() in answer.lower()


def new_canary(token_hex: int = 4) -> Canary:
    """Fresh random parts, e.g. ``ZQX7f3a`` + ``K9d21e``; never in any training data."""
    return Canary(a="ZQX" + secrets.token_hex(token_hex), b="KVW" + secrets.token_hex(token_hex))


def injection_payloads(n: int) -> list[tuple[str, Canary, str]]:
    """``n`` injection payloads ``(text, canary, variant)``: template x cover x position,
    cycled with fresh canaries once every combination was used."""
    suite = load_suite()
    combos = [
        (t, c, p)
        for p in suite.positions
        for c in range(len(suite.covers))
        for t in range(len(suite.injection))
    ]
    out: list[tuple[str, Canary, str]] = []
    for i in range(n):
        t, c, p = combos[i % len(combos)]
        canary = new_canary()
        attack = canary.fill(suite.injection[t])
        cover = suite.covers[c]
        if p == "start":
            text = f"{attack}\n\n{cover}"
        elif p == "end":
            text = f"{cover}\n\n{attack}"
        else:
            half = len(cover) // 2
            cut = cover.rfind(" ", 0, half) if " " in cover[:half] else half
            text = f"{cover[:cut]} {attack} {cover[cut:].lstrip()}"
        out.append((text, canary, f"injection[{t}]/cover[{c}]/{p}"))
    return out
