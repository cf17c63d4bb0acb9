"""Model-file scanner: finds code that runs on load, without ever loading what it scans.

Public API::

    identify(path) -> ModelFormat
    scan_path(path, *, options=None) -> ScanReport
    scan_paths(paths, *, jobs=1, options=None) -> tuple[ScanReport, ...]
    scan_tree(paths, *, jobs=1, options=None) -> (tuple[ScanReport, ...], skipped)
    cached_scan(path, options=None) -> ScanReport
"""

from __future__ import annotations

from mlsvs.scanner.api import cached_scan, expand, scan_path, scan_paths, scan_tree
from mlsvs.scanner.identify import identify
from mlsvs.scanner.report import ScanFinding, ScanOptions, ScanReport
from mlsvs.scanner.rules import RULES, ScanRule, ScanRuleInfo

__all__ = [
    "RULES",
    "ScanFinding",
    "ScanOptions",
    "ScanReport",
    "ScanRule",
    "ScanRuleInfo",
    "cached_scan",
    "expand",
    "identify",
    "scan_path",
    "scan_paths",
    "scan_tree",
]
