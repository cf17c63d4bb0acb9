"""MLC701-MLC704, MLC710 on real project files: the hardened example passes, broken copies fail.

The documentation checks read cards, threat models, the configuration and container
definitions; the hardened example holds real ones (its model card, datasheet, threat model,
Dockerfile and Kubernetes manifest). Each check passes there and fails on a copy with the one
defect a real project would have: a card section left out, an unknown ATLAS ID, a Dockerfile
without a USER, no declared level.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from mlsvs.checks.documentation.cards import dataset_card_complete, model_card_complete
from mlsvs.checks.documentation.containers import container_not_root
from mlsvs.checks.documentation.profile import profile_declared
from mlsvs.checks.documentation.threat_model import threat_model_present
from mlsvs.config import load_config
from mlsvs.discovery import discover
from mlsvs.model.catalog import Level
from mlsvs.model.check import CheckContext
from mlsvs.plugin import DeploymentConfig, Status

HARDENED = Path(__file__).resolve().parents[2] / "examples" / "hardened-classifier"
KEEP = ("README.md", "DATASET_CARD.md", "THREAT_MODEL.md", "mlsvs.toml", "deploy", "models", "data")


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name in KEEP:
        source = HARDENED / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy2(source, root / name)
    return root


def _run(check, root: Path) -> list[Status]:
    config = load_config(root)
    found = discover(root, config)
    ctx = CheckContext(
        project=found.project,
        today=dt.date(2026, 12, 2),
        target_level=Level.L1,
        settings=config.settings,
    )
    if check is container_not_root:
        return [
            o.status
            for target in found.project.of_type(DeploymentConfig)
            for o in check.run(ctx, target)
        ]
    return [o.status for o in check.run(ctx, found.project)]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _copy(tmp_path)


@pytest.mark.parametrize(
    "check",
    [
        model_card_complete,
        dataset_card_complete,
        threat_model_present,
        profile_declared,
        container_not_root,
    ],
    ids=["MLC701", "MLC702", "MLC703", "MLC704", "MLC710"],
)
def test_the_hardened_example_passes(project: Path, check) -> None:
    found = _run(check, project)
    assert Status.PASS in found and not {Status.FAIL, Status.ERROR} & set(found), found


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_model_card_without_its_limitations_fails(project: Path) -> None:
    card = project / "README.md"
    text = card.read_text(encoding="utf-8")
    heading = next(
        line for line in text.splitlines() if "imitation" in line and line.startswith("#")
    )
    _edit(card, heading, "## Notes")
    assert Status.FAIL in _run(model_card_complete, project)


def test_threat_model_citing_an_unknown_atlas_id_fails(project: Path) -> None:
    _edit(project / "THREAT_MODEL.md", "AML.T0020", "AML.T9999")
    assert Status.FAIL in _run(threat_model_present, project)


def test_dockerfile_without_user_fails(project: Path) -> None:
    dockerfile = project / "deploy" / "Dockerfile"
    lines = [line for line in dockerfile.read_text().splitlines() if not line.startswith("USER")]
    dockerfile.write_text("\n".join(lines) + "\n")
    assert Status.FAIL in _run(container_not_root, project)


def test_profile_without_a_level_fails(project: Path) -> None:
    _edit(project / "mlsvs.toml", 'level = "L1"\n', "")
    assert _run(profile_declared, project) == [Status.FAIL]
