"""MLC874: LoRA adapters pinned in the BOM, scanned clean and signed; no load by name."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import pytest

from mlsvs.checks.pipeline.adapters import adapters_controlled
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, statuses, write

if TYPE_CHECKING:
    from pathlib import Path

CONFIG = {
    "alpha_pattern": {},
    "auto_mapping": None,
    "base_model_name_or_path": "meta-llama/Llama-3.2-1B",
    "bias": "none",
    "fan_in_fan_out": False,
    "inference_mode": True,
    "init_lora_weights": True,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "modules_to_save": None,
    "peft_type": "LORA",
    "r": 8,
    "rank_pattern": {},
    "revision": None,
    "target_modules": ["q_proj", "v_proj"],
    "task_type": "CAUSAL_LM",
    "use_dora": False,
    "use_rslora": False,
}


def _weights() -> bytes:
    np = pytest.importorskip("numpy")
    from safetensors.numpy import save

    tensors = {
        "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": np.zeros(
            (8, 64), np.float32
        ),
        "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": np.zeros(
            (64, 8), np.float32
        ),
    }
    return save(tensors, metadata={"format": "pt"})


def _bom(digest: str) -> str:
    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "components": [
                {
                    "type": "machine-learning-model",
                    "name": "support-lora",
                    "version": "2",
                    "hashes": [{"alg": "SHA-256", "content": digest}],
                }
            ],
        }
    )


def test_pinned_scanned_signed_adapter_passes(tmp_path: Path) -> None:
    weights = _weights()
    files = {
        "adapters/support-lora/adapter_config.json": json.dumps(CONFIG, indent=2),
        "adapters/support-lora/adapter_model.safetensors": weights,
        "adapters/support-lora.sig": json.dumps(
            {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}
        ),
        "bom.cdx.json": _bom(hashlib.sha256(weights).hexdigest()),
    }
    [outcome] = run(adapters_controlled, write(tmp_path, files))
    assert outcome.status is Status.PASS, outcome.message
    files["bom.cdx.json"] = _bom("0" * 64)
    del files["adapters/support-lora.sig"]
    [outcome] = run(adapters_controlled, write(tmp_path / "u", files))
    assert outcome.status is Status.FAIL
    assert "not in the BOM" in outcome.message and "no signature" in outcome.message


def test_adapter_loaded_by_name_fails(tmp_path: Path) -> None:
    code = (
        "from peft import PeftModel\nfrom transformers import AutoModelForCausalLM\n\n"
        "base = AutoModelForCausalLM.from_pretrained('./models/base')\n"
        "model = PeftModel.from_pretrained(base, 'someone/support-lora')\n"
    )
    [outcome] = run(adapters_controlled, write(tmp_path, {"serve.py": code}))
    assert outcome.status is Status.FAIL and "'someone/support-lora' by name" in outcome.message
    pinned = code.replace(
        "'someone/support-lora')", "'someone/support-lora', revision='" + "a" * 40 + "')"
    )
    assert statuses(run(adapters_controlled, write(tmp_path / "p", {"serve.py": pinned}))) == [
        Status.ABSTAINED
    ]
