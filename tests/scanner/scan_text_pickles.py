"""Text files that read as protocol-0 pickles, shared by tests/scanner/test_text_pickles.py and
its oracle ground truth (tests/scanner/oracle/test_oracle_text_pickles.py).

``ABANDONED``: ordinary text whose "pickle" ``pickle.load`` gives up at the first global (an
inert standard-library module lacking the name): skipped by a directory walk, text when named.
``PICKLES``: text that resolves or runs something: still scanned and flagged (the rule codes
each must produce).
"""

from __future__ import annotations

# numpy/linalg/lapack_lite/wrapped_routines (numpy 1.x/2.x source tree): LAPACK/BLAS routine
# names, one per line, sorted. "ccopy\ncgeev\n" is GLOBAL copy.cgeev.
_LAPACK = ("copy", "geev", "gelsd", "gemm", "gesdd", "gesv", "getrf", "heevd", "potrf",
           "potri", "potrs")  # fmt: skip


def lapack_routines() -> bytes:
    """A word list like numpy's: every routine in each of the c, d, s and z precisions."""
    names = [p + r for p in "cdsz" for r in _LAPACK if not (p in "ds" and r == "heevd")]
    return ("\n".join(names) + "\n# cheev is not wrapped\n").encode()


ABANDONED: dict[str, bytes] = {
    "wrapped_routines": lapack_routines(),
    # C/Fortran-ish word lists whose first line is "c" + a standard-library module
    "math_functions.txt": b"cmath\nsinpi\ncospi\nexp10\n",
    "time_words.txt": b"ctime\nstampede\nzone\n\nmore text\n",
    "types.lst": b"ctypes\nuint128\n(see below)\n",
    "unicode.txt": "ccopy\ncgeev\n# réservé, 中文\n".encode(),
}

PICKLES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    # the classic protocol-0 payload, as text
    "payload.txt": (b"cos\nsystem\n(S'touch pwned'\ntR.", ("PKL001",)),
    # a resolvable callable first: one REDUCE away from running, kept as a pickle
    "exec_then_junk.txt": (b"cbuiltins\nexec\n(junk\n", ("PKL001",)),
    # a third-party module: importing it runs its code
    "third_party.txt": (b"cnumpy\nnot_a_name\n(junk\n", ("PKL002",)),
    # a missing name whose stream would run a command if a newer Python had the name
    "missing_then_call.txt": (
        b"ccopy\ncgeev\ncos\nsystem\n(S'touch pwned'\ntR(junk\n",
        ("PKL001",),
    ),
    # ... or would extend sys.path (no call opcode: APPEND on the real list)
    "missing_then_append.txt": (b"ccopy\ncgeev\ncsys\npath\nS'/tmp/x'\na(junk\n", ("PKL005",)),
    # ... or would return what it resolved (a complete stream)
    "missing_then_stop.txt": (b"ccopy\ncgeev\n.", ("PKL002",)),
}
