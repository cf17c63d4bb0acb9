"""Text that reads as a protocol-0 pickle (issue 11, repository scans): ``pickle.load``
abandons numpy's ``lapack_lite/wrapped_routines`` ("ccopy\\ncgeev\\n": ``copy`` has no
``cgeev``) at its first global, so a directory walk skips it; text that resolves or runs
anything is still scanned. Ground truth: tests/scanner/oracle/test_oracle_text_pickles.py."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from mlsvs.model.formats import ModelFormat
from mlsvs.scanner import identify, scan_path, scan_paths
from mlsvs.scanner.api import expand_counted
from mlsvs.scanner.pickle_stop import INERT_STDLIB, attribute_missing, raises_at_first_global
from mlsvs.scanner.pickle_values import Event, EventKind, Ref
from mlsvs.scanner.pickle_vm import Budget, run_stream
from tests.scanner.scan_text_pickles import ABANDONED, PICKLES

if TYPE_CHECKING:
    from pathlib import Path


def _events(data: bytes) -> list[Event]:
    return run_stream(data, 0, Budget(opcodes=4096)).events


@pytest.mark.parametrize("name", sorted(ABANDONED))
def test_abandoned_text_is_skipped_and_clean(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(ABANDONED[name])
    assert identify(path) is ModelFormat.UNKNOWN
    assert expand_counted([tmp_path]) == ([], 1)
    report = scan_path(path)
    assert report.clean and report.content == "text", report


@pytest.mark.parametrize("name", sorted(PICKLES))
def test_text_that_resolves_or_runs_something_is_scanned(tmp_path: Path, name: str) -> None:
    data, rules = PICKLES[name]
    path = tmp_path / name
    path.write_bytes(data)
    assert identify(path) is ModelFormat.PICKLE
    (report,) = scan_paths([tmp_path])  # the directory walk keeps it
    assert set(rules) <= {f.rule.value for f in report.findings}, report


def test_abandoned_prefix_does_not_hide_a_polyglot_view(tmp_path: Path) -> None:
    """Big text after the failing global: still text, and no GEN004 "also starts with a
    pickle" view either (dispatch asks the same question with the file's size)."""
    path = tmp_path / "wrapped_routines"
    path.write_bytes(ABANDONED["wrapped_routines"] + b"plain prose line\n" * 8000)
    report = scan_path(path)
    assert report.clean and report.content == "text", report


# -- the decision function ------------------------------------------------------------------


def _imp(module: str, name: str, pos: int = 0) -> Event:
    ref = Ref(module, name)
    return Event(kind=EventKind.IMPORT, pos=pos, name=ref.dotted, via="GLOBAL", value=ref)


def test_decision_needs_a_failing_first_global_and_an_error() -> None:
    def missing(module: str, name: str) -> bool:
        return (module, name) == ("copy", "cgeev")

    first = _imp("copy", "cgeev")
    later = _imp("gelsd", "cgemm", 12)  # a module nothing installs: tolerated after the stop
    assert raises_at_first_global([first, later], ends_in_error=True, missing=missing)
    assert not raises_at_first_global([first], ends_in_error=False, missing=missing)  # STOP
    assert not raises_at_first_global([], ends_in_error=True, missing=missing)
    assert not raises_at_first_global([later, first], ends_in_error=True, missing=missing)
    for kind in set(EventKind) - {EventKind.IMPORT}:  # a call, mutation, ... after the stop
        other = Event(kind=kind, pos=20, name="os.system")
        assert not raises_at_first_global([first, other], ends_in_error=True, missing=missing)
    # an IMPORT without its Ref (reached through a call): never the stop
    bare = Event(kind=EventKind.IMPORT, pos=0, name="copy.cgeev")
    assert not raises_at_first_global([bare], ends_in_error=True, missing=missing)


def test_python2_names_are_judged_as_the_unpickler_maps_them() -> None:
    # __builtin__ maps to builtins (protocols 0-2) but is imported as written otherwise
    events = _events(b"c__builtin__\nno_such_name\n(junk\n")
    assert not raises_at_first_global(events, ends_in_error=True)
    events = _events(b"cbuiltins\nno_such_name\n(junk\n")
    assert raises_at_first_global(events, ends_in_error=True)


def test_attribute_lookup_is_the_unpicklers() -> None:
    assert attribute_missing("copy", "cgeev")
    assert not attribute_missing("copy", "deepcopy")
    assert not attribute_missing("os", "path.join")  # protocol 4 walks the first part
    assert attribute_missing("os", "no_such.join")
    assert not attribute_missing("numpy", "no_such_name")  # not inert: importing runs it
    assert not attribute_missing("io", "no_such_name")  # io has a module __getattr__


def test_an_inert_module_this_interpreter_lacks_is_not_a_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "csv", None)  # import_module raises ImportError
    assert not attribute_missing("csv", "no_such_name")


def test_emulator_reports_mutations_of_globals() -> None:
    for data, name, via in (
        (b"csys\npath\nS'/tmp/x'\na.", "sys.path", "APPEND"),
        (b"csys\npath\n(S'/tmp/x'\ne.", "sys.path", "APPENDS"),
        (b"cos\nenviron\nS'A'\nS'B'\ns.", "os.environ", "SETITEM"),
        (b"cos\nenviron\n(S'A'\nS'B'\nu.", "os.environ", "SETITEMS"),
        (b"csys\nmodules\n(K\x01\x90.", "sys.modules", "ADDITEMS"),
    ):
        mutations = [(e.name, e.via) for e in _events(data) if e.kind is EventKind.MUTATE]
        assert mutations == [(name, via)], data
    # on plain containers nothing is reported
    assert not [e for e in _events(b"]S'x'\na(S'k'\nS'v'\nd.") if e.kind is EventKind.MUTATE]


_IMPORT_PROBE = r"""
import json, sys
benign = {"import", "open", "os.listdir", "os.scandir", "compile", "exec", "marshal.loads",
          "sys._getframe", "object.__setattr__", "object.__getattr__", "builtins.id"}
bad = []
def hook(event, args):
    if event == "open":
        flags = args[2] if len(args) > 2 else 0
        if args[1] not in (None, "r", "rb") or (isinstance(flags, int) and flags & 3):
            bad.append([event, repr(args)[:120]])
    elif event not in benign:
        bad.append([event, repr(args)[:120]])
sys.addaudithook(hook)
hooks = []
for name in sorted(json.loads(sys.argv[1]), key=lambda n: (n != "os", n)):
    __import__(name)
    if "__getattr__" in vars(sys.modules[name]):
        hooks.append(name)
print(json.dumps({"bad": bad, "hooks": hooks}))
"""


def test_inert_stdlib_imports_do_nothing() -> None:
    """Each module's import, in a fresh isolated interpreter under an audit hook, only reads
    and executes standard-library code: no output files, processes, sockets, native loads."""
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _IMPORT_PROBE, json.dumps(sorted(INERT_STDLIB))],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stderr == ""
    assert json.loads(out.stdout) == {"bad": [], "hooks": []}
