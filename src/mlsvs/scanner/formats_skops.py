"""skops archives (``.skops``): the JSON schema names every type the loader will construct.

``skops.io.load`` rebuilds each node with ``gettype(__module__, __class__)`` (plus ``getattr``
for methods and ``operator`` helpers); loading with ``trusted=get_untrusted_types(...)`` trusts
whatever the file names. Every named type is classified with the pickle allowlist/denylist,
so a schema naming ``os.system`` is as dangerous as a pickle that does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mlsvs.scanner.policy import CallVerdict, classify
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from mlsvs.scanner.context import Ctx

# Types skops trusts by default for its primitive, container and dtype nodes.
_SKOPS_PRIMITIVES = frozenset(
    {f"builtins.{n}" for n in ("NoneType", "bool", "int", "float", "complex", "str", "bytes",
                               "bytearray", "slice", "dict", "list", "set", "tuple", "frozenset",
                               "type")}
    | {"collections.defaultdict", "collections.OrderedDict", "functools.partial"}
    | {f"numpy.{n}" for n in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                              "uint64", "float16", "float32", "float64", "complex64",
                              "complex128", "bool_", "str_", "bytes_", "intc", "uintc",
                              "longlong", "ulonglong", "ndarray", "dtype")}
)  # fmt: skip
_MAX_DEPTH = 400


def check_schema(ctx: Ctx, raw: bytes, member: str | None) -> None:
    """Classify every type a skops schema names."""
    try:
        schema = json.loads(raw)
    except (ValueError, RecursionError):
        ctx.add(finding(ScanRule.GEN002, "skops schema.json is not valid JSON", member=member))
        return
    allow = ctx.options.allow | _SKOPS_PRIMITIVES
    for name, pointer in sorted(set(schema_types(schema))):
        verdict = classify(name, allow)
        if verdict.verdict is CallVerdict.DANGEROUS:
            ctx.add(
                finding(
                    ScanRule.SKP001,
                    f"schema makes skops construct {verdict.name}: {verdict.reason}",
                    member=member,
                    pointer=pointer,
                    facts=(("callable", verdict.name),),
                )
            )
        elif verdict.verdict is CallVerdict.UNKNOWN:
            ctx.add(
                finding(
                    ScanRule.SKP001,
                    f"schema names {verdict.name}, which is not on the allowlist",
                    member=member,
                    pointer=pointer,
                    severity=ScanRule.PKL002.severity,
                    facts=(("callable", verdict.name),),
                )
            )


def schema_types(schema: object) -> list[tuple[str, str]]:
    """(dotted type, JSON pointer) for every node, method and operator helper in a schema."""
    out: list[tuple[str, str]] = []
    stack: list[tuple[object, str, int]] = [(schema, "", 0)]
    while stack:
        node, pointer, depth = stack.pop()
        if depth > _MAX_DEPTH:
            out.append(("<schema nested too deeply>", pointer))
            continue
        if isinstance(node, dict):
            module, cls = node.get("__module__"), node.get("__class__")
            if isinstance(module, str) and isinstance(cls, str):
                out.append((f"{module}.{cls}", pointer))
                content = node.get("content")
                if node.get("__loader__") == "MethodNode" and isinstance(content, dict):
                    out.append((f"{module}.{cls}.{content.get('func')}", pointer))
            elif "__loader__" in node:
                out.append((f"<node without a type: {node.get('__loader__')!r}>", pointer))
            stack.extend((v, f"{pointer}/{k}", depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{pointer}/{i}", depth + 1) for i, v in enumerate(node))
    return out
