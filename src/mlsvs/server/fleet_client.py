"""Upload a ``mlsvs fleet scan`` summary to an ``mlsvs server`` (``fleet scan --upload``)."""

from __future__ import annotations

from dataclasses import dataclass

from mlsvs.server.client import UploadError


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetUploaded:
    """The server's answer."""

    fleet_scan_id: int
    created: bool
    url: str


def upload_fleet(url: str, body: bytes, token: str, *, timeout: float = 60.0) -> FleetUploaded:
    """POST ``body`` (the fleet scan JSON summary) to ``URL/api/v1/fleet-scans``."""
    import httpx

    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise UploadError(f"server URL must start with http:// or https://, got {url!r}")
    endpoint = f"{base}/api/v1/fleet-scans"
    try:
        response = httpx.post(
            endpoint,
            content=body,
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise UploadError(f"cannot reach {endpoint}: {exc}") from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code not in {200, 201}:
        detail = data.get("detail") if isinstance(data, dict) else None
        raise UploadError(
            f"server refused the upload ({response.status_code}): {detail or response.text[:200]}"
        )
    return FleetUploaded(
        fleet_scan_id=int(data["fleet_scan_id"]),
        created=bool(data["created"]),
        url=f"{base}{data['url']}",
    )
