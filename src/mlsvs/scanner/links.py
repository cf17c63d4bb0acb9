"""Link members of archives: which ones an extracting tool turns into access outside the root.

No Python model loader follows a link stored in a zip: ``zipfile`` ignores the Unix mode bits
(``extract`` writes the link target's text as a regular file; Keras extracts its weights this
way), and torch's miniz reader returns a member's bytes by name. The hazard is extraction by a
link-aware tool (Info-ZIP ``unzip``, bsdtar, 7-Zip, ``tarfile`` without the ``data`` filter):
a link whose target is absolute or resolves outside the extraction directory lets a later
member, or a later reader of the extracted tree, write or read any file (the same test as
``tarfile.data_filter``: ``AbsoluteLinkError`` / ``LinkOutsideDestinationError``). A link to
a sibling inside the archive is ordinary (``zip -y`` of a Hugging Face cache keeps
``snapshots/<rev>/model.safetensors -> ../../blobs/<sha>``) and is not reported.

Resolution follows other link members of the same archive the way the kernel would once they
are extracted (a chain can leave the root although each link alone looks local), with the
kernel's hop limit. Targets that are not a path at all (a NUL or another control character,
longer than ``PATH_MAX``, empty) are reported too: a link-aware reader and a content reader
see different things.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_TARGET = 4096
"""Linux ``PATH_MAX``: a longer target is no path a link could hold."""
_MAX_HOPS = 40
"""Linux ``MAXSYMLINKS``."""


def _normal(name: str) -> str:
    return posixpath.normpath(name.replace("\\", "/").lstrip("/"))


def target_text(raw: bytes) -> str | None:
    """A zip/7z link member's content as a target path, or ``None`` when it is not one."""
    if not raw or len(raw) > MAX_TARGET or any(b < 0x20 or b == 0x7F for b in raw):
        return None
    return raw.decode("utf-8", "surrogateescape")


def _absolute(target: str) -> bool:
    norm = target.replace("\\", "/")
    return norm.startswith("/") or (len(norm) > 1 and norm[1] == ":")


def link_problem(
    name: str, target: str | None, links: Mapping[str, str], *, hard: bool = False
) -> str | None:
    """Why the link ``name -> target`` is dangerous to extract, or ``None`` when it stays inside.

    ``links`` maps every symbolic-link member of the archive (name as stored) to its target;
    a symbolic link resolves from its own folder, a hard link (tar) from the archive root.
    """
    if target is None or not target:
        return "link target is not a path (empty, too long, or holding control characters)"
    if _absolute(target):
        return f"absolute link target {target!r}"
    table = {_normal(k): v for k, v in links.items()}
    base = "" if hard else posixpath.dirname(_normal(name))
    queue = f"{base}/{target}".replace("\\", "/").split("/")
    stack: list[str] = []
    hops = 0
    while queue:
        part = queue.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not stack:
                return f"link target {target!r} resolves outside the archive root"
            stack.pop()
            continue
        stack.append(part)
        other = table.get("/".join(stack))
        if other is None:
            continue
        hops += 1
        if hops > _MAX_HOPS:
            return f"link target {target!r} loops through other links"
        if _absolute(other):
            return f"link target {target!r} goes through a link to the absolute path {other!r}"
        stack.pop()
        queue[:0] = other.replace("\\", "/").split("/")
    return None
