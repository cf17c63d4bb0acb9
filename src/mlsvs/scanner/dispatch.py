"""Route content to the right format handler (by content, recursively, within limits)."""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from mlsvs.model.formats import ModelFormat
from mlsvs.scanner.context import ByteSource, child
from mlsvs.scanner.identify import HEAD, decompress_head, sniff
from mlsvs.scanner.lz4frames import LZ4_FRAME, lz4_decompressor
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from mlsvs.scanner.context import Ctx


def scan_source(
    ctx: Ctx,
    src: ByteSource,
    member: str | None,
    depth: int,
    *,
    nested_payload: bool = False,
) -> ModelFormat:
    """Identify ``src`` and run its handler; returns the format it was identified as."""
    if depth > ctx.options.max_depth:
        ctx.add(
            finding(ScanRule.ARC001, "nesting depth limit reached; not verified", member=member)
        )
        return ModelFormat.UNKNOWN
    fmt = sniff(src.fh, src.size)
    if nested_payload and fmt is ModelFormat.UNKNOWN:
        # A nested loader's payload that is not a recognisable pickle still gets emulated.
        fmt = ModelFormat.PICKLE
    fmt = _handle(ctx, src, fmt, member, depth)
    _other_views(ctx, src, fmt, member, depth)
    return fmt


_PICKLE_FAMILY = frozenset({ModelFormat.PICKLE, ModelFormat.JOBLIB, ModelFormat.PYTORCH_LEGACY})


def _other_views(
    ctx: Ctx, src: ByteSource, fmt: ModelFormat, member: str | None, depth: int
) -> None:
    """Polyglots: what other loaders read from the same bytes.

    ``pickle.load``/``joblib.load``/``torch.load`` (legacy path, for anything not starting with
    a zip local header) read a pickle from offset 0 whatever else the file is: an HDF5 user
    block, a tar header, a GGUF/ONNX prefix. h5py finds an HDF5 superblock at 0, 512, 1024,
    2048, ... even behind a pickle.
    """
    from mlsvs.scanner.identify import hdf5_offset, pickle_at_start

    head = src.read_at(0, HEAD)
    emulated = fmt in _PICKLE_FAMILY and not _is_container(head)
    if not emulated and head[:4] != b"PK\x03\x04" and pickle_at_start(head, src.size):
        from mlsvs.scanner.formats_pickle import scan_pickle

        ctx.add(
            finding(
                ScanRule.GEN004,
                f"the {fmt.value} file also starts with a pickle that pickle.load would run",
                member=member,
                offset=0,
            )
        )
        data = ctx.read_all(src, member)
        if data is not None:
            scan_pickle(ctx, data, child(member, "<offset 0 as pickle>"), depth + 1)
    if fmt is not ModelFormat.HDF5 and fmt in _PICKLE_FAMILY | {ModelFormat.UNKNOWN}:
        offset = hdf5_offset(src.fh, src.size)
        if offset is not None:
            import mlsvs.scanner.formats_keras as formats_keras

            ctx.add(
                finding(
                    ScanRule.ZIP005,
                    f"an HDF5 file starts at offset {offset} behind the {fmt.value} content",
                    member=member,
                    offset=offset,
                )
            )
            formats_keras.scan_hdf5(ctx, src, child(member, f"<hdf5@{offset}>"))


def _is_container(head: bytes) -> bool:
    """A compression wrapper or a tar, which the pickle family's handler unpacks first."""
    from mlsvs.scanner.formats_archive import is_tar, is_wrapper

    return is_tar(head) or is_wrapper(head)


