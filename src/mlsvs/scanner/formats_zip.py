"""Zip containers: PyTorch (zip and TorchScript), Keras v3, numpy .npz and generic zips."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from mlsvs.model.artifact import ModelFormat
from mlsvs.scanner import ts_code
from mlsvs.scanner.context import Source, child
from mlsvs.scanner.formats_archive import unsafe_member_name
from mlsvs.scanner.identify import zip_kind
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import Rule
from mlsvs.scanner.zipread import (
    Directory,
    Member,
    ZipFormatError,
    local_anomalies,
    read_directory,
    read_member,
)

if TYPE_CHECKING:
    from mlsvs.scanner.context import Ctx

_SMALL = 16 * 1024 * 1024
TORCHSCRIPT_CLASSES = frozenset({"__torch__.*"})
_TORCH_SKIP = frozenset(
    {"version", "byteorder", ".format_version", ".storage_alignment", "serialization_id"}
)


def scan_zip(ctx: Ctx, src: Source, member: str | None, depth: int) -> None:
    """Scan a zip the way its loader reads it; report structural anomalies."""
    try:
        directory = read_directory(src.fh, src.size)
    except (ZipFormatError, OSError, ValueError) as exc:
        ctx.add(finding(Rule.GEN002, f"zip structure unreadable: {exc}", member=member))
        return
    _structure(ctx, src, directory, member, depth)
    names = [m.name for m in directory.members]
    kind = zip_kind(names)
    for count, entry in enumerate(directory.members):
        if count >= ctx.options.max_members:
            ctx.add(finding(Rule.ARC001, "member count limit reached", member=member))
            return
        if entry.is_dir or entry.is_symlink:
            continue
        _member(ctx, src, directory, entry, kind, member, depth)


def _structure(ctx: Ctx, src: Source, directory: Directory, member: str | None, depth: int) -> None:
    from mlsvs.scanner.dispatch import scan_bytes

    if directory.prefix:
        ctx.add(
            finding(
                Rule.ZIP005,
                f"{directory.prefix} byte(s) precede the zip records",
                member=member,
                offset=0,
            )
        )
        prefix = src.read_at(0, min(directory.prefix, ctx.options.max_member_bytes))
        scan_bytes(ctx, prefix, child(member, "<prefix>"), depth + 1)
    counts = Counter(m.name for m in directory.members)
    for name, n in sorted(counts.items()):
        if n > 1:
            ctx.add(finding(Rule.ZIP004, f"{name!r} appears {n} times", member=child(member, name)))
    data_pkls = sorted(
        {m.name for m in directory.members if m.name.rsplit("/", 1)[-1] == "data.pkl"}
    )
    if len(data_pkls) > 1:
        ctx.add(
            finding(Rule.ZIP007, f"several data.pkl records: {', '.join(data_pkls)}", member=member)
        )
    for entry in directory.members:
        label = child(member, entry.name)
        if unsafe_member_name(entry.name):
            ctx.add(finding(Rule.ZIP001, f"member path {entry.name!r}", member=label))
        if entry.is_symlink:
            ctx.add(finding(Rule.ZIP002, "symbolic link member", member=label))
        try:
            _, anomalies = local_anomalies(src.fh, directory, entry)
        except (ZipFormatError, OSError, ValueError) as exc:
            ctx.add(finding(Rule.GEN002, str(exc), member=label))
            continue
        for text in anomalies:
            ctx.add(finding(Rule.ZIP003, text, member=label))


def _member(
    ctx: Ctx,
    src: Source,
    directory: Directory,
    entry: Member,
    kind: ModelFormat,
    member: str | None,
    depth: int,
) -> None:

    base = entry.name.rsplit("/", 1)[-1]
    label = child(member, entry.name)
    is_torch = kind in (ModelFormat.PYTORCH_ZIP, ModelFormat.TORCHSCRIPT)
    if base.endswith((".pkl", ".debug_pkl")):
        data = _read(ctx, src, directory, entry, label)
        if data is not None:
            from mlsvs.scanner.formats_pickle import scan_pickle

            # TorchScript resolves __torch__.* against its own code/ members (reviewed below).
            extra = TORCHSCRIPT_CLASSES if kind is ModelFormat.TORCHSCRIPT else frozenset()
            scan_pickle(ctx, data, label, depth + 1, extra_allow=extra)
        return
    if is_torch and (f"/{entry.name}".find("/code/") >= 0) and base.endswith(".py"):
        data = _read(ctx, src, directory, entry, label)
        if data is not None:
            for problem in ts_code.review(data.decode("utf-8", "replace")):
                ctx.add(finding(Rule.TS001, problem, member=label))
        return
    if is_torch and (
        base in _TORCH_SKIP or "/data/" in f"/{entry.name}" or "/code/" in f"/{entry.name}"
    ):
        return  # tensor bytes and bookkeeping: never interpreted as code by torch
    if kind is ModelFormat.KERAS and entry.name == "config.json":
        data = _read(ctx, src, directory, entry, label)
        if data is not None:
            from mlsvs.scanner.formats_keras import check_config_text

            check_config_text(ctx, data, label)
        return
    if kind is ModelFormat.KERAS and entry.name in ("model.weights.h5", "metadata.json"):
        return
    if (
        base.endswith(".npy")
        and entry.usize > _SMALL
        and not _npy_holds_objects(ctx, src, directory, entry, label)
    ):
        return  # numeric array: only the header matters, the data is never interpreted
    if entry.usize > _SMALL and kind is not ModelFormat.ARCHIVE and not base.endswith(".npy"):
        return
    data = _read(ctx, src, directory, entry, label)
    if data is not None:
        _generic(ctx, data, label, depth)  # extra files, assets: text is fine, binaries scanned


def _npy_holds_objects(
    ctx: Ctx, src: Source, directory: Directory, entry: Member, label: str
) -> bool:
    try:
        head = read_member(src.fh, directory, entry, 64 * 1024).data
    except (ZipFormatError, OSError, ValueError, EOFError) as exc:
        ctx.add(finding(Rule.GEN002, f"member unreadable: {exc}", member=label))
        return False
    end = head.find(b"\n", 10)
    header = head[10 : end if end > 0 else len(head)]
    # Object dtypes are spelled 'O' (also inside structured descriptions); be conservative.
    return not head.startswith(b"\x93NUMPY") or end < 0 or b"O" in header


def _generic(ctx: Ctx, data: bytes, label: str, depth: int) -> None:
    from mlsvs.scanner.dispatch import scan_source

    scan_source(ctx, Source.of(data), label, depth + 1, in_archive=True)


def _read(ctx: Ctx, src: Source, directory: Directory, entry: Member, label: str) -> bytes | None:
    limit = ctx.options.max_member_bytes
    try:
        got = read_member(src.fh, directory, entry, limit)
    except (ZipFormatError, OSError, ValueError, EOFError) as exc:
        ctx.add(finding(Rule.GEN002, f"member unreadable: {exc}", member=label))
        return None
    for text in got.anomalies:
        if "local header" not in text:
            ctx.add(finding(Rule.ZIP006, text, member=label))
    if got.truncated:
        ctx.add(finding(Rule.ARC001, "member exceeds the size limit; not verified", member=label))
        return None
    if not ctx.charge(len(got.data), label):
        return None
    return got.data


def scan_polyglot_zip(ctx: Ctx, src: Source, member: str | None, depth: int) -> None:
    """A pickle-first file that also ends in a zip directory (pickle/zip polyglot)."""
    tail = src.read_at(max(0, src.size - 65557), 65557)
    if b"PK\x05\x06" not in tail:
        return
    try:
        directory = read_directory(src.fh, src.size)
    except (ZipFormatError, OSError, ValueError):
        return
    if not directory.members:
        return
    ctx.add(
        finding(
            Rule.ZIP005,
            "file is both a pickle (read from offset 0) and a zip archive",
            member=member,
            offset=directory.prefix,
        )
    )
    names = [m.name for m in directory.members]
    kind = zip_kind(names)
    for entry in directory.members[: ctx.options.max_members]:
        if not entry.is_dir and not entry.is_symlink:
            _member(ctx, src, directory, entry, kind, member, depth)
