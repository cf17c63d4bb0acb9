"""Annotated fixtures: the set of (cell, line, rule) hits equals the `# expect:` annotations."""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

import pytest

from mlsvs.codescan import CodeRule, scan_file

FIXTURES = Path(__file__).parent / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(?P<rules>MLCODE\d{3}(?:\s*,\s*MLCODE\d{3})*)")
CASES = sorted(FIXTURES.glob("*.py")) + sorted(FIXTURES.glob("*.ipynb"))


def _annotations(source: str, cell: int | None) -> set[tuple[int | None, int, str]]:
    found: set[tuple[int | None, int, str]] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and (match := EXPECT.search(token.string)):
            for rule in match["rules"].split(","):
                found.add((cell, token.start[0], rule.strip()))
    return found


def expected(path: Path) -> set[tuple[int | None, int, str]]:
    if path.suffix == ".py":
        return _annotations(path.read_text(encoding="utf-8"), None)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    found: set[tuple[int | None, int, str]] = set()
    for number, cell in enumerate(notebook["cells"], start=1):
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            # annotations are plain comments; magics do not disturb the comment tokens
            masked = "\n".join(
                "pass" if line.lstrip()[:1] in "%!" and "# expect" not in line else line
                for line in source.split("\n")
            )
            found |= _annotations(masked, number)
    return found


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_hits_equal_annotations_exactly(path: Path) -> None:
    result = scan_file(path, display=path.name)
    assert result.errors == ()
    got = {(f.cell, f.line, f.rule.value) for f in result.findings}
    assert got == expected(path)


def test_every_rule_has_positive_cases() -> None:
    annotated = {rule for path in CASES for (_c, _l, rule) in expected(path)}
    assert annotated == {r.value for r in CodeRule}


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_fixture_has_negative_cases(path: Path) -> None:
    # Lines with code but no annotation are the negative cases; each fixture must have many.
    text = path.read_text(encoding="utf-8")
    negatives = [
        line
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#") and "# expect" not in line
    ]
    assert len(negatives) >= 5
