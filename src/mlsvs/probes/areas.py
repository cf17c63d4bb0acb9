"""Which check and which requirements each probe area answers for."""

from __future__ import annotations

from types import MappingProxyType

from mlsvs.probes.types import Area

AREA_CHECKS = MappingProxyType(
    {
        Area.AUTHENTICATION: "MLC501",
        Area.RATE_LIMIT: "MLC502",
        Area.MALFORMED_INPUT: "MLC503",
        Area.RESOURCE_LIMITS: "MLC504",
        Area.ERROR_LEAKAGE: "MLC505",
        Area.RESPONSE_INTERNALS: "MLC506",
        Area.MANAGEMENT_SURFACE: "MLC507",
        Area.TRANSPORT: "MLC508",
        Area.SCORE_EXPOSURE: "MLC509",
        Area.CORS: "MLC510",
        Area.COST: "MLC511",
    }
)
AREA_REQUIREMENTS = MappingProxyType(
    {
        Area.AUTHENTICATION: ("M8.1.1",),
        Area.RATE_LIMIT: ("M8.2.1",),
        Area.MALFORMED_INPUT: ("M8.3.1",),
        Area.RESOURCE_LIMITS: ("M8.3.2",),
        Area.ERROR_LEAKAGE: ("M8.3.3",),
        Area.RESPONSE_INTERNALS: ("M8.4.1",),
        Area.MANAGEMENT_SURFACE: ("M8.5.1",),
        Area.TRANSPORT: ("M8.6.1",),
        Area.SCORE_EXPOSURE: ("M7.1.1",),
        Area.CORS: ("M8.1.1",),
        Area.COST: ("M8.3.2",),
    }
)
