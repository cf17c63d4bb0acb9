"""The directory walk of ``mlsvs scan``: os.walk's order and coverage, read via os.scandir."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from mlsvs.scanner.api import expand_counted


def _tree(root: Path) -> None:
    """Files in nested and skipped directories, links to files and directories, a dangling
    link, a FIFO, an empty model name, text and a model in each place."""
    payload = pickle.dumps({"weights": [1.0, 2.0]}, protocol=4)
    for directory in ("", "b", "a", "a/z", "a/c", ".git", "node_modules/x", "a/c/d"):
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory / "README.md").write_text("# notes\n")
        (root / directory / "m.pkl").write_bytes(payload)
    (root / "a" / "empty.pt").write_bytes(b"")
    (root / "a" / "empty.txt").write_bytes(b"")
    (root / "link.pkl").symlink_to(root / "a" / "m.pkl")
    (root / "linked_dir").symlink_to(root / "a", target_is_directory=True)
    (root / "dangling.pkl").symlink_to(root / "missing")
    os.mkfifo(root / "b" / "pipe")
    (root / "saved").mkdir()
    (root / "saved" / "saved_model.pb").write_bytes(b"\x08\x01\x12\x00")
    (root / "saved" / "variables").mkdir()
    (root / "saved" / "variables" / "v.bin").write_bytes(b"\x00" * 8)


def _reference(top: Path) -> list[str]:
    """What the walk must list, from os.walk: every candidate but text and empty non-models."""
    out = []
    for root, dirs, files in os.walk(top):
        base = Path(root)
        if "saved_model.pb" in files:
            out.append(str(base))
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d not in {".git", "node_modules"})
        for name in sorted(files):
            if name == "README.md" or name == "empty.txt":
                continue
            out.append(str(base / name))
    return out


def test_walk_lists_what_os_walk_lists_in_its_order(tmp_path: Path) -> None:
    _tree(tmp_path)
    targets, skipped = expand_counted([tmp_path])
    assert targets == _reference(tmp_path)
    assert skipped == 6 + 1  # six READMEs outside skipped directories, one empty text file
    assert str(tmp_path / "b" / "pipe") in targets  # kept unopened: scan_path reports it
    assert str(tmp_path / "dangling.pkl") in targets
    assert not any("linked_dir" in t for t in targets)  # links to directories not followed


def test_walk_of_the_current_directory_lists_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    targets, _ = expand_counted(["."])
    assert "a/c/d/m.pkl" in targets and "m.pkl" in targets and "saved" in targets
    assert not any(t.startswith("./") for t in targets)
    monkeypatch.chdir(tmp_path / "a")
    assert expand_counted(["./"])[0] == expand_counted(["."])[0]


def test_a_directory_that_cannot_be_listed_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept as a target, so scan_path reports it; the walk goes on with the rest. (The listing
    is refused through os.scandir: tests run as root, which lists a mode-000 directory.)"""
    _tree(tmp_path)
    locked = str(tmp_path / "a" / "c")
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if path == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    targets, _ = expand_counted([tmp_path])
    assert targets[-1] == locked
    assert str(tmp_path / "a" / "z" / "m.pkl") in targets
    assert not any(t.startswith(locked + os.sep) for t in targets)
