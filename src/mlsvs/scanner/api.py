"""Public scanner API: ``scan_path``, ``scan_paths``, ``expand`` and a per-file result cache."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from mlsvs.model.formats import ModelFormat
from mlsvs.scanner.context import ByteSource, Ctx
from mlsvs.scanner.dispatch import scan_source
from mlsvs.scanner.fileaccess import (
    NotRegularFileError,
    open_regular,
    open_regular_fd,
    read_head,
)
from mlsvs.scanner.identify import cut_by_window, sniff_head
from mlsvs.scanner.joblib_siblings import judge_siblings, names_siblings
from mlsvs.scanner.nonmodel import describe
from mlsvs.scanner.report import (
    ScanOptions,
    ScanReport,
    finding,
    from_record,
    sort_key,
    to_record,
)
from mlsvs.scanner.rules import ScanRule
from mlsvs.scanner.zipread import has_end_record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from mlsvs.scanner.report import ScanFinding

_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv",
                        ".tox", ".mypy_cache", ".ruff_cache", ".pytest_cache"})  # fmt: skip
_MODEL_SUFFIXES = frozenset(
    {".pt", ".pth", ".bin", ".pkl", ".pickle", ".joblib", ".h5", ".hdf5", ".keras", ".onnx",
     ".gguf", ".ggml", ".safetensors", ".ckpt", ".pb", ".tflite", ".mar", ".npz", ".npy",
     ".dill", ".model", ".skops", ".msgpack"}
)  # fmt: skip
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
HEAD = 64 * 1024


def scan_path(path: str | Path, *, options: ScanOptions | None = None) -> ScanReport:
    """Scan one file (or one TF SavedModel directory). Never raises for bad content.

    A joblib < 0.10 pickle is judged with the sibling array files ``joblib.load`` reads."""
    opts = options or ScanOptions()
    report = _scan_one(path, opts)
    if not names_siblings(report):
        return report
    return judge_siblings(report, Path(path).parent, lambda sibling: _scan_one(sibling, opts))


def _scan_one(path: str | Path, opts: ScanOptions) -> ScanReport:
    p = Path(path)
    ctx = Ctx.new(opts, p.parent if not p.is_dir() else p, p, recurse=scan_source)

    def body() -> ModelFormat:
        if p.is_dir():
            return _scan_dir(ctx, p)
        fh, size = open_regular(p)
        with fh:
            return scan_source(ctx, ByteSource(fh, size), None, 0)

    return _guarded(ctx, str(path), body)


def scan_stream(
    fh: BinaryIO,
    size: int,
    *,
    display: str,
    options: ScanOptions | None = None,
    saved_model: bool = False,
) -> ScanReport:
    """Scan one object read through a seekable stream (an object-store range reader).

    The same handlers as ``scan_path`` run on the same bytes; what needs a file system is
    absent: no sibling files (a raw tensor sidecar is not recognised as one; ONNX external data
    is never resolved). ``saved_model=True``: ``fh`` is the ``saved_model.pb`` of a SavedModel
    directory named ``display``, scanned as ``scan_path`` scans the directory. The caller owns
    ``fh``.
    """
    import tempfile

    opts = options or ScanOptions()
    with tempfile.TemporaryDirectory(prefix="mlsvs-stream-") as empty:
        ctx = Ctx.new(opts, Path(empty), None, recurse=scan_source)

        def body() -> ModelFormat:
            if saved_model:
                from mlsvs.scanner.formats_tf import scan_saved_model

                scan_saved_model(ctx, ByteSource(fh, size), "saved_model.pb")
                return ModelFormat.TF_SAVEDMODEL
            return scan_source(ctx, ByteSource(fh, size), None, 0)

        return _guarded(ctx, display, body)


def _guarded(ctx: Ctx, display: str, body: Callable[[], ModelFormat]) -> ScanReport:
    """Run one scan; every failure is a finding (fail closed), never an exception or a pass."""
    fmt = ModelFormat.UNKNOWN
    errors: tuple[str, ...] = ()
    try:
        fmt = body()
    except NotRegularFileError as exc:
        errors = (f"not a regular file: {exc}",)
        ctx.add(finding(ScanRule.GEN003, errors[0]))
    except OSError as exc:
        errors = (f"{type(exc).__name__}: {exc.strerror or exc}",)
        ctx.add(finding(ScanRule.GEN003, errors[0]))
    except (RecursionError, MemoryError) as exc:
        ctx.add(finding(ScanRule.GEN002, f"resource limit while parsing: {type(exc).__name__}"))
    except Exception as exc:  # noqa: BLE001 - fail closed: a crash is a finding, never a pass
        ctx.add(finding(ScanRule.GEN002, f"scanner error ({type(exc).__name__}): {exc}"[:300]))
    finally:
        ctx.close()
    return ScanReport(
        path=display,
        format=fmt,
        findings=_dedupe(ctx.findings),
        errors=errors,
        bytes_read=ctx.total_bytes,
        content=ctx.content,
    )


def _scan_dir(ctx: Ctx, p: Path) -> ModelFormat:
    from mlsvs.scanner.formats_tf import scan_saved_model_dir

    if (p / "saved_model.pb").is_file():
        scan_saved_model_dir(ctx, p)
        return ModelFormat.TF_SAVEDMODEL
    ctx.add(finding(ScanRule.GEN001, "directory is not a TF SavedModel; scan its files instead"))
    return ModelFormat.UNKNOWN


def _dedupe(items: Iterable[ScanFinding]) -> tuple[ScanFinding, ...]:
    unique = {(f.rule, f.message, f.location.member, f.location.pointer): f for f in items}
    return tuple(sorted(unique.values(), key=sort_key))


def scan_paths(
    paths: Sequence[str | Path], *, jobs: int = 1, options: ScanOptions | None = None
) -> tuple[ScanReport, ...]:
    """Scan files and directories (expanded as ``expand`` does), in ``jobs`` processes."""
    return scan_tree(paths, jobs=jobs, options=options)[0]


def scan_tree(
    paths: Sequence[str | Path],
    *,
    jobs: int = 1,
    options: ScanOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[tuple[ScanReport, ...], int]:
    """``scan_paths`` plus how many files inside directories were skipped as not model files
    (``expand_counted``'s count). With ``jobs > 1`` the walk's sniffing is shared out too: each
    worker decides for a file whether it is worth scanning, then scans it. ``progress(started,
    total)``: files examined so far out of all listed (``fan_out``'s progress)."""
    opts = options or ScanOptions()

    def work(entry: _Entry) -> ScanReport | None:
        path, listed_regular = entry
        if listed_regular is not None and not _worth_scanning(path, listed_regular=listed_regular):
            return None
        return scan_path(path, options=opts)

    results = _fan_out(_entries(paths), work, jobs, progress)
    reports = tuple(report for report in results if report is not None)
    return reports, len(results) - len(reports)


def scan_targets(
    targets: Sequence[str], *, jobs: int = 1, options: ScanOptions | None = None
) -> tuple[ScanReport, ...]:
    """Scan already-expanded targets (see ``expand_counted``), in ``jobs`` processes."""
    opts = options or ScanOptions()
    entries: list[_Entry] = [(target, None) for target in targets]
    return tuple(
        report
        for report in _fan_out(entries, lambda entry: scan_path(entry[0], options=opts), jobs)
        if report is not None
    )


def _fan_out(
    entries: Sequence[_Entry],
    work: Callable[[_Entry], ScanReport | None],
    jobs: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[ScanReport | None]:
    from mlsvs.util.fanout import fan_out

    return fan_out(
        entries,
        work,
        workers=jobs,
        encode=lambda report: None if report is None else to_record(report),
        decode=lambda value: None if value is None else from_record(value),
        lost=_lost,
        progress=progress,
    )


def _lost(entry: _Entry, reason: str) -> ScanReport:
    """The report of a file whose worker process died scanning it: not verified, never clean."""
    return ScanReport(
        path=entry[0],
        format=ModelFormat.UNKNOWN,
        findings=(finding(ScanRule.GEN002, f"scanner error: {reason}; not verified"),),
    )


def expand(paths: Sequence[str | Path]) -> list[str]:
    """Files to scan: explicit files as given; directories walked (SavedModels kept whole).

    Inside directories, recognised ordinary content (text, media, documents) and empty files
    that are not named like models are skipped; every other file is scanned, so unidentified
    binaries still fail closed. Paths that cannot be scanned safely (FIFOs, devices, sockets,
    dangling or looping links, unlistable directories) are kept, so ``scan_path`` reports each
    as an error instead of dropping it. Links to files are followed (a Hugging Face cache
    snapshot is all links into its blob store); links to directories are not, so a loop cannot
    trap the walk.
    """
    return expand_counted(paths)[0]


def expand_counted(paths: Sequence[str | Path]) -> tuple[list[str], int]:
    """``expand`` plus how many files inside directories were skipped as not model files."""
    out: list[str] = []
    skipped = 0
    for path, listed_regular in _entries(paths):
        if listed_regular is None or _worth_scanning(path, listed_regular=listed_regular):
            out.append(path)
        else:
            skipped += 1
    return out, skipped


_Entry = tuple[str, bool | None]
"""A path to scan and, for a file found by walking a directory, whether the listing said it is
a regular file (it is scanned only if ``_worth_scanning``); None: scanned whatever it holds (a
path given explicitly, a SavedModel directory, a directory that could not be listed)."""


def _entries(paths: Sequence[str | Path]) -> list[_Entry]:
    """What ``expand`` considers, in its order, before the walk's sniffing."""
    out: list[_Entry] = []
    for path in paths:
        p = Path(path)
        if not p.is_dir() or (p / "saved_model.pb").is_file():
            out.append((str(path), None))
            continue
        unlistable: list[str] = []
        _walk(str(p), out, unlistable)
        out.extend((directory, None) for directory in unlistable)
    return out


def _walk(top: str, out: list[_Entry], unlistable: list[str]) -> None:
    """``os.walk(top)``'s order (top-down, names sorted, links to directories not followed),
    read through ``os.scandir`` so that each entry's type comes from the directory listing:
    a regular file costs no ``stat`` before it is opened."""
    pending = [top]
    while pending:
        root = pending.pop()
        try:
            with os.scandir(root) as listing:
                entries = list(listing)
        except OSError as exc:
            unlistable.append(os.fsdecode(exc.filename) if exc.filename is not None else root)
            continue
        files: list[os.DirEntry[str]] = []
        dirs: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # follows links, as os.walk does
            except OSError:
                is_dir = False
            if not is_dir:
                files.append(entry)
            elif entry.name not in _SKIP_DIRS and not entry.is_symlink():
                dirs.append(entry.name)
        # A saved_model.pb file (or a link to one) makes the directory one SavedModel.
        if any(e.name == "saved_model.pb" for e in files) and (
            Path(root, "saved_model.pb").is_file()
        ):
            out.append((root, None))
            continue
        # Paths as pathlib joins them (a walk of "." lists "sub/x", not "./sub/x").
        # Strings, not Path objects: a join per file was a tenth of a checkout's walk.
        prefix = "" if root == "." else root if root.endswith(os.sep) else root + os.sep
        out.extend(
            (prefix + entry.name, entry.is_file(follow_symlinks=False))
            for entry in sorted(files, key=_name)
        )
        pending.extend(prefix + name for name in sorted(dirs, reverse=True))


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _worth_scanning(path: str, *, listed_regular: bool = False) -> bool:
    """Files a directory walk scans: every regular file except recognised non-model content.

    Text and media are skipped only after the pickle and data-only sniffers had their say on
    the same bytes, so a protocol-0 pickle or a LightGBM model is never mistaken for prose.
    Anything that cannot be read safely is kept so ``scan_path`` reports it. ``listed_regular``:
    the directory listing said regular file (no link), so no ``stat`` precedes the open; a path
    swapped for a FIFO or device since the listing is refused by the ``fstat`` after the
    (non-blocking) open and never read, as with ``stat`` then ``open``, whose gap is the same race.
    """
    try:
        # Follows links: a link to a model is scanned like it.
        fd, size = open_regular_fd(path, listed_regular=listed_regular)
    except (OSError, ValueError):
        # FIFO, device, socket (refused unopened), dangling or looping link, unreadable:
        # scan_path reports it.
        return True
    try:
        # A size of 0 is read too: files that report none may still hold bytes (procfs).
        head = read_head(fd, min(size, HEAD) or HEAD)
        return _worth_scanning_head(path, head, size, lambda offset, n: os.pread(fd, n, offset))
    except OSError:
        return True  # unreadable: scan_path reports it
    finally:
        os.close(fd)


def _worth_scanning_head(
    path: str, head: bytes, size: int, read_at: Callable[[int, int], bytes]
) -> bool:
    if not head:
        # An empty file named like a model is a model that is missing: report it, never
        # skip it silently. Other empty files (.gitkeep, __init__.py) hold nothing to scan.
        return Path(path).suffix.lower() in _MODEL_SUFFIXES
    if head.startswith(_LFS_POINTER):
        return True  # the model was never fetched: report it rather than skip it
    if describe(head, size) is None:
        return True  # not recognisably ordinary: scan it (cheap test first)
    if sniff_head(head, size) is not ModelFormat.UNKNOWN or cut_by_window(head, size):
        return True  # text or media that is also a model or a pickle (or may be: a pickle's
        # first text line can be longer than the head)
    return _zip_at_end(head, size, read_at)


def _zip_at_end(head: bytes, size: int, read_at: Callable[[int, int], bytes]) -> bool:
    """A media file can still carry a zip (Keras opens prefixed zips): scan those. The record
    is looked for in ``head`` when that is the whole file (no second read), else in the file."""
    if size <= len(head):
        return has_end_record(lambda offset, n: head[offset : offset + n], size)
    return has_end_record(read_at, size)


class _Cache:
    """Thread-safe LRU of reports keyed by (absolute path, size, mtime, options).

    A per-key lock makes concurrent checks on one artifact wait for a single scan.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[_Key, ScanReport] = OrderedDict()
        self._inflight: dict[_Key, threading.Lock] = {}

    def get_or_scan(self, path: Path, options: ScanOptions) -> ScanReport:
        try:
            st = path.stat()
            key: _Key = (str(path.resolve()), st.st_size, st.st_mtime_ns, options)
        except OSError:
            return scan_path(path, options=options)
        with self._lock:
            key_lock = self._inflight.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None:
                    self._items.move_to_end(key)
                    return hit
            report = scan_path(path, options=options)
            with self._lock:
                self._items[key] = report
                self._inflight.pop(key, None)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return report


_Key = tuple[str, int, int, ScanOptions]
_CACHE = _Cache(256)


def cached_scan(path: Path, options: ScanOptions | None = None) -> ScanReport:
    """``scan_path`` memoised per (absolute path, size, mtime, options): several checks on one
    artifact share a single scan."""
    return _CACHE.get_or_scan(path, options or ScanOptions())
