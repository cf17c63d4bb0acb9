"""MLC1008 (M8.5.5): device code verifies a model package before the runtime loads it."""

from __future__ import annotations

from mlsvs.checks.code.device_loading import device_loads, device_models_verified
from mlsvs.plugin import Status
from tests.pipeline.conftest import run, write

AGENT = '''"""Edge inference agent for the shelf cameras: fetch, verify, load, serve."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tflite_runtime.interpreter import Interpreter

log = logging.getLogger("shelf-agent")
PUBLISHER_KEY = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_model(package: Path) -> Interpreter:
    manifest = json.loads((package / "manifest.json").read_text())
{verification}
    interpreter = Interpreter(model_path=str(package / "model.tflite"), num_threads=2)
    interpreter.allocate_tensors()
    return interpreter
'''

SIGNATURE = """    Ed25519PublicKey.from_public_bytes(PUBLISHER_KEY).verify(
        bytes.fromhex(manifest["signature"]), (package / "manifest.json.payload").read_bytes()
    )
    if _sha256(package / "model.tflite") != manifest["sha256"]:
        raise ValueError("model package does not match its signed manifest")"""
DIGEST_ONLY = """    if _sha256(package / "model.tflite") != manifest["sha256"]:
        raise ValueError("model package does not match its manifest")"""
LOGGED = """    log.info("loading model %s", _sha256(package / "model.tflite"))"""
ASSERTED = """    assert _sha256(package / "model.tflite") == manifest["sha256"]"""

LATE = AGENT.replace("{verification}\n", "").replace(
    "    interpreter.allocate_tensors()\n",
    "    interpreter.allocate_tensors()\n" + DIGEST_ONLY + "\n",
)


def _statuses(tmp_path, code: str):
    return [o.status for o in run(device_models_verified, write(tmp_path, {"agent/main.py": code}))]


def test_signature_or_refusing_digest_check_before_load_passes(tmp_path) -> None:
    assert _statuses(tmp_path, AGENT.replace("{verification}", SIGNATURE)) == [Status.PASS]
    assert _statuses(tmp_path, AGENT.replace("{verification}", DIGEST_ONLY)) == [Status.PASS]


def test_logged_asserted_or_late_checks_fail(tmp_path) -> None:
    for body in (LOGGED, ASSERTED):
        assert _statuses(tmp_path, AGENT.replace("{verification}", body)) == [Status.FAIL]
    assert _statuses(tmp_path, LATE) == [Status.FAIL]


def test_loader_names_resolved_through_imports() -> None:
    code = (
        "import tensorflow as tf\n"
        "import coremltools as ct\n"
        "def a(p):\n    return tf.lite.Interpreter(model_path=p)\n"
        "def b(p):\n    return ct.models.MLModel(p)\n"
        "def c(p):\n    return open(p).read()\n"
    )
    loads = device_loads(code)
    assert [(x.function, x.loader) for x in loads] == [
        ("a", "tensorflow.lite.Interpreter"),
        ("b", "coremltools.models.MLModel"),
    ]
    assert not any(x.verified_by for x in loads)


def test_no_device_code_or_unparsable_is_not_verified(tmp_path) -> None:
    assert _statuses(tmp_path / "a", "import onnxruntime\nprint('server side')\n") == [
        Status.ABSTAINED
    ]
    assert _statuses(tmp_path / "b", "def broken(:\n    pass\n") == [Status.NOT_VERIFIED]
