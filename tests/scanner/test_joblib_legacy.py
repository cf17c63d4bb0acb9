"""joblib < 0.10 kept arrays in sibling files: the scanner names that dependency, never passes it.

``NDArrayWrapper.read`` runs ``numpy.load(os.path.join(dirname, filename), allow_pickle=True)``,
so such a pickle is only as safe as the file it names. A sibling (what old joblib wrote) makes
the file *not verified* on its own (PKL010) and is judged when the directory is scanned; a name
outside the directory is a hazard (PKL011, proven exploitable in the oracle tier).
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


def test_sibling_array_file_is_not_verified_alone(tmp_path: Path) -> None:
    (tmp_path / "model.pkl_01.npy").write_bytes(_benign_npy())
    model = tmp_path / "model.pkl"
    model.write_bytes(legacy_joblib(b"model.pkl_01.npy"))
    report = scan_path(model)
    assert report.status is ScanStatus.NOT_VERIFIED
    assert not report.hazards
    assert [f.rule.value for f in report.gaps] == ["PKL010"]
    assert "model.pkl_01.npy" in report.gaps[0].message


def test_directory_scan_judges_the_sibling_itself(tmp_path: Path) -> None:
    (tmp_path / "model.pkl_01.npy").write_bytes(object_npy(system_call()))
    (tmp_path / "model.pkl").write_bytes(legacy_joblib(b"model.pkl_01.npy"))
    reports = {r.path.rsplit("/", 1)[-1]: r for r in scan_paths([tmp_path])}
    assert reports["model.pkl_01.npy"].status is ScanStatus.FINDINGS
    assert reports["model.pkl"].status is ScanStatus.NOT_VERIFIED


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
