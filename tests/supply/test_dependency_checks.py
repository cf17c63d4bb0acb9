from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from mlsvs.checks.supply_chain.dependencies import (
    dependencies_hashed,
    dependencies_pinned,
    no_known_vulnerable_dependencies,
)
from mlsvs.checks.supply_chain.scanner_reports import scanner_reports_clean
from mlsvs.plugin import CheckContext, DependencyManifest, Project, Status
from mlsvs.supply.versions import installed_or_pinned_version

SHA = "sha256:" + "ab" * 32


@pytest.fixture(autouse=True)
def _no_user_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLSVS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _project(root: Path, files: dict[str, str]) -> Project:
    artifacts = []
    kinds = {"requirements.txt": "requirements", "pyproject.toml": "pyproject", "uv.lock": "uv_lock",
             "poetry.lock": "poetry_lock", "environment.yml": "conda", "pylock.toml": "pylock"}  # fmt: skip
    for name, text in files.items():
        (root / name).write_text(text)
        artifacts.append(
            DependencyManifest(root=root, path=name, size=len(text), manifest=kinds[name])
        )
    return Project(root=root, name="p", traits=frozenset(), artifacts=tuple(artifacts))


def _ctx(project: Project, advisories: dict[str, object] | None = None) -> CheckContext:
    settings = {"advisories": advisories} if advisories else {}
    return CheckContext(project=project, today=dt.date(2026, 11, 25), settings=settings)


def test_pins_and_hashes_in_requirements(tmp_path: Path) -> None:
    project = _project(tmp_path, {"requirements.txt": f"torch==2.6.0 --hash={SHA}\nnumpy>=1.26\n"})
    [pins] = dependencies_pinned.run(_ctx(project), project)
    assert pins.status is Status.FAIL and "numpy" in pins.message and "torch" not in pins.message
    [hashes] = dependencies_hashed.run(_ctx(project), project)
    assert hashes.status is Status.FAIL and "numpy" in hashes.message


def test_lock_file_covers_ranges_in_pyproject(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "p"\ndependencies = ["numpy>=1.26"]\n',
            "uv.lock": '[[package]]\nname = "numpy"\nversion = "1.26.4"\n'
            f'sdist = {{ url = "https://x", hash = "{SHA}" }}\n',
        },
    )
    assert [o.status for o in dependencies_pinned.run(_ctx(project), project)] == [Status.PASS] * 2
    assert [o.status for o in dependencies_hashed.run(_ctx(project), project)] == [Status.PASS] * 2


def test_no_manifest_fails_and_broken_manifest_errors_alone(tmp_path: Path) -> None:
    empty = Project(root=tmp_path, name="p", traits=frozenset())
    [outcome] = dependencies_pinned.run(_ctx(empty), empty)
    assert outcome.status is Status.FAIL
    project = _project(
        tmp_path, {"pyproject.toml": "[project\n", "requirements.txt": "torch==2.6.0\n"}
    )
    outcomes = dependencies_pinned.run(_ctx(project), project)
    assert sorted((o.status.value, o.key) for o in outcomes) == [
        ("not_verified", "pyproject.toml"),
        ("pass", "requirements.txt"),
    ]
    assert "pyproject.toml" in outcomes[0].message


def test_known_vulnerable_versions_with_dated_evidence(tmp_path: Path) -> None:
    project = _project(
        tmp_path, {"requirements.txt": "torch==2.5.1\nkeras==3.10.0\njoblib==1.3.2\n"}
    )
    outcomes = no_known_vulnerable_dependencies.run(_ctx(project), project)
    failed = {o.key: o for o in outcomes if o.status is Status.FAIL}
    assert set(failed) == {"torch==2.5.1", "keras==3.10.0"}
    torch = dict(failed["torch==2.5.1"].facts)
    assert torch["advisories"] == "GHSA-53q9-r3pm-6pq6" and "CVE-2025-32434" in torch["aliases"]
    assert torch["db.bundled.date"] == "2026-11-25" and len(torch["db.bundled.sha256"]) == 64
    assert "torch 2.5.1 (requirements.txt:1)" in failed["torch==2.5.1"].message


