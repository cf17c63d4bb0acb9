"""Formats come from content, never from the extension."""

from __future__ import annotations

import io
import pickle
import zipfile
from typing import TYPE_CHECKING

import pytest

from mlsvs.model.artifact import ModelFormat
from mlsvs.scanner import identify, scan_path
from mlsvs.scanner.identify import zip_kind

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("model.safetensors", pickle.dumps({"a": 1}), ModelFormat.PICKLE),
        ("weights.npy", pickle.dumps([1], protocol=0), ModelFormat.PICKLE),
        ("README.md", b"# A model card\n\nHello.\n", ModelFormat.UNKNOWN),
        ("model.pt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, ModelFormat.UNKNOWN),
        ("model.gguf", b"GGUF\x03\x00\x00\x00" + b"\x00" * 16, ModelFormat.GGUF),
        ("x.bin", b"\x93NUMPY\x01\x00" + b"\x00" * 8, ModelFormat.NUMPY),
        ("x.weights", b"\x89HDF\r\n\x1a\n" + b"\x00" * 8, ModelFormat.HDF5),
        ("empty.pkl", b"", ModelFormat.UNKNOWN),
    ],
)
def test_identify_by_content(
    tmp_path: Path, name: str, content: bytes, expected: ModelFormat
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert identify(path) is expected


def test_zip_kinds() -> None:
    assert zip_kind(["a/data.pkl", "a/data/0"]) is ModelFormat.PYTORCH_ZIP
    assert zip_kind(["a/data.pkl", "a/code/__torch__/m.py"]) is ModelFormat.TORCHSCRIPT
    assert zip_kind(["config.json", "model.weights.h5", "metadata.json"]) is ModelFormat.KERAS
    assert zip_kind(["a.npy", "b.npy"]) is ModelFormat.NUMPY_ARCHIVE
    assert zip_kind(["README", "x.bin"]) is ModelFormat.ARCHIVE


def test_directory_savedmodel_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "saved_model.pb").write_bytes(b"\x08\x01")
    assert identify(tmp_path) is ModelFormat.TF_SAVEDMODEL
    assert identify(tmp_path / "missing") is ModelFormat.UNKNOWN


def test_unidentified_file_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "blob.pt"
    path.write_bytes(bytes(range(256)))
    [f] = scan_path(path).findings
    assert f.rule.value == "GEN001"


def test_unreadable_path_is_an_error(tmp_path: Path) -> None:
    report = scan_path(tmp_path / "missing.pt")
    assert report.errors and report.findings[0].rule.value == "GEN003"


def test_generic_zip_skips_text_but_flags_binaries(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("README.md", "hello")
        z.writestr("blob.bin", bytes(range(256)))
    path = tmp_path / "bundle.zip"
    path.write_bytes(buf.getvalue())
    report = scan_path(path)
    assert [(f.rule.value, f.location.member) for f in report.findings] == [("GEN001", "blob.bin")]


def test_onnx_external_data_symlinked_out_of_the_model_dir(tmp_path: Path) -> None:
    from tests.scanner.scan_malicious import _onnx

    model_dir = tmp_path / "m"
    model_dir.mkdir()
    outside = tmp_path / "secret.bin"
    outside.write_bytes(b"secret")
    (model_dir / "weights.bin").symlink_to(outside)
    path = _onnx(model_dir, "weights.bin")
    assert [f.rule.value for f in scan_path(path).findings] == ["ONX001"]
    (model_dir / "weights.bin").unlink()
    (model_dir / "weights.bin").write_bytes(b"\x00" * 4)
    assert scan_path(path).findings == ()


def test_large_onnx_is_identified_from_a_truncated_head(tmp_path: Path) -> None:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.ones((256, 256), dtype=np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 256])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 256])],
        [weights],
    )
    path = tmp_path / "big.bin"
    onnx.save(helper.make_model(graph), path)
    assert path.stat().st_size > 65536
    assert identify(path) is ModelFormat.ONNX
    assert scan_path(path).findings == ()


def test_torchscript_extra_files_are_not_findings(tmp_path: Path) -> None:
    import torch

    path = tmp_path / "extra.pt"
    module = torch.jit.script(torch.nn.Linear(2, 2))
    torch.jit.save(module, str(path), _extra_files={"meta.txt": "trained on 2026-01-01"})
    report = scan_path(path)
    assert report.format is ModelFormat.TORCHSCRIPT
    assert report.findings == ()


LLAMA31_LIKE = """{{- bos_token }}
{%- if custom_tools is defined %}{%- set tools = custom_tools %}{%- endif %}
{%- if not tools_in_user_message is defined %}{%- set tools_in_user_message = true %}{%- endif %}
{%- if not date_string is defined %}{%- set date_string = "26 Jul 2024" %}{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}{%- set system_message = "" %}{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if builtin_tools is defined or tools is not none %}{{- "Environment: ipython\\n" }}{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '{"name": "' + tool_call.name + '", "parameters": ' + tool_call.arguments | tojson + '}' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"""

QWEN_LIKE = """{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}{%- set index = (messages|length - 1) - loop.index0 %}
{%- if ns.multi_step_tool and message.role == "user" %}{%- set ns.multi_step_tool = false %}
{%- set ns.last_query_index = index %}{%- endif %}{%- endfor %}
{%- if tools %}{{- "# Tools\\n\\n<tools>" }}{%- for tool in tools %}{{- "\\n" }}{{- tool | tojson }}
{%- endfor %}{%- endif %}{%- if message.content is string %}{{ raise_exception('bad') }}{%- endif %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"""


@pytest.mark.parametrize("template", [LLAMA31_LIKE, QWEN_LIKE])
def test_real_world_chat_templates_are_clean(template: str) -> None:
    from mlsvs.scanner.template import template_problems

    assert template_problems(template) == []


def test_text_and_binaries_that_start_like_opcodes_are_not_pickles(tmp_path: Path) -> None:
    import random

    from mlsvs.scanner.identify import pickle_at_start

    c_source = b'char *maze[] = {\n  "x"\n};\nint main(void) { return 0; }\n'
    assert not pickle_at_start(c_source)
    assert identify_bytes(tmp_path, c_source) is ModelFormat.UNKNOWN
    # safetensors header lengths whose low byte is an EXT opcode
    for first in (0x82, 0x83, 0x84):
        assert not pickle_at_start(bytes([first]) + b"\x00" * 7 + b'{"w":{}}')
    rng = random.Random(7)
    assert not any(
        pickle_at_start(bytes(rng.randrange(256) for _ in range(256))) for _ in range(2000)
    )


def identify_bytes(tmp_path: Path, data: bytes) -> ModelFormat:
    path = tmp_path / "sample"
    path.write_bytes(data)
    return identify(path)
