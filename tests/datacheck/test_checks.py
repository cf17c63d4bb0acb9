from __future__ import annotations

import datetime as dt
import random

import pytest

from mlsvs.checks.data.integrity import datasets_content_addressed, record_hashes_verify
from mlsvs.checks.data.pii import no_unreviewed_pii
from mlsvs.checks.data.quality import canary_poisoning, poisoning_screening
from mlsvs.checks.data.splits import no_entity_or_time_leakage, splits_disjoint
from mlsvs.datacheck.manifest import build_manifest, dump_manifest
from mlsvs.plugin import Capability, CheckContext, DatasetArtifact, Status

from .helpers import FEATURES, card, numeric_rows, project, write_csv

NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
HEADER = ["customer_id", "date", *FEATURES, "y"]


def _rows(seed: int, n: int, prefix: str, year: int) -> list[list[object]]:
    return [
        [f"{prefix}{i}", f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}", *r]
        for i, r in enumerate(numeric_rows(seed, n))
    ]


def _clean(root, records: bool = True) -> None:
    (root / "mlsvs.toml").write_text('name = "clean"\n')
    write_csv(root / "data" / "train.csv", HEADER, _rows(1, 400, "a", 2023))
    write_csv(root / "data" / "test.csv", HEADER, _rows(2, 100, "b", 2024))
    manifest = build_manifest(root, ["data"], records=records, now=NOW)
    (root / "mlsvs-data-manifest.json").write_text(dump_manifest(manifest))


SETTINGS = {
    "record_hashes": True,
    "key_column": "customer_id",
    "time_column": "date",
    "label_column": "y",
}


def _statuses(outcomes) -> set[Status]:
    return {o.status for o in outcomes}


def test_clean_project_passes_every_check(tmp_path) -> None:
    _clean(tmp_path)
    ctx, proj = project(tmp_path, SETTINGS)
    for check in (
        datasets_content_addressed,
        record_hashes_verify,
        splits_disjoint,
        no_entity_or_time_leakage,
        poisoning_screening,
    ):
        outcomes = check.run(ctx, proj)
        assert _statuses(outcomes) == {Status.PASS}, (check.id, [o.message for o in outcomes])
    for dataset in proj.of_type(DatasetArtifact):
        [outcome] = no_unreviewed_pii.run(ctx, dataset)
        assert outcome.status is Status.PASS, outcome.message
    [quality] = poisoning_screening.run(ctx, proj)
    names = {m.name for m in quality.measurements}
    assert names == {
        "label_noise_rate",
        "label_issue_rate",
        "duplicate_rate",
        "outlier_rate",
        "class_imbalance",
    }


def test_insecure_project_fails_for_the_right_reasons(tmp_path) -> None:
    _clean(tmp_path)
    rng = random.Random(1)
    train = _rows(1, 400, "a", 2023)
    people = [[f"user{i}@example.com", card(rng), *r] for i, r in enumerate(train)]
    write_csv(tmp_path / "data" / "train.csv", ["email", "card", *HEADER], people)
    leaked = _rows(2, 100, "b", 2024)
    leaked[:3] = [["zz", "2024-05-05", *r[2:]] for r in train[:3]]
    leaked[3][0] = "a7"  # an entity seen in training
    write_csv(tmp_path / "data" / "test.csv", HEADER, leaked)
    ctx, proj = project(tmp_path, SETTINGS)
    integrity = datasets_content_addressed.run(ctx, proj)
    assert Status.FAIL in _statuses(integrity)
    assert any("data/train.csv (changed" in o.message for o in integrity)
    records = record_hashes_verify.run(ctx, proj)
    assert any(o.status is Status.FAIL and "header changed" in o.message for o in records)
    [overlap] = splits_disjoint.run(ctx, proj)
    assert overlap.status is Status.FAIL and "3 of 100 test row(s)" in overlap.message
    entity, time = no_entity_or_time_leakage.run(ctx, proj)
    assert entity.status is Status.FAIL and "1 of 98 test entities" in entity.message
    assert time.status is Status.PASS
    train_ds = next(d for d in proj.of_type(DatasetArtifact) if d.path == "data/train.csv")
    [pii] = no_unreviewed_pii.run(ctx, train_ds)
    assert pii.status is Status.FAIL
    assert "email: 400 email" in pii.message and "card: 400 credit_card" in pii.message
    assert dict(pii.facts)["count.credit_card"] == "400"
    allow = [{"ref": "data/train.csv:email", "reason": "hashed at load"}, "data/*.csv:card"]
    ctx, proj = project(tmp_path, {**SETTINGS, "pii_allow": allow})
    [pii] = no_unreviewed_pii.run(ctx, train_ds)
    assert pii.status is Status.PASS and "2 reviewed exception(s)" in pii.message
    assert dict(pii.facts)["reviewed.email:email"] == "hashed at load"


