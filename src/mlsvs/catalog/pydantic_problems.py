"""Run a pydantic model over a parsed YAML source and turn its errors into located problems."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic_core import ErrorDetails

    from mlsvs.catalog.problems import CatalogProblem
    from mlsvs.catalog.yamlsource import Path_, Source

M = TypeVar("M", bound="BaseModel")

# Clearer wording for the errors authors hit most often, keyed by (field, pydantic error type).
_REWORD = {
    ("text", "string_pattern_mismatch"): "requirement text must start with 'Verify that'",
    ("title", "string_too_long"): "title is longer than 80 characters",
    ("level", "literal_error"): "level must be 1, 2 or 3",
    ("id", "string_pattern_mismatch"): "malformed ID",
    ("version", "string_type"): "version must be a semver string such as 1.0.0",
    ("version", "string_pattern_mismatch"): "version must be a semver string such as 1.0.0",
}


def _message(error: ErrorDetails) -> str:
    loc = error["loc"]
    field = next((str(part) for part in reversed(loc) if isinstance(part, str)), "")
    named = [str(part) for part in loc if isinstance(part, str)][-2:]
    dotted = ".".join(named) or "document"
    if error["type"] == "extra_forbidden":
        return f"unknown key {field!r}"
    if error["type"] == "missing":
        return f"missing required key {field!r}"
    reworded = _REWORD.get((field, error["type"]))
    value = error.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
    if reworded is not None:
        return f"{reworded}{shown}"
    return f"{dotted}: {error['msg']}{shown}"


def validate_model(model: type[M], source: Source) -> tuple[M | None, list[CatalogProblem]]:
    """Validate ``source.data`` against ``model``; every error becomes one located problem."""
    from pydantic import ValidationError

    try:
        return model.model_validate(source.data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            path: Path_ = tuple(error["loc"])
            if error["type"] == "missing":
                path = path[:-1]  # the key is absent: point at the object that lacks it
            problems.append(source.problem(path, _message(error)))
        return None, problems
