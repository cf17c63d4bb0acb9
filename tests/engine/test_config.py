"""Configuration loading: defaults, both file forms, and errors that name file and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mlsvs.config import load_config
from mlsvs.errors import ConfigError
from mlsvs.model.artifact import Capability
from mlsvs.model.catalog import Level
from mlsvs.util.config_file import find_config


def test_defaults_without_a_file(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # stop the upward search here
    config = load_config(tmp_path)
    assert config.source is None
    assert config.level is Level.L1
    assert config.name == tmp_path.name


def test_mlsvs_toml_is_parsed(tmp_path: Path) -> None:
    (tmp_path / "mlsvs.toml").write_text(
        'name = "fraud"\nlevel = "L2"\ntraits = ["personal_data"]\nallow = ["network"]\n'
        '[[waivers]]\ncheck = "MLC101"\nreason = "legacy"\nexpires = 2027-01-01\n'
        '[[endpoints]]\nname = "p"\nurl = "http://127.0.0.1:8000/predict"\nauth_env = "KEY"\n'
        '[checks.MLC101]\nstrict = true\n[model_tests]\nkind = "onnx"\n'
    )
    config = load_config(tmp_path)
    assert config.name == "fraud"
    assert config.level is Level.L2
    assert config.traits == {"personal_data"}
    assert config.requested == {Capability.NETWORK}
    assert config.allow == frozenset()  # a file never grants capabilities
    assert config.waivers[0].expires == dt.date(2027, 1, 1)
    assert config.endpoints[0].auth_env == "KEY"
    assert config.check_options["MLC101"] == {"strict": True}
    assert config.settings["model_tests"] == {"kind": "onnx"}


def test_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n[tool.mlsvs]\nlevel = 3\n')
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    assert load_config(tmp_path).level is Level.L3


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('name = "x"\ncolour = "blue"\n', "colour: unknown key", 2),
        ('level = "L9"\n', "unknown level", 1),
        ('[[waivers]]\ncheck = "MLC101"\nexpires = 2027-01-01\n', "'reason' is mandatory", 1),
        ('allow = ["root"]\n', "unknown capability", 1),
        ('name = "x"\nlevel = \n', "invalid TOML", 2),
        ('[[endpoints]]\nurl = "ftp://x"\n', "must be an http(s) URL", 2),
        ("[policy]\nstrict = true\n", "policy.strict: unknown key", 2),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    (tmp_path / "mlsvs.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert message in info.value.message
    assert info.value.path is not None and info.value.path.endswith("mlsvs.toml")
    assert info.value.line == line
    assert info.value.diagnostics().startswith(f"{info.value.path}:{line}: ")


def test_denied_traits_need_a_reason_and_cannot_be_declared(tmp_path: Path) -> None:
    path = tmp_path / "mlsvs.toml"
    path.write_text('[denied_traits]\nexposes_inference_api = "local demo only"\n')
    config = load_config(tmp_path)
    assert config.denied_traits == {"exposes_inference_api": "local demo only"}
    path.write_text('[denied_traits]\nexposes_inference_api = "  "\n')
    with pytest.raises(ConfigError, match="non-empty reason"):
        load_config(tmp_path)
    path.write_text('traits = ["genai"]\n[denied_traits]\ngenai = "x"\n')
    with pytest.raises(ConfigError, match="both declared"):
        load_config(tmp_path)
