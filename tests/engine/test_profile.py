"""Verification profiles: the buyer or assessor assigns parameters within the standard's bounds;
checks receive the values in force and every report says who set them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mlsvs.api import Overrides, assess
from mlsvs.catalog import load_standard
from mlsvs.cli.main import main
from mlsvs.config import load_config
from mlsvs.discovery import discover
from mlsvs.engine.assess import assess_project
from mlsvs.engine.profile import ProfileError, load_profile, resolve
from mlsvs.engine.registry import LoadedCheck, Registry
from mlsvs.errors import ConfigError
from mlsvs.model.assessment import SetBy
from mlsvs.model.catalog import Level
from mlsvs.plugin import Project, Severity, check, passed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

PROFILE = """\
# Procurement profile
[profile]
name = "Tender 17"
issuer = "ACME Bank"
role = "buyer"
level = "L2"

[parameters]
"M6.2.1.epsilon" = 0.02
"M8.2.1.max_requests_before_limit" = 1000
"""


@pytest.fixture(scope="module")
def standard():
    return load_standard("1.1.0")


def _write(tmp_path: Path, text: str, name: str = "profile.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_follow_the_target_level_and_the_requirement_level(standard) -> None:
    settings = {s.key: s for s in resolve(standard, Level.L1)}
    assert (
        settings["M6.2.1.epsilon"].value == standard.parameters["M6.2.1.epsilon"].values[Level.L1]
    )
    # M7.2.1 starts at L2: a run targeting L1 uses its L2 value (its entry level).
    assert settings["M7.2.1.max_advantage"].level is Level.L2
    assert all(s.set_by is SetBy.STANDARD for s in settings.values())
    at_l3 = {s.key: s for s in resolve(standard, Level.L3)}
    assert at_l3["M7.2.1.max_advantage"].value == 0.05


def test_profile_assignments_within_bounds_apply(tmp_path: Path, standard) -> None:
    profile = load_profile(_write(tmp_path, PROFILE))
    assert (profile.role, profile.level, len(profile.sha256)) == ("buyer", Level.L2, 64)
    settings = {s.key: s for s in resolve(standard, Level.L2, profile)}
    eps = settings["M6.2.1.epsilon"]
    assert (eps.value, eps.set_by) == (0.02, SetBy.PROFILE)
    assert eps.standard_value == pytest.approx(4 / 255, rel=1e-3)
    assert settings["M6.2.2.pgd_steps"].set_by is SetBy.STANDARD


def test_every_bad_assignment_is_reported_with_its_line(tmp_path: Path, standard) -> None:
    text = (
        '[profile]\nrole = "assessor"\nstandard = "1.1.0"\n\n[parameters]\n'
        '"M6.2.1.epsilon" = 0.5\n'  # line 6: above the bound
        '"M6.2.2.max_accuracy_unbounded" = 0.5\n'  # line 7: fixed by the standard
        '"M6.2.1.query_budget" = "many"\n'  # line 8: wrong type
        '"M9.9.9.nothing" = 1\n'  # line 9: unknown
    )
    profile = load_profile(_write(tmp_path, text))
    with pytest.raises(ProfileError) as info:
        resolve(standard, Level.L2, profile)
    lines = info.value.problems
    path = str(tmp_path / "profile.toml")
    assert lines[0].startswith(f"{path}:6: M6.2.1.epsilon = 0.5 is outside the bounds")
    assert (
        lines[1]
        == f"{path}:7: M6.2.2.max_accuracy_unbounded is fixed by the standard and cannot be assigned"
    )
    assert lines[2].startswith(f"{path}:8: M6.2.1.query_budget must be of type integer")
    assert lines[3].startswith(f"{path}:9: unknown parameter 'M9.9.9.nothing'")


def test_profile_for_another_version_is_rejected(tmp_path: Path) -> None:
    profile = load_profile(_write(tmp_path, PROFILE.replace('level = "L2"', 'standard = "1.1.0"')))
    with pytest.raises(ProfileError) as info:
        resolve(load_standard("1.0.0"), Level.L1, profile)
    assert "profile is for MLSVS 1.1.0, this run uses 1.0.0" in info.value.problems[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[profile]\nrole = "supplier"\n', ":2: role must be buyer or assessor"),
        ("[profile]\nname = 'x'\n", "profile.role is required"),
        ('[profile]\nrole = "buyer"\n[extra]\n', ":3: unknown key 'extra'"),
        ('[profile]\nrole = "buyer"\nlevel = "L9"\n', ":3: unknown level 'L9'"),
        ("not toml = = =", "malformed TOML"),
    ],
)
def test_malformed_profiles(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(_write(tmp_path, text))
    assert message in info.value.diagnostics()


def test_yaml_profiles_work_too(tmp_path: Path, standard) -> None:
    text = "profile:\n  role: assessor\nparameters:\n  M8.2.2.query_budget: 0\n"
    profile = load_profile(_write(tmp_path, text, "profile.yaml"))
    with pytest.raises(ProfileError) as info:
        resolve(standard, Level.L2, profile)
    assert info.value.problems[0].startswith(f"{tmp_path / 'profile.yaml'}:4: M8.2.2.query_budget")


def test_the_verified_project_cannot_set_parameters(tmp_path: Path) -> None:
    (tmp_path / "mlsvs.toml").write_text(
        'level = "L1"\n\n[parameters]\n"M6.2.1.epsilon" = 1.0\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "never by the verified project's configuration" in info.value.message
    assert info.value.line == 3


@check(
    id="TST901",
    title="reads a parameter",
    requirements=["M6.2.1"],
    applies_to=Project,
    severity=Severity.LOW,
)
def reads_parameter(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Report the epsilon in force."""
    yield passed(f"epsilon={ctx.parameter('M6.2.1.epsilon', -1.0)}")


