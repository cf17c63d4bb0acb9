"""Ground truth for the scanner corpus: every malicious fixture really acts under a real loader,
every benign fixture is quiet under the loaders a user would point at it."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import pytest

from tests.scanner.oracle.ground_truth import GROUND_TRUTH, NO_LOADER
from tests.scanner.oracle.harness import Loader, Oracle
from tests.scanner.scan_benign import BENIGN, LEGACY
from tests.scanner.scan_malicious import CASES

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.oracle

# Loaders for fixtures the default choice (by content and extension) does not cover.
LOADERS: dict[str, tuple[Loader, ...]] = {
    "protocol-0-text": (Loader.PICKLE,),
    "tar-symlink": (Loader.EXTRACT,),
    "tar-slip": (Loader.EXTRACT,),
}
_PROVEN_ELSEWHERE = set(GROUND_TRUTH) | set(NO_LOADER)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name not in _PROVEN_ELSEWHERE], ids=lambda c: c.name
)
def test_malicious_fixture_is_exploitable(
    case: object, oracle: Oracle, malicious_files: dict[str, Path]
) -> None:
    name = getattr(case, "name")  # noqa: B009
    verdict = oracle.judge(malicious_files[name], LOADERS.get(name), first_hit=True)
    assert verdict.malicious, verdict.explain()


@pytest.mark.parametrize("name", sorted(GROUND_TRUTH))
def test_non_exploit_fixture_ground_truth(
    name: str, oracle: Oracle, malicious_files: dict[str, Path]
) -> None:
    """The real loaders do what the category says: each refuses (or neutralises) the fixture
    and nothing harmful happens."""
    truth = GROUND_TRUTH[name]
    verdict = oracle.judge(malicious_files[name], truth.loaders)
    assert not verdict.malicious, verdict.explain()
    for obs in verdict.observations:
        assert obs.crash is None, verdict.explain()
        if truth.error is None:
            assert obs.error is None, verdict.explain()
        else:
            assert truth.error in (obs.error or ""), verdict.explain()


@pytest.mark.parametrize("name", sorted(NO_LOADER))
def test_unproven_fixture_really_lacks_its_loader(name: str) -> None:
    """Not proven: allowed only while the loader is absent (install it and this fails)."""
    module, reason = NO_LOADER[name]
    assert importlib.util.find_spec(module) is None, f"{name}: {module} is installed: prove it"
    assert reason


def test_every_fixture_has_ground_truth() -> None:
    names = {c.name for c in CASES}
    assert set(GROUND_TRUTH) <= names
    assert set(NO_LOADER) <= names
    assert not set(GROUND_TRUTH) & set(NO_LOADER)
    # everything else is parametrised into test_malicious_fixture_is_exploitable (no skips)
    categories = {t.category for t in GROUND_TRUTH.values()}
    assert categories <= {"loader-refused", "neutralised", "gadget-absent", "unknown",
                          "malformed", "resource", "unidentified"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_fixture_is_quiet(name: str, oracle: Oracle, benign_files: dict[str, Path]) -> None:
    if name not in benign_files:
        pytest.skip(f"{name}: library not installed")
    verdict = oracle.judge(benign_files[name])
    assert not verdict.malicious, verdict.explain()
    assert any(o.error is None for o in verdict.observations), verdict.explain()


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_old_release_fixture_loads_quietly(name: str, oracle: Oracle, tmp_path: Path) -> None:
    """Files of old numpy releases, rebuilt byte for byte: the current loader reads them (they
    are not refused, so the allowlist must accept them) and nothing else happens."""
    pytest.importorskip("numpy")
    verdict = oracle.judge(LEGACY[name](tmp_path), (Loader.PICKLE,))
    assert not verdict.malicious, verdict.explain()
    assert all(o.error is None for o in verdict.observations), verdict.explain()
