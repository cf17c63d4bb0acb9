"""ZIP002: only links that leave the archive root (or are no path) are reported.

Archives are built with the real ``zipfile``/``tarfile`` in tmp dirs. Each verdict is checked
against a real extractor that follows links: Info-ZIP ``unzip`` (creates the links, then the
kernel resolves them: ``os.path.realpath``) and ``tarfile``'s ``data`` filter (refuses links
that leave the destination). The scanner never extracts anything itself.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import zipfile
from typing import TYPE_CHECKING

import pytest

from mlsvs.scanner import scan_path
from mlsvs.scanner.links import link_problem, target_text
from tests.scanner.scan_pk import benign_dict

if TYPE_CHECKING:
    from pathlib import Path

_SAFETENSORS = b"\x02\x00\x00\x00\x00\x00\x00\x00{}"


def _symlink(name: str, target: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    return info, target


def _zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members:
            z.writestr(name, data)
    return path


def _zip002(path: Path) -> list[str]:
    return [f.message for f in scan_path(path).findings if f.rule.value == "ZIP002"]


def _escapes_when_unzipped(archive: Path, dest: Path) -> bool:
    """Extract with Info-ZIP (which creates the links); does any link resolve outside?"""
    dest.mkdir()
    subprocess.run(["unzip", "-qq", "-o", str(archive), "-d", str(dest)], check=False,
                   capture_output=True, timeout=60)  # fmt: skip
    root = os.path.realpath(dest)
    for here, dirs, files in os.walk(dest):
        for name in dirs + files:
            entry = os.path.join(here, name)
            if os.path.islink(entry):
                real = os.path.realpath(entry)
                if os.path.commonpath([real, root]) != root:
                    return True
    return False


_BENIGN_ZIPS: dict[str, list[tuple[str | zipfile.ZipInfo, bytes]]] = {
    "sibling": [
        ("model.safetensors", _SAFETENSORS),
        _symlink("latest.safetensors", b"model.safetensors"),
    ],
    "hf-cache": [
        ("blobs/abc123", _SAFETENSORS),
        _symlink("snapshots/rev1/model.safetensors", b"../../blobs/abc123"),
        _symlink("snapshots/main", b"rev1"),
    ],
    "chain-inside": [
        ("data/w.bin", b"\0" * 16),
        _symlink("a/up", b".."),  # a/.. is the archive root: inside
        _symlink("b", b"a/up/data"),
    ],
    "dot-segments": [("x/y/z.txt", b"z"), _symlink("x/l", b"./y/../y/z.txt")],
}

_HOSTILE_ZIPS: dict[str, list[tuple[str | zipfile.ZipInfo, bytes]]] = {
    "absolute": [_symlink("model.bin", b"/etc/passwd")],
    "parent-escape": [_symlink("a/b/link", b"../../../outside")],
    "chain-escape": [_symlink("a/up", b".."), _symlink("b", b"a/up/..")],
    "through-absolute-link": [_symlink("d", b"/tmp"), _symlink("e", b"d/x")],
}


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip not installed")
@pytest.mark.parametrize("name", sorted(_BENIGN_ZIPS))
def test_zip_link_inside_the_archive_is_not_a_finding(name: str, tmp_path: Path) -> None:
    archive = _zip(tmp_path / f"{name}.zip", _BENIGN_ZIPS[name])
    assert not _escapes_when_unzipped(archive, tmp_path / "out")
    assert _zip002(archive) == []


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip not installed")
@pytest.mark.parametrize("name", sorted(_HOSTILE_ZIPS))
def test_zip_link_leaving_the_archive_is_zip002(name: str, tmp_path: Path) -> None:
    archive = _zip(tmp_path / f"{name}.zip", _HOSTILE_ZIPS[name])
    assert _escapes_when_unzipped(archive, tmp_path / "out")
    assert _zip002(archive), scan_path(archive).findings


def test_zip_link_loop_and_non_path_targets_are_zip002(tmp_path: Path) -> None:
    loop = _zip(tmp_path / "loop.zip", [_symlink("l1", b"l2"), _symlink("l2", b"l1")])
    assert any("loops" in m for m in _zip002(loop))
    for target in (b"", b"a\nb", b"x\0y", b"a" * 5000, b"C:\\Windows\\win.ini"):
        archive = _zip(tmp_path / "odd.zip", [_symlink("odd", target)])
        assert _zip002(archive), target


def test_torch_checkpoint_with_a_sibling_link_scans_clean(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    saved = tmp_path / "saved.pt"
    torch.save({"w": torch.zeros(4)}, saved)
    out = tmp_path / "linked.pt"
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        prefix = names[0].split("/")[0]
        dst.writestr(*_symlink(f"{prefix}/extra/weights-alias", b"../data/0"))
    report = scan_path(out)
    assert report.findings == (), [(f.rule.value, f.message) for f in report.findings]


def test_keras_archive_with_a_sibling_link_scans_clean(tmp_path: Path) -> None:
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    saved = tmp_path / "m.keras"
    model.save(saved)
    out = tmp_path / "linked.keras"
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr(*_symlink("assets/metadata-copy.json", b"../metadata.json"))
    report = scan_path(out)
    assert report.findings == (), [(f.rule.value, f.message) for f in report.findings]


def test_link_flagged_data_pkl_is_still_zip002(tmp_path: Path) -> None:
    """A torch record with link mode bits holds a pickle, not a path: both readings reported."""
    archive = _zip(tmp_path / "t.pt", [("archive/version", b"3\n"),
                                       _symlink("archive/data.pkl", benign_dict())])  # fmt: skip
    assert _zip002(archive)


def _tar(path: Path, links: list[tuple[str, str, bytes]]) -> Path:
    with tarfile.open(path, "w") as tar:
        body = tarfile.TarInfo("data/weights.bin")
        body.size = 4
        tar.addfile(body, io.BytesIO(b"\0\0\0\0"))
        for name, target, kind in links:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = target
            tar.addfile(info)
    return path


_TAR_CASES: list[tuple[str, list[tuple[str, str, bytes]]]] = [
    ("sym-sibling", [("data/alias.bin", "weights.bin", tarfile.SYMTYPE)]),
    ("hard-sibling", [("copy.bin", "data/weights.bin", tarfile.LNKTYPE)]),
    ("sym-dir-inside", [("snap/cur", "../data", tarfile.SYMTYPE)]),
    ("sym-absolute", [("model.bin", "/etc/passwd", tarfile.SYMTYPE)]),
    ("sym-escape", [("a/l", "../../x", tarfile.SYMTYPE)]),
    ("hard-escape", [("h.bin", "../../etc/passwd", tarfile.LNKTYPE)]),
    ("sym-chain-escape", [("a/up", "..", tarfile.SYMTYPE), ("b", "a/up/..", tarfile.SYMTYPE)]),
]


@pytest.mark.parametrize(("name", "links"), _TAR_CASES, ids=[c[0] for c in _TAR_CASES])
def test_tar_links_agree_with_tarfile_data_filter(
    name: str, links: list[tuple[str, str, bytes]], tmp_path: Path
) -> None:
    archive = _tar(tmp_path / f"{name}.tar", links)
    dest = tmp_path / "out"
    dest.mkdir()
    with tarfile.open(archive) as tar:
        try:
            tar.extractall(dest, filter="data")
            refused = False
        except tarfile.FilterError:
            refused = True
    assert bool(_zip002(archive)) == refused, (name, _zip002(archive))


def test_link_problem_resolution() -> None:
    assert link_problem("a/b", "c", {}) is None
    assert link_problem("a/b", "../c", {}) is None
    assert link_problem("a/b", "../../c", {}) is not None
    assert link_problem("h", "a/../../x", {}, hard=True) is not None
    assert link_problem("x", "\\\\server\\share", {}) is not None
    assert target_text(b"ok/path") == "ok/path"
    assert target_text(b"bad\x7fpath") is None


def test_7z_links_inside_pass_and_outside_are_zip002(tmp_path: Path) -> None:
    py7zr = pytest.importorskip("py7zr")
    (tmp_path / "outside.txt").write_text("x")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("hi")
    (src / "sibling").symlink_to("a.txt")
    (src / "escape").symlink_to("../outside.txt")
    archive = tmp_path / "t.7z"
    with py7zr.SevenZipFile(archive, "w") as z:
        for name in ("a.txt", "sibling", "escape"):
            z.write(src / name, name)
    report = scan_path(archive)
    assert [(f.rule.value, f.location.member) for f in report.findings] == [("ZIP002", "escape")]
