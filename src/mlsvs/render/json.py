"""``results.json``: the ``Assessment`` as JSON, its JSON Schema, and reading it back.

The file is what ``mlsvs render`` and ``mlsvs diff`` read. Non-finite floats (a measurement
that came out infinite) are written as the strings ``"Infinity"``, ``"-Infinity"`` and
``"NaN"`` so the file stays standard JSON; reading accepts them back.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mlsvs.errors import MlsvsError
from mlsvs.model.assessment import SCHEMA_VERSION, Assessment

if TYPE_CHECKING:
    from typing import TextIO

    from pydantic import TypeAdapter

SCHEMA_ID = "https://owasp.org/mlsvs/schemas/results.schema.json"


class ResultsError(MlsvsError):
    """A results.json file is unreadable, not JSON, of another schema version, or invalid."""


@cache
def _adapter() -> TypeAdapter[Assessment]:
    from pydantic import TypeAdapter

    return TypeAdapter(Assessment)


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def to_dict(assessment: Assessment) -> dict[str, Any]:
    """The assessment as plain JSON-compatible data (field order of the dataclasses)."""
    data = _adapter().dump_python(assessment, mode="json")
    return _finite(data)  # type: ignore[return-value]


def dumps(assessment: Assessment) -> str:
    """The assessment as deterministic, indented JSON text ending in a newline."""
    return json.dumps(to_dict(assessment), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def results_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``results.json``, for ``schemas/results.schema.json``."""
    schema = _adapter().json_schema(mode="serialization")
    head: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "MLSVS assessment results",
        "description": (
            f"Results of `mlsvs verify` (schema_version {SCHEMA_VERSION}): verdicts per "
            "requirement, the level reached, findings, attestations and problems."
        ),
    }
    schema.pop("title", None)
    schema.pop("description", None)
    return {**head, **schema}


def parse_assessment(data: object, *, source: str = "<data>") -> Assessment:
    """Validate already-parsed JSON data as an ``Assessment``; ``ResultsError`` if it is not."""
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise ResultsError("not an mlsvs results file (expected a JSON object)", path=source)
    version = data.get("schema_version")
    if not isinstance(version, str):
        raise ResultsError("not an mlsvs results file (no schema_version)", path=source)
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ResultsError(
            f"results schema_version {version} is not supported (this mlsvs reads "
            f"{SCHEMA_VERSION.split('.')[0]}.x); re-run mlsvs verify",
            path=source,
        )
    try:
        return _adapter().validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ResultsError(
            f"invalid results file: {where}: {first['msg']}{more}", path=source
        ) from None


def load_assessment(path: str | Path) -> Assessment:
    """Read a ``results.json`` back into an ``Assessment``; ``ResultsError`` names the file."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError("results file not found", path=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ResultsError(f"cannot read results file: {reason}", path=source) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(f"not valid JSON: {exc.msg}", path=source, line=exc.lineno) from None
    return parse_assessment(data, source=source)


class JsonRenderer:
    """Registered as ``json``: the machine-readable results file."""

    name: ClassVar[str] = "json"
    suffix: ClassVar[str] = ".json"
    binary: ClassVar[bool] = False

    def render(self, assessment: Assessment, out: TextIO) -> None:
        """Write ``results.json``."""
        out.write(dumps(assessment))
