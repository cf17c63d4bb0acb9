"""Hostile inputs for fail-closed tests: unreadable, truncated and unknown files, and a way to
make "unreadable" real even when the tests run as root (CI does).

Root reads a ``chmod 000`` file, so permission tests drop privileges: ``run_unprivileged``
forks, switches the child to ``nobody`` (after everything it needs is imported) and returns
what the function returned, as JSON. Off root it simply calls the function.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import struct
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

NOBODY = 65534
MODES = ("unreadable", "truncated", "unknown")

_CARD = (
    "---\nlicense: mit\nlibrary_name: sklearn\ndatasets: [x]\n---\n# Uses\n# Out-of-scope use\n"
    "# Training data\n# Evaluation\n# Limitations\n# Owner\n"
)
_DATA_CARD = "---\nlicense: mit\n---\n# Source\n# Licence\n# Collection process\n# Owner\n"
_THREAT = (
    "# Threat model\nData poisoning AML.T0020, training pipeline, model artifact weights, "
    "serving endpoint api AML.T0040.\n"
)
_DOCKER = "FROM python:3.11-slim\nUSER app\n"
_K8S = (
    "apiVersion: v1\nkind: Pod\nspec:\n  securityContext:\n    runAsNonRoot: true\n"
    "  containers:\n  - name: m\n    image: x\n"
)

_TERRAFORM = (
    'resource "aws_s3_bucket" "models" {\n  bucket = "models"\n}\n'
    'resource "aws_s3_bucket_public_access_block" "models" {\n'
    "  bucket = aws_s3_bucket.models.id\n  block_public_acls = true\n"
    "  block_public_policy = true\n  ignore_public_acls = true\n"
    "  restrict_public_buckets = true\n}\n"
)

_RULES = (
    "groups:\n  - name: model\n    rules:\n      - alert: FeatureDrift\n"
    "        expr: max by (model) (feature_psi) > 0.2\n        for: 5m\n"
)


def _safetensors() -> bytes:
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "__metadata__": {}}
    ).encode()
    return struct.pack("<Q", len(header)) + header + b"\x00" * 8


def _bom() -> bytes:
    return json.dumps(
        {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [], "version": 1}
    ).encode()


def _notebook() -> bytes:
    cell = {"cell_type": "code", "source": "x = 1\n", "outputs": [], "metadata": {}}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4}).encode()


# Relative path -> valid content. One file per artifact type discovery knows, so every
# registered check meets at least one hostile input of the type it reads.
VALID: dict[str, bytes] = {
    "models/model.pkl": pickle.dumps({"weights": [1.0, 2.0, 3.0] * 100}, protocol=4),
    "models/model.safetensors": _safetensors(),
    "data/train.csv": b"age,label\n" + b"".join(b"%d,%d\n" % (i, i % 2) for i in range(200)),
    "data/test.jsonl": b"".join(b'{"x": %d, "y": %d}\n' % (i, i % 2) for i in range(100)),
    "train.py": b"import json\n\n\ndef main():\n    return json.dumps({'a': 1})\n",
    "analysis.ipynb": _notebook(),
    "requirements.txt": b"requests==2.32.3\n",
    "README.md": _CARD.encode(),
    "DATASET_CARD.md": _DATA_CARD.encode(),
    "THREAT_MODEL.md": _THREAT.encode(),
    "Dockerfile": _DOCKER.encode(),
    "deploy/pod.yaml": _K8S.encode(),
    "bom.cdx.json": _bom(),
    "SHA256SUMS": b"0" * 64 + b"  models/model.pkl\n",
    "configs/train.yaml": b"lr: 0.1\nepochs: 3\n",
    "infra/main.tf": _TERRAFORM.encode(),
    "monitoring/rules.yaml": _RULES.encode(),
}

# Truncated: the valid content cut where a parser must notice (an open string, a missing
# closing brace, half a header). Text that stays valid when cut is cut mid-token instead.
TRUNCATED: dict[str, bytes] = {
    "models/model.pkl": VALID["models/model.pkl"][: len(VALID["models/model.pkl"]) // 2],
    "models/model.safetensors": VALID["models/model.safetensors"][:20],
    "data/train.csv": b'age,label\n1,0\n2,"unterminated',
    "data/test.jsonl": b'{"x": 1, "y": 0}\n{"x": 2, "y"',
    "train.py": b"import json\n\n\ndef main(:\n",
    "analysis.ipynb": _notebook()[:30],
    "requirements.txt": b"requests==2.32.3\nflask>=",
    "README.md": _CARD.encode()[:40],
    "DATASET_CARD.md": _DATA_CARD.encode()[:20],
    "THREAT_MODEL.md": _THREAT.encode()[:25],
    "Dockerfile": b"FROM python:3.11-slim\nUS",
    "deploy/pod.yaml": _K8S.encode()[:60],
    "bom.cdx.json": _bom()[:25],
    "SHA256SUMS": b"0" * 30,
    "configs/train.yaml": b"lr: [0.1,\n",
    "infra/main.tf": _TERRAFORM.encode()[:70],
    "monitoring/rules.yaml": _RULES.encode()[:80],
}

CONFIG = """\
name = "hostile"
level = "L3"
traits = [{traits}]
"""


def unknown_bytes(rel: str, size: int = 4096) -> bytes:
    """Seeded random bytes: content no parser recognises, under the usual name."""
    rng = random.Random(rel)
    return bytes(rng.getrandbits(8) for _ in range(size))


def world_readable_tmpdir() -> Path:
    """A temporary directory ``nobody`` can traverse (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="mlsvs-hostile-", dir="/tmp"))
    path.chmod(0o755)
    return path


def build_tree(root: Path, mode: str, traits: tuple[str, ...]) -> None:
    """Every file of ``VALID`` in ``mode``; the configuration itself stays readable."""
    for rel, valid in VALID.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o755)
        if mode == "truncated":
            path.write_bytes(TRUNCATED[rel])
        elif mode == "unknown":
            path.write_bytes(unknown_bytes(rel))
        else:
            path.write_bytes(valid)
        path.chmod(0o000 if mode == "unreadable" else 0o644)
    config = root / "mlsvs.toml"
    config.write_text(CONFIG.format(traits=", ".join(f'"{t}"' for t in traits)))
    config.chmod(0o644)


def run_unprivileged(fn: Callable[[], Any]) -> Any:
    """``fn()`` as a user for whom ``chmod 000`` means unreadable; its result via JSON."""
    if os.geteuid() != 0:
        return fn()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        status = 0
        try:
            os.close(read_end)
            home = tempfile.mkdtemp(prefix="mlsvs-nobody-home-", dir="/tmp")
            os.chown(home, NOBODY, NOBODY)
            os.environ.update(HOME=home, XDG_CACHE_HOME=f"{home}/.cache")
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            payload = json.dumps({"ok": fn()})
        except BaseException as exc:  # noqa: BLE001 - the child reports everything to the parent
            payload = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
            status = 1
        with os.fdopen(write_end, "w") as out:
            out.write(payload)
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as incoming:
        data = json.loads(incoming.read() or '{"error": "child wrote nothing"}')
    os.waitpid(pid, 0)
    if "error" in data:
        raise AssertionError(f"unprivileged run failed: {data['error']}")
    return data["ok"]
