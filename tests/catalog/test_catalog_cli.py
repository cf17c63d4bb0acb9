"""``mlsvs catalog`` and ``mlsvs procurement`` end to end (in process, fixture catalog)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mlsvs.cli.main import main

from .helpers import CATALOGS, VALID

CAT = ["--catalog", str(VALID)]


def _ids(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], ["M1.1.1", "M1.1.2", "M1.2.1", "M1.2.2", "M2.1.1"]),
        (["--level", "L1"], ["M1.1.1", "M2.1.1"]),
        (["--level", "2"], ["M1.1.1", "M1.1.2", "M1.2.2", "M2.1.1"]),
        (["--only-level", "L2"], ["M1.1.2", "M1.2.2"]),
        (["--chapter", "M2"], ["M2.1.1"]),
        (["--method", "a-static,attest"], ["M1.1.1", "M1.2.1", "M2.1.1"]),
        (["--tag", "genai"], ["M2.1.1"]),
        (["--maps", "ML02"], ["M1.2.1", "M1.2.2"]),
        (["--maps", "AML.T0010"], ["M1.1.1", "M1.1.2"]),  # includes sub-technique .003
        (["--maps", "Art. 15(5)"], ["M1.1.2"]),
        (["--maps", "aisvs_1.0:c6.1.1"], ["M1.1.1"]),
        (["--maps", "ML02", "--level", "L2"], ["M1.2.2"]),
    ],
)
def test_list_filters(capsys, flags, expected) -> None:
    assert main(["catalog", "list", *CAT, *flags]) == 0
    captured = capsys.readouterr()
    assert _ids(captured.out) == expected
    assert f"{len(expected)} requirement(s)" in captured.err


def test_list_json(capsys) -> None:
    assert main(["catalog", "list", *CAT, "--tag", "genai", "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["cite"] == "v1.0.0-M2.1.1"
    assert record["applicability"] == ["genai"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["catalog", "list", "--level", "L4"], "unknown level 'L4' (expected L1, L2 or L3)"),
        (["catalog", "list", "--method", "manual"], "unknown method 'manual'"),
        (["catalog", "list", "--chapter", "M9"], "unknown chapter 'M9' (known: M1, M2)"),
        (["catalog", "list", "--tag", "cloud"], "unknown applicability tag 'cloud'"),
        (["catalog", "show", "M9.9.9"], "unknown requirement ID 'M9.9.9' in MLSVS 1.0.0"),
        (["catalog", "show", "v2.0.0-M1.1.1"], "v2.0.0-M1.1.1 cites version 2.0.0, not 1.0.0"),
        (["catalog", "export", "-f", "xml"], "unknown export format 'xml'"),
        (["procurement", "--level", "L2", "-f", "pdf"], "unknown output format 'pdf'"),
        (["procurement", "--level", "L2", "--tags", "cloud"], "unknown applicability tag 'cloud'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message) -> None:
    assert main([*argv, *CAT]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlsvs: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_show_requirement_and_chapter(capsys) -> None:
    assert main(["catalog", "show", *CAT, "v1.0.0-M1.2.1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# M1.2.1 Datasets are content-addressed")
    assert "- **Applicability:** `personal_data`" in out
    assert "- **Fail condition:** A dataset file changed" in out
    assert main(["catalog", "show", *CAT, "M2"]) == 0
    assert capsys.readouterr().out.startswith("# M2 Generative AI add-on")


def test_export_to_file(tmp_path, capsys) -> None:
    target = tmp_path / "mlsvs.cdx.json"
    assert main(["catalog", "export", *CAT, "-f", "cyclonedx", "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text("utf-8"))["specVersion"] == "1.6"


def test_export_to_unwritable_path_is_a_usage_error(tmp_path, capsys) -> None:
    target = tmp_path / "missing-dir" / "x.json"
    assert main(["catalog", "export", *CAT, "-f", "json", "-o", str(target)]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_validate_valid_and_broken(capsys) -> None:
    assert main(["catalog", "validate", str(VALID)]) == 0
    assert "valid: Test Machine Learning" in capsys.readouterr().out
    assert main(["catalog", "validate", str(CATALOGS / "broken")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("is invalid (17 problem(s))")
    assert "  chapters/M2-schema.yaml:13: level must be 1, 2 or 3 (got 4)" in err
    assert len(err) == 18


def test_validate_a_directory_that_is_not_a_catalog(tmp_path, capsys) -> None:
    assert main(["catalog", "validate", str(tmp_path)]) == 2
    assert "is not a catalog directory" in capsys.readouterr().err


def test_loading_a_broken_overlay_fails_cleanly(capsys) -> None:
    assert main(["catalog", "list", "--catalog", str(CATALOGS / "malformed")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "is invalid (1 problem(s)); first: chapters/M1-bad.yaml:6: malformed YAML" in err
    assert err.rstrip().endswith("malformed' to list them all")


def test_procurement_formats(tmp_path, capsys) -> None:
    base = ["procurement", *CAT, "--level", "L2", "--tags", "exposes_inference_api"]
    assert main([*base, "-f", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("requirement_id,citation,level,title,verification")
    # genai and personal_data are unanswered: their L2 requirements stay in scope (fail closed)
    assert [r.split(",")[0] for r in rows[1:]] == ["M1.1.1", "M1.1.2", "M1.2.2", "M2.1.1"]
    out = tmp_path / "annex.html"
    assert main([*base, "-f", "html", "-o", str(out)]) == 0
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert main(base) == 0
    assert capsys.readouterr().out.startswith(
        "# Annex: ML security requirements (MLSVS 1.0.0, level L2)"
    )


def test_cli_start_up_stays_light() -> None:
    code = (
        "import sys, mlsvs.cli.catalog, mlsvs.cli.procurement, mlsvs.catalog; "
        "heavy = {'yaml', 'pydantic', 'jinja2', 'rich', 'cyclonedx'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
