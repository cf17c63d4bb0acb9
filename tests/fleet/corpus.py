"""A realistic mixed tree of model files, built at test time.

Benign files are written by the real libraries (torch, numpy, safetensors); malicious ones are
the scanner corpus' byte-by-byte samples (inert payloads). One checkpoint is large enough that
reading it whole would be obvious in the byte counters.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.scanner.scan_malicious import CASES

BIG_FLOATS = 6_000_000
"""24 MB of tensor data in ``big/checkpoint.pt``."""


def build_tree(root: Path, *, every: int = 3) -> Path:
    import numpy as np
    import torch
    from safetensors.numpy import save_file

    root.mkdir(parents=True, exist_ok=True)
    for i, case in enumerate(CASES[::every]):
        d = root / "malicious" / f"{i:03d}"
        d.mkdir(parents=True)
        case.build(d)
    (root / "big").mkdir()
    torch.save({"weight": torch.zeros(BIG_FLOATS), "step": 7}, root / "big" / "checkpoint.pt")
    torch.save({"a": torch.arange(10.0)}, root / "small.pt")
    np.save(root / "vectors.npy", np.arange(1000, dtype=np.float32))
    save_file({"w": np.ones((64, 64), dtype=np.float32)}, str(root / "model.safetensors"))
    (root / "README.md").write_text("# Models\n\nTrained on the usual data.\n", encoding="utf-8")
    (root / "blob.dat").write_bytes(os.urandom(4096))  # unidentified: not verified
    return root


def verdicts(reports: object) -> dict[str, tuple[str, tuple[tuple[object, ...], ...]]]:
    """Per file: status and every finding (rule, severity, message, member, offset, pointer)."""
    from mlsvs.model.result import Severity
    from mlsvs.scanner.output import file_status

    out = {}
    for r in reports:  # type: ignore[attr-defined]
        findings = tuple(
            sorted(
                (
                    f.rule.value,
                    f.severity.value,
                    f.message,
                    f.location.member or "",
                    f.location.offset or 0,
                    f.location.pointer or "",
                )
                for f in r.findings
            )
        )
        out[r.path] = (file_status(r, Severity.LOW).value, findings)
    return out
