"""Matchers for unsafe deserialisation: torch, pickle family, numpy, Keras, YAML."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.codescan.calls import CallHit, argument, kwarg
from mlsvs.codescan.rules import CodeRule
from mlsvs.model.result import Severity

if TYPE_CHECKING:
    import ast

    from mlsvs.codescan.names import Scopes

_TORCH_LOAD = frozenset({"torch.load", "torch.serialization.load"})
_PICKLE = frozenset(
    f"{mod}.{fn}"
    for mod in ("pickle", "cPickle", "_pickle", "cloudpickle", "dill", "pickle5")
    for fn in ("load", "loads", "Unpickler")
) | frozenset(
    {
        "joblib.load",
        "sklearn.externals.joblib.load",
        "pandas.read_pickle",
        "pandas.io.pickle.read_pickle",
        "shelve.open",
        "shelve.DbfilenameShelf",
        "jsonpickle.decode",
        "torch.serialization.pickle.load",
    }
)
_KERAS_ROOTS = ("keras.", "tensorflow.", "tf_keras.")
_SAFE_YAML_LOADERS = frozenset(
    f"yaml.{mod}{name}"
    for mod in ("", "loader.", "cyaml.")
    for name in ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
)
_UNSAFE_YAML_FUNCS = frozenset(
    {"yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load", "yaml.full_load_all"}
)
_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)")


def _torch_at_least(version: str | None, major: int, minor: int) -> bool | None:
    if version is None:
        return None
    match = _VERSION.match(version)
    if not match:
        return None
    return (int(match[1]), int(match[2])) >= (major, minor)


def torch_load(
    call: ast.Call, qualname: str, scopes: Scopes, torch_version: str | None
) -> list[CallHit]:
    """``torch.load`` judged by ``weights_only`` and, when known, the pinned torch version."""
    if qualname not in _TORCH_LOAD:
        return []
    rule = CodeRule.MLCODE001
    value = kwarg(call, "weights_only")
    modern = _torch_at_least(torch_version, 2, 6)
    if value is None:
        if modern:
            return [
                CallHit(
                    rule=rule,
                    node=call,
                    severity=Severity.LOW,
                    message=f"torch.load relies on the default weights_only=True of torch "
                    f"{torch_version}; pass it explicitly so a downgrade cannot turn it off",
                )
            ]
        return [
            CallHit(
                rule=rule,
                node=call,
                message="torch.load without weights_only=True unpickles arbitrary objects "
                "(the default is only safe from torch 2.6)",
            )
        ]
    known, flag = scopes.const(value)
    if known and flag is True:
        if modern is False:
            return [
                CallHit(
                    rule=rule,
                    node=call,
                    severity=Severity.HIGH,
                    message=f"weights_only=True is bypassable on torch {torch_version} "
                    "(CVE-2025-32434); upgrade to torch>=2.6",
                )
            ]
        return []
    if known:
        return [CallHit(rule=rule, node=call, message="torch.load with weights_only=False")]
    return [
        CallHit(
            rule=rule,
            node=call,
            severity=Severity.MEDIUM,
            message="torch.load with a weights_only value that cannot be checked statically",
        )
    ]


def pickle_like(call: ast.Call, qualname: str) -> list[CallHit]:
    """Loaders built on pickle: every call deserialises code-capable data."""
    if qualname in _PICKLE:
        return [
            CallHit(rule=CodeRule.MLCODE002, node=call, message=f"{qualname} can run code on load")
        ]
    return []


def numpy_load(call: ast.Call, qualname: str, scopes: Scopes) -> list[CallHit]:
    """``numpy.load`` with ``allow_pickle`` not known to be false."""
    if qualname != "numpy.load":
        return []
    value = kwarg(call, "allow_pickle")
    if value is None:
        return []
    known, flag = scopes.const(value)
    if known and not flag:
        return []
    return [
        CallHit(rule=CodeRule.MLCODE003, node=call, message="numpy.load with allow_pickle enabled")
    ]


def keras_load(call: ast.Call, qualname: str, scopes: Scopes) -> list[CallHit]:
    """Keras ``load_model`` with ``safe_mode=False`` or of a legacy HDF5 file."""
    if not (qualname.endswith(".load_model") and qualname.startswith(_KERAS_ROOTS)):
        return []
    hits: list[CallHit] = []
    safe = kwarg(call, "safe_mode")
    if safe is not None:
        known, flag = scopes.const(safe)
        if not (known and flag):
            hits.append(
                CallHit(
                    rule=CodeRule.MLCODE004, node=call, message=f"{qualname} with safe_mode off"
                )
            )
    path = scopes.const_suffix(argument(call, 0, "filepath"))
    if path is not None and path.lower().rstrip().endswith((".h5", ".hdf5")):
        hits.append(
            CallHit(rule=CodeRule.MLCODE005, node=call, message=f"{qualname} of a legacy HDF5 file")
        )
    return hits


def yaml_load(call: ast.Call, qualname: str, scopes: Scopes) -> list[CallHit]:
    """``yaml.load`` without a safe loader, and the explicitly unsafe helpers."""
    if qualname in _UNSAFE_YAML_FUNCS:
        return [
            CallHit(rule=CodeRule.MLCODE009, node=call, message=f"{qualname} constructs objects")
        ]
    if qualname not in {"yaml.load", "yaml.load_all"}:
        return []
    loader = argument(call, 1, "Loader")
    loader_name = scopes.qualname(loader) if loader is not None else None
    if loader_name in _SAFE_YAML_LOADERS:
        return []
    shown = loader_name or ("no Loader" if loader is None else "an unknown Loader")
    return [CallHit(rule=CodeRule.MLCODE009, node=call, message=f"{qualname} with {shown}")]
