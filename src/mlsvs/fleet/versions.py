"""Scanner and policy versions: the parts of a cache key that are not the content.

``scanner_version`` changes with any change of the scanner's code or bundled data (a release, or
a patched rule), so a new scanner re-scans everything; ``policy_version`` changes with the
options that can change a verdict (allowlist extensions, limits), so a policy change re-scans
everything under the new policy while the old results stay cached for the old one.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from importlib import resources
from typing import TYPE_CHECKING

from mlsvs import __version__

if TYPE_CHECKING:
    from mlsvs.scanner.report import ScanOptions


@functools.cache
def scanner_version() -> str:
    """``<release>+<digest of the scanner package's code and data>``."""
    digest = hashlib.sha256()
    root = resources.files("mlsvs.scanner")
    stack = [root]
    files = []
    while stack:
        node = stack.pop()
        for child in node.iterdir():
            if child.is_dir():
                if child.name != "__pycache__":
                    stack.append(child)
            elif child.name.endswith((".py", ".json", ".yaml", ".txt")):
                files.append(child)
    for child in sorted(files, key=lambda c: str(c)):
        digest.update(str(child).rsplit("mlsvs", 1)[-1].encode())
        digest.update(child.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def policy_version(options: ScanOptions) -> str:
    """Digest of every option that can change a verdict."""
    fields = dataclasses.asdict(options)
    fields["allow"] = sorted(options.allow)
    text = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_key(fingerprint: str, scanner: str, policy: str) -> str:
    """Content address of one result."""
    return hashlib.sha256(f"{fingerprint}\0{scanner}\0{policy}".encode()).hexdigest()
