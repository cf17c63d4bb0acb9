"""joblib < 0.10 kept arrays in sibling files: the scanner reads them with the pickle.

``NDArrayWrapper.read`` runs ``numpy.load(os.path.join(dirname, filename), allow_pickle=True)``,
so such a pickle is only as safe as the file it names. A sibling (what old joblib wrote) is
scanned with the pickle and its findings are the pickle's; one that cannot be read leaves the
pickle *not verified* (PKL010); a name outside the directory is a hazard (PKL011, proven
exploitable in the oracle tier).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mlsvs.scanner import scan_path, scan_paths
from mlsvs.scanner.report import ScanStatus
from tests.scanner.scan_containers import legacy_joblib, object_npy
from tests.scanner.scan_pk import system_call

if TYPE_CHECKING:
    from pathlib import Path


def _benign_npy() -> bytes:
    from tests.scanner.scan_pk import benign_dict

    return object_npy(benign_dict())


def test_sibling_array_file_is_read_with_the_pickle(tmp_path: Path) -> None:
    (tmp_path / "model.pkl_01.npy").write_bytes(_benign_npy())
    model = tmp_path / "model.pkl"
    model.write_bytes(legacy_joblib(b"model.pkl_01.npy"))
    assert scan_path(model).clean  # both files read: nothing in either runs code


def test_a_sibling_with_code_makes_the_pickle_a_finding(tmp_path: Path) -> None:
    (tmp_path / "model.pkl_01.npy").write_bytes(object_npy(system_call()))
    (tmp_path / "model.pkl").write_bytes(legacy_joblib(b"model.pkl_01.npy"))
    reports = {r.path.rsplit("/", 1)[-1]: r for r in scan_paths([tmp_path])}
    assert reports["model.pkl_01.npy"].status is ScanStatus.FINDINGS  # judged on its own too
    pickle = reports["model.pkl"]
    assert pickle.status is ScanStatus.FINDINGS
    inherited = [f for f in pickle.hazards if f.rule.value == "PKL001"]
    assert inherited and all(
        (f.location.member or "").startswith("model.pkl_01.npy") for f in inherited
    )


def test_a_missing_or_unreadable_sibling_leaves_the_pickle_not_verified(tmp_path: Path) -> None:
    import os

    model = tmp_path / "model.pkl"
    model.write_bytes(legacy_joblib(b"model.pkl_01.npy"))
    report = scan_path(model)
    assert report.status is ScanStatus.NOT_VERIFIED and not report.hazards
    assert [f.rule.value for f in report.gaps] == ["PKL010"]
    assert "model.pkl_01.npy" in report.gaps[0].message
    assert "cannot be read" in report.gaps[0].message
    os.mkfifo(tmp_path / "model.pkl_01.npy")  # never opened: not a regular file
    assert [f.rule.value for f in scan_path(model).gaps] == ["PKL010"]


def test_siblings_naming_each_other_end(tmp_path: Path) -> None:
    """numpy.load falls back to pickle.load for a file that is not .npy, so a sibling may be
    a pickle naming siblings in turn: read once, its own names stay gaps (no loop)."""
    (tmp_path / "a.pkl").write_bytes(legacy_joblib(b"b.pkl"))
    (tmp_path / "b.pkl").write_bytes(legacy_joblib(b"a.pkl"))
    report = scan_path(tmp_path / "a.pkl")
    assert report.status is ScanStatus.NOT_VERIFIED
    assert [(f.rule.value, f.location.member) for f in report.gaps] == [("PKL010", "b.pkl")]


@pytest.mark.parametrize(
    "name", [b"/etc/cache/x.npy", b"../other/x.npy", b"sub/x.npy", b"C:x.npy", b"..", b""]
)
def test_names_outside_the_directory_are_hazards(tmp_path: Path, name: bytes) -> None:
    model = tmp_path / "model.pkl"
    model.write_bytes(legacy_joblib(name))
    report = scan_path(model)
    assert report.status is ScanStatus.FINDINGS
    assert "PKL011" in {f.rule.value for f in report.hazards}


def test_computed_filename_is_a_hazard(tmp_path: Path) -> None:
    # The filename is an integer: nothing the scanner can resolve to a sibling.
    raw = legacy_joblib(b"x.npy").replace(b"X\x05\x00\x00\x00x.npy", b"K\x07")
    model = tmp_path / "model.pkl"
    model.write_bytes(raw)
    assert "PKL011" in {f.rule.value for f in scan_path(model).hazards}


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_object_arrays_of_the_installed_joblib_are_clean(tmp_path: Path, protocol: int) -> None:
    # joblib 1.6 writes an object array's nested pickle after the outer memo holds 'subclass'
    # and 'dtype': read plainly, those spell a STACK_GLOBAL no loader can import.
    joblib = pytest.importorskip("joblib")
    np = pytest.importorskip("numpy")
    path = tmp_path / "objects.joblib"
    joblib.dump(np.array([None, "a", 3, {"k": 1}], dtype=object), path, protocol=protocol)
    report = scan_path(path)
    assert report.clean, [f.message for f in report.findings]
