"""Which of discovery's gaps each check could have needed (pure).

An unreadable ``weights.pt`` may be a model, so it keeps every model check from passing; it
cannot be a Dockerfile, so it leaves container checks alone. A path discovery could not even
guess a type for (``could_be`` empty) may be anything, so it affects every check that reads
project files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.model import artifact as artifact_types
from mlsvs.model.artifact import Artifact, Project

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlsvs.model.artifact import Target
    from mlsvs.model.check import Check
    from mlsvs.model.coverage import Gap


def discovery_gaps(check: Check[Target], gaps: Sequence[Gap]) -> tuple[Gap, ...]:
    """The gaps among ``gaps`` that could hide a target (or an input) of ``check``."""
    if issubclass(check.applies_to, Project):
        if check.reads is None:
            return tuple(gaps)
        wanted: tuple[type[Artifact], ...] = check.reads
    elif issubclass(check.applies_to, Artifact):
        wanted = (check.applies_to,)
    else:
        return ()
    if not wanted:
        return ()
    return tuple(g for g in gaps if _could_be(g, wanted))


def _could_be(gap: Gap, wanted: tuple[type[Artifact], ...]) -> bool:
    if not gap.could_be:
        return True
    for name in gap.could_be:
        cls = getattr(artifact_types, name, None)
        if not isinstance(cls, type) or not issubclass(cls, Artifact):
            return True  # an unknown type name: fail closed
        if any(issubclass(cls, w) or issubclass(w, cls) for w in wanted):
            return True
    return False
