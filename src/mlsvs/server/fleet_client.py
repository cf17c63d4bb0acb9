"""Upload a ``mlsvs fleet scan`` summary to an ``mlsvs server`` (``fleet scan --upload``)."""

from __future__ import annotations

from dataclasses import dataclass

from mlsvs.server.client import post_document


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetUploaded:
    """The server's answer."""

    fleet_scan_id: int
    created: bool
    url: str


def upload_fleet(url: str, body: bytes, token: str, *, timeout: float = 60.0) -> FleetUploaded:
    """POST ``body`` (the fleet scan JSON summary) to ``URL/api/v1/fleet-scans``."""
    base, data = post_document(url, "api/v1/fleet-scans", body, token, timeout=timeout)
    return FleetUploaded(
        fleet_scan_id=int(data["fleet_scan_id"]),
        created=bool(data["created"]),
        url=f"{base}{data['url']}",
    )