def _snapshot(root: Path, modified: str) -> None:
    record = {"id": "PYSEC-TEST-2", "modified": modified,
              "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.32.0"}]}]}]}  # fmt: skip
    (root / "osv.json").write_text(json.dumps([record]))


def test_clean_pins_pass_and_unpinned_cannot_be_checked(tmp_path: Path) -> None:
    clean = _project(tmp_path, {"requirements.txt": "torch==2.6.0\nkeras==3.14.0\n"})
    # The bundled records are a floor: no hit there is "no data", never a pass (issue 12).
    [floor] = no_known_vulnerable_dependencies.run(_ctx(clean), clean)
    assert floor.status is Status.NOT_VERIFIED and floor.key == "coverage"
    assert sorted(g.item for g in floor.gaps) == ["keras==3.14.0", "torch==2.6.0"]
    assert {g.reason.value for g in floor.gaps} == {"outside_database"}
    _snapshot(tmp_path, "2026-11-24T08:00:00Z")
    [outcome] = no_known_vulnerable_dependencies.run(_ctx(clean, {"osv": "osv.json"}), clean)
    assert outcome.status is Status.PASS and ("checked", "2") in outcome.facts
    # The same snapshot eleven days later is too old to vouch for anything (default 7 days) ...
    later = replace(_ctx(clean, {"osv": "osv.json"}), today=dt.date(2026, 12, 5))
    [stale] = no_known_vulnerable_dependencies.run(later, clean)
    assert stale.status is Status.NOT_VERIFIED and "12 days old" in stale.message
    # ... unless the standard's parameter (a verification profile) allows older data.
    tolerant = replace(later, parameters={"M3.2.3.max_advisory_age_days": 30})
    [ok] = no_known_vulnerable_dependencies.run(tolerant, clean)
    assert ok.status is Status.PASS
    (tmp_path / "requirements.txt").write_text("torch>=2.0\n")
    [unknown] = no_known_vulnerable_dependencies.run(_ctx(clean, {"osv": "osv.json"}), clean)
    assert unknown.status is Status.NOT_VERIFIED and "torch" in unknown.message


def test_osv_snapshot_from_config(tmp_path: Path) -> None:
    record = {"id": "PYSEC-TEST-1", "modified": "2026-10-01T00:00:00Z", "aliases": ["CVE-0000-1"],
              "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.32.0"}]}]}]}  # fmt: skip
    (tmp_path / "osv.json").write_text(json.dumps([record]))
    project = _project(tmp_path, {"requirements.txt": "requests==2.31.0\n"})
    [outcome] = no_known_vulnerable_dependencies.run(_ctx(project, {"osv": "osv.json"}), project)
    facts = dict(outcome.facts)
    assert outcome.status is Status.FAIL and facts["advisories"] == "PYSEC-TEST-1"
    assert facts["db.osv.date"] == "2026-10-01T00:00:00Z" and len(facts["db.osv.sha256"]) == 64
    [broken] = no_known_vulnerable_dependencies.run(_ctx(project, {"osv": "missing.zip"}), project)
    assert broken.status is Status.ERROR and "missing.zip" in broken.message


