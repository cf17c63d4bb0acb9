"""Prediction channels are authenticated (MLC1041, M8.4.2): the message brokers, queues and
caches an ML system's infrastructure declares carry its predictions (or the inputs they are
made from) and must not let a third party write to them.

Read from Terraform, CloudFormation and compose files:

- Amazon MSK: TLS between clients and brokers (``client_broker = "TLS"``, the default) and
  client authentication (SASL/IAM, SCRAM or mTLS) with ``unauthenticated`` access off;
- ElastiCache replication groups: ``transit_encryption_enabled`` and an ``auth_token`` or
  RBAC ``user_group_ids``;
- SQS queues and SNS topics: no policy statement lets ``*`` send or publish without a
  condition (the APIs themselves are IAM-signed HTTPS);
- compose services from the official/Bitnami/Confluent images of Redis, Kafka and RabbitMQ:
  a Redis password (``--requirepass``, ``REDIS_PASSWORD``; never ``ALLOW_EMPTY_PASSWORD``),
  Kafka listeners mapped to ``SSL``/``SASL_SSL`` only (the default, PLAINTEXT, fails), a
  RabbitMQ user other than the default ``guest``.

An expression mlsvs does not evaluate (``var.x``) leaves that channel not verified. That
consumers validate the output schema and check signatures is the hybrid requirement's
review part (the endpoint's own TLS is judged for M8.4.1).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.checks.platform._common import (
    expression,
    names,
    nothing_found,
    references,
    remote_module_outcome,
    truthy,
    unread_outcomes,
)
from mlsvs.checks.platform._policy import PolicyUnreadableError, public_statements, statements
from mlsvs.checks.platform._sources import IAC, Source, block, items, load, mapping
from mlsvs.plugin import (
    DeploymentConfig,
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
    from collections.abc import Iterator

    from mlsvs.checks.platform._sources import ComposeService, Inventory, TfBlock
    from mlsvs.plugin import CheckContext, Outcome

Verdict = tuple[str, str]
"""(``ok`` | ``bad`` | ``unknown``, why)."""
_WRITE = re.compile(r"^(sqs:(\*|SendMessage\w*)|sns:(\*|Publish)|\*)$", re.IGNORECASE)


def _msk(body: dict[str, object]) -> Verdict:
    transit = [
        t for info in block(body, "encryption_info") for t in block(info, "encryption_in_transit")
    ]
    client_broker = transit[0].get("client_broker", "TLS") if transit else "TLS"
    if expression(client_broker):
        return "unknown", "encryption_in_transit.client_broker is an expression"
    if str(client_broker).upper() != "TLS":
        return "bad", f"client_broker = {client_broker}: producers may write in plaintext"
    auth = block(body, "client_authentication")
    if not auth:
        return "bad", "no client_authentication: any network peer can produce and consume"
    a = auth[0]
    if expression(a.get("unauthenticated")):
        return "unknown", "client_authentication.unauthenticated is an expression"
    if truthy(a.get("unauthenticated")):
        return "bad", "unauthenticated access is enabled"
    sasl = [s for s in block(a, "sasl") if truthy(s.get("iam")) or truthy(s.get("scram"))]
    tls = block(a, "tls")
    if not (sasl or tls):
        return "bad", "no SASL (IAM/SCRAM) or mTLS client authentication"
    return "ok", "TLS to the brokers and " + ("SASL" if sasl else "mTLS") + " client auth"


def _elasticache(body: dict[str, object]) -> Verdict:
    transit = body.get("transit_encryption_enabled")
    if expression(transit):
        return "unknown", "transit_encryption_enabled is an expression"
    if not truthy(transit):
        return "bad", "transit_encryption_enabled is not true: cached results travel in clear"
    if not (body.get("auth_token") or body.get("user_group_ids")):
        return "bad", "no auth_token or user_group_ids: any client on the network may write"
    # the token's value is a secret (a variable or secret reference): its presence decides
    return "ok", "in-transit encryption and an auth token / RBAC user group"


def _queue(block_: TfBlock, inventory: Inventory) -> Verdict:
    kind = "sqs" if block_.type == "aws_sqs_queue" else "sns"
    policy_type = "aws_sqs_queue_policy" if kind == "sqs" else "aws_sns_topic_policy"
    key = "queue_url" if kind == "sqs" else "arn"
    policies = [block_.body.get("policy")]
    policies += [
        p.body.get("policy")
        for p in inventory.resources(policy_type)
        if block_.name in references(p.body.get(key), block_.type)
    ]
    for policy in policies:
        if policy is None:
            continue
        try:
            found = statements(policy, inventory)
        except PolicyUnreadableError as exc:
            return "unknown", f"its policy cannot be read: {exc}"
        writers = [s for s in public_statements(found) if any(_WRITE.match(a) for a in s.actions)]
        if writers:
            return "bad", f"a policy lets anyone ({'*'}) {', '.join(writers[0].actions)}"
    return "ok", "IAM-signed HTTPS API; no policy lets anyone write"


_REDIS = re.compile(r"(^|/)(redis|valkey|redis-stack-server)(:|@|$)", re.I)
_KAFKA = re.compile(r"(^|/)(kafka|cp-kafka|cp-server)(:|@|$)", re.I)
_RABBIT = re.compile(r"(^|/)rabbitmq(:|@|$)", re.I)


def _env(service: ComposeService) -> dict[str, str]:
    raw = service.body.get("environment")
    if isinstance(raw, list):
        out = {}
        for item in raw:
            k, _, v = str(item).partition("=")
            out[k] = v
        return out
    return {str(k): str(v) for k, v in mapping(raw).items()}


def _compose(service: ComposeService) -> tuple[str, Verdict] | None:
    image = str(service.body.get("image", ""))
    env = _env(service)
    command = service.body.get("command", "")
    command_text = " ".join(map(str, items(command))) if isinstance(command, list) else str(command)
    if _REDIS.search(image):
        if env.get("ALLOW_EMPTY_PASSWORD", "").lower() in {"yes", "true", "1"}:
            return "redis", ("bad", "ALLOW_EMPTY_PASSWORD lets any client write")
        if (
            "--requirepass" in command_text
            or env.get("REDIS_PASSWORD")
            or "--aclfile" in (command_text)
        ):
            return "redis", ("ok", "clients must authenticate (requirepass/ACL)")
        return "redis", ("bad", "no password or ACL: any client on the network can write")
    if _KAFKA.search(image):
        mapping_ = next(
            (v for k, v in env.items() if k.endswith("LISTENER_SECURITY_PROTOCOL_MAP")), ""
        )
        if not mapping_:
            return "kafka", ("bad", "no listener security protocol map: listeners are PLAINTEXT")
        plain = [
            p
            for p in mapping_.split(",")
            if p.split(":")[-1].strip().upper() in {"PLAINTEXT", "SASL_PLAINTEXT"}
        ]
        if plain:
            return "kafka", ("bad", f"listener(s) without TLS: {', '.join(plain)}")
        return "kafka", ("ok", f"listeners use TLS ({mapping_})")
    if _RABBIT.search(image):
        user = env.get("RABBITMQ_DEFAULT_USER", "guest")
        if user == "guest":
            return "rabbitmq", ("bad", "the default guest account is in use")
        return "rabbitmq", ("ok", f"a dedicated user ({user}) instead of guest")
    return None


def _cfn(resource_type: str, props: dict[str, object]) -> Verdict | None:
    if resource_type == "AWS::MSK::Cluster":
        transit = mapping(mapping(props.get("EncryptionInfo")).get("EncryptionInTransit"))
        if str(transit.get("ClientBroker", "TLS")).upper() != "TLS":
            return "bad", f"ClientBroker = {transit.get('ClientBroker')}"
        auth = mapping(props.get("ClientAuthentication"))
        if not auth or truthy(mapping(auth.get("Unauthenticated")).get("Enabled")):
            return "bad", "unauthenticated client access"
        return "ok", "TLS and client authentication"
    if resource_type == "AWS::ElastiCache::ReplicationGroup":
        if not truthy(props.get("TransitEncryptionEnabled")):
            return "bad", "TransitEncryptionEnabled is not true"
        if not (props.get("AuthToken") or props.get("UserGroupIds")):
            return "bad", "no AuthToken or UserGroupIds"
        return "ok", "in-transit encryption and authentication"
    return None


def channels(inventory: Inventory) -> list[tuple[str, str, Verdict]]:
    """(address, file, verdict) of every broker, queue and cache found."""
    out: list[tuple[str, str, Verdict]] = [
        (b.address, b.path, _msk(dict(b.body))) for b in inventory.resources("aws_msk_cluster")
    ]
    out += [
        (b.address, b.path, _elasticache(dict(b.body)))
        for b in inventory.resources("aws_elasticache_replication_group")
    ]
    out += [
        (b.address, b.path, _queue(b, inventory))
        for b in inventory.resources("aws_sqs_queue", "aws_sns_topic")
    ]
    for r in inventory.cfn("AWS::MSK::Cluster", "AWS::ElastiCache::ReplicationGroup"):
        verdict = _cfn(r.type, dict(r.properties))
        if verdict is not None:
            out.append((f"{r.path}: {r.logical_id}", r.path, verdict))
    for s in inventory.compose:
        judged = _compose(s)
        if judged is not None:
            out.append((f"{s.path}: {s.name} ({judged[0]})", s.path, judged[1]))
    return out


@check(
    id="MLC1041",
    title="Brokers, queues and caches on the prediction path authenticate writers",
    requirements=["M8.4.2"],
    applies_to=Project,
    severity=Severity.HIGH,
    requires=["hcl2"],
    reads=[DeploymentConfig],
    remediation="Require TLS and client authentication on brokers and caches that carry "
    "predictions (MSK SASL/IAM, ElastiCache auth token + transit encryption, Redis ACLs, Kafka "
    "SASL_SSL listeners), and never let '*' send to a queue or topic.",
)
def prediction_channels_authenticated(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every message broker, queue and cache in the IaC and compose files authenticates its
    clients over an encrypted channel."""
    what = "authentication of the prediction channels"
    inventory = load(project, {*IAC, Source.COMPOSE})
    yield from unread_outcomes(inventory, what)
    if not inventory.files:
        yield nothing_found("Terraform, CloudFormation or compose file", what)
        return
    yield from remote_module_outcome(inventory, what)
    found = channels(inventory)
    if not found:
        yield abstained(
            f"the infrastructure files ({names(inventory.files)}) declare no message broker, "
            "queue or cache: the path predictions take to their consumers is not shown",
            key="no-channel",
        )
        return
    for address, path, (verdict, why) in found:
        facts = (("resource", address), ("file", path))
        message = f"{address}: {why}"
        if verdict == "ok":
            yield passed(message, key=address, facts=facts)
        elif verdict == "bad":
            yield failed(message, key=address, facts=facts)
        else:
            yield not_verified(
                message,
                Gap(item=address, reason=GapReason.UNSUPPORTED, detail=why[:300]),
                key=address,
                facts=facts,
            )
