"""Hosted-model responses validated before use (MLSVS M5.3.4), with mocked provider answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.plugin import (
    Capability,
    Isolation,
    Project,
    Severity,
    abstained,
    check,
    errored,
    failed,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

TRAIT = "hosted_model_api"
MAX_RESPONSE_BYTES = 1024 * 1024


@check(
    id="MLC659",
    title="The application rejects malformed and out-of-range hosted-model responses",
    requirements=["M5.3.4"],
    applies_to=Project,
    severity=Severity.HIGH,
    capabilities={Capability.MODEL_EXECUTION},
    isolation=Isolation.PROCESS,
    timeout_s=300.0,
    remediation="Validate provider responses against a strict schema (required fields, "
    "types, value ranges, finite numbers) before any use; reject on mismatch.",
)
def provider_responses_validated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Feed the project's response validator a real valid provider response and mocked
    malformed ones (not JSON, empty, null, wrong top-level type, each required field missing,
    null or mistyped, each declared range exceeded, NaN, infinity): the valid one must be
    accepted and every other one rejected (an exception or None)."""
    import json

    from mlsvs.adapters.models.errors import ModelLoadError
    from mlsvs.adapters.models.load import resolve
    from mlsvs.errors import ConfigError
    from mlsvs.modeltest.provider import judge, mutations, parse_section

    section = ctx.section("hosted_model")
    if not section:
        if TRAIT in project.traits:
            yield errored(
                "not verified: declare the response validator in [tool.mlsvs."
                "hosted_model] (validator, valid_response; docs/model-testing.md)"
            )
        else:
            yield abstained("no hosted model API declared")
        return
    if not ctx.granted(Capability.MODEL_EXECUTION):
        yield errored("not verified: calling the project's validator needs --allow model-exec")
        return
    try:
        ref, valid_rel, fmt, required, ranges = parse_section(section)
        base = project.root.resolve()
        path = (base / valid_rel).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            raise ConfigError(f"hosted_model.valid_response {valid_rel} is not a project file")
        if path.stat().st_size > MAX_RESPONSE_BYTES:
            raise ConfigError(f"{valid_rel} is larger than {MAX_RESPONSE_BYTES} bytes")
        raw = path.read_bytes()
        try:
            valid = json.loads(raw)
        except ValueError:
            raise ConfigError(f"{valid_rel} is not JSON") from None
        cases = mutations(valid, required, ranges)
        validator = resolve(str(project.root), ref)
    except (ConfigError, ModelLoadError) as exc:
        yield errored(f"not verified: {exc.message}")
        return
    except KeyError as exc:
        yield errored(
            f"not verified: the valid response has no field {exc.args[0]} "
            "(hosted_model.required / ranges)"
        )
        return
    baseline = judge(validator, raw, "valid response")
    if not baseline.accepted:
        yield errored(
            f"not verified: the validator rejects the valid response {valid_rel} "
            f"({baseline.detail or 'returned None'}), so rejections prove nothing"
        )
        return
    results = [judge(validator, m.body, m.name) for m in cases]
    accepted = [r.name for r in results if r.accepted]
    facts: tuple[tuple[str, str], ...] = (
        ("cases", str(len(results))), ("format", fmt), ("validator", ref),
    )  # fmt: skip
    if accepted:
        facts = (*facts, ("accepted", "; ".join(accepted)))
        yield failed(
            f"{ref} accepted {len(accepted)} of {len(results)} invalid mocked responses: "
            + "; ".join(accepted[:6]),
            facts=facts,
        )
        return
    yield passed(
        f"{ref} rejected all {len(results)} malformed and out-of-range mocked responses "
        f"and accepted the valid one ({len(required)} required fields, "
        f"{len(ranges)} ranges)",
        facts=facts,
    )
