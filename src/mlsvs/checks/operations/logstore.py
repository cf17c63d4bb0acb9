"""Inference logs holding personal data: minimised in content and time (MLC1090, M7.3.3), read
from Terraform (retention of the log stores) and the log shipper's configuration (OpenTelemetry
Collector or Vector: the personal fields deleted, hashed or redacted before storage)::

    [privacy.inference_logs]
    stores = ["aws_cloudwatch_log_group.inference"]      # optional: else found by name
    shipper = ["observability/otel-collector.yaml"]      # the collector/Vector configs
    personal_fields = ["user.email", "client.address", "prompt"]

Retention is read from ``aws_cloudwatch_log_group.retention_in_days`` (absent or 0: kept
forever), ``google_logging_project_bucket_config.retention_days`` and
``azurerm_log_analytics_workspace.retention_in_days`` (provider default 30 when absent), an S3
bucket's lifecycle expiration (``aws_s3_bucket_lifecycle_configuration`` or an inline
``lifecycle_rule``; a rule limited to a prefix does not cover the bucket) and a GCS bucket's
``Delete`` rule ``age``. Without ``stores``, a log store is an inference log store when its
Terraform name or its ``name`` mentions inference, prediction, serving, scoring, prompts or
completions.

In the OpenTelemetry Collector, a field is minimised by a ``redaction`` processor (not in
``allowed_keys`` with ``allow_all_keys`` false, or covered by ``blocked_key_patterns``), an
``attributes`` processor action ``delete``/``hash`` on its key, or a ``transform`` statement
``delete_key``/``SHA256``/``replace_pattern`` naming it, when the processor is in a ``logs``
pipeline. In Vector, by a ``remap`` transform whose VRL deletes (``del``), redacts or hashes
(``sha2``, ``sha3``, ``md5``) the field.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.operations._records import items, mapping, section
from mlsvs.checks.platform._common import (
    expression,
    names,
    nothing_found,
    references,
    target_of,
    truthy,
)
from mlsvs.checks.platform._sources import Source, block, load
from mlsvs.plugin import (
    DeploymentConfig,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mlsvs.checks.platform._sources import Inventory, TfBlock
    from mlsvs.plugin import CheckContext, Outcome

LOG_STORES = (
    "aws_cloudwatch_log_group",
    "google_logging_project_bucket_config",
    "azurerm_log_analytics_workspace",
    "aws_s3_bucket",
    "google_storage_bucket",
)
DEFAULT_30 = frozenset({"google_logging_project_bucket_config", "azurerm_log_analytics_workspace"})
_INFERENCE = re.compile(r"(infer|predict|serving|scoring|prompt|completion|chat|llm-?log)", re.I)
_MASK_VRL = re.compile(r"\b(del|redact|sha1|sha2|sha3|md5|encrypt)\s*\(")
MAX_CONFIG_BYTES = 1024 * 1024


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _lifecycle_days(rules: list[Mapping[str, object]]) -> tuple[int | None, str]:
    """Shortest whole-bucket expiration of enabled S3 lifecycle rules, or why there is none."""
    days: list[int] = []
    partial = False
    for rule in rules:
        status = rule.get("status", "Enabled" if truthy(rule.get("enabled", True)) else "")
        if str(status).lower() != "enabled":
            continue
        prefix = str(rule.get("prefix", "") or "")
        for flt in block(rule, "filter"):
            prefix = prefix or str(flt.get("prefix", "") or "")
            if block(flt, "tag") or block(flt, "and"):
                prefix = prefix or "<tag filter>"
        for exp in block(rule, "expiration"):
            value = _int(exp.get("days"))
            if value is None:
                continue
            if prefix:
                partial = True
            else:
                days.append(value)
    if days:
        return min(days), ""
    return None, "expiration only for a prefix" if partial else "no expiration rule"


def retention_days(store: TfBlock, inventory: Inventory) -> tuple[int | None, str]:
    """(days, '') or (None, why) for one log store."""
    body = store.body
    if store.type == "aws_cloudwatch_log_group":
        value = body.get("retention_in_days")
        if expression(value):
            return None, "retention_in_days is an expression"
        days = _int(value)
        if days is None or days == 0:
            return None, "no retention_in_days: events never expire"
        return days, ""
    if store.type in DEFAULT_30:
        key = "retention_days" if store.type.startswith("google") else "retention_in_days"
        value = body.get(key, 30)
        if expression(value):
            return None, f"{key} is an expression"
        days = _int(value)
        return (days, "") if days is not None else (None, f"{key} is not a number")
    if store.type == "aws_s3_bucket":
        by_name = {str(store.body.get("bucket")): store.name} if store.body.get("bucket") else {}
        rules = [mapping(r) for r in block(body, "lifecycle_rule")]
        for config in inventory.resources("aws_s3_bucket_lifecycle_configuration"):
            if store.name in target_of(config, "bucket", "aws_s3_bucket", by_name):
                rules += [mapping(r) for r in block(config.body, "rule")]
        return _lifecycle_days(rules)
    # google_storage_bucket
    ages = [
        age
        for rule in block(body, "lifecycle_rule")
        if any(str(a.get("type")) == "Delete" for a in block(rule, "action"))
        for cond in block(rule, "condition")
        if (age := _int(cond.get("age"))) is not None
    ]
    return (min(ages), "") if ages else (None, "no Delete lifecycle rule with an age")


def inference_stores(inventory: Inventory, named: list[str]) -> list[TfBlock]:
    stores = inventory.resources(*LOG_STORES)
    if named:
        return [s for s in stores if f"{s.type}.{s.name}" in named]
    return [
        s
        for s in stores
        if _INFERENCE.search(s.name)
        or _INFERENCE.search(str(s.body.get("name") or s.body.get("bucket") or ""))
    ]


def _otel_minimised(doc: Mapping[str, object], fields: list[str]) -> dict[str, str]:
    """field -> the processor that minimises it, over the collector's logs pipelines."""
    processors = mapping(doc.get("processors"))
    pipelines = mapping(mapping(doc.get("service")).get("pipelines"))
    used = [
        str(p)
        for name, pipe in pipelines.items()
        if name.split("/")[0] == "logs"
        for p in items(mapping(pipe).get("processors"))
    ]
    out: dict[str, str] = {}
    for pid in used:
        conf = mapping(processors.get(pid))
        kind = pid.split("/")[0]
        for field in fields:
            if field in out:
                continue
            if kind == "redaction":
                allowed = {str(k) for k in items(conf.get("allowed_keys"))}
                blocked = [str(p) for p in items(conf.get("blocked_key_patterns"))]
                if (not truthy(conf.get("allow_all_keys")) and field not in allowed) or any(
                    re.search(p, field) for p in blocked
                ):
                    out[field] = pid
            elif kind == "attributes":
                for action in items(conf.get("actions")):
                    act = mapping(action)
                    if act.get("key") == field and act.get("action") in {"delete", "hash"}:
                        out[field] = f"{pid} ({act.get('action')})"
            elif kind == "transform":
                statements = [
                    str(s)
                    for group in items(conf.get("log_statements"))
                    for s in (items(mapping(group).get("statements")) or [group])
                ]
                for statement in statements:
                    if field in statement and re.search(
                        r"(delete_key|delete_matching_keys|SHA256|SHA1|replace_pattern|set\(.*\"\*+\")",
                        statement,
                    ):
                        out[field] = pid
    return out


