"""Shared pieces of the platform checks: references between Terraform blocks, outcomes for
files that could not be read, and the "no infrastructure here" decision."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.plugin import Gap, GapReason, abstained, not_verified

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from mlsvs.checks.platform._sources import Inventory, TfBlock
    from mlsvs.plugin import Outcome

_TRUE = frozenset({"true", "yes", "1", "enabled"})


def truthy(value: object) -> bool:
    """HCL/YAML ``true`` (a literal bool or the strings CloudFormation and YAML use)."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE


def is_false(value: object) -> bool:
    """An explicit ``false``."""
    if isinstance(value, bool):
        return not value
    return isinstance(value, str) and value.strip().lower() in {"false", "no", "0", "disabled"}


def expression(value: object) -> bool:
    """Whether a Terraform value is an expression mlsvs does not evaluate (``${var.x}``)."""
    return isinstance(value, str) and "${" in value


def references(value: object, rtype: str) -> set[str]:
    """Names of ``rtype`` blocks referenced anywhere in ``value`` (``aws_s3_bucket.models.id``)."""
    found: set[str] = set()
    pattern = re.compile(rf"(?<![\w.]){re.escape(rtype)}\.([A-Za-z_][\w-]*)")
    for text in _strings(value):
        found.update(m.group(1) for m in pattern.finditer(text))
    return found


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def target_of(block: TfBlock, key: str, rtype: str, by_literal: dict[str, str]) -> set[str]:
    """The ``rtype`` resources a companion block's ``key`` points at, by reference or by a
    literal name (``by_literal``: literal bucket name -> resource name)."""
    value = block.body.get(key)
    names = references(value, rtype)
    if isinstance(value, str) and not expression(value) and value in by_literal:
        names.add(by_literal[value])
    return names


def unread_outcomes(inventory: Inventory, what: str) -> Iterator[Outcome]:
    """One "not verified" outcome per file that could not be read or parsed."""
    by_file: dict[str, list[Gap]] = {}
    for gap in inventory.gaps:
        by_file.setdefault(gap.item, []).append(gap)
    for path, gaps in sorted(by_file.items()):
        yield not_verified(
            f"{path} could not be read or parsed, so {what} is not verified there: "
            + "; ".join(g.describe() for g in gaps[:3]),
            gaps,
            key=f"unread:{path}",
            facts=(("file", path),),
        )


def remote_module_outcome(inventory: Inventory, what: str) -> Iterator[Outcome]:
    """Module calls from outside the project: the resources they create are unseen."""
    modules = inventory.remote_modules()
    if not modules:
        return
    gaps = [
        Gap(
            item=f"{m.path}: module.{m.name}",
            reason=GapReason.NOT_PRESENT,
            detail=f"source {str(m.body.get('source', '?'))[:200]} is not in the project",
        )
        for m in modules
    ]
    yield not_verified(
        f"{len(modules)} Terraform module(s) come from outside the project, so {what} is not "
        f"verified for the resources they create: {', '.join(m.name for m in modules[:8])}",
        gaps,
        key="remote-modules",
    )


def nothing_found(kinds: str, what: str) -> Outcome:
    """No file of the kinds this check reads: the check abstains. Never "not applicable" (the
    infrastructure may live elsewhere) and never a pass: the engine leaves the requirement not
    verified unless a valid attestation stands in, which a not-verified gap would forbid."""
    return abstained(
        f"no {kinds} in the project, so nothing shows {what}; point mlsvs at the repository "
        "that defines the infrastructure, or attest it where the method allows",
        key="no-infrastructure",
    )


def names(items: Iterable[str], limit: int = 8) -> str:
    """``a, b, c and 4 more``."""
    unique = sorted(set(items))
    more = len(unique) - limit
    return ", ".join(unique[:limit]) + (f" and {more} more" if more > 0 else "")
