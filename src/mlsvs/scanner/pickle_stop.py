"""Streams that ``pickle.load`` abandons at the first global it resolves, having run nothing.

Plain text can read as protocol 0: numpy's ``lapack_lite/wrapped_routines`` is a word list
starting ``ccopy\\ncgeev\\n``, i.e. GLOBAL ``copy.cgeev``. What the unpickler really does with
it: ``find_class`` imports ``copy`` (standard-library code that only defines names), then
``getattr(copy, "cgeev")`` raises ``AttributeError``; nothing after that opcode is ever read.
Such a file is no working pickle, so a directory walk treats it as the text it is.

The decision is deliberately narrow (fail closed):

* only the *first* event of the stream counts, and it must be that failing resolution: a name
  that resolves (``cbuiltins\\nexec\\n``) is one call opcode away from running, and whether the
  unpickler ever reaches that opcode depends on reading every later byte exactly as it does;
  ordinary text does not resolve a real name, so such a file stays a pickle and is scanned;
* the module must be on ``INERT_STDLIB``: standard-library modules whose import only defines
  names (``tests/scanner/test_text_pickles.py`` imports each under an audit hook). Importing
  anything else, a third-party module above all, runs that module's code: a finding;
* the attribute must be missing in this interpreter, with no module ``__getattr__`` hook that
  could produce it. A newer Python may define the name (``copy.replace`` is 3.13), so the rest
  of the stream must be harmless even if the unpickler went on: only imports, nothing called,
  mutated, computed or persisted, and an error before any STOP (no object handed back).
"""

from __future__ import annotations

import importlib
import sys
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from typing import TYPE_CHECKING

from mlsvs.scanner.pickle_values import EventKind, Ref

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mlsvs.scanner.pickle_values import Event

INERT_STDLIB = frozenset(
    {"abc", "argparse", "array", "ast", "base64", "binascii", "bisect", "builtins", "calendar",
     "cmath", "codecs", "collections", "collections.abc", "colorsys", "contextlib", "copy",
     "copyreg", "csv", "dataclasses", "datetime", "decimal", "difflib", "dis", "enum", "errno",
     "fnmatch", "fractions", "functools", "gc", "getopt", "glob", "heapq", "html", "inspect",
     "itertools", "json", "keyword", "linecache", "marshal", "math", "numbers", "opcode",
     "operator", "os", "os.path", "pickle", "platform", "posixpath", "pprint", "queue", "random",
     "re", "reprlib", "select", "shlex", "shutil", "signal", "socket", "stat", "statistics",
     "string", "struct", "subprocess", "sys", "tempfile", "textwrap", "threading", "time",
     "token", "tokenize", "types", "typing", "unicodedata", "warnings", "weakref", "zlib"}
)  # fmt: skip
"""Standard-library modules whose import runs only their own definitions: no output, files
written, processes, sockets or threads (checked under an audit hook in a fresh interpreter).
``io`` is left out (it has a module ``__getattr__``), as are modules with import-time effects
(``antigravity``, ``this``, ``*.__main__``) and everything outside the standard library."""


def attribute_missing(module: str, qual: str) -> bool:
    """``find_class(module, qual)`` raises AttributeError here: ``module`` is inert, has no
    ``__getattr__`` hook, and defines neither ``qual`` nor its first dotted part (protocol 4
    walks dotted names part by part, protocols 0-3 look the whole string up)."""
    if module not in INERT_STDLIB:
        return False
    loaded = sys.modules.get(module)
    try:
        namespace = vars(loaded if loaded is not None else importlib.import_module(module))
    except ImportError:  # not in this interpreter's standard library: nothing known about it
        return False
    return (
        "__getattr__" not in namespace
        and qual.partition(".")[0] not in namespace
        and (qual not in namespace)
    )


def _as_unpickler_reads(ref: Ref) -> list[tuple[str, str]]:
    """The (module, name) pairs ``find_class`` may look up: as written (protocol 3+, or
    ``fix_imports=False``) and with Python 2 names mapped (protocols 0-2, the default)."""
    pairs = [(ref.module, ref.name)]
    if (ref.module, ref.name) in NAME_MAPPING:
        pairs.append(NAME_MAPPING[(ref.module, ref.name)])
    elif ref.module in IMPORT_MAPPING:
        pairs.append((IMPORT_MAPPING[ref.module], ref.name))
    return pairs


def raises_at_first_global(
    events: Sequence[Event],
    *,
    ends_in_error: bool,
    missing: Callable[[str, str], bool] = attribute_missing,
) -> bool:
    """``pickle.load`` raises at the stream's first global, having run nothing.

    ``events`` are the emulator's observations of the whole stream as far as it could be read
    (every global assumed to resolve); ``ends_in_error``: that reading ended in an error the
    unpickler also hits inside the data (not a sniff window's end, not a spent budget).
    """
    if not ends_in_error or not events:
        return False
    if any(e.kind is not EventKind.IMPORT for e in events):
        return False  # something called, mutated, computed or persisted if the loader went on
    first = events[0].value
    if not isinstance(first, Ref):
        return False
    return all(missing(module, name) for module, name in _as_unpickler_reads(first))
