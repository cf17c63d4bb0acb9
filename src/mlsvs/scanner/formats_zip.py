"""Zip containers: PyTorch (zip and TorchScript), Keras v3, numpy .npz and generic zips."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from mlsvs.model.formats import ModelFormat
from mlsvs.scanner import ts_code
from mlsvs.scanner.context import ByteSource, child, unsafe_member_name
from mlsvs.scanner.identify import HEAD, zip_kind
from mlsvs.scanner.links import MAX_TARGET, link_problem, target_text
from mlsvs.scanner.nonmodel import describe
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule
from mlsvs.scanner.zipread import (
    Directory,
    Member,
    ZipFormatError,
    has_end_record,
    local_anomalies,
    read_directory,
    read_member,
)

if TYPE_CHECKING:
    from mlsvs.scanner.context import Ctx

_SMALL = 16 * 1024 * 1024
_TORCH_KINDS = frozenset({ModelFormat.PYTORCH_ZIP, ModelFormat.TORCHSCRIPT})
TORCHSCRIPT_CLASSES = frozenset({"__torch__.*"})
_TORCH_SKIP = frozenset(
    {"version", "byteorder", ".format_version", ".storage_alignment", "serialization_id"}
)


def scan_zip(ctx: Ctx, src: ByteSource, member: str | None, depth: int) -> None:
    """Scan a zip the way its loaders read it; report structural anomalies.

    Two readers matter: Python's ``zipfile`` (Keras, numpy, joblib users) resolves offsets
    relative to where the archive starts, while torch's miniz reads them as absolute file
    offsets. When the two disagree, both views are scanned.
    """
    error = ""
    directory: Directory | None = None
    try:
        directory = read_directory(src.fh, src.size)
    except (ZipFormatError, OSError, ValueError) as exc:
        error = str(exc)  # the message only: a kept exception pins its frames' buffers
    views = [directory] if directory is not None else []
    if src.read_at(0, 4) == b"PK\x03\x04" and (directory is None or directory.prefix):
        try:
            miniz = read_directory(src.fh, src.size, absolute=True)
        except (ZipFormatError, OSError, ValueError):
            miniz = None
        if miniz is not None and miniz.members:
            if directory is not None:
                ctx.add(
                    finding(
                        ScanRule.ZIP003,
                        "torch (absolute offsets) and zipfile (prefix-relative offsets) read "
                        "different central directories; both scanned",
                        member=member,
                    )
                )
            views.append(miniz)
    if not views:
        ctx.add(finding(ScanRule.GEN002, f"zip structure unreadable: {error}", member=member))
        return
    for view in views:
        _scan_view(ctx, src, view, member, depth)


def _scan_view(
    ctx: Ctx, src: ByteSource, directory: Directory, member: str | None, depth: int
) -> None:
    names = [m.name for m in directory.members]
    kind = zip_kind(names)
    _structure(ctx, src, directory, kind, member, depth)
    records = torch_records(directory) if kind in _TORCH_KINDS else frozenset()
    seen: dict[int, str] = {}
    shared = 0
    for count, entry in enumerate(directory.members):
        if count >= ctx.options.max_members:
            ctx.add(finding(ScanRule.ARC001, "member count limit reached", member=member))
            return
        if entry.is_dir and not entry.usize:
            continue
        special = count in records or entry.name.lower().endswith((".pkl", ".json", ".py"))
        if entry.local_offset in seen and not special:
            # Same local record under another name (overlapping-file zip bomb): the bytes
            # are the same, so they are scanned once; the sharing itself is reported.
            shared += 1
            continue
        seen[entry.local_offset] = entry.name
        _member(ctx, src, directory, entry, kind, member, depth, torch_record=count in records)
    if shared:
        ctx.add(
            finding(
                ScanRule.ZIP003,
                f"{shared} central-directory entries share another member's data "
                "(overlapping members); scanned once",
                member=member,
            )
        )


def torch_records(directory: Directory) -> frozenset[int]:
    """Indices of the members torch unpickles: ``<prefix>/data.pkl`` and ``constants.pkl``.

    torch's reader takes the prefix from the first central-directory entry (up to its first
    '/') and looks names up with miniz, which ignores ASCII case; with duplicates it may pick
    any of them, so every match counts.
    """
    if not directory.members:
        return frozenset()
    first = directory.members[0].raw_name
    slash = first.find(b"/")
    if slash < 0:
        return frozenset()
    prefix = first[: slash + 1].lower()
    wanted = {prefix + b"data.pkl", prefix + b"constants.pkl"}
    return frozenset(i for i, m in enumerate(directory.members) if m.raw_name.lower() in wanted)


def _structure(
    ctx: Ctx,
    src: ByteSource,
    directory: Directory,
    kind: ModelFormat,
    member: str | None,
    depth: int,
) -> None:
    if directory.prefix:
        prefix = src.read_at(0, min(directory.prefix, ctx.options.max_member_bytes))
        # Model writers never put bytes before their zip: a prefix there is a polyglot. A
        # plain archive behind an ordinary file's own header is how some formats are made
        # (an .xls holding its theme as a zip, a self-extractor); the prefix is scanned
        # either way, so a pickle hidden in it is still found.
        if kind is not ModelFormat.ARCHIVE or describe(prefix[:HEAD], len(prefix)) is None:
            ctx.add(
                finding(
                    ScanRule.ZIP005,
                    f"{directory.prefix} byte(s) precede the zip records",
                    member=member,
                    offset=0,
                )
            )
        ctx.scan_bytes(prefix, child(member, "<prefix>"), depth + 1)
    # miniz (torch) matches names ignoring ASCII case, zipfile exactly: both kinds collide.
    counts = Counter(m.raw_name.lower() for m in directory.members)
    for entry in directory.members:
        n = counts.pop(entry.raw_name.lower(), 0)
        if n > 1:
            ctx.add(
                finding(
                    ScanRule.ZIP004,
                    f"{entry.name!r} appears {n} times (names compared ignoring case)",
                    member=child(member, entry.name),
                )
            )
    data_pkls = sorted(
        {m.name for m in directory.members if m.name.rsplit("/", 1)[-1].lower() == "data.pkl"}
    )
    if len(data_pkls) > 1:
        ctx.add(
            finding(
                ScanRule.ZIP007, f"several data.pkl records: {', '.join(data_pkls)}", member=member
            )
        )
    targets = _link_targets(ctx, src, directory, member)
    for entry in directory.members:
        label = child(member, entry.name)
        if b"\0" in entry.raw_name:
            ctx.add(
                finding(
                    ScanRule.ZIP003,
                    f"member name {entry.raw_name!r} holds a NUL byte: Python's zipfile (keras, "
                    f"numpy, extractors) reads it as {entry.name!r}, other readers do not",
                    member=label,
                )
            )
        if unsafe_member_name(entry.name):
            ctx.add(finding(ScanRule.ZIP001, f"member path {entry.name!r}", member=label))
        if entry.is_symlink:
            problem = link_problem(entry.name, targets.get(entry.name), targets)
            if problem is not None:
                ctx.add(finding(ScanRule.ZIP002, f"symbolic link member: {problem}", member=label))
        try:
            _, anomalies = local_anomalies(src.fh, directory, entry)
        except (ZipFormatError, OSError, ValueError) as exc:
            ctx.add(finding(ScanRule.GEN002, str(exc), member=label))
            continue
        for text in anomalies:
            ctx.add(finding(ScanRule.ZIP003, text, member=label))


def _link_targets(
    ctx: Ctx, src: ByteSource, directory: Directory, member: str | None
) -> dict[str, str]:
    """Target path of every symbolic-link member (a link's content is its target), for
    resolving links through each other; members whose content is no path are left out."""
    out: dict[str, str] = {}
    for entry in directory.members:
        if not entry.is_symlink or entry.usize > MAX_TARGET:
            continue
        try:
            got = read_member(src.fh, directory, entry, MAX_TARGET + 1)
        except (ZipFormatError, OSError, ValueError, EOFError) as exc:
            label = child(member, entry.name)
            ctx.add(finding(ScanRule.GEN002, f"link member unreadable: {exc}", member=label))
            continue
        text = None if got.truncated else target_text(got.data)
        if text is not None:
            out[entry.name] = text
    return out


_EMPTY_STREAM_MAX = 64
"""Largest compressed size of an empty member looked at (empty deflate: 2, bzip2: 14)."""


def _member(
    ctx: Ctx,
    src: ByteSource,
    directory: Directory,
    entry: Member,
    kind: ModelFormat,
    member: str | None,
    depth: int,
    *,
    torch_record: bool = False,
) -> None:
    base = entry.name.rsplit("/", 1)[-1]
    lowered = base.lower()
    label = child(member, entry.name)
    is_torch = kind in _TORCH_KINDS
    if torch_record or lowered.endswith((".pkl", ".debug_pkl")):
        data = _read(ctx, src, directory, entry, label)
        if data is not None:
            from mlsvs.scanner.formats_pickle import scan_pickle

            # TorchScript resolves __torch__.* against its own code/ members (reviewed below).
            extra = TORCHSCRIPT_CLASSES if kind is ModelFormat.TORCHSCRIPT else frozenset()
            with ctx.holding(len(data)):
                scan_pickle(ctx, data, label, depth + 1, extra_allow=extra)
        return
    if is_torch and (f"/{entry.name}".find("/code/") >= 0) and lowered.endswith(".py"):
        data = _read(ctx, src, directory, entry, label)
        if data is not None:
            for problem in ts_code.review(data.decode("utf-8", "replace")):
                ctx.add(finding(ScanRule.TS001, problem, member=label))
        return
    if is_torch and (base in _TORCH_SKIP or _torch_storage(entry.name)):
        return  # tensor bytes and bookkeeping: never interpreted as code by torch
    if entry.usize == 0 and (entry.csize == 0 or _inflates_to_nothing(ctx, src, directory, entry)):
        return  # an empty member holds nothing any loader could run
    if entry.name == "config.json":
        # keras.saving reads config.json from any zip it is given (zipfile: exact name).
        data = _read(ctx, src, directory, entry, label)
        if data is not None:
            from mlsvs.scanner.formats_keras import check_config_text

            check_config_text(ctx, data, label)
        return
    if kind is ModelFormat.SKOPS and entry.name == "schema.json":
        data = _read(ctx, src, directory, entry, label)
        if data is not None:
            from mlsvs.scanner.formats_skops import check_schema

            check_schema(ctx, data, label)
        return
    if kind is ModelFormat.KERAS and entry.name in ("model.weights.h5", "metadata.json"):
        return
    if (
        lowered.endswith(".npy")
        and entry.usize > _SMALL
        and not _npy_holds_objects(ctx, src, directory, entry, label)
    ):
        return  # numeric array: only the header matters, the data is never interpreted
    if entry.usize > _SMALL and kind is not ModelFormat.ARCHIVE and not lowered.endswith(".npy"):
        return
    window = _stored_window(src, directory, entry)
    if window is not None:
        if ctx.charge(0, label):
            ctx.scan_source(window, label, depth + 1)
        return
    data = _read(ctx, src, directory, entry, label)
    if data is not None:
        with ctx.holding(len(data)):
            _generic(ctx, data, label, depth)  # extra files, assets: text is fine, binaries scanned


def _torch_storage(name: str) -> bool:
    """Members torch reads as raw tensor bytes: ``data/``, ``traced_inputs/`` (example
    inputs of traced modules), ``code/`` sources other than .py (reviewed above)."""
    padded = f"/{name}"
    return any(f"/{folder}/" in padded for folder in ("data", "code", "traced_inputs"))


def _inflates_to_nothing(ctx: Ctx, src: ByteSource, directory: Directory, entry: Member) -> bool:
    """A compressed empty member (deflate writes 2 bytes for nothing: jar/docx properties)."""
    if entry.csize > _EMPTY_STREAM_MAX:
        return False
    data = _read(ctx, src, directory, entry, entry.name)
    return data is not None and not data


def _npy_holds_objects(
    ctx: Ctx, src: ByteSource, directory: Directory, entry: Member, label: str
) -> bool:
    try:
        head = read_member(src.fh, directory, entry, 64 * 1024).data
    except (ZipFormatError, OSError, ValueError, EOFError) as exc:
        ctx.add(finding(ScanRule.GEN002, f"member unreadable: {exc}", member=label))
        return False
    end = head.find(b"\n", 10)
    header = head[10 : end if end > 0 else len(head)]
    # Object dtypes are spelled 'O' (also inside structured descriptions); be conservative.
    return not head.startswith(b"\x93NUMPY") or end < 0 or b"O" in header


def _generic(ctx: Ctx, data: bytes, label: str, depth: int) -> None:
    ctx.scan_source(ByteSource.of(data), label, depth + 1)


def _stored_window(src: ByteSource, directory: Directory, entry: Member) -> ByteSource | None:
    """A stored, unencrypted member read in place (no copy, no size limit)."""
    if entry.method != 0 or entry.flags & 1 or entry.csize != entry.usize:
        return None
    try:
        start, _ = local_anomalies(src.fh, directory, entry)
    except (ZipFormatError, OSError, ValueError):
        return None
    if start + entry.csize > src.size:
        return None
    return ByteSource.window(src.fh, start, entry.csize)


def _read(
    ctx: Ctx, src: ByteSource, directory: Directory, entry: Member, label: str
) -> bytes | None:
    if not ctx.fits(entry.usize, label):
        return None
    limit = ctx.available()
    try:
        got = read_member(src.fh, directory, entry, limit)
    except (ZipFormatError, OSError, ValueError, EOFError) as exc:
        ctx.add(finding(ScanRule.GEN002, f"member unreadable: {exc}", member=label))
        return None
    for text in got.anomalies:
        if "local header" not in text:
            ctx.add(finding(ScanRule.ZIP006, text, member=label))
    if got.truncated:
        ctx.add(
            finding(
                ScanRule.ARC001,
                f"member inflates past the in-memory limit ({limit} bytes); not verified",
                member=label,
            )
        )
        return None
    if not ctx.charge(len(got.data), label):
        return None
    return got.data


def scan_polyglot_zip(ctx: Ctx, src: ByteSource, member: str | None, depth: int) -> None:
    """A pickle-first file that also ends in a zip directory (pickle/zip polyglot)."""
    if not has_end_record(src.read_at, src.size):
        return
    try:
        directory = read_directory(src.fh, src.size)
    except (ZipFormatError, OSError, ValueError):
        return
    if not directory.members:
        return
    ctx.add(
        finding(
            ScanRule.ZIP005,
            "file is both a pickle (read from offset 0) and a zip archive",
            member=member,
            offset=directory.prefix,
        )
    )
    names = [m.name for m in directory.members]
    kind = zip_kind(names)
    records = torch_records(directory) if kind in _TORCH_KINDS else frozenset()
    for index, entry in enumerate(directory.members[: ctx.options.max_members]):
        if not entry.is_dir:
            _member(ctx, src, directory, entry, kind, member, depth, torch_record=index in records)
