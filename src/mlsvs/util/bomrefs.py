"""The bom-refs mlsvs gives components, shared by the ML-BOM and the attestation (CDXA).

One scheme, so a claim in ``mlsvs verify -f cyclonedx`` that targets a model names the same
component as ``mlsvs bom`` does, and the two documents can be joined by reference.
"""

from __future__ import annotations

PROJECT_REF = "project"
"""The project itself (``metadata.component`` of the ML-BOM, the CDXA's target)."""

_PREFIX = {"model": "model", "dataset": "data"}


def model_ref(path: str) -> str:
    """bom-ref of a model component: ``model:models/clf.onnx``."""
    return f"model:{path}"


def data_ref(path: str) -> str:
    """bom-ref of a dataset component: ``data:data/train.csv``."""
    return f"data:{path}"


def artifact_ref(kind: str, path: str) -> str:
    """bom-ref of any discovered artifact by its report kind (``model``, ``dataset``, ...)."""
    return f"{_PREFIX.get(kind, 'file')}:{path}"
