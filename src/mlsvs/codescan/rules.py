"""The ML code rules: stable IDs, titles, default severities, requirements and remediation."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mlsvs.model.result import Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeRuleInfo:
    """Metadata of one code rule."""

    title: str
    severity: Severity
    requirements: tuple[str, ...]
    cwe: int
    remediation: str


@enum.unique
class CodeRule(enum.StrEnum):
    """Every finding the code rules can report. IDs are stable; see docs/code-rules.md."""

    MLCODE001 = "MLCODE001"
    MLCODE002 = "MLCODE002"
    MLCODE003 = "MLCODE003"
    MLCODE004 = "MLCODE004"
    MLCODE005 = "MLCODE005"
    MLCODE006 = "MLCODE006"
    MLCODE007 = "MLCODE007"
    MLCODE008 = "MLCODE008"
    MLCODE009 = "MLCODE009"
    MLCODE010 = "MLCODE010"
    MLCODE011 = "MLCODE011"
    MLCODE012 = "MLCODE012"
    MLCODE013 = "MLCODE013"
    MLCODE014 = "MLCODE014"
    MLCODE090 = "MLCODE090"
    MLCODE091 = "MLCODE091"

    @property
    def info(self) -> CodeRuleInfo:
        """Title, default severity, requirements and remediation of this rule."""
        return RULES[self]

    @property
    def docs(self) -> str:
        """Anchor of the rule's section in docs/code-rules.md."""
        return f"docs/code-rules.md#{self.value.lower()}"


_C, _H, _M, _L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW
_DESER = ("M4.2.1",)
_HUB = ("M4.2.2", "M5.1.1")
_TLS = ("M4.2.3",)

RULES: dict[CodeRule, CodeRuleInfo] = {
    CodeRule.MLCODE001: CodeRuleInfo(
        title="torch.load without weights_only=True",
        severity=_C,
        requirements=_DESER,
        cwe=502,
        remediation="Pass weights_only=True on torch>=2.6 (earlier versions are bypassable, "
        "CVE-2025-32434) or store the weights as safetensors.",
    ),
    CodeRule.MLCODE002: CodeRuleInfo(
        title="pickle-based deserialisation (pickle, dill, joblib, read_pickle, shelve ...)",
        severity=_C,
        requirements=_DESER,
        cwe=502,
        remediation="Load only data formats that cannot run code (safetensors, ONNX, JSON, "
        "parquet); if a pickle is unavoidable, verify its signature and scan it first.",
    ),
    CodeRule.MLCODE003: CodeRuleInfo(
        title="numpy.load with allow_pickle enabled",
        severity=_H,
        requirements=_DESER,
        cwe=502,
        remediation="Keep allow_pickle=False (the default) and store object arrays another way.",
    ),
    CodeRule.MLCODE004: CodeRuleInfo(
        title="Keras load_model with safe_mode=False",
        severity=_C,
        requirements=_DESER,
        cwe=502,
        remediation="Remove safe_mode=False; Lambda layers with serialised bytecode then fail "
        "to load instead of running.",
    ),
    CodeRule.MLCODE005: CodeRuleInfo(
        title="legacy HDF5 (.h5) Keras model load",
        severity=_M,
        requirements=_DESER,
        cwe=502,
        remediation="Convert the model to the .keras format (safe_mode applies) or to ONNX; "
        "legacy HDF5 loading ignores safe_mode for Lambda layers.",
    ),
    CodeRule.MLCODE006: CodeRuleInfo(
        title="trust_remote_code=True",
        severity=_C,
        requirements=_HUB,
        cwe=94,
        remediation="Remove trust_remote_code=True; vendor and review the model code, or pin "
        "the revision to a reviewed commit SHA.",
    ),
    CodeRule.MLCODE007: CodeRuleInfo(
        title="hub download without a pinned commit revision",
        severity=_H,
        requirements=_HUB,
        cwe=494,
        remediation='Pass revision="<40-hex commit SHA>"; branch and tag names can be moved.',
    ),
    CodeRule.MLCODE008: CodeRuleInfo(
        title="torch.hub.load of a GitHub repository (runs its hubconf.py)",
        severity=_H,
        requirements=_HUB,
        cwe=94,
        remediation="Vendor the model code and load weights with source='local', or pin "
        "'owner/repo:<commit SHA>' after reviewing hubconf.py.",
    ),
    CodeRule.MLCODE009: CodeRuleInfo(
        title="unsafe yaml.load",
        severity=_H,
        requirements=_DESER,
        cwe=502,
        remediation="Use yaml.safe_load or Loader=yaml.SafeLoader / yaml.CSafeLoader.",
    ),
    CodeRule.MLCODE010: CodeRuleInfo(
        title="eval/exec of model output",
        severity=_C,
        requirements=_DESER,
        cwe=95,
        remediation="Never evaluate model or remote output; parse it (json.loads, "
        "ast.literal_eval) and validate it against a schema.",
    ),
    CodeRule.MLCODE011: CodeRuleInfo(
        title="eval/exec of a dynamic expression",
        severity=_L,
        requirements=_DESER,
        cwe=95,
        remediation="Replace eval/exec with explicit parsing (ast.literal_eval, json.loads).",
    ),
    CodeRule.MLCODE012: CodeRuleInfo(
        title="TLS certificate verification disabled",
        severity=_H,
        requirements=_TLS,
        cwe=295,
        remediation="Keep certificate verification on; point REQUESTS_CA_BUNDLE / verify= at "
        "your internal CA bundle instead.",
    ),
    CodeRule.MLCODE013: CodeRuleInfo(
        title="model or data download over plain HTTP",
        severity=_H,
        requirements=_TLS,
        cwe=319,
        remediation="Use https:// and verify the downloaded file's hash.",
    ),
    CodeRule.MLCODE014: CodeRuleInfo(
        title="hard-coded hub or API token",
        severity=_H,
        requirements=("M3.3.1",),
        cwe=798,
        remediation="Revoke the token, remove it from history and read it from the environment "
        "or a secret manager (HF_TOKEN, OPENAI_API_KEY ...).",
    ),
    CodeRule.MLCODE090: CodeRuleInfo(
        title="suppression without a reason",
        severity=_M,
        requirements=(),
        cwe=0,
        remediation="Write '# mlsvs: ignore[RULE] reason: <why this is safe>'; a suppression "
        "without a reason does not suppress.",
    ),
    CodeRule.MLCODE091: CodeRuleInfo(
        title="unused or unknown suppression",
        severity=_L,
        requirements=(),
        cwe=0,
        remediation="Remove the suppression comment or fix the rule ID it names.",
    ),
}

META_RULES = frozenset({CodeRule.MLCODE090, CodeRule.MLCODE091})
"""Rules about suppression comments rather than about code."""


def parse_rule(text: str) -> CodeRule:
    """Parse a rule ID (case-insensitive); ``ValueError`` names the known IDs."""
    try:
        return CodeRule(text.strip().upper())
    except ValueError:
        known = ", ".join(r.value for r in CodeRule)
        raise ValueError(f"unknown code rule {text!r} (known: {known})") from None
