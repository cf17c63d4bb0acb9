"""``find_secrets``: credential hits in one text, with masked evidence only."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from mlsvs.codescan.secrets.patterns import (
    PEM_BEGIN,
    SHAPES,
    SecretKind,
    is_placeholder,
    mask,
    pem_has_body,
)
from mlsvs.codescan.secrets.placeholders import ValueKind, classify, entropy
from mlsvs.model.result import Severity


@enum.unique
class SourceKind(enum.StrEnum):
    """What the text is; decides which generic assignment syntax is recognised."""

    CODE = "code"
    """Python source: quoted values of ``name = "..."`` / ``name="..."`` / ``"name": "..."``."""
    CONFIG = "config"
    """YAML, JSON, TOML, INI, .env: ``name: value`` / ``name = value`` / ``"name": "value"``."""
    METADATA = "metadata"
    """Model/card metadata (front matter, config.json, safetensors ``__metadata__``)."""
    TEXT = "text"
    """Prose, notebook outputs and logs: like CONFIG."""
    DATA = "data"
    """Dataset records: vendor token shapes and private keys only (no generic rule)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretHit:
    """One credential found in a text. Never holds the secret itself."""

    kind: SecretKind
    severity: Severity
    line: int
    """1-based line of the text."""
    column: int
    """1-based column of the secret's first character."""
    masked: str
    """The secret reduced to a public prefix and its length, e.g. ``hf_a…(37 chars)``."""
    excerpt: str
    """The line with every secret on it masked, trimmed to 160 characters."""

    @property
    def rule(self) -> str:
        """Stable rule ID for reports (``secret.huggingface-token`` ...)."""
        return self.kind.value


_NAME = re.compile(
    r"(?i)(?:pass(?:word|wd|phrase)|(?<![a-z])pass(?![a-z])|pwd|secret|token|api[_-]?key|apikey|"
    r"access[_-]?key|auth[_-]?key|private[_-]?key|credentials?|client[_-]?secret|signing[_-]?key)"
)
_NOT_SECRET_NAME = re.compile(
    r"(?i)(?:tokeni[sz]|max_?(?:new_?)?tokens?|num_?tokens?|n_tokens|(?:eos|bos|pad|unk|sep|cls|"
    r"mask|special|start|end)_?tokens?|tokens?_(?:ids?|type|types|count|len|length|limit|url|"
    r"uri|endpoint|file|path|env|var|name|expir\w*|usage)|(?:_|-)(?:file|path|env|var|name|url|"
    r"dir|id|len|length|type|count|field|header|prompt|label|hint|policy|ref)s?$|_from_env$|"
    # camelCase references to secrets (Kubernetes secretName, secretKeyRef …), not values
    r"(?-i:(?<=[a-z])(?:Name|Ref|KeyRef|File|Path|Env|Id|Url|Type)s?$))"
)
_CODE_ASSIGN = re.compile(
    r"(?P<name>[A-Za-z_][\w.-]*)[\"']?\s*(?::\s*[\w\[\]|, .]+?\s*)?(?:=|:|=>)\s*[rbu]?"
    r"(?P<q>[\"'])(?P<secret>[^\"'\n]{8,})(?P=q)"
)
_CONFIG_ASSIGN = re.compile(
    r"(?P<name>[A-Za-z_][\w.-]*)[\"']?\s*(?:=|:)\s*(?P<q>[\"']?)(?P<secret>[^\s\"'#,;{}\[\]]{8,})(?P=q)"
)
_GENERIC_CHARS = re.compile(r"^[\x21-\x7e]+$")
_SERVICE_ACCOUNT = re.compile(r"[\"']type[\"']\s*:\s*[\"']service_account[\"']")


