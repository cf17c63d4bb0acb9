"""Read IAM-style policy documents written in Terraform: heredoc JSON, ``jsonencode({...})``
and ``data "aws_iam_policy_document"`` blocks. Nothing is evaluated beyond literal structure."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import references
from mlsvs.checks.platform._hcl import loads
from mlsvs.checks.platform._sources import block, items, mapping

if TYPE_CHECKING:
    from mlsvs.checks.platform._sources import Inventory


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """One policy statement, normalised."""

    effect: str
    principals: tuple[str, ...]
    """Every principal identifier (``*`` for anyone), of any type."""
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditioned: bool


class PolicyUnreadableError(ValueError):
    """The policy is an expression mlsvs cannot read (a variable, a file() call ...)."""


_JSONENCODE = re.compile(r"^\$\{jsonencode\((.*)\)\}$", re.S)


def statements(value: object, inventory: Inventory) -> tuple[Statement, ...]:
    """The statements of a policy attribute; ``PolicyUnreadableError`` when it is not literal."""
    documents = references(value, "data.aws_iam_policy_document")
    if isinstance(value, str) and value.startswith("${data.aws_iam_policy_document."):
        found = [d for d in inventory.data("aws_iam_policy_document") if d.name in documents]
        if not found:
            raise PolicyUnreadableError(
                f"policy document {sorted(documents)} is not in the project"
            )
        return tuple(s for d in found for s in _document_block(d.body))
    if isinstance(value, Mapping):
        return _json_statements(value)
    if not isinstance(value, str):
        raise PolicyUnreadableError("policy is not a document")
    match = _JSONENCODE.match(value.strip())
    if match:
        return _json_statements(_hcl_value(match.group(1)))
    if "${" in value and not value.lstrip().startswith("{"):
        raise PolicyUnreadableError(f"policy is an expression: {value[:120]}")
    try:
        return _json_statements(json.loads(value))
    except ValueError:
        raise PolicyUnreadableError("policy is not valid JSON") from None


def _hcl_value(text: str) -> object:
    try:
        parsed = loads(
            f"policy = {text}\n",
            with_comments=False,
            explicit_blocks=False,
            strip_string_quotes=True,
        )
    except Exception:  # noqa: BLE001 - lark errors of many types all mean "not literal"
        raise PolicyUnreadableError("jsonencode() argument could not be parsed") from None
    return parsed.get("policy")


def _strs(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in items(value) if isinstance(v, str | int))


def _json_statements(document: object) -> tuple[Statement, ...]:
    body = mapping(document)
    raw = body.get("Statement")
    if raw is None:
        raise PolicyUnreadableError("policy has no Statement")
    out = []
    for entry in items(raw):
        stmt = mapping(entry)
        principal = stmt.get("Principal", stmt.get("NotPrincipal"))
        if isinstance(principal, str):
            principals: tuple[str, ...] = (principal,)
        else:
            principals = tuple(p for v in mapping(principal).values() for p in _strs(v))
        out.append(
            Statement(
                effect=str(stmt.get("Effect", "Allow")),
                principals=principals,
                actions=_strs(stmt.get("Action", stmt.get("NotAction", ()))),
                resources=_strs(stmt.get("Resource", stmt.get("NotResource", ()))),
                conditioned=bool(stmt.get("Condition")),
            )
        )
    return tuple(out)


def _document_block(body: Mapping[str, object]) -> tuple[Statement, ...]:
    out = []
    for stmt in block(body, "statement"):
        principals = tuple(
            p for pb in block(stmt, "principals") for p in _strs(pb.get("identifiers"))
        )
        out.append(
            Statement(
                effect=str(stmt.get("effect", "Allow")),
                principals=principals,
                actions=_strs(stmt.get("actions")) + _strs(stmt.get("not_actions")),
                resources=_strs(stmt.get("resources")),
                conditioned=bool(block(stmt, "condition")),
            )
        )
    return tuple(out)


def public_statements(found: tuple[Statement, ...]) -> tuple[Statement, ...]:
    """Allow statements granting anyone (``*``) without a condition."""
    return tuple(
        s
        for s in found
        if s.effect.lower() == "allow" and "*" in s.principals and not s.conditioned
    )
