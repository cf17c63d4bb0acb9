"""Local trees: the same walk as ``mlsvs scan`` (``scanner.api.expand_counted``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.fleet.items import Item, ListingError, SourceKind

if TYPE_CHECKING:
    from collections.abc import Iterator


def list_local(source: str) -> Iterator[Item | ListingError]:
    """Every file ``mlsvs scan SOURCE`` would scan, with a stat fingerprint (see ``stat_key``).

    The content digest that keys the cache is computed later, once per changed file.
    """
    from mlsvs.scanner.api import expand_counted

    if not Path(source).exists() and not Path(source).is_symlink():
        yield ListingError(source=source, uri=source, message="no such file or directory")
        return
    targets, _ = expand_counted([source])
    for target in targets:
        yield Item(
            kind=SourceKind.LOCAL,
            source=source,
            uri=target,
            size=_size(Path(target)),
            fingerprint=stat_key(Path(target)),
            locator=(("path", target),),
        )


def _size(path: Path) -> int:
    if path.is_dir():  # a TF SavedModel directory is one target
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    try:
        return path.stat().st_size
    except OSError:
        return 0


def stat_key(path: Path) -> str:
    """``stat:<device>:<inode>:<size>:<mtime ns>:<path>``; ``unreadable:<path>`` when stat fails.

    Only the index from stat keys to digests uses it: a changed file gets a new stat key, so its
    digest (and then its result) is recomputed.
    """
    try:
        st = path.stat()
    except OSError:
        return f"unreadable:{os.fsdecode(path)}"
    if path.is_dir():
        newest = max((p.stat().st_mtime_ns for p in path.rglob("*")), default=st.st_mtime_ns)
        return f"stat:{st.st_dev}:{st.st_ino}:dir:{newest}:{path}"
    return f"stat:{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{path}"


def digest_local(path_text: str) -> str:
    """Content fingerprint: ``sha256:<hex>`` of a file, ``tree:<hex>`` of a SavedModel directory,
    the stat key itself when the path cannot be read (it is then re-scanned every run, and the
    scan reports why it could not be read)."""
    import hashlib

    from mlsvs.scanner.fileaccess import is_regular
    from mlsvs.util.hashing import sha256_file

    path = Path(path_text)
    try:
        if path.is_dir():
            tree = hashlib.sha256()
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                tree.update(str(child.relative_to(path)).encode("utf-8", "surrogateescape"))
                tree.update(sha256_file(child).encode())
            return f"tree:{tree.hexdigest()}"
        if not is_regular(path):  # never open a FIFO or device to hash it
            return f"volatile:{stat_key(path)}"
        return f"sha256:{sha256_file(path)}"
    except OSError:
        return f"volatile:{stat_key(path)}"
