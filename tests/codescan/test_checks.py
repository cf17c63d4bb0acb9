"""MLC301-MLC304 and MLC310 as the engine runs them: outcomes per file and per project."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mlsvs.checks.code.rules import (
    hub_code_and_revisions,
    no_eval_of_model_output,
    unsafe_deserialisation,
    verified_tls_downloads,
)
from mlsvs.checks.code.secrets import no_committed_credentials
from mlsvs.plugin import (
    CheckContext,
    DatasetArtifact,
    OptionError,
    Project,
    Severity,
    SourceFile,
    Status,
)

HF = "hf_" + "Q7wErT9yUi0pAs2dFg4hJk6lZx8cVb1nM3"


def _source(root: Path, name: str, text: str) -> SourceFile:
    (root / name).write_text(text, encoding="utf-8")
    language = "notebook" if name.endswith(".ipynb") else "python"
    return SourceFile(root=root, path=name, size=len(text), language=language)


def _ctx(root: Path, artifacts: tuple = (), **options: object) -> CheckContext:
    project = Project(root=root, name="p", traits=frozenset(), artifacts=artifacts)
    return CheckContext(project=project, today=dt.date(2026, 1, 1), options=options)


def test_clean_file_passes_each_check(tmp_path: Path) -> None:
    source = _source(tmp_path, "ok.py", "import torch\ntorch.load('m.pt', weights_only=True)\n")
    for chk in (
        unsafe_deserialisation,
        hub_code_and_revisions,
        verified_tls_downloads,
        no_eval_of_model_output,
    ):
        [outcome] = chk.run(_ctx(tmp_path), source)
        assert outcome.status is Status.PASS


def test_one_failure_per_hit_with_rule_and_location(tmp_path: Path) -> None:
    text = "import pickle, torch\npickle.loads(b'')\nx = torch.load('m.pt')\n"
    outcomes = unsafe_deserialisation.run(_ctx(tmp_path), _source(tmp_path, "bad.py", text))
    assert [(o.status, o.rule, o.location.line if o.location else None) for o in outcomes] == [
        (Status.FAIL, "MLCODE002", 2),
        (Status.FAIL, "MLCODE001", 3),
    ]
    assert outcomes[1].severity is Severity.CRITICAL
    assert len({o.key for o in outcomes}) == 2


def test_torch_version_option_downgrades(tmp_path: Path) -> None:
    source = _source(tmp_path, "t.py", "import torch\ntorch.load('m.pt')\n")
    [outcome] = unsafe_deserialisation.run(_ctx(tmp_path, torch_version="2.6.0"), source)
    assert (outcome.status, outcome.severity) == (Status.FAIL, Severity.LOW)


def test_checks_split_rules_between_them(tmp_path: Path) -> None:
    text = (
        "import requests\nfrom transformers import AutoModel\n"
        "AutoModel.from_pretrained('gpt2', trust_remote_code=True)\n"
        "requests.get('http://x.example/m.bin', timeout=3)\n"
        "def f(model):\n    eval(model.generate('x'))\n"
    )
    source = _source(tmp_path, "mix.py", text)
    rules = {
        chk.id: sorted(o.rule for o in chk.run(_ctx(tmp_path), source))
        for chk in (
            unsafe_deserialisation,
            hub_code_and_revisions,
            verified_tls_downloads,
            no_eval_of_model_output,
        )
    }
    assert rules == {
        "MLC301": [""],
        "MLC302": ["MLCODE006", "MLCODE007"],
        "MLC303": ["MLCODE013"],
        "MLC304": ["MLCODE010"],
    }


def test_disabled_rules_option(tmp_path: Path) -> None:
    source = _source(tmp_path, "d.py", "import yaml\nyaml.load(open('c'))\n")
    [outcome] = unsafe_deserialisation.run(_ctx(tmp_path, disabled_rules=["MLCODE009"]), source)
    assert outcome.status is Status.PASS
    with pytest.raises(OptionError, match="unknown code rule"):
        unsafe_deserialisation.run(_ctx(tmp_path, disabled_rules=["NOPE"]), source)


def test_parse_errors_are_not_verified_gaps_naming_the_file(tmp_path: Path) -> None:
    source = _source(tmp_path, "broken.py", "def f(:\n")
    [outcome] = verified_tls_downloads.run(_ctx(tmp_path), source)
    assert outcome.status is Status.NOT_VERIFIED
    [gap] = outcome.gaps
    assert gap.item == "broken.py" and gap.reason.value == "unparseable"
    nb = _source(
        tmp_path,
        "nb.ipynb",
        json.dumps({"cells": [{"cell_type": "code", "source": "x = (", "outputs": []}]}),
    )
    [outcome] = unsafe_deserialisation.run(_ctx(tmp_path), nb)
    assert outcome.status is Status.NOT_VERIFIED
    assert outcome.gaps[0].item == "nb.ipynb" and "cell 1" in outcome.gaps[0].detail


def test_suppression_without_reason_goes_to_the_rules_check(tmp_path: Path) -> None:
    text = "import torch\ntorch.load('m.pt')  # mlsvs: ignore[MLCODE001]\n"
    source = _source(tmp_path, "s.py", text)
    assert sorted(o.rule for o in unsafe_deserialisation.run(_ctx(tmp_path), source)) == [
        "MLCODE001",
        "MLCODE090",
    ]
    [outcome] = hub_code_and_revisions.run(_ctx(tmp_path), source)
    assert outcome.status is Status.PASS


def test_secrets_check_scans_project_files(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "train.yaml").write_text(f"hub_token: {HF}\nlr: 0.1\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.json").write_text(json.dumps([{"t": HF}]))
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "x.yaml").write_text(f"k: {HF}\n")
    dataset = DatasetArtifact(root=tmp_path, path="data/rows.json", size=1, format="json")
    source = _source(tmp_path, "train.py", f'login(token="{HF}")\n')
    ctx = _ctx(tmp_path, (dataset, source))
    outcomes = no_committed_credentials.run(ctx, ctx.project)
    found = sorted((o.location.member, o.location.line) for o in outcomes if o.location)
    assert found == [("configs/train.yaml", 1), ("train.py", 1)]
    assert all(o.status is Status.FAIL and o.rule == "secret.huggingface-token" for o in outcomes)
    assert all(HF not in o.message for o in outcomes)


def test_secrets_check_passes_and_names_unscannable_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("lr: 0.1\n")
    project = _ctx(tmp_path).project
    [outcome] = no_committed_credentials.run(_ctx(tmp_path), project)
    assert outcome.status is Status.PASS
    (tmp_path / "b.json").write_bytes(b"\xff\xff")
    [outcome] = no_committed_credentials.run(_ctx(tmp_path), project)
    assert outcome.status is Status.NOT_VERIFIED
    assert [(g.item, g.reason.value) for g in outcome.gaps] == [("b.json", "unparseable")]
    [outcome] = no_committed_credentials.run(_ctx(tmp_path, exclude=["b.json"]), project)
    assert outcome.status is Status.PASS
