"""Real project states and their real ``mlsvs verify`` results, made at test time.

``fraud-scorer`` is run twice: first with unpinned requirements and no model file, then with
pinned requirements and a pickle model whose file name carries HTML (a scanned artifact is
hostile input) and that calls ``os.system`` on load (built opcode by opcode; never loaded).
A second system's own name is hostile too.
"""

from __future__ import annotations

import datetime as dt
import json
import pickletools
import shutil
from dataclasses import dataclass
from pathlib import Path

# The real date, not a fixed one: the server dates the attestations its auditors record with
# the day they are recorded, and an assessment run a day earlier than that (a fixed TODAY
# once the calendar has moved on) rejects them as "dated in the future".
TODAY = dt.datetime.now(dt.UTC).date()
HOSTILE_FILE = '<svg onload=alert(1)>"onerror=alert(2).pkl'
HOSTILE_SYSTEM = '<script>alert("sys")</script>'

TRAIN = '''"""Train the fraud scorer and write the model file."""
import pickle

from sklearn.linear_model import LogisticRegression


def train(features, labels, path):
    model = LogisticRegression(max_iter=200).fit(features, labels)
    with open(path, "wb") as handle:
        pickle.dump(model, handle)
'''

README = """# Fraud scorer

Logistic-regression fraud scorer trained in house on card transactions (synthetic data).
Owner: payments risk team. Intended use: ranking transactions for manual review.
"""


def malicious_pickle() -> bytes:
    """GLOBAL os.system + REDUCE: runs a command when unpickled (protocol 2, hand-built)."""
    body = b"\x80\x02" + b"cos\nsystem\n" + b"X\x02\x00\x00\x00id" + b"\x85R."
    pickletools.dis(body, out=open("/dev/null", "w"))  # noqa: SIM115 - validates the opcodes
    return body


def write_project(root: Path, *, state: int, name: str = "fraud-scorer") -> Path:
    """State 1: unpinned, no model. State 2: pinned with hashes, a hostile pickle added."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "mlsvs.toml").write_text(
        f'name = {json.dumps(name)}\nlevel = "L1"\nstandard = "1.1.0"\n'
        'traits = ["trains_in_house"]\nattestations = ["attestations"]\n'
    )
    (root / "train.py").write_text(TRAIN)
    (root / "README.md").write_text(README)
    if state == 1:
        (root / "requirements.txt").write_text("numpy\nscikit-learn>=1.0\n")
    else:
        (root / "requirements.txt").write_text(
            "numpy==2.1.3 \\\n    --hash=sha256:" + "a" * 64 + "\n"
            "scikit-learn==1.5.2 \\\n    --hash=sha256:" + "b" * 64 + "\n"
        )
        (root / "models").mkdir(exist_ok=True)
        (root / "models" / HOSTILE_FILE).write_bytes(malicious_pickle())
    return root


def verify(root: Path, *, attestations: tuple[str, ...] = ()) -> dict[str, object]:
    """Run the real assessment in-process; the results document as ``results.json`` holds it."""
    from mlsvs.api import Overrides, assess
    from mlsvs.render.json import to_dict

    overrides = Overrides(attestations=attestations) if attestations else None
    return to_dict(assess(root, overrides=overrides, today=TODAY))


@dataclass(frozen=True, slots=True, kw_only=True)
class Corpus:
    """The documents the server tests upload."""

    base: Path
    run1: dict[str, object]
    run2: dict[str, object]
    hostile: dict[str, object]

    def project_copy(self, target: Path) -> Path:
        """A writable copy of fraud-scorer in state 2 (where attestations get unpacked)."""
        shutil.copytree(self.base / "state2", target)
        return target


def build(base: Path) -> Corpus:
    """Make the projects and run verify on each (a few seconds, once per session)."""
    run1 = verify(write_project(base / "state1", state=1))
    run2 = verify(write_project(base / "state2", state=2))
    hostile = verify(write_project(base / "hostile", state=2, name=HOSTILE_SYSTEM))
    return Corpus(base=base, run1=run1, run2=run2, hostile=hostile)
