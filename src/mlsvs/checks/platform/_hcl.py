"""python-hcl2, called through one lock.

python-hcl2 8.x serialises with a ``SerializationContext`` that is a shared default argument
and is mutated during traversal (``context.modify(inside_dollar_string=True)``). Two checks
parsing Terraform on two runner threads at once therefore corrupt each other's output: an
interpolated string comes back as a Python ``repr`` of a dict, and a readable IAM policy turns
"unparseable", so a verdict would depend on thread timing. Parsing is CPU-bound under the GIL,
so the lock costs no parallelism.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()


def loads(text: str, **options: bool) -> dict[str, Any]:
    """``hcl2.loads(text)`` with ``SerializationOptions(**options)``; ImportError if absent."""
    import hcl2
    from hcl2.utils import SerializationOptions

    with _LOCK:
        return dict(hcl2.loads(text, serialization_options=SerializationOptions(**options)))