def test_uncovered_datasets_fail_and_without_datasets_the_check_abstains(tmp_path) -> None:
    _clean(tmp_path)
    (tmp_path / "mlsvs-data-manifest.json").unlink()
    ctx, proj = project(tmp_path, {})
    [coverage] = datasets_content_addressed.run(ctx, proj)
    assert coverage.status is Status.FAIL and "not covered" in coverage.message
    [records] = record_hashes_verify.run(ctx, proj)
    assert records.status is Status.ABSTAINED
    [leak] = no_entity_or_time_leakage.run(ctx, proj)
    assert leak.status is Status.ABSTAINED
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "mlsvs.toml").write_text("")
    ctx, proj = project(empty, {})
    for check in (datasets_content_addressed, splits_disjoint):
        [outcome] = check.run(ctx, proj)
        assert outcome.status is Status.ABSTAINED


def test_malformed_files_error_per_file(tmp_path) -> None:
    _clean(tmp_path, records=False)
    with (tmp_path / "data" / "test.csv").open("a") as handle:
        handle.write("1,2,3\n")  # ragged
    (tmp_path / "data" / "other.csv").write_text("a,b\n1,2\n")
    ctx, proj = project(tmp_path, {"label_column": "y"})
    [overlap] = splits_disjoint.run(ctx, proj)
    assert overlap.status is Status.NOT_VERIFIED
    assert "data/test.csv:102: ragged row" in overlap.message
    assert [g.reason.value for g in overlap.gaps] == ["unparseable"]
    by_path = {d.path: d for d in proj.of_type(DatasetArtifact)}
    [bad] = no_unreviewed_pii.run(ctx, by_path["data/test.csv"])
    [good] = no_unreviewed_pii.run(ctx, by_path["data/other.csv"])
    assert bad.status is Status.NOT_VERIFIED and "ragged" in bad.message
    assert bad.gaps[0].item == "data/test.csv"
    assert good.status is Status.PASS


def test_settings_errors_and_unidentified_splits(tmp_path) -> None:
    _clean(tmp_path)
    ctx, proj = project(tmp_path, {"bogus": 1})
    [outcome] = splits_disjoint.run(ctx, proj)
    assert outcome.status is Status.ERROR and "unknown key(s) bogus" in outcome.message
    ctx, proj = project(tmp_path, {"near_digits": "3"})
    [outcome] = datasets_content_addressed.run(ctx, proj)
    assert outcome.status is Status.ERROR
    (tmp_path / "data" / "train.csv").rename(tmp_path / "data" / "all.csv")
    ctx, proj = project(tmp_path, {})
    [outcome] = splits_disjoint.run(ctx, proj)
    assert outcome.status is Status.ERROR and "declare [datasets] splits" in outcome.message


RECIPE = """
from sklearn.tree import DecisionTreeClassifier


def fit(X, y, seed):
    return DecisionTreeClassifier(random_state=seed).fit(X, y)
"""


def test_canary_check(tmp_path) -> None:
    pytest.importorskip("sklearn")
    _clean(tmp_path)
    (tmp_path / "recipe.py").write_text(RECIPE)
    ctx, proj = project(tmp_path, {**SETTINGS, "recipe": "recipe:fit"})
    ctx = CheckContext(
        project=proj, today=ctx.today, settings=ctx.settings,
        capabilities=frozenset({Capability.MODEL_EXECUTION}),
    )  # fmt: skip
    [outcome] = canary_poisoning.run(ctx, proj)
    assert outcome.status is Status.FAIL, outcome.message
    asr = next(m for m in outcome.measurements if m.name == "canary_attack_success_rate")
    assert asr.value > 0.5 and asr.threshold == 0.2
    ctx2, _ = project(
        tmp_path,
        {
            **SETTINGS,
            "recipe": "recipe:fit",
            "canary_attack_success_max": 1.0,
            "canary_accuracy_drop_max": 1.0,
        },
    )
    [outcome] = canary_poisoning.run(ctx2, proj)
    assert outcome.status is Status.PASS
    ctx3, _ = project(tmp_path, SETTINGS)
    [outcome] = canary_poisoning.run(ctx3, proj)
    assert outcome.status is Status.NOT_VERIFIED and "no training recipe" in outcome.message
    assert [(g.item, g.reason.value) for g in outcome.gaps] == [
        ("[datasets] recipe", "not_present")
    ]
    ctx4, _ = project(tmp_path, {**SETTINGS, "recipe": "missing_module:fit"})
    [outcome] = canary_poisoning.run(ctx4, proj)
    assert outcome.status is Status.ERROR and "cannot import missing_module" in outcome.message


@pytest.mark.slow
def test_canary_runs_in_the_engines_isolated_process(tmp_path) -> None:
    pytest.importorskip("sklearn")
    from mlsvs.engine.isolated import run_isolated

    _clean(tmp_path)
    (tmp_path / "recipe.py").write_text(RECIPE)
    ctx, proj = project(tmp_path, {**SETTINGS, "recipe": "recipe:fit"})
    assert canary_poisoning.isolation.value == "process"
    outcomes = run_isolated("mlsvs.checks.data.quality:canary_poisoning", ctx, proj, 120.0)
    assert [o.status for o in outcomes] == [Status.FAIL]
    assert {m.name for m in outcomes[0].measurements} == {
        "canary_attack_success_rate",
        "clean_accuracy_change",
    }