def _vector_minimised(doc: Mapping[str, object], fields: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for tid, raw in mapping(doc.get("transforms")).items():
        conf = mapping(raw)
        if conf.get("type") != "remap":
            continue
        source = str(conf.get("source", ""))
        for line in source.splitlines():
            if not _MASK_VRL.search(line):
                continue
            for field in fields:
                if re.search(rf"\.{re.escape(field)}\b|\"{re.escape(field)}\"", line):
                    out.setdefault(field, tid)
    return out


def read_shipper(project: Project, rel: str) -> Mapping[str, object]:
    """A collector or Vector configuration (YAML, or TOML for .toml); ValueError when not."""
    import tomllib

    import yaml

    path = (project.root / rel).resolve()
    if not path.is_relative_to(project.root.resolve()):
        raise ValueError("outside the project")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ValueError("larger than 1 MiB")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    if not isinstance(data, dict):
        raise ValueError("not a mapping")
    return mapping(data)


@check(
    id="MLC1090",
    title="Inference logs expire in time and the log pipeline removes or hashes personal fields",
    requirements=["M7.3.3"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(DeploymentConfig,),
    remediation="Set retention on each inference log store (retention_in_days, a lifecycle "
    "expiration) at most max_log_retention_days; delete, hash or redact the personal fields in "
    "the log pipeline (OpenTelemetry redaction/attributes/transform processors, Vector remap) "
    "and list them in [privacy.inference_logs] personal_fields.",
)
def inference_logs_minimised(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every inference log store in Terraform has a retention of at most
    ``max_log_retention_days``, and every listed personal field is deleted, hashed or redacted
    by the log shipper's pipeline before storage."""
    conf = section(ctx, "privacy", "inference_logs")
    limit = int(ctx.parameter("M7.3.3.max_log_retention_days", 90))
    inventory = load(project, (Source.TERRAFORM,))
    for gap in inventory.gaps:
        yield not_verified(
            f"{gap.item} could not be read: {gap.detail}", gap, key=f"unread:{gap.item}"
        )
    named = [s for s in items(conf.get("stores")) if isinstance(s, str)]
    if not inventory.files:
        yield nothing_found("Terraform files", "the retention of inference logs")
    else:
        stores = inference_stores(inventory, named)
        if missing := sorted(set(named) - {f"{s.type}.{s.name}" for s in stores}):
            yield errored(
                f"[privacy.inference_logs] stores not found in Terraform: {', '.join(missing)}"
            )
            return
        if not stores:
            yield not_verified(
                "no Terraform log store is named like an inference log; list them in "
                "[privacy.inference_logs] stores",
                Gap(item="privacy.inference_logs.stores", reason=GapReason.NOT_PRESENT),
                key="retention",
            )
        for store in stores:
            address = f"{store.type}.{store.name}"
            days, why = retention_days(store, inventory)
            facts = (("store", address), ("file", store.path), ("limit_days", str(limit)))
            if days is None and "expression" in why:
                yield not_verified(
                    f"{address}: {why}",
                    Gap(item=address, reason=GapReason.UNSUPPORTED, detail=why),
                    key=f"retention:{address}",
                    facts=facts,
                )
            elif days is None:
                yield failed(
                    f"{address}: {why} (limit {limit} days)",
                    key=f"retention:{address}",
                    facts=facts,
                )
            elif days > limit:
                yield failed(
                    f"{address}: kept {days} days, more than {limit}",
                    key=f"retention:{address}",
                    facts=facts,
                )
            else:
                yield passed(
                    f"{address}: expires after {days} days (limit {limit})",
                    key=f"retention:{address}",
                    facts=facts,
                )
    shippers = [s for s in items(conf.get("shipper")) if isinstance(s, str)]
    fields = [f for f in items(conf.get("personal_fields")) if isinstance(f, str)]
    if not shippers or not fields:
        yield not_verified(
            "no [privacy.inference_logs] shipper and personal_fields, so nothing shows the "
            "personal fields are removed or hashed before the logs are stored",
            Gap(
                item="privacy.inference_logs",
                reason=GapReason.NOT_PRESENT,
                detail="shipper and personal_fields",
            ),
            key="content",
        )
        return
    minimised: dict[str, str] = {}
    for rel in shippers:
        try:
            doc = read_shipper(project, rel)
        except OSError as exc:
            yield not_verified(
                f"{rel}: {exc.strerror or 'unreadable'}",
                Gap(item=rel, reason=GapReason.UNREADABLE),
                key="content",
            )
            return
        except (UnicodeDecodeError, ValueError) as exc:
            yield not_verified(
                f"{rel} is not a collector or Vector configuration: {exc}",
                Gap(item=rel, reason=GapReason.UNPARSEABLE, detail=str(exc)[:200]),
                key="content",
            )
            return
        found = _otel_minimised(doc, fields) if "processors" in doc or "service" in doc else {}
        found.update(_vector_minimised(doc, fields))
        for field, by in found.items():
            minimised.setdefault(field, f"{rel}: {by}")
    content_facts = (("shipper", ",".join(shippers)), ("fields", ",".join(fields)))
    if left := [f for f in fields if f not in minimised]:
        yield failed(
            f"personal field(s) logged as they are: {', '.join(left)} (no delete, hash or "
            f"redaction step in {', '.join(shippers)})",
            key="content",
            facts=content_facts,
        )
        return
    yield passed(
        "every personal field is removed or hashed before storage: "
        + "; ".join(f"{f} by {minimised[f]}" for f in fields),
        key="content",
        facts=content_facts,
    )


# --- MLC1091: who may read the inference logs -----------------------------------------------

_LOG_READ = re.compile(
    r"^(\*|logs:(\*|Get\*|GetLogEvents|FilterLogEvents|StartQuery|StartLiveTail|GetLogRecord|"
    r"Unmask)|s3:(\*|Get\*|GetObject\*?|GetObjectVersion))$"
)
_MANAGED_READERS = frozenset(
    {
        "AdministratorAccess",
        "PowerUserAccess",
        "ReadOnlyAccess",
        "ViewOnlyAccess",
        "CloudWatchLogsFullAccess",
        "CloudWatchLogsReadOnlyAccess",
        "CloudWatchReadOnlyAccess",
        "AmazonS3FullAccess",
        "AmazonS3ReadOnlyAccess",
    }
)
_GCP_READ_ROLES = re.compile(
    r"roles/(logging\.(viewer|privateLogViewer|admin|viewAccessor)|storage\.(admin|objectAdmin|"
    r"objectViewer|objectUser|legacyObjectReader|legacyBucketReader)|owner|editor|viewer)$"
)
_BROAD_MEMBERS = (
    "allUsers",
    "allAuthenticatedUsers",
    "domain:",
    "projectViewer:",
    "projectEditor:",
)


def _covers(resource: str, store: TfBlock) -> bool:
    """Whether a policy statement's resource includes the store."""
    import fnmatch

    if resource.strip() in {"*", "arn:aws:s3:::*", "arn:aws:s3:::*/*", "arn:aws:logs:*"}:
        return True
    if store.name in references(resource, store.type):
        return True
    literal = str(store.body.get("name") or store.body.get("bucket") or "")
    if not literal or expression(literal):
        return False
    if store.type == "aws_cloudwatch_log_group":
        group = resource.split(":log-group:", 1)[1] if ":log-group:" in resource else ""
        group = group.removesuffix(":*")
        return bool(group) and fnmatch.fnmatchcase(literal, group)
    if store.type == "aws_s3_bucket" and resource.startswith("arn:aws:s3:::"):
        bucket = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        return fnmatch.fnmatchcase(literal, bucket)
    return False


def log_readers(
    inventory: Inventory, stores: list[TfBlock]
) -> tuple[dict[str, set[str]], list[str], list[Gap]]:
    """(holder -> stores it can read, broad grants, unreadable policies)."""
    from mlsvs.checks.platform._policy import PolicyUnreadableError, statements
    from mlsvs.checks.platform.iam import _POLICY_ATTRS, _holder

    readers: dict[str, set[str]] = {}
    broad: list[str] = []
    gaps: list[Gap] = []
    attached: dict[str, set[str]] = {}
    for att in inventory.resources(
        "aws_iam_role_policy_attachment",
        "aws_iam_user_policy_attachment",
        "aws_iam_group_policy_attachment",
        "aws_iam_policy_attachment",
    ):
        arn = str(att.body.get("policy_arn", ""))
        holder = _holder(att) or att.address
        for policy in references(arn, "aws_iam_policy"):
            attached.setdefault(policy, set()).add(holder)
        managed = arn.rsplit("/", 1)[-1] if ":aws:policy/" in arn else ""
        if managed in _MANAGED_READERS:
            for store in stores:
                if store.type in {"aws_cloudwatch_log_group", "aws_s3_bucket"}:
                    readers.setdefault(holder, set()).add(store.address)
    documents = [(r, _POLICY_ATTRS[r.type]) for r in inventory.resources(*_POLICY_ATTRS)]
    inline = [
        (role, b)
        for role in inventory.resources("aws_iam_role")
        for b in block(role.body, "inline_policy")
    ]
    sources: list[tuple[TfBlock, object, set[str]]] = []
    for res, attr in documents:
        holders = {_holder(res)} - {""}
        if res.type == "aws_iam_policy" and not holders:
            holders = set(attached.get(res.name, set()))
        sources.append((res, res.body.get(attr), holders))
    sources += [(role, b.get("policy"), {role.address}) for role, b in inline]
    for res, value, holders in sources:
        try:
            found = statements(value, inventory)
        except PolicyUnreadableError as exc:
            gaps.append(
                Gap(
                    item=f"{res.path}: {res.address}",
                    reason=GapReason.UNSUPPORTED,
                    detail=str(exc)[:200],
                )
            )
            continue
        resource_policy = res.type in {"aws_s3_bucket_policy"}
        for stmt in found:
            if stmt.effect.lower() != "allow" or not any(_LOG_READ.match(a) for a in stmt.actions):
                continue
            covered = [s for s in stores if any(_covers(r, s) for r in stmt.resources)]
            if resource_policy:
                bucket_refs = references(res.body.get("bucket"), "aws_s3_bucket")
                covered = [
                    s for s in stores if s.type == "aws_s3_bucket" and s.name in bucket_refs
                ] or covered
            if not covered:
                continue
            who = set(holders)
            if resource_policy or not who:
                for principal in stmt.principals:
                    if principal == "*" and not stmt.conditioned:
                        read = names(s.address for s in covered)
                        broad.append(f"{res.address} lets anyone ('*') read {read}")
                        continue
                    roles = references(principal, "aws_iam_role")
                    who |= {f"aws_iam_role.{r}" for r in roles} or {principal}
            if not who:
                who = {res.address}
            for holder in who:
                readers.setdefault(holder, set()).update(s.address for s in covered)
    for rtype in (
        "google_storage_bucket_iam_member",
        "google_storage_bucket_iam_binding",
        "google_project_iam_member",
        "google_project_iam_binding",
    ):
        for res in inventory.resources(rtype):
            if not _GCP_READ_ROLES.search(str(res.body.get("role", ""))):
                continue
            if rtype.startswith("google_storage"):
                refs = references(res.body.get("bucket"), "google_storage_bucket")
                covered = [
                    s for s in stores if s.type == "google_storage_bucket" and s.name in refs
                ]
            else:
                covered = [s for s in stores if s.type == "google_logging_project_bucket_config"]
            members = [
                str(m) for m in [res.body.get("member"), *items(res.body.get("members"))] if m
            ]
            for member in members if covered else []:
                if member.startswith(_BROAD_MEMBERS):
                    broad.append(
                        f"{res.address} lets {member} read {names(s.address for s in covered)}"
                    )
                else:
                    readers.setdefault(member, set()).update(s.address for s in covered)
    return readers, broad, gaps


@check(
    id="MLC1091",
    title="Only named roles with a recorded need can read the inference logs",
    requirements=["M7.3.6"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=(DeploymentConfig,),
    remediation="Grant read access to the inference log stores only to named roles, never to "
    "'*', allUsers, a whole domain or every resource; record each reader and its need in "
    "[[privacy.inference_logs.readers]] (principal, need).",
)
def inference_logs_restricted(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every principal the Terraform IAM lets read an inference log store (through identity
    policies, managed policies, bucket policies or GCP IAM) is a listed reader with a stated
    need; a public or domain-wide grant fails."""
    conf = section(ctx, "privacy", "inference_logs")
    inventory = load(project, (Source.TERRAFORM,))
    for gap in inventory.gaps:
        yield not_verified(
            f"{gap.item} could not be read: {gap.detail}", gap, key=f"unread:{gap.item}"
        )
    if not inventory.files:
        yield nothing_found("Terraform files", "who can read the inference logs")
        return
    stores = inference_stores(
        inventory, [s for s in items(conf.get("stores")) if isinstance(s, str)]
    )
    if not stores:
        yield not_verified(
            "no Terraform log store is named like an inference log; list them in "
            "[privacy.inference_logs] stores",
            Gap(item="privacy.inference_logs.stores", reason=GapReason.NOT_PRESENT),
            key="access",
        )
        return
    listed = {
        str(mapping(r).get("principal")): str(mapping(r).get("need") or "").strip()
        for r in items(conf.get("readers"))
    }
    readers, broad, gaps = log_readers(inventory, stores)
    unlisted = sorted(h for h in readers if h not in listed)
    unjustified = sorted(h for h in readers if h in listed and not listed[h])
    facts = (
        ("stores", ",".join(s.address for s in stores)),
        ("readers", ",".join(sorted(readers))),
    )
    problems = list(broad)
    if unlisted:
        problems.append(
            "readers not named in [[privacy.inference_logs.readers]]: "
            + "; ".join(f"{h} ({names(readers[h], 3)})" for h in unlisted[:6])
        )
    if unjustified:
        problems.append(f"readers without a recorded need: {', '.join(unjustified[:6])}")
    if problems:
        yield failed("; ".join(problems), key="access", facts=facts)
        return
    if gaps:
        yield not_verified(
            f"{len(gaps)} policy document(s) could not be read", gaps, key="access", facts=facts
        )
        return
    yield passed(
        f"{len(readers)} principal(s) can read {names(s.address for s in stores)}, each named "
        "with a recorded need" + (f": {names(readers)}" if readers else ""),
        key="access",
        facts=facts,
    )