def _handle(
    ctx: Ctx, src: ByteSource, fmt: ModelFormat, member: str | None, depth: int
) -> ModelFormat:
    # Each handler module is imported by its own branch: `mlsvs scan model.pt` should not pay
    # for the GGUF template sandbox, ONNX protobuf or tar readers it never uses.
    head = src.read_at(0, HEAD)
    match fmt:
        case ModelFormat.PICKLE | ModelFormat.JOBLIB | ModelFormat.PYTORCH_LEGACY:
            import mlsvs.scanner.formats_archive as formats_archive

            if formats_archive.is_wrapper(head):
                formats_archive.scan_wrapper(ctx, src, member, depth)
            elif formats_archive.is_tar(head):
                formats_archive.scan_tar(ctx, src, member, depth)
            else:
                data = ctx.read_all(src, member)
                if data is not None:
                    import mlsvs.scanner.formats_pickle as formats_pickle
                    import mlsvs.scanner.formats_zip as formats_zip

                    formats_pickle.scan_pickle(ctx, data, member, depth)
                    formats_zip.scan_polyglot_zip(ctx, src, member, depth)
        case (
            ModelFormat.PYTORCH_ZIP
            | ModelFormat.TORCHSCRIPT
            | ModelFormat.KERAS
            | ModelFormat.NUMPY_ARCHIVE
            | ModelFormat.SKOPS
        ):
            import mlsvs.scanner.formats_zip as formats_zip

            formats_zip.scan_zip(ctx, src, member, depth)
        case ModelFormat.ARCHIVE:
            import mlsvs.scanner.formats_archive as formats_archive

            formats_archive.scan_archive(ctx, src, member, depth)
        case ModelFormat.NUMPY:
            import mlsvs.scanner.formats_data as formats_data

            formats_data.scan_npy(ctx, src, member, depth)
        case ModelFormat.SAFETENSORS:
            import mlsvs.scanner.formats_data as formats_data

            formats_data.scan_safetensors(ctx, src, member)
        case ModelFormat.GGUF:
            import mlsvs.scanner.formats_gguf as formats_gguf

            formats_gguf.scan_gguf(ctx, src, member)
        case ModelFormat.ONNX:
            import mlsvs.scanner.formats_onnx as formats_onnx

            formats_onnx.scan_onnx(ctx, src, member)
        case ModelFormat.HDF5:
            import mlsvs.scanner.formats_keras as formats_keras

            formats_keras.scan_hdf5(ctx, src, member)
        case ModelFormat.TF_SAVEDMODEL:
            import mlsvs.scanner.formats_tf as formats_tf

            formats_tf.scan_saved_model(ctx, src, member)
        case (
            ModelFormat.XGBOOST
            | ModelFormat.LIGHTGBM
            | ModelFormat.CATBOOST
            | ModelFormat.TFLITE
            | ModelFormat.COREML
            | ModelFormat.OPENVINO
        ):
            import mlsvs.scanner.formats_dataonly as formats_dataonly

            formats_dataonly.scan_data_only(ctx, src, fmt, member)
        case ModelFormat.TENSOR_DATA:
            pass  # only ever assigned by the sidecar and tensor-file checks below
        case ModelFormat.UNKNOWN:
            return _unknown(ctx, src, head, member)
        case _:
            assert_never(fmt)
    return fmt


_R_SERIALIZATION = (b"RDX2\n", b"RDX3\n", b"RDA2\n", b"RDA3\n", b"RDB2\n", b"RDB3\n",
                    b"X\n\x00\x00\x00\x02", b"X\n\x00\x00\x00\x03")  # fmt: skip
"""RData (save()) and RDS (saveRDS(), XDR) openings, once decompressed."""


def _unknown(ctx: Ctx, src: ByteSource, head: bytes, member: str | None) -> ModelFormat:
    """Not a model format: an ordinary file, a model's raw tensor sidecar, a stand-alone
    tensor file (ONNX TensorProto, legacy GGML), a SentencePiece tokenizer, or not verified."""
    from mlsvs.scanner.nonmodel import describe
    from mlsvs.scanner.sidecar import referenced_by

    kind = describe(head, src.size)
    if kind is not None:
        if member is None:
            ctx.content = kind
        return ModelFormat.UNKNOWN
    if member is None and ctx.path is not None:
        owner = referenced_by(ctx.path, src.size)
        if owner is not None:
            ctx.content = f"tensor data of {owner}"
            return ModelFormat.TENSOR_DATA
    from mlsvs.scanner.sentencepiece import describe_sentencepiece
    from mlsvs.scanner.tensorfiles import describe_tensor_file

    # SentencePiece first: its every top-level field is a message, while a TensorProto or
    # SequenceProto needs its data/element type as a varint field 2, so no file is both, and
    # a tokenizer's 100k pieces would otherwise be walked twice by the tensor parsers.
    tokenizer = describe_sentencepiece(src)
    if tokenizer is not None:
        if member is None:
            ctx.content = tokenizer
        return ModelFormat.UNKNOWN
    tensors = describe_tensor_file(src)
    if tensors is not None:
        if member is None:
            ctx.content = tensors
        return ModelFormat.TENSOR_DATA
    what = "compressed data" if decompress_head(head) is not None else "content"
    message = f"{what} matches no known model format ({src.size} bytes); not verified"
    if head.startswith(_R_SERIALIZATION):
        message = (
            f"R serialized data ({src.size} bytes, save()/saveRDS()): R's load() and "
            "readRDS() can run code such data holds (CVE-2024-27322), and nothing here reads "
            "R's format; not verified"
        )
    if head.startswith(LZ4_FRAME):
        message = (
            f"LZ4-compressed data ({src.size} bytes, joblib compress='lz4'): the standard "
            "library cannot decompress it (install the lz4 package: mlsvs[archives]); "
            "not verified"
            if lz4_decompressor() is None
            else f"LZ4 frame that does not decompress ({src.size} bytes); not verified"
        )
    ctx.add(finding(ScanRule.GEN001, message, member=member))
    return ModelFormat.UNKNOWN
