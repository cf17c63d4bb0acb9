from __future__ import annotations

import dataclasses
import io
import json

import pytest

from mlsvs.cli.main import main
from mlsvs.errors import UsageError
from mlsvs.model.catalog import Level
from mlsvs.model.result import Status
from mlsvs.model.verdict import Basis, LevelResult, RequirementVerdict, Verdict
from mlsvs.render.diff import diff_assessments, diff_to_dict, render_diff
from mlsvs.render.json import dumps
from tests.render import builders


def _with(verdicts, *, achieved=Level.L2, findings=()):
    return builders.assessment(
        verdicts=tuple(
            RequirementVerdict(
                requirement=r,
                level=Level.L1,
                verdict=v,
                basis=Basis.AUTOMATED,
                reasons=(f"why {r}",),
            )
            for r, v in verdicts
        ),
        achieved_level=achieved,
        levels=(LevelResult(level=Level.L1, met=achieved is not None),),
        findings=findings,
    )


@pytest.mark.parametrize(
    ("old", "new", "bucket"),
    [
        (Verdict.PASS, Verdict.WAIVED, "regressed"),
        (Verdict.PASS, Verdict.FAIL, "regressed"),
        (Verdict.NOT_APPLICABLE, Verdict.NOT_VERIFIED, "regressed"),
        (Verdict.WAIVED, Verdict.FAIL, "regressed"),
        (Verdict.NOT_VERIFIED, Verdict.FAIL, "regressed"),
        (Verdict.FAIL, Verdict.PASS, "improved"),
        (Verdict.FAIL, Verdict.WAIVED, "improved"),
        (Verdict.ERROR, Verdict.NOT_APPLICABLE, "improved"),
        (Verdict.FAIL, Verdict.ERROR, "changed"),
        (Verdict.ERROR, Verdict.NOT_VERIFIED, "changed"),
        (Verdict.PASS, Verdict.NOT_APPLICABLE, "changed"),
    ],
)
def test_verdict_moves_are_classified(old, new, bucket):
    d = diff_assessments(_with([("M1.1.1", old)]), _with([("M1.1.1", new)]))
    for name in ("regressed", "improved", "changed"):
        items = getattr(d, name)
        assert (len(items) == 1) is (name == bucket), name
    assert d.has_regressions is (bucket == "regressed")


def test_added_removed_and_level_drop():
    old = _with([("M1.1.1", Verdict.PASS), ("M2.1.1", Verdict.PASS)], achieved=Level.L2)
    new = _with([("M1.1.1", Verdict.PASS), ("M3.1.1", Verdict.FAIL)], achieved=Level.L1)
    d = diff_assessments(old, new)
    assert [c.requirement for c in d.added] == ["M3.1.1"]
    assert [c.requirement for c in d.removed] == ["M2.1.1"]
    assert d.removed[0].old is Verdict.PASS and d.removed[0].new is None
    assert d.level_dropped and d.has_regressions
    assert d.level_sentence() == "this change drops the system from L2 to L1"
    to_none = diff_assessments(old, dataclasses.replace(new, achieved_level=None))
    assert to_none.level_sentence() == "this change drops the system from L2 to none"
    up = diff_assessments(new, old)
    assert (
        not up.level_dropped
        and up.level_sentence() == "this change raises the system from L1 to L2"
    )


def test_new_failing_findings_by_fingerprint():
    base = builders.findings()
    fail = next(f for f in base if f.status is Status.FAIL and f.waiver is None)
    waived = next(f for f in base if f.waiver)
    old = _with([("M1.1.1", Verdict.PASS)], findings=(waived,))
    reworded = dataclasses.replace(fail, message="reworded")
    d = diff_assessments(old, _with([("M1.1.1", Verdict.PASS)], findings=(waived, reworded)))
    assert [f.id for f in d.new_failures] == [fail.id]
    assert d.has_regressions
    # the same fingerprint failing on both sides is not new, whatever its message
    d = diff_assessments(
        _with([("M1.1.1", Verdict.PASS)], findings=(fail,)),
        _with([("M1.1.1", Verdict.PASS)], findings=(reworded,)),
    )
    assert d.new_failures == () and not d.has_regressions
    # a waived failure is not a new failure
    d = diff_assessments(
        _with([("M1.1.1", Verdict.PASS)]), _with([("M1.1.1", Verdict.PASS)], findings=(waived,))
    )
    assert d.new_failures == ()


