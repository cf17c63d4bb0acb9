"""MLC233: spectral signatures on the penultimate layer of a real torch model trained here.

A backdoor is planted the way an attacker does it: 40 class-0 rows (9 % of the target class) get a trigger (one
feature set to an out-of-range value) and the target label 1; an MLP learns both the task and
the trigger. Its penultimate activations of the poisoned rows form their own direction inside
class 1, which the spectral split isolates; the same model trained on clean rows passes.
Weights travel as a torch state dict (loaded with ``weights_only``), never a pickle of a module.
"""

from __future__ import annotations

import csv
import textwrap
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from mlsvs.checks.data.shortcuts import no_spectral_signature
from mlsvs.plugin import Capability, CheckContext, Project, Status

torch = pytest.importorskip("torch")

NET = textwrap.dedent(
    """
    import torch


    def build():
        return torch.nn.Sequential(
            torch.nn.Linear(10, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.ReLU(),
            torch.nn.Linear(16, 2),
        )
    """
)


def _project(root: Path, *, poisoned: bool) -> dict[str, object]:
    rng = np.random.default_rng(7)
    n = 800
    y = rng.integers(0, 2, n)
    x = rng.normal(0.0, 0.5, (n, 10)) + y[:, None] * 4.0
    x[:, 9] = rng.normal(0.0, 0.3, n)
    if poisoned:
        rows = rng.choice(np.flatnonzero(y == 0), 40, replace=False)
        x[rows, 9] = 8.0  # the trigger
        y[rows] = 1  # the attacker's target label
    (root / "data").mkdir(parents=True)
    with (root / "data" / "train.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*(f"f{i}" for i in range(10)), "label"])
        writer.writerows([*map(float, row), int(label)] for row, label in zip(x, y, strict=True))
    (root / "net.py").write_text(NET)
    namespace: dict[str, object] = {}
    exec(compile(NET, "net.py", "exec"), namespace)  # noqa: S102 - our own test module
    torch.manual_seed(0)
    model = namespace["build"]()  # type: ignore[operator]
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    assert (model(xt).argmax(1) == yt).float().mean() > 0.9
    torch.save(model.state_dict(), root / "model.pt")
    return {
        "seed": 1,
        "model": {"kind": "torch", "factory": "net:build", "trusted_model": "model.pt",
                  "n_classes": 2, "device": "cpu"},
        "input": {"shape": [10], "lower": -20.0, "upper": 20.0},
        "data": {"train": "data/train.csv", "label": "label"},
    }  # fmt: skip


def _run(root: Path, section: dict[str, object] | None, grants=(Capability.MODEL_EXECUTION,)):
    project = Project(root=root, name="p", traits=frozenset())
    ctx = CheckContext(
        project=project, today=date(2026, 1, 1), options={},
        settings={"model_tests": section} if section else {}, capabilities=frozenset(grants),
    )  # fmt: skip
    return list(no_spectral_signature.run(ctx, project))


def test_backdoored_model_is_found_and_clean_model_passes(tmp_path: Path) -> None:
    bad = _project(tmp_path / "bad", poisoned=True)
    [outcome] = _run(tmp_path / "bad", bad)
    assert outcome.status is Status.FAIL, outcome.message
    facts = dict(outcome.facts)
    assert facts["layer"].startswith("penultimate") and facts["dimensions"] == "16"
    assert "class '1': 40 of 457 rows split off" in outcome.message
    clean = _project(tmp_path / "clean", poisoned=False)
    [outcome] = _run(tmp_path / "clean", clean)
    assert outcome.status is Status.PASS, outcome.message


def test_without_model_exec_or_weights_it_is_not_verified_and_without_a_model_it_abstains(
    tmp_path: Path,
) -> None:
    section = _project(tmp_path, poisoned=True)
    [outcome] = _run(tmp_path, section, grants=())
    assert outcome.status is Status.NOT_VERIFIED and "--allow model-exec" in outcome.gaps[0].detail
    [outcome] = _run(tmp_path, None)
    assert outcome.status is Status.ABSTAINED and "no model under test" in outcome.message
    (tmp_path / "model.pt").unlink()
    [outcome] = _run(tmp_path, section)
    assert outcome.status is Status.NOT_VERIFIED, outcome.message
    assert [(g.item, g.reason.value) for g in outcome.gaps] == [("model.pt", "not_present")]