def test_checks_receive_the_values_in_force(tmp_path: Path, standard) -> None:
    config = load_config(tmp_path)
    registry = Registry(
        checks=(LoadedCheck(check=reads_parameter, source="test", attribute="x:reads_parameter"),),
        problems=(),
    )
    profile = load_profile(_write(tmp_path, PROFILE))
    settings = resolve(standard, Level.L2, profile)
    result = assess_project(
        discover(tmp_path, config),
        config,
        standard,
        registry,
        root_label=".",
        today=dt.date(2026, 12, 1),
        now=lambda: dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        parameters=settings,
        profile=profile.ref(),
    )
    assert [f.message for f in result.findings] == ["epsilon=0.02"]
    assert result.profile is not None and result.profile.sha256 == profile.sha256


def test_verify_with_profile_reports_values_and_who_set_them(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "mlsvs.toml").write_text('level = "L1"\ntraits = []\n', encoding="utf-8")
    profile = _write(tmp_path, PROFILE)
    out = tmp_path / "out"
    code = main(
        [
            "verify",
            str(project),
            "--profile",
            str(profile),
            "--no-progress",
            "-f",
            f"json:{out / 'results.json'}",
            "-f",
            f"markdown:{out / 'report.md'}",
            "-f",
            f"html:{out / 'report.html'}",
        ]
    )
    assert code in {0, 1}
    data = json.loads((out / "results.json").read_text("utf-8"))
    assert data["target_level"] == 2  # the buyer's level beats the project's L1
    assert data["profile"]["role"] == "buyer"
    by_key = {p["key"]: p for p in data["parameters"]}
    assert by_key["M6.2.1.epsilon"]["set_by"] == "profile"
    assert by_key["M6.2.2.pgd_steps"]["set_by"] == "standard"
    report = (out / "report.md").read_text("utf-8")
    assert "2 set by verification profile 'Tender 17'" in report
    assert "`M6.2.1.epsilon`" in report
    html = (out / "report.html").read_text("utf-8")
    assert '<h2 id="parameters">Parameters</h2>' in html and "<code>M6.2.1.epsilon</code>" in html


def test_verify_rejects_an_out_of_bounds_profile_with_exit_2(tmp_path: Path, capsys) -> None:
    profile = _write(tmp_path, PROFILE.replace("0.02", "0.9"))
    assert main(["verify", str(tmp_path), "--profile", str(profile), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{profile}:9: M6.2.1.epsilon = 0.9 is outside the bounds" in err


def test_standard_option_selects_1_0_0(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print('train')\n", encoding="utf-8")
    result = assess(tmp_path, overrides=Overrides(standard="1.0.0"))
    assert result.standard.version == "1.0.0"
    assert result.parameters == ()


def test_the_example_profile_validates_against_schema_and_standard(standard) -> None:
    import tomllib

    import jsonschema

    root = Path(__file__).resolve().parents[2]
    path = root / "examples" / "profiles" / "buyer-l2.toml"
    schema = json.loads((root / "schemas" / "verification-profile.schema.json").read_text("utf-8"))
    data = tomllib.loads(path.read_text("utf-8"))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == []
    settings = resolve(standard, Level.L2, load_profile(path))
    assert sum(s.set_by is SetBy.PROFILE for s in settings) == len(data["parameters"])
