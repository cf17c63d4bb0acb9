"""Schema validators for every output format (the official schemas vendored in
tests/render/schemas, see the README there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

SCHEMAS = Path(__file__).parent.parent / "render" / "schemas"


class Validators:
    """SARIF 2.1.0, Jenkins JUnit and GitLab SAST validators; ``check`` validates one file."""

    def __init__(self) -> None:
        import xmlschema

        sarif = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
        gitlab = json.loads((SCHEMAS / "gitlab-sast-report-format-15.2.1.json").read_text())
        deps = json.loads(
            (SCHEMAS / "gitlab-dependency-scanning-report-format-15.2.1.json").read_text()
        )
        self.gitlab_deps = jsonschema.Draft7Validator(deps)
        self.sarif = jsonschema.Draft4Validator(sarif, format_checker=jsonschema.FormatChecker())
        self.gitlab = jsonschema.Draft7Validator(gitlab)
        self.junit = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))

    def errors(self, fmt: str, text: str) -> list[str]:
        """Schema errors of one rendered output (empty when valid)."""
        if fmt == "sarif":
            return [e.message for e in self.sarif.iter_errors(json.loads(text))]
        if fmt == "gitlab-sast":
            return [e.message for e in self.gitlab.iter_errors(json.loads(text))]
        if fmt == "gitlab-dependency-scanning":
            return [e.message for e in self.gitlab_deps.iter_errors(json.loads(text))]
        if fmt == "junit":
            return [str(e.reason) for e in self.junit.iter_errors(text)]
        raise AssertionError(fmt)

    def check(self, fmt: str, path: Path) -> Any:
        """Validate the file and return it parsed (JSON) or as text (XML, Markdown)."""
        text = path.read_text(encoding="utf-8")
        if fmt in {"sarif", "gitlab-sast", "gitlab-dependency-scanning", "junit"}:
            errors = self.errors(fmt, text)
            assert errors == [], (fmt, path, errors[:3])
        return json.loads(text) if fmt.startswith(("sarif", "gitlab", "json")) else text


@pytest.fixture(scope="session")
def validators() -> Validators:
    return Validators()
