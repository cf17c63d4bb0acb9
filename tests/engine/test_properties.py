"""Property-based tests (hypothesis) over discovery and the verdict logic.

For random trees of files with random names (non-UTF-8 bytes, control characters), contents
(pickles, random bytes, empty, Git LFS pointers, text), kinds (FIFOs, links, loops) and read
failures, no requirement ever passes on an item that was not read, and every run either
produces a complete report or exits 2 with a one-line reason. Examples are bounded so the
suite stays fast in CI; the permission variant drops to ``nobody`` in a forked child because
CI runs as root (for whom ``chmod 000`` changes nothing).
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlsvs.api import load_catalog
from mlsvs.config import Config
from mlsvs.discovery import discover
from mlsvs.discovery.read import head_of
from mlsvs.engine.assess import assess_project
from mlsvs.engine.coverage import discovery_gaps
from mlsvs.engine.registry import load_registry
from mlsvs.engine.verdicts import ApplicabilityProfile, Evidence, decide
from mlsvs.errors import DiscoveryError
from mlsvs.model.catalog import Verification
from mlsvs.model.coverage import Gap, GapReason
from mlsvs.model.result import Finding, Severity, Status, TargetRef
from mlsvs.model.verdict import Verdict
from tests.contract.hostile import run_unprivileged, world_readable_tmpdir
from tests.engine.test_verdicts import attestation, req

STANDARD = load_catalog()
REGISTRY = load_registry(STANDARD)
TRAITS = frozenset(t.id for t in STANDARD.tags)
TODAY = dt.date(2026, 6, 1)
FAST = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

# ---------------------------------------------------------------- verdict logic (pure, fast)

gaps_st = st.lists(
    st.builds(
        Gap,
        item=st.text(min_size=1, max_size=12),
        reason=st.sampled_from(GapReason),
        detail=st.text(max_size=10),
    ),
    max_size=3,
).map(tuple)
findings_st = st.lists(
    st.builds(
        Finding,
        id=st.uuids().map(str),
        check=st.sampled_from(["MLC101", "MLC102", "MLC301"]),
        requirements=st.just(("M4.1.1",)),
        severity=st.sampled_from(Severity),
        status=st.sampled_from(Status),
        target=st.just(TargetRef(path="m.pkl", kind="model")),
        message=st.text(max_size=10),
        waiver=st.none() | st.just("W1"),
        gaps=gaps_st,
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    findings=findings_st,
    discovered=gaps_st,
    method=st.sampled_from(Verification),
    attested=st.booleans(),
    has_checks=st.booleans(),
)
def test_nothing_passes_with_a_gap_or_an_unverified_outcome(
    findings: list[Finding],
    discovered: tuple[Gap, ...],
    method: Verification,
    attested: bool,
    has_checks: bool,
) -> None:
    evidence = Evidence(
        requirement=req(method),
        chapter_tags=frozenset(),
        findings=findings,
        attestation=attestation() if attested else None,
        has_checks=has_checks,
        gaps=discovered,
    )
    verdict = decide(evidence, frozenset())
    incomplete = bool(discovered) or any(
        f.gaps or f.status is Status.NOT_VERIFIED for f in findings
    )
    if incomplete and findings + list(discovered):
        assert verdict.verdict is not Verdict.PASS
    if verdict.verdict is Verdict.NOT_VERIFIED and verdict.gaps:
        named = set(discovered) | {g for f in findings for g in f.gaps}
        # An unverified outcome without gaps is named after its target.
        assert {g for g in verdict.gaps if g not in named} <= {
            g for g in verdict.gaps if g.item == "m.pkl" and g.reason is GapReason.UNSUPPORTED
        }
    if verdict.verdict is Verdict.PASS and method is not Verification.ATTEST:
        assert all(f.status in {Status.PASS, Status.NOT_APPLICABLE} for f in findings)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    tags=st.sets(st.sampled_from(sorted(TRAITS)), min_size=1, max_size=3),
    declared=st.sets(st.sampled_from(sorted(TRAITS)), max_size=4),
    denied=st.sets(st.sampled_from(sorted(TRAITS)), max_size=3),
    evidenced=st.sets(st.sampled_from(sorted(TRAITS)), max_size=4),
)
def test_applicability_cannot_be_dodged(
    tags: set[str], declared: set[str], denied: set[str], evidenced: set[str]
) -> None:
    denied -= declared
    profile = ApplicabilityProfile(
        declared=frozenset(declared),
        denied=dict.fromkeys(denied, "reason"),
        evidence={t: ["x.py: seen"] for t in evidenced},
    )
    evidence = Evidence(
        requirement=req(Verification.STATIC, tags=frozenset(tags)),
        chapter_tags=frozenset(),
        findings=[],
        attestation=None,
        has_checks=True,
    )
    verdict = decide(evidence, profile).verdict
    missing = tags - declared
    if not missing:
        return
    definitely_false = {t for t in missing if t in denied or t not in evidenced}
    if definitely_false:
        assert verdict is Verdict.NOT_APPLICABLE
    else:
        assert verdict is Verdict.NOT_VERIFIED  # evidence for every missing tag: never n/a


# ------------------------------------------------------------------- discovery end to end

name_st = st.one_of(
    st.sampled_from(
        ["model.pkl", "w.pt", "train.py", "nb.ipynb", "data.csv", "README.md", "Dockerfile",
         "requirements.txt", "blob", "x.safetensors", "bom.cdx.json", "conf.yaml"]
    ),
    st.binary(min_size=1, max_size=8).map(
        lambda b: b.replace(b"/", b"_").replace(b"\x00", b"_") + b".pkl"
    ),
)  # fmt: skip
content_st = st.one_of(
    st.just(b""),
    st.just(pickle.dumps({"w": [1.0, 2.0]}, protocol=4)),
    st.just(b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 3\n"),
    st.just(b"import os\nprint(1)\n"),
    st.binary(min_size=1, max_size=2048),
)
entry_st = st.tuples(
    st.sampled_from(["", "models/", "data/", "src/deep/"]),
    name_st,
    st.sampled_from(["file", "file", "file", "fifo", "loop", "dangling"]),
    content_st,
    st.booleans(),  # unreadable
)
tree_st = st.lists(entry_st, max_size=7)


def _build(root: Path, entries: list[tuple[str, bytes | str, str, bytes, bool]]) -> set[str]:
    """Create the tree; return the relative paths whose content must count as not read."""
    unread: set[str] = set()
    for folder, name, kind, content, unreadable in entries:
        raw_name = name if isinstance(name, bytes) else name.encode()
        if raw_name in {b".", b".."}:
            continue
        directory = root / folder
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)
        target = os.fsencode(directory) + b"/" + raw_name
        if os.path.lexists(target):
            continue
        rel = os.fsdecode(os.fsencode(folder) + raw_name)
        if kind == "fifo":
            os.mkfifo(target)
            unread.add(rel)
        elif kind == "loop":
            os.symlink(target, target)
            unread.add(rel)
        elif kind == "dangling":
            os.symlink(b"/nonexistent/" + raw_name, target)
            unread.add(rel)
        else:
            with open(target, "wb") as handle:
                handle.write(content)
            os.chmod(target, 0o000 if unreadable else 0o644)
            if unreadable:
                unread.add(rel)
    return unread


def _judge(root: Path, unread: set[str], read_head: object = None) -> dict[str, object]:
    """Run the pipeline; return what the property needs (plain values, JSON-friendly)."""
    config = Config(name="p", traits=TRAITS)
    try:
        discovery = discover(root, config, read_head=read_head)  # type: ignore[arg-type]
        project = discovery.project
        if not project.artifacts:
            raise DiscoveryError("nothing to assess")
    except DiscoveryError as exc:
        return {"exit2": str(exc)}
    assessment = assess_project(
        discovery,
        config,
        STANDARD,
        REGISTRY,
        root_label=str(root),
        today=TODAY,
        now=lambda: dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )
    verdicts = {v.requirement: v.verdict.value for v in assessment.verdicts}
    gap_items = {g.item for g in project.gaps}
    # Requirements that a gap could concern, per the check that maps them.
    concerned: dict[str, list[str]] = {}
    for loaded in REGISTRY.checks:
        for gap in discovery_gaps(loaded.check, project.gaps):
            for requirement in loaded.check.requirements:
                concerned.setdefault(requirement, []).append(gap.item)
    return {
        "verdicts": verdicts,
        "complete": len(verdicts) == len(STANDARD.requirements) and not assessment.interrupted,
        "gaps": sorted(gap_items),
        "concerned": concerned,
        "artifacts": sorted(a.path for a in project.artifacts),
    }


def _check_property(result: dict[str, object], unread: set[str]) -> None:
    if "exit2" in result:
        message = result["exit2"]
        assert isinstance(message, str) and message and "\n" not in message
        return
    assert result["complete"]
    gaps = set(result["gaps"])  # type: ignore[arg-type]
    artifacts = set(result["artifacts"])  # type: ignore[arg-type]
    for rel in unread:
        assert rel not in artifacts, f"{rel!r} was not read but became an artifact"
        assert rel in gaps, f"{rel!r} was not read and is not listed as a gap"
    verdicts = result["verdicts"]
    assert isinstance(verdicts, dict)
    concerned = result["concerned"]
    assert isinstance(concerned, dict)
    for requirement, items in concerned.items():
        assert verdicts[requirement] != "pass", f"{requirement} passed despite gaps {items}"


def _fresh_tree(entries: list[tuple[str, bytes | str, str, bytes, bool]]) -> tuple[Path, set[str]]:
    root = world_readable_tmpdir()
    return root, _build(root, entries)


def _cleanup(root: Path) -> None:
    for path in root.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(root)


@FAST
@given(entries=tree_st, fail_on=st.sets(st.integers(0, 6), max_size=3))
def test_random_trees_with_injected_read_failures(
    entries: list[tuple[str, bytes | str, str, bytes, bool]], fail_on: set[int]
) -> None:
    # Permissions are ignored here (root reads everything); failures come from the seam.
    plain = [(f, n, k, c, False) for f, n, k, c, _ in entries]
    root, unread = _fresh_tree(plain)
    try:
        regular = sorted(
            os.fsdecode(os.fsencode(f) + (n if isinstance(n, bytes) else n.encode()))
            for f, n, k, _, _ in plain
            if k == "file"
        )
        failing = {regular[i] for i in fail_on if i < len(regular)}

        def read_head(path: Path, size: int) -> bytes:
            if path.relative_to(root).as_posix() in failing:
                raise PermissionError(13, "Permission denied")
            return head_of(path, size)

        result = _judge(root, unread | failing, read_head)
        _check_property(result, unread | failing)
    finally:
        _cleanup(root)


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(entries=tree_st)
def test_random_trees_with_real_permissions(
    entries: list[tuple[str, bytes | str, str, bytes, bool]],
) -> None:
    root, unread = _fresh_tree(entries)
    try:
        if os.geteuid() == 0:
            _judge(root, set())  # warm-up: lazy imports happen before dropping privileges
        result = run_unprivileged(lambda: _judge(root, unread))
        _check_property(result, unread)
    finally:
        _cleanup(root)


def test_a_tree_of_only_unreadable_files_exits_2() -> None:
    root, unread = _fresh_tree([("", "model.pkl", "file", b"x" * 64, True)])
    try:
        result = run_unprivileged(lambda: _judge(root, unread))
        assert "exit2" in result
    finally:
        _cleanup(root)


@pytest.mark.parametrize("reason", list(GapReason))
def test_every_gap_reason_blocks_a_pass(reason: GapReason) -> None:
    gap = Gap(item="x", reason=reason)
    evidence = Evidence(
        requirement=req(Verification.STATIC),
        chapter_tags=frozenset(),
        findings=[],
        attestation=None,
        has_checks=True,
        gaps=(gap,),
    )
    assert decide(evidence, frozenset()).verdict is Verdict.NOT_VERIFIED
