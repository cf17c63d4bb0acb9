"""Inferred sensitive attributes not returned, or only justified and generalised (MLC1003,
M7.1.2), from the serving API's output contract: its OpenAPI document.

Every successful (2xx) response schema of every operation is walked, local ``$ref`` s resolved
(``#/components/schemas/...``, ``#/definitions/...``), through ``allOf``/``anyOf``/``oneOf``,
arrays and nested objects. A property whose name is a sensitive attribute about a person
(health, diagnosis, ethnicity, race, religion, political opinion, sexual orientation,
disability, pregnancy, biometric, precise location: latitude/longitude/coordinates/GPS) must
carry a justification, ``x-mlsvs-justification`` (the purpose that requires it), and be
generalised: an ``enum`` of buckets, or a number with ``multipleOf`` (its precision). A
free-form response (``additionalProperties: true`` or an object with no properties) cannot
be judged and is not verified. The endpoint probes of the hybrid requirement stay with the
reviewer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError, items, load_json, load_yaml, read_text
from mlsvs.plugin import (
    Document,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.plugin import CheckContext, Outcome

SENSITIVE = re.compile(
    r"(^|_)(health|diagnos\w*|disease|medical|illness|ethnic\w*|race|racial|religio\w*|"
    r"faith|politic\w*|party_affiliation|sexual\w*|orientation|disabilit\w*|pregnan\w*|"
    r"biometric\w*|genetic\w*|trade_union\w*|lat|latitude|lon|lng|longitude|coordinates|"
    r"geo_?point|gps|precise_location)($|_)",
    re.I,
)
JUSTIFICATION = "x-mlsvs-justification"
_COMPOSE = ("allOf", "anyOf", "oneOf")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class _Walker:
    def __init__(self, spec: Mapping[str, object]) -> None:
        self.spec = spec
        self.problems: list[str] = []
        self.accepted: list[str] = []
        self.open: list[str] = []

    def resolve(
        self, schema: object, seen: frozenset[str]
    ) -> tuple[dict[str, object], frozenset[str]]:
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = str(schema["$ref"])
            if not ref.startswith("#/") or ref in seen:
                return {}, seen
            seen = seen | {ref}
            target: object = self.spec
            for part in ref[2:].split("/"):
                target = target.get(part) if isinstance(target, dict) else None
            schema = target
        return (schema if isinstance(schema, dict) else {}), seen

    def walk(self, schema: object, where: str, seen: frozenset[str] = frozenset()) -> None:
        body, seen = self.resolve(schema, seen)
        if not body:
            return
        for key in _COMPOSE:
            for part in items(body.get(key)):
                self.walk(part, where, seen)
        if body.get("type") == "array" or "items" in body:
            self.walk(body.get("items"), f"{where}[]", seen)
        props = body.get("properties")
        extra = body.get("additionalProperties")
        if isinstance(props, dict):
            for name, sub in props.items():
                self.judge(str(name), sub, f"{where}.{name}", seen)
                self.walk(sub, f"{where}.{name}", seen)
        if extra is True or (
            body.get("type") == "object"
            and not props
            and not extra
            and not any(body.get(k) for k in _COMPOSE)
        ):
            self.open.append(where)
        elif isinstance(extra, dict):
            self.walk(extra, f"{where}.*", seen)

    def judge(self, name: str, schema: object, where: str, seen: frozenset[str]) -> None:
        if not SENSITIVE.search(_snake(name)):
            return
        body, _ = self.resolve(schema, seen)
        reason = body.get(JUSTIFICATION)
        generalised = bool(body.get("enum")) or "multipleOf" in body
        if not isinstance(reason, str) or not reason.strip():
            self.problems.append(f"{where} is returned with no {JUSTIFICATION}")
        elif not generalised:
            self.problems.append(
                f"{where} is justified but not generalised (no enum or multipleOf)"
            )
        else:
            self.accepted.append(where)


def _load(doc: Document) -> object:
    text = read_text(doc.absolute, doc.path)
    return load_json(text, doc.path) if doc.path.endswith(".json") else load_yaml(text, doc.path)


def contract(spec: Mapping[str, object]) -> _Walker:
    """Walk every 2xx response schema of ``spec`` (an OpenAPI 3 or Swagger 2 document)."""
    walker = _Walker(spec)
    paths = spec.get("paths")
    for route, operations in paths.items() if isinstance(paths, dict) else []:
        if not isinstance(operations, dict):
            continue
        for method, operation in operations.items():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            for code, response in responses.items() if isinstance(responses, dict) else []:
                if not str(code).startswith("2"):
                    continue
                body, _ = walker.resolve(response, frozenset())
                where = f"{str(method).upper()} {route} {code}"
                content = body.get("content")
                for media in content.values() if isinstance(content, dict) else []:
                    if isinstance(media, dict):
                        walker.walk(media.get("schema"), where)
                if "schema" in body:
                    walker.walk(body["schema"], where)
    return walker


@check(
    id="MLC1003",
    title="The OpenAPI contract returns sensitive inferred attributes only justified and "
    "generalised",
    requirements=["M7.1.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(Document,),
    remediation="Drop sensitive inferred attributes from responses; where the purpose needs "
    "one, return buckets (enum) or a coarsened number (multipleOf) and record the purpose in "
    "x-mlsvs-justification on the property.",
)
def sensitive_outputs_generalised(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Sensitive response properties of every OpenAPI document are justified and coarse."""
    gaps: list[Gap] = []
    specs = 0
    for doc in project.of_type(Document):
        if not doc.path.endswith((".json", ".yaml", ".yml")):
            continue
        try:
            data = _load(doc)
        except DocumentError as exc:
            gaps.append(Gap(item=doc.path, reason=GapReason.UNPARSEABLE, detail=str(exc)))
            continue
        if not isinstance(data, dict) or not ("openapi" in data or "swagger" in data):
            continue
        specs += 1
        walker = contract(data)
        facts = (("sensitive_properties", str(len(walker.problems) + len(walker.accepted))),)
        if walker.problems:
            more = f" and {len(walker.problems) - 5} more" if len(walker.problems) > 5 else ""
            yield failed(
                f"{doc.path}: {'; '.join(walker.problems[:5])}{more}", key=doc.path, facts=facts
            )
        elif walker.open:
            yield not_verified(
                f"{doc.path}: free-form response objects cannot be judged: "
                + ", ".join(walker.open[:5]),
                tuple(
                    Gap(
                        item=f"{doc.path}: {w}",
                        reason=GapReason.UNSUPPORTED,
                        detail="no declared properties",
                    )
                    for w in walker.open[:20]
                ),
                key=doc.path,
            )
        else:
            what = (
                f"{len(walker.accepted)} sensitive attribute(s), each justified and "
                f"generalised ({', '.join(walker.accepted[:5])})"
                if walker.accepted
                else "no sensitive attribute in any response"
            )
            yield passed(f"{doc.path}: {what}", key=doc.path, facts=facts)
    if gaps:
        yield not_verified(
            "YAML/JSON files that may be OpenAPI contracts could not be read", gaps, key="unread"
        )
    elif not specs:
        yield abstained(
            "no OpenAPI document in the project: the output contract of the serving API is "
            "not shown (export it, e.g. FastAPI's /openapi.json, and commit it)",
            key="no-contract",
        )
