"""Keep absolute paths out of findings (reports are shared; paths are project-relative)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def relative(message: str, root: Path) -> str:
    """``message`` with the project root prefix removed from any path it mentions."""
    for prefix in {str(root), str(root.resolve())}:
        message = message.replace(prefix + "/", "")
    return message
