"""OSCAL for GRC tools: the catalog as an OSCAL catalog, and OSCAL profiles read back.

Plain JSON (OSCAL 1.1.2) built from the ``Standard``; no OSCAL library is needed to write it
(the tests validate the output with compliance-trestle). ``verification_profile_from_oscal``
turns an OSCAL profile written by ``mlsvs oscal profile`` back into the data of a verification
profile, so ``mlsvs verify --profile profile.json`` accepts it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from mlsvs.errors import ConfigError

if TYPE_CHECKING:
    from mlsvs.model.catalog import Parameter, Requirement, Standard

OSCAL_VERSION = "1.1.2"
NS = "https://owasp.org/mlsvs/ns/oscal"
"""Namespace of every MLSVS-specific prop."""
_UUID_NS = uuid.UUID("6f1c1d2e-6f5b-5a0e-9a55-6d6c737673a1")


def stable_uuid(*parts: str) -> str:
    """A UUID (v5) derived from ``parts``: the same content always gets the same UUID."""
    return str(uuid.uuid5(_UUID_NS, "\x1f".join(parts)))


def one_line(text: str) -> str:
    """OSCAL's single-line string: control characters and line breaks become spaces, no
    leading or trailing whitespace, never empty."""
    cleaned = "".join(" " if (ord(c) < 32 or 127 <= ord(c) < 160) else c for c in text)
    return " ".join(cleaned.split()) or "-"


def prop(name: str, value: str, *, ns: bool = True) -> dict[str, str]:
    """An OSCAL property (MLSVS namespace unless ``ns`` is false)."""
    out = {"name": name, "value": one_line(value)}
    if ns:
        out["ns"] = NS
    return out


def timestamp(date_text: str) -> str:
    """``YYYY-MM-DD`` (or a full ISO timestamp) as an OSCAL date-time with time zone."""
    if "T" in date_text:
        return date_text if date_text.endswith(("Z", "+00:00")) else date_text + "Z"
    return f"{date_text or '1970-01-01'}T00:00:00Z"


def value_text(value: object) -> str:
    """A parameter value as OSCAL text (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _param(p: Parameter) -> dict[str, Any]:
    props = [prop("unit", p.unit), prop("type", p.type), prop("comparison", p.comparison.value)]
    props += [prop(f"value-{lv}", value_text(v)) for lv, v in sorted(p.values.items())]
    out: dict[str, Any] = {
        "id": p.key,
        "label": p.name,
        "usage": p.meaning,
        "props": props,
        "guidelines": [{"prose": p.source}],
    }
    if p.assignable is not None:
        out["constraints"] = [
            {"description": f"The buyer or assessor may assign {p.assignable.describe()}."}
        ]
        if p.assignable.choices:
            out["select"] = {"choice": list(p.assignable.choices)}
    return out


def _control(r: Requirement, version: str) -> dict[str, Any]:
    props = [
        prop("label", r.id, ns=False),
        prop("level", str(r.level)),
        prop("verification", r.verification.value),
        prop("citation", r.cite(version)),
    ]
    props += [prop("applicability", t) for t in sorted(r.applicability)]
    props += [prop("evidence", e) for e in r.evidence]
    parts: list[dict[str, Any]] = [
        {"id": f"{r.id}_smt", "name": "statement", "prose": r.text},
        {
            "id": f"{r.id}_obj",
            "name": "assessment-objective",
            "prose": r.pass_criteria,
            "parts": [
                {
                    "id": f"{r.id}_fail",
                    "name": "fail-condition",
                    "ns": NS,
                    "prose": r.fail_condition,
                }
            ],
        },
        {"id": f"{r.id}_gdn", "name": "guidance", "prose": f"{r.guidance.why}\n\n{r.guidance.how}"},
    ]
    control: dict[str, Any] = {
        "id": r.id,
        "class": "requirement",
        "title": one_line(r.title),
        "props": props,
        "parts": parts,
    }
    if r.parameters:
        control["params"] = [_param(p) for p in r.parameters]
    return control


def catalog_to_oscal(standard: Standard) -> dict[str, Any]:
    """The standard as an OSCAL catalog: chapters and sections as groups, requirements as
    controls (statement, assessment objective, guidance), parameters as params."""
    groups = [
        {
            "id": chapter.id,
            "class": "chapter",
            "title": one_line(chapter.title),
            "props": [prop("optional", "true" if chapter.optional else "false")],
            "parts": [{"id": f"{chapter.id}_obj", "name": "objective", "prose": chapter.objective}],
            "groups": [
                {
                    "id": section.id,
                    "class": "section",
                    "title": one_line(section.title),
                    "parts": [
                        {
                            "id": f"{section.id}_obj",
                            "name": "objective",
                            "prose": section.objective,
                        }
                    ],
                    "controls": [_control(r, standard.version) for r in section.requirements],
                }
                for section in chapter.sections
                if section.requirements
            ],
        }
        for chapter in standard.chapters
    ]
    return {
        "catalog": {
            "uuid": stable_uuid("catalog", standard.key, standard.version, standard.digest),
            "metadata": {
                "title": one_line(f"{standard.name} {standard.version}"),
                "last-modified": timestamp(standard.released),
                "version": standard.version,
                "oscal-version": OSCAL_VERSION,
                "props": [
                    prop("digest", f"sha256:{standard.digest}"),
                    prop("status", standard.status),
                ],
                "remarks": f"{standard.status_note} License: {standard.license}.".strip(),
            },
            "groups": groups,
        }
    }


def is_oscal_profile(data: object) -> bool:
    """Whether parsed JSON is an OSCAL profile document."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("profile"), dict)
        and "imports" in data["profile"]
        and "metadata" in data["profile"]
    )


def _typed(text: str, kind: str, where: str) -> bool | int | float | str:
    try:
        if kind == "boolean":
            if text not in {"true", "false"}:
                raise ValueError(text)
            return text == "true"
        if kind == "integer":
            return int(text)
        if kind == "number":
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not a {kind}") from None
    return text


def _props(items: object) -> dict[str, str]:
    if not isinstance(items, list):
        return {}
    return {
        str(p.get("name")): str(p.get("value"))
        for p in items
        if isinstance(p, dict) and p.get("ns") == NS
    }


def verification_profile_from_oscal(data: dict[str, Any], *, source: str) -> dict[str, Any]:
    """The ``profile``/``parameters`` tables of a verification profile from an OSCAL profile.

    Reads ``metadata`` props ``role``, ``standard`` and ``level`` (MLSVS namespace), the party
    in the ``buyer`` or ``assessor`` role as issuer, and every ``modify.set-parameters`` entry
    (its ``type`` prop gives the value's type). ``ConfigError`` when a value cannot be read.
    """
    profile = data["profile"]
    metadata = profile.get("metadata", {}) if isinstance(profile.get("metadata"), dict) else {}
    meta = _props(metadata.get("props"))
    parties = {
        p.get("uuid"): p.get("name", "") for p in metadata.get("parties", []) if isinstance(p, dict)
    }
    issuer = ""
    for rp in metadata.get("responsible-parties", []):
        if isinstance(rp, dict) and rp.get("role-id") == meta.get("role"):
            issuer = next((parties[u] for u in rp.get("party-uuids", []) if u in parties), "")
    table: dict[str, Any] = {"name": str(metadata.get("title", ""))}
    for key in ("role", "standard", "level"):
        if key in meta:
            table[key] = meta[key]
    if issuer:
        table["issuer"] = issuer
    parameters: dict[str, Any] = {}
    modify = profile.get("modify", {}) if isinstance(profile.get("modify"), dict) else {}
    for entry in modify.get("set-parameters", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("param-id"), str):
            raise ConfigError(f"{source}: a set-parameters entry has no param-id")
        key = entry["param-id"]
        values = entry.get("values")
        if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
            raise ConfigError(f"{source}: set-parameters {key} must have exactly one value")
        kind = _props(entry.get("props")).get("type", "string")
        parameters[key] = _typed(values[0], kind, f"{source}: {key}")
    return {"profile": table, "parameters": parameters}
