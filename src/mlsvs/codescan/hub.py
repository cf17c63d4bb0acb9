"""Matchers for third-party model code and downloads: trust_remote_code, revisions, torch.hub."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from mlsvs.codescan.calls import COMMIT_SHA, CallHit, argument, kwarg, method
from mlsvs.codescan.rules import CodeRule
from mlsvs.model.result import Severity

if TYPE_CHECKING:
    from mlsvs.codescan.names import Scopes

_HUB_FUNCS = frozenset(
    {
        "huggingface_hub.hf_hub_download",
        "huggingface_hub.snapshot_download",
        "huggingface_hub.file_download.hf_hub_download",
        "huggingface_hub.hf_hub_url",
        "transformers.pipeline",
        "datasets.load_dataset",
        "sentence_transformers.SentenceTransformer",
        "sentence_transformers.CrossEncoder",
    }
)
# datasets' packaged builders read local or explicit files: not a hub repository.
_PACKAGED_BUILDERS = frozenset(
    {
        "csv",
        "json",
        "parquet",
        "text",
        "arrow",
        "pandas",
        "imagefolder",
        "audiofolder",
        "webdataset",
        "sql",
        "xml",
    }
)
HUB_CALLS = _HUB_FUNCS | {"timm.create_model", "torch.hub.load", "torch.hub.list", "torch.hub.help"}
"""Plain function calls (not methods) that the hub matchers look at."""
_LOCAL_PREFIXES = ("./", "../", "/", "~", ".\\", "file:")


def trust_remote_code(call: ast.Call, scopes: Scopes) -> list[CallHit]:
    """``trust_remote_code=`` set to true, or to a value we cannot see."""
    value = kwarg(call, "trust_remote_code")
    if value is None:
        return []
    known, flag = scopes.const(value)
    if known and not flag:
        return []
    if known:
        return [
            CallHit(
                rule=CodeRule.MLCODE006,
                node=value,
                message="trust_remote_code=True runs Python code shipped with the model repository",
            )
        ]
    return [
        CallHit(
            rule=CodeRule.MLCODE006,
            node=value,
            severity=Severity.MEDIUM,
            message="trust_remote_code is set from a variable that can be true at runtime",
        )
    ]


def trust_remote_code_dict(node: ast.Dict, scopes: Scopes) -> list[CallHit]:
    """A dict literal ``{"trust_remote_code": True}`` (passed on as ``**kwargs``)."""
    hits: list[CallHit] = []
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "trust_remote_code":
            known, flag = scopes.const(value)
            if known and flag:
                hits.append(
                    CallHit(
                        rule=CodeRule.MLCODE006,
                        node=value,
                        message="trust_remote_code set to True in a keyword dictionary",
                    )
                )
    return hits


def _pinned(call: ast.Call, scopes: Scopes) -> bool:
    revision = scopes.const_str(kwarg(call, "revision", "commit_hash", "code_revision"))
    return revision is not None and bool(COMMIT_SHA.match(revision))


def _is_local(text: str | None) -> bool:
    return text is not None and text.startswith(_LOCAL_PREFIXES)


def hub_download(call: ast.Call, qualname: str | None, scopes: Scopes) -> list[CallHit]:
    """Hub downloads whose revision is not a 40-hex commit SHA."""
    name = method(call)
    local = kwarg(call, "local_files_only")
    if local is not None and scopes.const(local) == (True, True):
        return []
    if qualname == "timm.create_model":
        pretrained = kwarg(call, "pretrained")
        if pretrained is not None and scopes.const(pretrained) != (True, False):
            return [
                CallHit(
                    rule=CodeRule.MLCODE007,
                    node=call,
                    message="timm.create_model(pretrained=True) "
                    "downloads weights that cannot be pinned to a commit",
                )
            ]
        return []
    if qualname == "transformers.pipeline":
        model = kwarg(call, "model")
        if model is None and len(call.args) > 1:
            model = call.args[1]
        text = scopes.const_str(model) if model is not None else None
        if model is not None and (text is None or _is_local(text)):
            return []  # an already loaded model object, or a local directory
        what = (
            "pipeline without a model downloads the task's default model"
            if model is None
            else (f"pipeline model {text!r}")
        )
    elif qualname == "datasets.load_dataset":
        text = scopes.const_str(argument(call, 0, "path"))
        if text in _PACKAGED_BUILDERS or _is_local(text):
            return []
        what = f"load_dataset({text!r})" if text else "load_dataset"
    elif qualname in _HUB_FUNCS or name == "from_pretrained":
        text = scopes.const_str(
            argument(call, 0, "pretrained_model_name_or_path", "repo_id", "model_name_or_path")
        )
        if _is_local(text):
            return []
        shown = qualname or f".{name}"
        what = f"{shown}({text!r})" if text else shown
    else:
        return []
    if _pinned(call, scopes):
        return []
    return [
        CallHit(rule=CodeRule.MLCODE007, node=call, message=f"{what} is not pinned to a commit SHA")
    ]


def torch_hub(call: ast.Call, qualname: str | None, scopes: Scopes) -> list[CallHit]:
    """``torch.hub.load`` from GitHub runs the repository's hubconf.py."""
    if qualname not in {"torch.hub.load", "torch.hub.list", "torch.hub.help"}:
        return []
    source = scopes.const_str(kwarg(call, "source"))
    if source == "local":
        return []
    repo = scopes.const_str(argument(call, 0, "repo_or_dir", "github"))
    hits = [
        CallHit(
            rule=CodeRule.MLCODE008,
            node=call,
            message=f"{qualname}({repo!r}) imports and runs hubconf.py from GitHub"
            if repo
            else f"{qualname} imports and runs hubconf.py from GitHub",
        )
    ]
    ref = repo.partition(":")[2] if repo else ""
    if qualname == "torch.hub.load" and not COMMIT_SHA.match(ref):
        hits.append(
            CallHit(
                rule=CodeRule.MLCODE007,
                node=call,
                message="torch.hub.load repository is not pinned to a commit ('owner/repo:<sha>')",
            )
        )
    return hits
