"""The same options on every command, and install hints that name extras which exist."""

from __future__ import annotations

import argparse
import importlib
import tomllib
from pathlib import Path

import pytest

from mlsvs.cli.main import COMMANDS
from mlsvs.engine.plan import install_hint

ROOT = Path(__file__).parents[2]
FINDINGS_COMMANDS = ("scan", "code", "secrets", "deps", "test", "probe")
EVERY = ("verify", *FINDINGS_COMMANDS)


def _parser(command: str, *sub: str) -> argparse.ArgumentParser:
    module = importlib.import_module(f"mlsvs.cli.{COMMANDS[command][0]}")
    parser = argparse.ArgumentParser(prog=f"mlsvs {command}")
    module.configure(parser)
    for name in sub:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for a in parser._actions for s in a.option_strings}


@pytest.mark.parametrize("command", EVERY)
def test_common_options_everywhere(command: str) -> None:
    options = _options(_parser(command))
    assert {"-f", "--format", "-c", "--config", "-j", "--jobs", "-q", "--quiet"} <= options


@pytest.mark.parametrize("action", ["verify", "leakage", "pii", "quality"])
def test_data_subcommands_share_them(action: str) -> None:
    assert {"-f", "-c", "-j", "-q"} <= _options(_parser("data", action))


@pytest.mark.parametrize("command", FINDINGS_COMMANDS)
def test_findings_commands_offer_every_format(command: str) -> None:
    action = next(a for a in _parser(command)._actions if "--format" in a.option_strings)
    assert action.help is not None
    for fmt in ("text", "json", "sarif", "junit", "markdown", "gitlab-sast"):
        assert fmt in action.help, (command, fmt)


def test_allow_grants_capabilities_only() -> None:
    """Wherever ``--allow`` is offered it takes capabilities; scan's allowlist has its own name."""
    for command in EVERY:
        help_texts = {
            s: (a.help or "") for a in _parser(command)._actions for s in a.option_strings
        }
        if "--allow" in help_texts and help_texts["--allow"] != argparse.SUPPRESS:
            assert "network" in help_texts["--allow"] or "model-exec" in help_texts["--allow"]
    assert "--allow-global" in _options(_parser("scan"))


def test_install_hints_name_real_extras() -> None:
    from mlsvs.api import load_catalog
    from mlsvs.engine.registry import load_registry

    extras = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    )
    requires = {m for c in load_registry(load_catalog()).checks for m in c.check.requires}
    assert "OpenSSL" in requires  # the signing check's undeclared pyopenssl import
    for module in sorted(requires):
        hint = install_hint([module])
        assert hint.startswith("pip install 'mlsvs["), (module, hint)
        named = hint.split("[", 1)[1].split("]", 1)[0].split(",")
        assert set(named) <= extras, (module, hint)
    assert install_hint(["model_signing", "OpenSSL"]) == "pip install 'mlsvs[signing]'"
    assert install_hint(["acme_sdk"]) == "pip install acme_sdk"  # no invented extra


def test_format_path_on_export_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``-f FMT:PATH`` also works where a command has one output and ``-o FILE``."""
    import io
    import json

    from mlsvs.cli.main import main
    from mlsvs.render.json import JsonRenderer
    from tests.render import builders

    exported = tmp_path / "catalog.json"
    assert main(["catalog", "export", "-f", f"json:{exported}"]) == 0
    assert json.loads(exported.read_text())
    annex = tmp_path / "annex.csv"
    assert main(["procurement", "--level", "L1", "-f", f"csv:{annex}"]) == 0
    assert annex.read_text().count("\n") > 10
    assert main(["procurement", "--level", "L1", "-f", f"csv:{annex}", "-o", str(annex)]) == 2
    assert "use -f FMT:PATH instead" in capsys.readouterr().err
    results = []
    for name, assessment in (("old", builders.assessment()), ("new", builders.assessment())):
        out = io.StringIO()
        JsonRenderer().render(assessment, out)
        path = tmp_path / f"{name}.json"
        path.write_text(out.getvalue())
        results.append(str(path))
    report = tmp_path / "diff.md"
    assert main(["diff", *results, "-f", f"markdown:{report}", "-f", "json", "-q"]) == 0
    assert report.read_text().strip() and json.loads(capsys.readouterr().out)
