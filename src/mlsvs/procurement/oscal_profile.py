"""An annex's selection (level, scope, parameter schedule) as an OSCAL profile.

The profile imports the MLSVS OSCAL catalog (``mlsvs oscal catalog``), includes exactly the
annex's in-scope requirements and sets the parameters the buyer assigned; ``mlsvs verify
--profile`` reads it back as a verification profile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsvs.catalog.oscal import OSCAL_VERSION, one_line, prop, stable_uuid, timestamp, value_text

if TYPE_CHECKING:
    from mlsvs.procurement.annex import ContractAnnex

_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def catalog_href(version: str) -> str:
    """The file name ``mlsvs oscal catalog`` suggests for a version's catalog."""
    return f"mlsvs-{version}-catalog.json"


def annex_to_oscal_profile(annex: ContractAnnex, *, catalog: str | None = None) -> dict[str, Any]:
    """The OSCAL profile of ``annex`` (importing ``catalog``, default ``catalog_href``)."""
    s = annex.standard
    buyer = annex.parties.buyer or "Buyer"
    party = stable_uuid("party", buyer)
    key = stable_uuid("profile", s.digest, str(annex.level), annex.issued.isoformat(), buyer)
    set_parameters = [
        {
            "param-id": p.key,
            "props": [
                prop("type", _TYPES[type(p.value)]),
                prop("standard-value", value_text(p.standard_value)),
            ],
            "values": [value_text(p.value)],
        }
        for p in annex.parameters
        if p.set_by == "buyer"
    ]
    profile: dict[str, Any] = {
        "uuid": key,
        "metadata": {
            "title": one_line(
                annex.parties.contract or f"MLSVS {s.version} {annex.level} selection"
            ),
            "last-modified": timestamp(annex.issued.isoformat()),
            "version": s.version,
            "oscal-version": OSCAL_VERSION,
            "props": [
                prop("role", "buyer"),
                prop("standard", s.version),
                prop("standard-digest", f"sha256:{s.digest}"),
                prop("level", str(annex.level)),
                *(prop(f"scope-{a.tag}", a.answer.value) for a in annex.scope),
            ],
            "roles": [{"id": "buyer", "title": "Buyer"}],
            "parties": [{"uuid": party, "type": "organization", "name": one_line(buyer)}],
            "responsible-parties": [{"role-id": "buyer", "party-uuids": [party]}],
        },
        "imports": [
            {
                "href": catalog or catalog_href(s.version),
                "include-controls": [{"with-ids": [r.id for r in annex.requirements]}],
            }
        ],
        "merge": {"as-is": True},
    }
    if set_parameters:
        profile["modify"] = {"set-parameters": set_parameters}
    return {"profile": profile}
