"""Help links (SARIF ``helpUri``, GitLab identifiers) resolve to headings of the generated docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlsvs.codescan.report import code_rules
from mlsvs.output.docs import anchor, check_uri, docs_url, requirement_uri
from mlsvs.scanner.output import rule_descriptors

DOCS = Path(__file__).parents[2] / "docs"
HEADING = re.compile(r"^#{1,6} (.+)$", re.M)


def _anchors(page: Path) -> set[str]:
    return {anchor(h) for h in HEADING.findall(page.read_text(encoding="utf-8"))}


def _resolve(uri: str) -> tuple[Path, str]:
    assert uri.startswith(docs_url()), uri
    rel, _, fragment = uri.removeprefix(docs_url()).partition("#")
    return DOCS / rel, fragment


def test_anchor_matches_github_slugs() -> None:
    assert anchor("MLC101: Model artifacts use a format") == "mlc101-model-artifacts-use-a-format"
    assert anchor("M1.1.1 Machine-readable inventory") == "m111-machine-readable-inventory"
    assert anchor("Secrets (MLC310, `mlsvs secrets`)") == "secrets-mlc310-mlsvs-secrets"


def test_every_check_links_to_its_docs_entry() -> None:
    from mlsvs.api import load_catalog
    from mlsvs.engine.registry import load_registry

    registry = load_registry(load_catalog())
    assert registry.checks
    for loaded in registry.checks:
        page, fragment = _resolve(check_uri(loaded.check.id, loaded.check.title))
        assert fragment in _anchors(page), (loaded.check.id, fragment)


def test_every_requirement_links_to_its_docs_section() -> None:
    from mlsvs.api import load_catalog

    standard = load_catalog()
    for chapter in standard.chapters:
        for section in chapter.sections:
            for req in section.requirements:
                page, fragment = _resolve(requirement_uri(req.id, req.title))
                assert page.is_file() and fragment in _anchors(page), (req.id, fragment)


@pytest.mark.parametrize("rules", [rule_descriptors(), code_rules()], ids=["scan", "code"])
def test_command_rules_link_to_existing_sections(rules: tuple[object, ...]) -> None:
    for rule in rules:
        page, fragment = _resolve(rule.help_uri)  # type: ignore[attr-defined]
        assert fragment in _anchors(page), (rule, fragment)


def test_docs_url_can_point_at_a_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLSVS_DOCS_URL", "https://git.example.internal/mlsvs/docs")
    assert check_uri("MLC101", "x").startswith("https://git.example.internal/mlsvs/docs/checks/")
