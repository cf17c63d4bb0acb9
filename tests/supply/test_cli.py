from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mlsvs.cli.main import main
from mlsvs.supply.bom import validate_bom

from .conftest import write_safetensors


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project on disk for discovery (no hand-built artifacts)."""
    monkeypatch.setenv("MLSVS_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "proj"
    (root / "models" / "clf").mkdir(parents=True)
    write_safetensors(root / "models" / "clf" / "model.safetensors")
    (root / "requirements.txt").write_text("torch==2.5.1\nnumpy==1.26.4\n")
    return root


def test_bom_command_writes_valid_bom(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tree / "bom.cdx.json"
    assert main(["bom", str(tree), "-o", str(out)]) == 0
    bom = json.loads(out.read_text())
    assert validate_bom(bom) == []
    kinds = sorted(c["type"] for c in bom["components"])
    assert kinds.count("machine-learning-model") == 1 and kinds.count("library") == 2
    assert "CycloneDX 1.6" in capsys.readouterr().err
    assert list(bom)[:3] == ["$schema", "bomFormat", "specVersion"]
    from mlsvs.discovery import discover
    from mlsvs.plugin import BomDocument

    found = discover(tree).project.of_type(BomDocument)  # discovery sniffs only the file head
    assert [b.path for b in found] == ["bom.cdx.json"]


def test_bom_command_rejects_missing_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bom", str(tmp_path / "nope")]) == 2
    assert "not a project directory" in capsys.readouterr().err


def test_deps_command(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deps", str(tree)]) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE torch 2.5.1" in out and "GHSA-53q9-r3pm-6pq6" in out
    assert main(["deps", str(tree / "requirements.txt"), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["vulnerable"][0]["package"] == "torch"
    assert doc["manifests"][0]["unhashed"] == ["numpy", "torch"]
    (tree / "requirements.txt").write_text("torch==\n")
    # An unreadable line is a problem of that line: not verified (1), never a pass.
    assert main(["deps", str(tree / "requirements.txt")]) == 1
    captured = capsys.readouterr()
    assert "requirements.txt:1" in captured.err
    assert "NOT VERIFIED: 1 unreadable" in captured.out


def test_advisories_import_info_query(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = {"id": "GHSA-test", "modified": "2026-09-09T00:00:00Z",
              "affected": [{"package": {"ecosystem": "PyPI", "name": "numpy"}, "versions": ["1.26.4"]}]}  # fmt: skip
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("GHSA-test.json", json.dumps(record))
    assert main(["advisories", "import", str(archive)]) == 0
    assert "imported 1 PyPI advisories" in capsys.readouterr().out
    assert main(["advisories", "info"]) == 0
    info = capsys.readouterr().out
    assert "bundled" in info and "osv" in info and "2026-09-09" in info
    assert main(["advisories", "query", "numpy==1.26.4"]) == 1
    assert "GHSA-test" in capsys.readouterr().out
    assert main(["deps", str(tree), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert {v["package"] for v in doc["vulnerable"]} == {"numpy", "torch"}
    assert main(["advisories", "import", str(tmp_path / "missing.zip")]) == 2


def test_checks_are_registered() -> None:
    from mlsvs.engine.registry import load_registry

    registry = load_registry()
    ids = {loaded.check.id for loaded in registry.checks}
    assert not registry.problems
    assert {
        "MLC401",
        "MLC402",
        "MLC403",
        "MLC404",
        "MLC410",
        "MLC411",
        "MLC420",
        "MLC421",
        "MLC422",
        "MLC423",
    } <= ids