def test_scanner_reports(tmp_path: Path) -> None:
    project = _project(tmp_path, {"requirements.txt": "requests==2.32.3\n"})
    [none] = scanner_reports_clean.run(_ctx(project), project)
    assert none.status is Status.ABSTAINED
    report = {"dependencies": [{"name": "requests", "version": "2.32.3", "vulns": []}], "fixes": []}
    (tmp_path / "pip-audit.json").write_text(json.dumps(report))
    [clean] = scanner_reports_clean.run(_ctx(project), project)
    # An undated report can fail a package but never vouch for "no vulnerability" (MLC422 does).
    assert clean.status is Status.ABSTAINED and ("tool", "pip-audit") in clean.facts
    assert "no database date" in clean.message
    report["dependencies"][0]["version"] = "2.31.0"  # type: ignore[index]
    (tmp_path / "pip-audit.json").write_text(json.dumps(report))
    [stale] = scanner_reports_clean.run(_ctx(project), project)
    assert stale.status is Status.FAIL and "stale" in stale.message
    osv = {"results": [{"source": {"path": "requirements.txt"}, "packages": [
        {"package": {"name": "requests", "version": "2.32.3", "ecosystem": "PyPI"},
         "vulnerabilities": [{"id": "GHSA-9wx4-h78v-vm56"}]}]}]}  # fmt: skip
    (tmp_path / "pip-audit.json").unlink()
    (tmp_path / "osv-scanner.json").write_text(json.dumps(osv))
    [vulnerable] = scanner_reports_clean.run(_ctx(project), project)
    assert vulnerable.status is Status.FAIL and "GHSA-9wx4-h78v-vm56" in vulnerable.message
    (tmp_path / "osv-scanner.json").write_text("[1, 2")
    [bad] = scanner_reports_clean.run(_ctx(project), project)
    assert bad.status is Status.ERROR


def test_installed_or_pinned_version(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {
            "requirements.txt": "torch==2.5.1\n",
            "uv.lock": '[[package]]\nname = "torch"\nversion = "2.7.0"\n',
        },
    )
    found = installed_or_pinned_version(project, "Torch")
    assert found is not None and found.version == "2.5.1" and found.source == "requirements.txt:1"
    assert found.at_least("2.6") is False
    installed = installed_or_pinned_version(replace(project, artifacts=()), "packaging")
    assert installed is not None and installed.source == "installed"
    assert (
        installed_or_pinned_version(replace(project, artifacts=()), "surely-not-installed-pkg")
        is None
    )


def test_pins_in_a_compiled_requirements_file_cover_pyproject_ranges(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "p"\ndependencies = ["numpy>=1.26", "scipy"]\n',
            "requirements.txt": f"numpy==1.26.4 --hash={SHA}\n",
        },
    )
    outcomes = {o.key: o for o in dependencies_pinned.run(_ctx(project), project)}
    assert outcomes["requirements.txt"].status is Status.PASS
    pyproject = outcomes["pyproject.toml"]
    assert pyproject.status is Status.FAIL and "scipy" in pyproject.message
    assert "numpy" not in pyproject.message
    hashed = {o.key: o for o in dependencies_hashed.run(_ctx(project), project)}
    assert "numpy" not in hashed["pyproject.toml"].message


def test_advisory_age_limit_comes_from_the_standard_and_config_only_tightens(
    tmp_path: Path,
) -> None:
    clean = _project(tmp_path, {"requirements.txt": "torch==2.6.0\n"})
    _snapshot(tmp_path, "2026-11-23T08:00:00Z")  # two days before ctx.today
    level2 = replace(
        _ctx(clean, {"osv": "osv.json"}), parameters={"M3.2.3.max_advisory_age_days": 1}
    )
    [strict] = no_known_vulnerable_dependencies.run(level2, clean)
    assert strict.status is Status.NOT_VERIFIED and "limit 1" in strict.message
    relaxed = replace(level2, settings={"advisories": {"osv": "osv.json", "max_age_days": 30}})
    [still] = no_known_vulnerable_dependencies.run(relaxed, clean)
    assert still.status is Status.NOT_VERIFIED  # the project cannot relax the standard
    level1 = _ctx(clean, {"osv": "osv.json", "max_age_days": 1})
    [tight] = no_known_vulnerable_dependencies.run(level1, clean)
    assert tight.status is Status.NOT_VERIFIED  # ... but may tighten it
    [ok] = no_known_vulnerable_dependencies.run(_ctx(clean, {"osv": "osv.json"}), clean)
    assert ok.status is Status.PASS
