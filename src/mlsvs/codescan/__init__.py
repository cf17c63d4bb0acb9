"""ML code rules and secret detection over Python files, notebooks, configs and metadata.

Static only: sources are parsed with the stdlib ``ast`` and never executed; notebooks are read
as JSON. Public API::

    scan_python(source, *, path, torch_version=None) -> CodeScanResult
    scan_notebook(text, *, path, torch_version=None) -> CodeScanResult
    scan_file(file, *, display, torch_version=None) -> CodeScanResult
    find_secrets(text, *, source_kind) -> list[SecretHit]
    scan_secrets_file(file, *, display) -> SecretFileResult
"""

from __future__ import annotations

from mlsvs.codescan.findings import CodeFinding, CodeScanResult
from mlsvs.codescan.rules import RULES, CodeRule, CodeRuleInfo, parse_rule
from mlsvs.codescan.scan import scan_file, scan_notebook, scan_python
from mlsvs.codescan.secrets import (
    LocatedSecret,
    SecretFileResult,
    SecretHit,
    SecretKind,
    SourceKind,
    find_secrets,
    scan_secrets_file,
)

__all__ = [
    "RULES",
    "CodeFinding",
    "CodeRule",
    "CodeRuleInfo",
    "CodeScanResult",
    "LocatedSecret",
    "SecretFileResult",
    "SecretHit",
    "SecretKind",
    "SourceKind",
    "find_secrets",
    "parse_rule",
    "scan_file",
    "scan_notebook",
    "scan_python",
    "scan_secrets_file",
]
