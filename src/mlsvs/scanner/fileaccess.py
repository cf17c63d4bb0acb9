"""Opening scanned paths without side effects: regular files only.

Opening a FIFO blocks until a writer appears and opening a device can rewind a tape or claim a
terminal, so the path is ``stat``-ed first and anything but a regular file is refused unopened.
The open itself uses ``O_NONBLOCK`` and is re-checked with ``fstat``, so a path swapped for a
FIFO between the two calls still cannot hang the scan.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from pathlib import Path


class NotRegularFileError(OSError):
    """The path is a FIFO, socket, device or directory; it was not opened."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def open_regular(path: Path) -> tuple[BinaryIO, int]:
    """Open ``path`` for reading if it is a regular file; return the stream and its size."""
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(f"{_kind(mode)}; not opened")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFileError(f"{_kind(st.st_mode)}; not read")
        return os.fdopen(fd, "rb"), st.st_size
    except BaseException:
        os.close(fd)
        raise


def is_regular(path: Path) -> bool:
    """``stat`` says regular file (follows symlinks; never opens)."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False
