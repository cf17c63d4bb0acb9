"""Kill switch / safe mode drill (MLSVS M10.3.1) against a declared inference endpoint."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError
from mlsvs.plugin import (
    Capability,
    Gap,
    GapReason,
    Measurement,
    Outcome,
    Project,
    Severity,
    Status,
    abstained,
    check,
    errored,
    not_verified,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext


@check(
    id="MLC961",
    title="A kill-switch drill moves the endpoint's traffic to the fallback in time",
    requirements=["M10.3.1"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities=(Capability.NETWORK, Capability.DRILL),
    reads=(),
    timeout_s=3600.0,
    remediation="Add an authenticated safe-mode switch (feature flag, router rule) that serves "
    "the fallback, and drill it on staging each release.",
)
def kill_switch_drilled(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """With `--allow network,drill` (the drill changes the service's state; without the grant
    the check is skipped and a drill-record attestation may stand in): refuse an
    unauthenticated activation, time the authorised one until `consecutive` answers are the
    fallback (at most `max_switch_minutes`), switch back and see the normal answer return."""
    from mlsvs.probes.killswitch import http_callables, parse_body, parse_kill_switch, run_drill

    section = ctx.section("kill_switch")
    if not section:
        if project.endpoints:
            yield not_verified(
                "--allow drill was given but no kill-switch drill is declared "
                "([tool.mlsvs.kill_switch])",
                Gap(item="kill_switch", reason=GapReason.NOT_PRESENT),
            )
        else:
            yield abstained("no inference endpoint or kill switch declared")
        return
    try:
        ks = parse_kill_switch(section)
        name = section.get("endpoint")
        ep = next((e for e in project.endpoints if e.name == name), None)
        if ep is None:
            raise ConfigError(f"kill_switch.endpoint {name!r} is not a declared [[endpoints]] name")
        body = parse_body(ep.request_template)
    except ConfigError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    if not (ctx.granted(Capability.NETWORK) and ctx.granted(Capability.DRILL)):
        yield errored("not verified: the kill-switch drill needs --allow network,drill")
        return
    level = int(ctx.target_level) if ctx.target_level is not None else 1
    minutes = ctx.parameter("M10.3.1.max_switch_minutes", 15.0 if level < 3 else 5.0)
    headers: dict[str, str] = {}
    if ep.auth_env and os.environ.get(ep.auth_env):
        secret = os.environ[ep.auth_env]
        headers[ep.auth_header] = f"{ep.auth_scheme} {secret}" if ep.auth_scheme else secret
    try:
        infer, admin, close = http_callables(ks, ep.url, body, headers)
    except ConfigError as exc:
        yield errored(f"not verified: {exc.message}")
        return
    try:
        drill = run_drill(ks, infer, admin, max_switch_s=float(minutes) * 60)
    finally:
        close()
    status = {True: Status.PASS, False: Status.FAIL, None: Status.NOT_VERIFIED}[drill.ok]
    ms = (
        ()
        if drill.switch_s is None
        else (
            Measurement(
                name="kill_switch_seconds",
                value=drill.switch_s,
                threshold=float(minutes) * 60,
                unit="s",
                parameters=(
                    ("consecutive", str(ks.consecutive)),
                    ("poll_interval_s", f"{ks.poll_interval_s:g}"),
                ),
            ),
        )
    )
    gaps = (
        (Gap(item=f"kill switch of {ep.name}", reason=GapReason.LIMIT, detail=drill.message),)
        if status is Status.NOT_VERIFIED
        else ()
    )
    yield Outcome(
        status=status,
        message=f"{ep.name}: {drill.message}",
        key=ep.name,
        measurements=ms,
        gaps=gaps,
    )
