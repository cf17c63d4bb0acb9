"""Keras configurations: real models scan clean; references that reach beyond modelling don't."""

from __future__ import annotations

import json
import zipfile
from typing import TYPE_CHECKING

import pytest

from mlsvs.scanner import scan_path
from mlsvs.scanner.formats_keras import config_problems

if TYPE_CHECKING:
    from pathlib import Path


def test_real_keras_model_with_function_references_is_clean(tmp_path: Path) -> None:
    keras = pytest.importorskip("keras")
    inp = keras.Input((4,))
    x = keras.layers.Dense(
        3, activation=keras.activations.gelu, kernel_regularizer=keras.regularizers.l2(0.01)
    )(inp)
    x = keras.layers.Activation(keras.ops.tanh)(x)
    model = keras.Model(inp, keras.layers.Dense(1)(x))
    model.compile(
        loss=keras.losses.mean_squared_error,
        optimizer="adam",
        metrics=[keras.metrics.mean_absolute_error],
    )
    path = tmp_path / "model.keras"
    model.save(path)
    report = scan_path(path)
    assert report.findings == (), [f.message for f in report.findings]


def _fn(module: str, name: str) -> dict[str, object]:
    return {"module": module, "class_name": "function", "config": name, "registered_name": name}


@pytest.mark.parametrize(
    ("node", "flagged"),
    [
        (_fn("builtins", "mean_squared_error"), False),
        (_fn("builtins", "relu"), False),
        (_fn("keras.activations", "gelu"), False),
        (_fn("keras.src.ops.numpy", "tanh"), False),
        (_fn("builtins", "eval"), True),  # keras < 3.9 imports builtins.eval
        (_fn("builtins", "exec"), True),
        (_fn("os", "system"), True),  # CVE-2025-1550
        (_fn("keras.config", "enable_unsafe_deserialization"), True),  # CVE-2025-9906
        (_fn("keras.utils", "get_file"), True),  # CVE-2025-8747
        (_fn("keras.src.utils.file_utils", "get_file"), True),
        (_fn("keras.src.saving.saving_api", "load_model"), True),
        (_fn("keras.models", "load_model"), True),
        ({"module": "keras.layers", "class_name": "TFSMLayer", "config": {}}, True),
        (
            {
                "module": "keras.src.saving.serialization_lib",
                "class_name": "SafeModeScope",
                "config": {},
            },
            True,
        ),
        ({"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}}, False),
        (
            {"module": "keras.src.models.functional", "class_name": "Functional", "config": {}},
            False,
        ),
        ({"module": "keras.utils", "class_name": "FeatureSpace", "config": {}}, False),
    ],
)
def test_references(node: dict[str, object], flagged: bool) -> None:
    config = {"module": "keras", "class_name": "Sequential", "config": {"layers": [node]}}
    assert bool(config_problems(config)) is flagged, config_problems(config)


def test_unsafe_reference_inside_a_real_archive(tmp_path: Path) -> None:
    config = {"module": "keras", "class_name": "Sequential",
              "config": {"layers": [_fn("keras.config", "enable_unsafe_deserialization")]}}  # fmt: skip
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("metadata.json", "{}")
    assert {f.rule.value for f in scan_path(path).findings} == {"KRS002"}
