"""Opening scanned paths without side effects: regular files only.

Opening a FIFO blocks until a writer appears and opening a device can rewind a tape or claim a
terminal, so the path is ``stat``-ed first and anything but a regular file is refused unopened.
The open itself uses ``O_NONBLOCK`` and is re-checked with ``fstat``, so a path swapped for a
FIFO between the two calls still cannot hang the scan.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO


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


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


def open_regular(path: Path) -> tuple[BinaryIO, int]:
    """Open ``path`` for reading if it is a regular file; return the stream and its size."""
    fd, size = open_regular_fd(path)
    return os.fdopen(fd, "rb"), size


def open_regular_fd(path: str | Path, *, listed_regular: bool = False) -> tuple[int, int]:
    """``open_regular`` as a file descriptor (the caller closes it) and the size.

    ``listed_regular``: a directory listing already said "regular file, not a link" (its
    ``d_type``), so the ``stat`` before the open is skipped; the ``fstat`` after it still
    refuses anything else, so a path swapped for a FIFO or device since the listing is never
    read (the same race as between ``stat`` and ``open``, with ``O_NONBLOCK`` either way).
    """
    if not listed_regular:
        mode = Path(path).stat().st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(f"{_kind(mode)}; not opened")
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFileError(f"{_kind(st.st_mode)}; not read")
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def read_head(fd: int, length: int) -> bytes:
    """The first ``length`` bytes of an open regular file (fewer only at its end)."""
    head = os.pread(fd, length, 0)
    while 0 < len(head) < length:
        more = os.pread(fd, length - len(head), len(head))
        if not more:
            break
        head += more
    return head


def is_regular(path: Path) -> bool:
    """``stat`` says regular file (follows symlinks; never opens)."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False
