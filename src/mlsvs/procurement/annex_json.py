"""The machine-readable annex (``annex.json``): writing, its JSON Schema, and reading it back.

``mlsvs evidence verify`` reads this file: it is the buyer's side of the contract in data.
The schema is committed as ``schemas/procurement-annex.schema.json``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsvs.errors import MlsvsError
from mlsvs.procurement.annex import ANNEX_KIND, ANNEX_SCHEMA_VERSION, ContractAnnex

if TYPE_CHECKING:
    from pydantic import TypeAdapter

SCHEMA_ID = "https://owasp.org/mlsvs/schemas/procurement-annex.schema.json"


class AnnexError(MlsvsError):
    """An annex file is unreadable, not JSON, of another kind or schema version, or invalid."""


@cache
def _adapter() -> TypeAdapter[ContractAnnex]:
    from pydantic import TypeAdapter

    return TypeAdapter(ContractAnnex)


def annex_to_dict(annex: ContractAnnex) -> dict[str, Any]:
    """The annex as JSON-ready data."""
    return _adapter().dump_python(annex, mode="json")  # type: ignore[no-any-return]


def annex_to_json(annex: ContractAnnex) -> str:
    """Deterministic, indented JSON ending in a newline."""
    return json.dumps(annex_to_dict(annex), indent=2, ensure_ascii=False) + "\n"


def annex_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``annex.json``."""
    schema = _adapter().json_schema(mode="serialization")
    schema.pop("title", None)
    schema.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "MLSVS procurement annex",
        "description": (
            f"The contract annex written by `mlsvs procurement -f json` (schema_version "
            f"{ANNEX_SCHEMA_VERSION}) and read by `mlsvs evidence verify`."
        ),
        **schema,
    }


def parse_annex(data: object, *, source: str = "<data>") -> ContractAnnex:
    """Validate parsed JSON as an annex; ``AnnexError`` names the first problem."""
    from pydantic import ValidationError

    if not isinstance(data, dict) or data.get("kind") != ANNEX_KIND:
        raise AnnexError(
            f"not an mlsvs procurement annex (expected kind {ANNEX_KIND!r}; write one with "
            "mlsvs procurement -f json)",
            path=source,
        )
    version = str(data.get("schema_version", ""))
    if version.split(".", maxsplit=1)[0] != ANNEX_SCHEMA_VERSION.split(".")[0]:
        raise AnnexError(f"annex schema_version {version!r} is not supported", path=source)
    try:
        return _adapter().validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise AnnexError(f"invalid annex: {where}: {first['msg']}", path=source) from None


def load_annex(path: str | Path) -> ContractAnnex:
    """Read an ``annex.json``."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnnexError("annex file not found", path=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnexError(f"cannot read annex file: {exc}", path=source) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnnexError(f"not valid JSON: {exc.msg}", path=source, line=exc.lineno) from None
    return parse_annex(data, source=source)