def _generic_kind(name: str, value: str, min_entropy: float, line: str) -> ValueKind:
    """How a ``password = "..."`` value is reported: a secret (high), a weak dictionary-word
    literal (low), or not at all (placeholder, reference, path, low entropy)."""
    if not (
        _NAME.search(name)
        and not _NOT_SECRET_NAME.search(name)
        and _GENERIC_CHARS.match(value)
        and not value.startswith(("http://", "https://", "/", "./", "~"))
        and entropy(value) >= min_entropy
    ):
        return ValueKind.PLACEHOLDER
    return classify(value, context=line)


def _pem_end(line: str, start: int) -> int:
    """End of the key material on the header's line (an escaped JSON key sits on one line)."""
    marker = line.find("-----END", start)
    if marker < 0:
        return len(line)
    close = line.find("-----", marker + 8)
    return len(line) if close < 0 else close + 5


def _excerpt(line: str, spans: list[tuple[int, int, str]]) -> str:
    out = line
    for start, end, masked in sorted(spans, reverse=True):
        out = out[:start] + masked + out[end:]
    out = out.strip()
    return out if len(out) <= 160 else out[:157] + "..."


def find_secrets(
    text: str, *, source_kind: SourceKind, min_entropy: float = 3.0
) -> list[SecretHit]:
    """Every credential in ``text``: vendor token shapes, PEM private keys and, except for
    ``DATA``, generic ``password=`` / ``token:`` assignments above ``min_entropy`` bits/char.

    Placeholders (``xxx``, ``<your-token>``, ``${VAR}``, ``changethis``, ``sample_api_key``,
    env lookups) are not reported; generic values made only of dictionary words
    (``supersecretpassword``) are reported at low severity (see ``placeholders.classify``).
    """
    lines = text.split("\n")
    service_account = bool(_SERVICE_ACCOUNT.search(text))
    raw: list[tuple[int, int, int, SecretKind, Severity, str]] = []
    for number, line in enumerate(lines, start=1):
        taken: list[tuple[int, int]] = []
        for shape in SHAPES:
            if shape.context is not None and not shape.context.search(line):
                continue
            for match in shape.pattern.finditer(line):
                start, end = match.span("secret")
                secret = match["secret"]
                # No line context here: a comment must not hide a structured vendor token.
                if is_placeholder(secret) or any(s < end and start < e for s, e in taken):
                    continue
                taken.append((start, end))
                raw.append(
                    (number, start, end, shape.kind, shape.severity, mask(secret, shape.keep))
                )
        for match in PEM_BEGIN.finditer(line):
            offset = sum(len(x) + 1 for x in lines[: number - 1]) + match.start()
            if pem_has_body(text, offset):
                kind = SecretKind.GCP_SERVICE_ACCOUNT if service_account else SecretKind.PRIVATE_KEY
                label = f"-----BEGIN {match['label']}-----…"
                end = _pem_end(line, match.end())
                raw.append((number, match.start(), end, kind, Severity.CRITICAL, label))
                taken.append((match.start(), end))
        if source_kind is SourceKind.DATA:
            continue
        pattern = _CODE_ASSIGN if source_kind is SourceKind.CODE else _CONFIG_ASSIGN
        for match in pattern.finditer(line):
            start, end = match.span("secret")
            if any(s < end and start < e for s, e in taken):
                continue
            value_kind = _generic_kind(match["name"], match["secret"], min_entropy, line)
            if value_kind is not ValueKind.PLACEHOLDER:
                taken.append((start, end))
                masked = mask(match["secret"], 0)
                severity = Severity.HIGH if value_kind is ValueKind.SECRET else Severity.LOW
                raw.append((number, start, end, SecretKind.GENERIC, severity, masked))
    hits: list[SecretHit] = []
    for number, start, _end, kind, severity, masked in sorted(raw, key=lambda r: (r[0], r[1])):
        spans = [(s, e, m) for n, s, e, _k, _v, m in raw if n == number]
        hits.append(
            SecretHit(
                kind=kind,
                severity=severity,
                line=number,
                column=start + 1,
                masked=masked,
                excerpt=_excerpt(lines[number - 1], spans),
            )
        )
    return hits
