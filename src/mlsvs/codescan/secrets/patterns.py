"""Credential shapes (regex + validators); placeholders and entropy live in ``placeholders``.

Stdlib only. ``entropy`` is re-exported for callers that import it from here.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from mlsvs.codescan.secrets.placeholders import ValueKind, classify, entropy
from mlsvs.model.result import Severity


@enum.unique
class SecretKind(enum.StrEnum):
    """What a secret hit looks like. The value is the stable rule ID shown in reports."""

    HUGGINGFACE_TOKEN = "secret.huggingface-token"  # noqa: S105 - rule ID
    OPENAI_KEY = "secret.openai-api-key"
    ANTHROPIC_KEY = "secret.anthropic-api-key"
    AWS_ACCESS_KEY_ID = "secret.aws-access-key-id"
    AWS_SECRET_KEY = "secret.aws-secret-access-key"  # noqa: S105 - rule ID
    GCP_SERVICE_ACCOUNT = "secret.gcp-service-account-key"
    AZURE_CONNECTION_STRING = "secret.azure-connection-string"
    GITHUB_TOKEN = "secret.github-token"  # noqa: S105 - rule ID
    SLACK_TOKEN = "secret.slack-token"  # noqa: S105 - rule ID
    SLACK_WEBHOOK = "secret.slack-webhook"
    STRIPE_KEY = "secret.stripe-key"
    WANDB_KEY = "secret.wandb-api-key"
    PRIVATE_KEY = "secret.private-key"
    GENERIC = "secret.generic-assignment"


@dataclass(frozen=True, slots=True, kw_only=True)
class Shape:
    """One token shape: the ``secret`` group is the credential itself."""

    kind: SecretKind
    pattern: re.Pattern[str]
    severity: Severity
    keep: int
    """Characters of the (public) prefix kept when masking."""
    context: re.Pattern[str] | None = None
    """Must also match the line (e.g. ``wandb`` for bare 40-hex keys)."""
    api_key: bool = True
    """A vendor API key/token shape (reused for dataset PII and the MLCODE014 code rule)."""


def _re(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_H, _C, _M = Severity.HIGH, Severity.CRITICAL, Severity.MEDIUM
_END = r"(?![A-Za-z0-9_-])"

SHAPES: tuple[Shape, ...] = (
    Shape(
        kind=SecretKind.HUGGINGFACE_TOKEN,
        pattern=_re(rf"(?<![A-Za-z0-9])(?P<secret>(?:hf|api_org)_[A-Za-z0-9]{{30,40}}){_END}"),
        severity=_H,
        keep=4,
    ),
    Shape(
        kind=SecretKind.ANTHROPIC_KEY,
        pattern=_re(
            rf"(?<![A-Za-z0-9])(?P<secret>sk-ant-(?:api|admin|oat)\d\d-[A-Za-z0-9_-]{{32,120}}){_END}"
        ),
        severity=_C,
        keep=14,
    ),
    Shape(
        kind=SecretKind.OPENAI_KEY,
        pattern=_re(
            rf"(?<![A-Za-z0-9])(?P<secret>sk-(?:(?:proj|svcacct|admin)-)?(?!ant-)[A-Za-z0-9_-]{{20,200}}T3BlbkFJ[A-Za-z0-9_-]{{20,200}}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{{40,200}}|sk-[A-Za-z0-9]{{48}}){_END}"
        ),
        severity=_C,
        keep=8,
    ),
    Shape(
        kind=SecretKind.AWS_ACCESS_KEY_ID,
        pattern=_re(r"(?<![A-Z0-9])(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Z0-9])"),
        severity=_H,
        keep=4,
    ),
    Shape(
        kind=SecretKind.AWS_SECRET_KEY,
        pattern=_re(
            r"(?i:aws_?secret_?(?:access_?)?key|secretaccesskey)[\"']?\s*(?::=|[:=]|=>)\s*[\"']?(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        severity=_C,
        keep=0,
        api_key=False,
    ),
    Shape(
        kind=SecretKind.AZURE_CONNECTION_STRING,
        pattern=_re(
            r"(?:AccountKey|SharedAccessKey|AccessKey)=(?P<secret>[A-Za-z0-9+/]{40,100}={0,2})"
        ),
        severity=_C,
        keep=0,
        api_key=False,
    ),
    Shape(
        kind=SecretKind.GITHUB_TOKEN,
        pattern=_re(
            rf"(?<![A-Za-z0-9])(?P<secret>gh[pousr]_[A-Za-z0-9]{{36,76}}|github_pat_[A-Za-z0-9]{{22}}_[A-Za-z0-9]{{59}}){_END}"
        ),
        severity=_H,
        keep=4,
    ),
    Shape(
        kind=SecretKind.SLACK_TOKEN,
        pattern=_re(
            rf"(?<![A-Za-z0-9])(?P<secret>xox[abposr]-(?:\d+-)+[A-Za-z0-9]{{16,64}}){_END}"
        ),
        severity=_H,
        keep=5,
    ),
    Shape(
        kind=SecretKind.SLACK_WEBHOOK,
        pattern=_re(
            r"(?P<secret>https://hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32})"
        ),
        severity=_M,
        keep=33,
    ),
    Shape(
        kind=SecretKind.STRIPE_KEY,
        pattern=_re(rf"(?<![A-Za-z0-9])(?P<secret>(?:sk|rk)_live_[A-Za-z0-9]{{20,99}}){_END}"),
        severity=_C,
        keep=8,
    ),
    Shape(
        kind=SecretKind.WANDB_KEY,
        pattern=_re(r"(?<![A-Za-z0-9])(?P<secret>[0-9a-f]{40})(?![A-Za-z0-9])"),
        severity=_H,
        keep=0,
        context=_re(r"(?i)wandb|weights\s*&\s*biases"),
    ),
)

PEM_BEGIN = _re(
    r"-----BEGIN (?P<label>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
)
_PEM_BODY = _re(r"[A-Za-z0-9+/=]{32,}")


def is_placeholder(value: str, *, context: str = "") -> bool:
    """Template markers, env references, documentation examples and "fill me in" fillers
    (see ``placeholders.classify``)."""
    return classify(value, context=context) is ValueKind.PLACEHOLDER


def known_shape(value: str) -> SecretKind | None:
    """The vendor API-key/token shape ``value`` has as a whole, if any (placeholders excluded)."""
    text = value.strip()
    if is_placeholder(text):
        return None
    for shape in SHAPES:
        if shape.api_key and shape.context is None:
            match = shape.pattern.fullmatch(text)
            if match:
                return shape.kind
    return None


def looks_random(value: str, *, min_length: int = 16, min_entropy: float = 3.5) -> bool:
    """A long, high-entropy, space-free string that is not a placeholder."""
    text = value.strip()
    return (
        len(text) >= min_length
        and " " not in text
        and not is_placeholder(text)
        and entropy(text) >= min_entropy
    )


def pem_has_body(text: str, start: int) -> bool:
    """Whether a PEM header at ``start`` is followed by key material (not a doc mention)."""
    window = text[start : start + 400].replace("\\n", "\n")
    return bool(_PEM_BODY.search(window.split("-----", 2)[-1]))


def mask(secret: str, keep: int) -> str:
    """``hf_a…(37 chars)``: a public prefix at most, never the secret itself."""
    shown = secret[: min(keep, max(len(secret) // 3, 0))] if keep else secret[:2]
    return f"{shown}…({len(secret)} chars)"
