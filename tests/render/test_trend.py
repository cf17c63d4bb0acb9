"""``--previous``: earlier runs' headline numbers carried into the new results."""

from __future__ import annotations

import dataclasses
import json

import jsonschema
import pytest

from mlsvs.cli.main import main
from mlsvs.engine.trend import MAX_POINTS, trend_point, with_previous
from mlsvs.errors import UsageError
from mlsvs.model.assessment import ProblemKind
from mlsvs.model.verdict import Verdict
from mlsvs.render.json import dumps, load_assessment, results_json_schema
from tests.render import builders


def _run(finished: str, **kw):
    return builders.assessment(finished_at=finished, **kw)


def test_trend_chains_through_results_files():
    first = _run("2026-11-01T10:00:00Z")
    second = with_previous(_run("2026-11-08T10:00:00Z"), first, source="a.json")
    third = with_previous(_run("2026-11-15T10:00:00Z"), second, source="b.json")
    assert [p.finished_at for p in third.trend] == ["2026-11-01T10:00:00Z", "2026-11-08T10:00:00Z"]
    point = third.trend[0]
    assert [(lr.level.value, lr.satisfied, lr.applicable) for lr in point.levels] == [
        (1, 2, 5),
        (2, 3, 8),
        (3, 3, 9),
    ]
    assert all(lr.blocking == () for lr in point.levels)
    assert dict(point.counts)[Verdict.FAIL] == 3
    assert sum(n for _, n in point.counts) == len(first.verdicts)


def test_trend_keeps_the_newest_points_only():
    a = _run("2026-11-01T00:00:00Z")
    for day in range(2, MAX_POINTS + 10):
        a = with_previous(
            _run(
                f"2026-12-{day:02d}T00:00:00Z" if day < 32 else f"2027-01-{day - 31:02d}T00:00:00Z"
            ),
            a,
            source="x",
        )
    assert len(a.trend) == MAX_POINTS


def test_previous_from_the_future_is_a_usage_error():
    with pytest.raises(UsageError, match="give the older results file"):
        with_previous(_run("2026-11-01T00:00:00Z"), _run("2026-11-02T00:00:00Z"), source="p.json")


def test_another_standard_starts_a_new_trend_and_says_so():
    old = _run("2026-10-01T00:00:00Z")
    old = dataclasses.replace(old, standard=dataclasses.replace(old.standard, key="mlsvs-0.9.0"))
    new = with_previous(_run("2026-11-01T00:00:00Z"), old, source="old.json")
    assert new.trend == ()
    (note,) = [p for p in new.problems if p.path == "old.json"]
    assert note.kind is ProblemKind.CONFIG and "starts again" in note.message


def test_results_with_trend_validate_and_round_trip(tmp_path):
    a = with_previous(_run("2026-11-08T10:00:00Z"), _run("2026-11-01T10:00:00Z"), source="x")
    data = json.loads(dumps(a))
    jsonschema.Draft202012Validator(results_json_schema()).validate(data)
    path = tmp_path / "r.json"
    path.write_text(dumps(a), encoding="utf-8")
    assert load_assessment(path) == a
    assert trend_point(a).finished_at == "2026-11-08T10:00:00Z"


def test_render_previous_and_old_results_get_requirement_text(tmp_path):
    """A 1.1 file (no requirements, no trend) still loads; render adds the trend."""
    from mlsvs.catalog import load_standard

    standard = load_standard("1.1.0")
    base = builders.assessment(requirements=())
    base = dataclasses.replace(
        base,
        standard=dataclasses.replace(
            base.standard, key=standard.key, version="1.1.0", digest=standard.digest
        ),
    )
    old = json.loads(dumps(dataclasses.replace(base, finished_at="2026-11-01T00:00:00Z")))
    old["schema_version"] = "1.1"
    del old["requirements"], old["trend"]
    old_path = tmp_path / "old.json"
    old_path.write_text(json.dumps(old), encoding="utf-8")
    new_path = tmp_path / "new.json"
    new_path.write_text(dumps(base), encoding="utf-8")
    out = tmp_path / "out.json"
    html = tmp_path / "out.html"
    args = ["render", str(new_path), "--previous", str(old_path), "-f", f"json:{out}"]
    assert main([*args, "-f", f"html:{html}"]) == 0
    rendered = load_assessment(out)
    assert len(rendered.trend) == 1 and rendered.trend[0].finished_at == "2026-11-01T00:00:00Z"
    assert {r.id for r in rendered.requirements} == set(standard.requirements)
    assert "Trend (2 runs)" in html.read_text(encoding="utf-8")
    # a catalog with another digest is never used to fill the text in
    other = dataclasses.replace(base, standard=dataclasses.replace(base.standard, digest="0" * 64))
    new_path.write_text(dumps(other), encoding="utf-8")
    assert main(["render", str(new_path), "-f", f"json:{out}"]) == 0
    assert load_assessment(out).requirements == ()
