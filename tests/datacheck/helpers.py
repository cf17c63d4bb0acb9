"""Builders for dataset-check tests: tables, valid/invalid identifiers, projects."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from mlsvs.config import load_config
from mlsvs.discovery import discover
from mlsvs.plugin import CheckContext, Project

FEATURES = ["age", "income", "ratio", "lines"]


def luhn_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def card(rng: random.Random) -> str:
    body = "4" + "".join(str(rng.randint(0, 9)) for _ in range(14))
    return body + luhn_digit(body)


def iban(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def numeric_rows(seed: int, n: int) -> list[list[object]]:
    """Rows of four features and a label that depends on them (well separated)."""
    rng = random.Random(seed)
    rows: list[list[object]] = []
    for _ in range(n):
        age = rng.randint(21, 70)
        income = round(rng.uniform(20, 120), 3)
        ratio = round(rng.uniform(0, 1), 4)
        lines = rng.randint(0, 12)
        label = int(ratio * 3 - income / 60 + rng.gauss(0, 0.1) > 0)
        rows.append([age, income, ratio, lines, label])
    return rows


def project(root: Path, datasets: dict[str, object] | None = None) -> tuple[CheckContext, Project]:
    config = load_config(root)
    proj = discover(root, config).project
    settings = {k: dict(v) for k, v in config.settings.items()}
    if datasets is not None:
        settings["datasets"] = dict(datasets)
    ctx = CheckContext(project=proj, today=dt.date(2026, 11, 25), settings=settings)
    return ctx, proj
