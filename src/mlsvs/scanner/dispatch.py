"""Route content to the right format handler (by content, recursively, within limits)."""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from mlsvs.model.artifact import ModelFormat
from mlsvs.scanner.context import Source
from mlsvs.scanner.identify import HEAD, decompress_head, sniff
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import Rule

if TYPE_CHECKING:
    from mlsvs.scanner.context import Ctx


def scan_bytes(
    ctx: Ctx, data: bytes, member: str | None, depth: int, *, nested_payload: bool = False
) -> ModelFormat:
    """Scan an in-memory payload (archive member, decompressed wrapper, nested pickle)."""
    return scan_source(ctx, Source.of(data), member, depth, nested_payload=nested_payload)


def scan_source(
    ctx: Ctx,
    src: Source,
    member: str | None,
    depth: int,
    *,
    nested_payload: bool = False,
    in_archive: bool = False,
) -> ModelFormat:
    """Identify ``src`` and run its handler; returns the format it was identified as."""
    if depth > ctx.options.max_depth:
        ctx.add(finding(Rule.ARC001, "nesting depth limit reached; not verified", member=member))
        return ModelFormat.UNKNOWN
    fmt = sniff(src.fh, src.size)
    if nested_payload and fmt is ModelFormat.UNKNOWN:
        # A nested loader's payload that is not a recognisable pickle still gets emulated.
        fmt = ModelFormat.PICKLE
    _handle(ctx, src, fmt, member, depth, in_archive=in_archive)
    return fmt


def _handle(
    ctx: Ctx, src: Source, fmt: ModelFormat, member: str | None, depth: int, *, in_archive: bool
) -> None:
    import mlsvs.scanner.formats_archive as formats_archive
    import mlsvs.scanner.formats_data as formats_data
    import mlsvs.scanner.formats_gguf as formats_gguf
    import mlsvs.scanner.formats_keras as formats_keras
    import mlsvs.scanner.formats_onnx as formats_onnx
    import mlsvs.scanner.formats_pickle as formats_pickle
    import mlsvs.scanner.formats_tf as formats_tf
    import mlsvs.scanner.formats_zip as formats_zip

    head = src.read_at(0, HEAD)
    match fmt:
        case ModelFormat.PICKLE | ModelFormat.JOBLIB | ModelFormat.PYTORCH_LEGACY:
            if formats_archive.is_wrapper(head):
                formats_archive.scan_wrapper(ctx, src, member, depth)
            elif formats_archive.is_tar(head):
                formats_archive.scan_tar(ctx, src, member, depth)
            else:
                data = ctx.read_all(src, member)
                if data is not None:
                    formats_pickle.scan_pickle(ctx, data, member, depth)
                    formats_zip.scan_polyglot_zip(ctx, src, member, depth)
        case (
            ModelFormat.PYTORCH_ZIP
            | ModelFormat.TORCHSCRIPT
            | ModelFormat.KERAS
            | ModelFormat.NUMPY_ARCHIVE
        ):
            formats_zip.scan_zip(ctx, src, member, depth)
        case ModelFormat.ARCHIVE:
            formats_archive.scan_archive(ctx, src, member, depth)
        case ModelFormat.NUMPY:
            formats_data.scan_npy(ctx, src, member, depth)
        case ModelFormat.SAFETENSORS:
            formats_data.scan_safetensors(ctx, src, member)
        case ModelFormat.GGUF:
            formats_gguf.scan_gguf(ctx, src, member)
        case ModelFormat.ONNX:
            formats_onnx.scan_onnx(ctx, src, member)
        case ModelFormat.HDF5:
            formats_keras.scan_hdf5(ctx, src, member)
        case ModelFormat.TF_SAVEDMODEL:
            formats_tf.scan_saved_model(ctx, src, member)
        case ModelFormat.UNKNOWN:
            if in_archive and looks_textual(head):
                return
            what = "compressed data" if decompress_head(head) is not None else "content"
            ctx.add(
                finding(
                    Rule.GEN001,
                    f"{what} matches no known model format ({src.size} bytes); not verified",
                    member=member,
                )
            )
        case _:
            assert_never(fmt)


def looks_textual(head: bytes) -> bool:
    """UTF-8 text without NULs (README, JSON, YAML, vocab files inside archives)."""
    if b"\x00" in head:
        return False
    try:
        head[: len(head) - 4].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
