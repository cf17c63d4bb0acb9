"""ML code rules over Python files and notebooks (never executed, parsed with ``ast``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.code._common import code_outcomes
from mlsvs.codescan import CodeRule
from mlsvs.plugin import Severity, SourceFile, check

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_DESERIALISE = frozenset(
    {
        CodeRule.MLCODE001,
        CodeRule.MLCODE002,
        CodeRule.MLCODE003,
        CodeRule.MLCODE004,
        CodeRule.MLCODE005,
        CodeRule.MLCODE009,
    }
)
_HUB = frozenset({CodeRule.MLCODE006, CodeRule.MLCODE007, CodeRule.MLCODE008})
_TRANSPORT = frozenset({CodeRule.MLCODE012, CodeRule.MLCODE013})
_EVAL = frozenset({CodeRule.MLCODE010, CodeRule.MLCODE011})


@check(
    id="MLC301",
    title="Loading code does not deserialise untrusted formats unsafely",
    requirements=["M4.2.1"],
    applies_to=SourceFile,
    severity=Severity.CRITICAL,
    remediation="Use torch.load(weights_only=True) on torch>=2.6, safetensors, "
    "yaml.safe_load, np.load without allow_pickle and Keras safe_mode; never unpickle "
    "files you did not produce and verify.",
)
def unsafe_deserialisation(ctx: CheckContext, source: SourceFile) -> Iterator[Outcome]:
    """Flag torch.load without weights_only, pickle/dill/joblib loads, allow_pickle, unsafe
    yaml.load and Keras safe_mode=False / legacy HDF5 loads (rules MLCODE001-005, 009).

    Options: ``torch_version`` (the pinned torch version; from 2.6 a bare torch.load is
    downgraded to low, below 2.6 weights_only=True is still reported), ``disabled_rules``.
    """
    yield from code_outcomes(ctx, source, _DESERIALISE, fallback=True)


@check(
    id="MLC302",
    title="No trust_remote_code; hub downloads pin an immutable commit revision",
    requirements=["M4.2.2", "M5.1.1"],
    applies_to=SourceFile,
    severity=Severity.HIGH,
    remediation='Remove trust_remote_code=True and pass revision="<40-hex commit SHA>" to '
    "every from_pretrained / hf_hub_download / snapshot_download / pipeline / torch.hub call.",
)
def hub_code_and_revisions(ctx: CheckContext, source: SourceFile) -> Iterator[Outcome]:
    """Flag trust_remote_code, hub downloads without a 40-hex revision and torch.hub.load of
    GitHub repositories (rules MLCODE006-008)."""
    yield from code_outcomes(ctx, source, _HUB)


@check(
    id="MLC303",
    title="Model and data downloads use verified TLS",
    requirements=["M4.2.3"],
    applies_to=SourceFile,
    severity=Severity.HIGH,
    remediation="Use https:// URLs and keep certificate verification on (no verify=False, "
    "no unverified SSL contexts, no empty CA bundle variables).",
)
def verified_tls_downloads(ctx: CheckContext, source: SourceFile) -> Iterator[Outcome]:
    """Flag verify=False, unverified SSL contexts, CERT_NONE and http:// downloads or hub
    endpoints (rules MLCODE012-013)."""
    yield from code_outcomes(ctx, source, _TRANSPORT)


@check(
    id="MLC304",
    title="Model output is never evaluated as code",
    requirements=["M4.2.1"],
    applies_to=SourceFile,
    severity=Severity.CRITICAL,
    remediation="Parse model output (json.loads, ast.literal_eval) and validate it; never "
    "pass it to eval or exec.",
)
def no_eval_of_model_output(ctx: CheckContext, source: SourceFile) -> Iterator[Outcome]:
    """Flag eval/exec of values that flow from .generate/.predict/model()/pipeline() results
    or HTTP responses (MLCODE010, critical) and other dynamic eval/exec (MLCODE011, low)."""
    yield from code_outcomes(ctx, source, _EVAL)