def test_identical_runs_have_no_changes(assessment):
    d = diff_assessments(assessment, builders.assessment())
    assert not d.has_regressions
    assert (d.regressed, d.improved, d.changed, d.added, d.removed) == ((),) * 5


def test_formats(passing, assessment):
    d = diff_assessments(passing, assessment)
    data = diff_to_dict(d)
    assert (
        data["regressed"] is True
        and data["level"]["summary"] == "this change drops the system from L3 to none"
    )
    assert {c["requirement"] for c in data["regressions"]} == {
        "M1.2.1",
        "M2.1.1",
        "M4.1.1",
        "M5.2.1",
        "M5.2.2",
        "M7.1.1",
    }
    out = io.StringIO()
    render_diff(d, "markdown", out)
    assert out.getvalue().startswith("## mlsvs diff: REGRESSED")
    assert "<script" not in out.getvalue()
    out = io.StringIO()
    render_diff(d, "text", out)
    assert "\x1b" not in out.getvalue() and "M5.2.2 (L2) pass -> waived" in out.getvalue()
    with pytest.raises(UsageError):
        render_diff(d, "pdf", io.StringIO())


def test_cli_exit_codes(tmp_path, capsys, passing, assessment):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(dumps(passing), encoding="utf-8")
    bad.write_text(dumps(assessment), encoding="utf-8")
    assert main(["diff", str(good), str(bad), "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["regressed"] is True
    assert main(["diff", str(bad), str(good)]) == 0
    assert "no regressions" in capsys.readouterr().out
    assert main(["diff", str(good), str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlsvs: error: ") and "missing.json" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_runs_on_different_standard_versions_compare_through_the_crosswalk(tmp_path, capsys):
    from mlsvs.model.assessment import StandardRef

    old = _with([("M6.2.3", Verdict.FAIL), ("M1.2.2", Verdict.PASS), ("M2.1.3", Verdict.PASS)])
    new = _with(
        [("M1.2.2", Verdict.PASS), ("M2.1.3", Verdict.PASS), ("M2.1.5", Verdict.NOT_VERIFIED)]
    )
    new = dataclasses.replace(
        new, standard=StandardRef(key="mlsvs", name="MLSVS", version="1.1.0", digest="d" * 64)
    )
    id_map = {"M6.2.3": ("M1.2.2",), "M1.2.2": ("M1.2.2",), "M2.1.3": ("M2.1.3", "M2.1.5")}
    d = diff_assessments(old, new, id_map=id_map)
    assert d.crosswalk == "1.0.0 -> 1.1.0"
    assert not d.removed and not d.added  # every 1.1.0 ID has a 1.0.0 source
    improved = {c.requirement: c for c in d.improved}
    # M1.2.2 absorbed M6.2.3, which failed: the worst old verdict is the baseline.
    assert improved["M1.2.2"].old is Verdict.FAIL
    assert improved["M1.2.2"].mapped_from == ("M6.2.3", "M1.2.2")
    assert [(c.requirement, c.mapped_from) for c in d.regressed] == [("M2.1.5", ("M2.1.3",))]
    # The CLI finds the crosswalk itself from the bundled catalogs.
    (tmp_path / "old.json").write_text(dumps(old), encoding="utf-8")
    (tmp_path / "new.json").write_text(dumps(new), encoding="utf-8")
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")]) == 1
    out = capsys.readouterr().out
    assert "compared through the crosswalk" in out and "M2.1.5 [from M2.1.3]" in out
