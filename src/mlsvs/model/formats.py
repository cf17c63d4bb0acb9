"""Model serialization formats, apart from the artifact types so that ``mlsvs scan`` does not
build the whole discovery model at startup (the artifact module re-exports it)."""

from __future__ import annotations

import enum


@enum.unique
class ModelFormat(enum.StrEnum):
    """Serialization format of a model file, identified from content (never the extension)."""

    PICKLE = "pickle"
    PYTORCH_ZIP = "pytorch_zip"
    PYTORCH_LEGACY = "pytorch_legacy"
    TORCHSCRIPT = "torchscript"
    JOBLIB = "joblib"
    NUMPY = "numpy"
    NUMPY_ARCHIVE = "numpy_archive"
    SAFETENSORS = "safetensors"
    ONNX = "onnx"
    KERAS = "keras"
    HDF5 = "hdf5"
    TF_SAVEDMODEL = "tf_savedmodel"
    GGUF = "gguf"
    XGBOOST = "xgboost"
    """XGBoost JSON or UBJSON model (data only)."""
    LIGHTGBM = "lightgbm"
    """LightGBM text model (data only)."""
    CATBOOST = "catboost"
    """CatBoost binary model, ``CBM1`` (data only)."""
    TFLITE = "tflite"
    """TensorFlow Lite flatbuffer (data only)."""
    COREML = "coreml"
    """Core ML model protobuf (.mlmodel) or ML program weight blob."""
    OPENVINO = "openvino"
    """OpenVINO IR topology (.xml); its weights are ``TENSOR_DATA``."""
    SKOPS = "skops"
    """skops archive: JSON schema of trusted types plus .npy arrays."""
    TENSOR_DATA = "tensor_data"
    """Tensor data without code: raw bytes a model next to them references (ONNX external data,
    OpenVINO .bin), or a stand-alone tensor file (ONNX TensorProto, legacy GGML)."""
    ARCHIVE = "archive"
    """A generic zip/tar/7z/compressed container that may hold models."""
    UNKNOWN = "unknown"

    @property
    def executes_code_on_load(self) -> bool:
        """Formats whose standard loaders can run code chosen by the file's author."""
        return self in _CODE_ON_LOAD


_CODE_ON_LOAD = frozenset(
    {
        ModelFormat.PICKLE,
        ModelFormat.PYTORCH_ZIP,
        ModelFormat.PYTORCH_LEGACY,
        ModelFormat.TORCHSCRIPT,
        ModelFormat.JOBLIB,
        ModelFormat.NUMPY_ARCHIVE,
    }
)
