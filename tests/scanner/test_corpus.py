"""Every known technique is caught; every ordinary file made by the real libraries is clean."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mlsvs.model.artifact import ModelFormat
from mlsvs.scanner import identify, scan_path
from tests.scanner.scan_benign import BENIGN
from tests.scanner.scan_malicious import CASES

if TYPE_CHECKING:
    from pathlib import Path

EXPECTED_FORMAT = {
    "torch_state_dict": ModelFormat.PYTORCH_ZIP,
    "torch_whole_module": ModelFormat.PYTORCH_ZIP,
    "torch_legacy": ModelFormat.PYTORCH_LEGACY,
    "torch_legacy_module": ModelFormat.PYTORCH_LEGACY,
    "torchscript": ModelFormat.TORCHSCRIPT,
    "torch_checkpoint_optim": ModelFormat.PYTORCH_ZIP,
    "sklearn_pickle": ModelFormat.PICKLE,
    "sklearn_joblib": ModelFormat.JOBLIB,
    "sklearn_joblib_compressed": ModelFormat.JOBLIB,
    "sklearn_joblib_lzma": ModelFormat.JOBLIB,
    "sklearn_text_and_density": ModelFormat.JOBLIB,
    "sklearn_meta_estimators": ModelFormat.JOBLIB,
    "pandas_pickle": ModelFormat.PICKLE,
    "xgboost_pickle": ModelFormat.PICKLE,
    "lightgbm_pickle": ModelFormat.PICKLE,
    "numpy_npy": ModelFormat.NUMPY,
    "numpy_npz": ModelFormat.NUMPY_ARCHIVE,
    "keras_v3": ModelFormat.KERAS,
    "keras_h5": ModelFormat.HDF5,
    "onnx_skl2onnx": ModelFormat.ONNX,
    "onnx_helper": ModelFormat.ONNX,
    "safetensors_file": ModelFormat.SAFETENSORS,
    "gguf_file": ModelFormat.GGUF,
    "plain_containers": ModelFormat.PICKLE,
    "protocol0": ModelFormat.PICKLE,
}


def test_expected_formats_cover_every_benign_builder() -> None:
    assert set(EXPECTED_FORMAT) == set(BENIGN)


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_file_is_clean(name: str, benign_files: dict[str, Path]) -> None:
    if name not in benign_files:
        pytest.skip(f"library for {name} not installed")
    path = benign_files[name]
    assert identify(path) is EXPECTED_FORMAT[name]
    report = scan_path(path)
    assert report.format is EXPECTED_FORMAT[name]
    assert report.findings == (), [f"{f.rule} {f.message}" for f in report.findings]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malicious_technique_is_caught(case: object, malicious_files: dict[str, Path]) -> None:
    name = case.name  # type: ignore[attr-defined]
    report = scan_path(malicious_files[name])
    rules = {f.rule.value for f in report.findings}
    assert case.rules <= rules, (rules, [f.message for f in report.findings])  # type: ignore[attr-defined]


def test_dangerous_findings_name_the_callable(malicious_files: dict[str, Path]) -> None:
    report = scan_path(malicious_files["getattr-import-chain"])
    messages = " ".join(f.message for f in report.findings)
    assert "reaches os.system via builtins.getattr" in messages


def test_nested_findings_carry_the_member_path(malicious_files: dict[str, Path]) -> None:
    report = scan_path(malicious_files["nested-zip-in-tar"])
    members = {f.location.member for f in report.findings if f.rule.value == "PKL001"}
    assert "<decompressed>!bundle.zip!deep/model.pt!archive/data.pkl" in members


def test_unknown_is_lower_than_dangerous(malicious_files: dict[str, Path]) -> None:
    [unknown] = scan_path(malicious_files["unknown-callable"]).findings
    [dangerous] = scan_path(malicious_files["gadget-os.system"]).findings
    assert unknown.severity.rank < dangerous.severity.rank
    assert "acme_internal.tools.rebuild" in unknown.message
