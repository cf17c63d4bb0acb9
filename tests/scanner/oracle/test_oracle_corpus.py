"""Ground truth for the scanner corpus: every malicious fixture really acts under a real loader,
every benign fixture is quiet under the loaders a user would point at it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.scanner.oracle.harness import Loader, Oracle
from tests.scanner.scan_benign import BENIGN
from tests.scanner.scan_malicious import CASES

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.oracle

# Fixtures whose threat is not code a loader runs (or whose loader is not installed here).
# Each has its own scanner test; the oracle only proves loader-side exploitation.
NOT_LOADER_EXPLOITS = {
    "zip-slip": "path traversal on extraction, not on loading",
    "tar-symlink": "link hygiene on extraction",
    "tf-readfile": "TensorFlow is never installed in CI",
    "tf-pyfunc": "TensorFlow is never installed in CI",
    "onnx-custom-domain": "needs a native operator library at session creation, not at load",
    "gguf-bad-counts": "malformed header (denial of service), no code path",
    "safetensors-offsets-beyond-eof": "malformed header, rejected by the loader",
    "safetensors-overlap": "malformed header, rejected by the loader",
    "safetensors-huge-header-length": "malformed header (denial of service)",
    "safetensors-metadata-non-string": "malformed header, rejected by the loader",
    "unidentified-binary": "unknown content: the scanner must say 'not verified', not malicious",
    "unknown-callable": "names a module that does not exist: unknown, not exploitable",
    "call-of-call-result": "calls into a module that does not exist: unknown",
    "opaque-stack-global": "calls into a module that does not exist: unknown",
    "torchscript-custom-op": "custom operator namespace is not registered, load fails",
    "ext-opcode": "the copyreg extension registry is empty in a standard interpreter",
    "generator-ctor-allocation-bomb": "denial of service (one allocation), no code path",
    # Findings of the oracle: container tricks the real loader (torch 2.13, onnx, keras 3)
    # refuses. The scanner still reports the anomaly; the fixture is not an exploit here.
    "zip-encrypted-flag": "torch 2.13 refuses members with the encryption flag",
    "zip-prefixed-archive": "torch 2.13 needs the zip at offset 0 and fails on the prefix",
    "zip-two-data-pkl": "torch 2.13 refuses records in more than one top-level directory",
    "onnx-external-traversal": "onnx>=1.16 refuses external data outside the model directory",
    "onnx-external-absolute": "onnx>=1.16 refuses absolute external-data paths",
    "keras-lambda": "hand-made config keras 3 cannot deserialise (h11b rebuilds with keras)",
    "keras-module-function": "hand-made config keras 3 cannot deserialise (h11b)",
    "keras-h5-lambda": "hand-made config keras 3 cannot deserialise (h11b)",
}
# Loaders for fixtures the default choice (by content and extension) does not cover.
LOADERS: dict[str, tuple[Loader, ...]] = {
    "protocol-0-text": (Loader.PICKLE,),
}


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name not in NOT_LOADER_EXPLOITS], ids=lambda c: c.name
)
def test_malicious_fixture_is_exploitable(
    case: object, oracle: Oracle, malicious_files: dict[str, Path]
) -> None:
    name = getattr(case, "name")  # noqa: B009
    path = malicious_files[name]
    verdict = oracle.judge(path, LOADERS.get(name), first_hit=True)
    if not verdict.malicious and all(_absent(o.error) for o in verdict.observations):
        pytest.skip(f"{name}: the gadget does not exist in the installed library version")
    assert verdict.malicious, verdict.explain()


def _absent(error: str | None) -> bool:
    return error is not None and ("Can't get attribute" in error or "has no attribute" in error)


def test_not_applicable_list_names_real_fixtures() -> None:
    assert set(NOT_LOADER_EXPLOITS) <= {c.name for c in CASES}


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_fixture_is_quiet(name: str, oracle: Oracle, benign_files: dict[str, Path]) -> None:
    if name not in benign_files:
        pytest.skip(f"{name}: library not installed")
    verdict = oracle.judge(benign_files[name])
    assert not verdict.malicious, verdict.explain()
    assert any(o.error is None for o in verdict.observations), verdict.explain()
