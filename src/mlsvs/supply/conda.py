"""Conda ``environment.yml``: conda match specs plus the nested ``pip:`` requirement list."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.supply.deps import Dependency, ManifestKind, ParsedManifest
from mlsvs.supply.errors import ManifestError
from mlsvs.supply.requirements import canonical

if TYPE_CHECKING:
    from pathlib import Path

_MAX_FILE = 5 * 1024 * 1024
# [channel::]name[ op version[=build]]  e.g.  conda-forge::numpy=1.26.4=py311h64a7726_0
_SPEC = re.compile(
    r"^(?:(?P<channel>[^:\s]+)::)?(?P<name>[A-Za-z0-9_.\-]+)\s*"
    r"(?:(?P<op>==|>=|<=|!=|~=|=|>|<)\s*(?P<version>[^=\s,|]+)(?:=(?P<build>\S+))?)?"
    r"(?P<rest>.*)$"
)
# conda package names that differ from their PyPI name (for advisory matching).
CONDA_TO_PYPI = {"pytorch": "torch", "pytorch-cpu": "torch", "pytorch-gpu": "torch",
                 "tensorflow-base": "tensorflow", "py-xgboost": "xgboost"}  # fmt: skip


def parse_conda(path: Path, rel: str) -> ParsedManifest:
    """Parse an environment file. ``name==1.2`` and ``name=1.2=build`` count as exact pins.

    A single ``=`` (``numpy=1.26``) is a conda *fuzzy* match (``1.26.*``), so it is not exact.
    """
    import yaml

    try:
        if path.stat().st_size > _MAX_FILE:
            raise ManifestError("file larger than 5 MiB", path=rel)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ManifestError(f"invalid YAML: {str(exc).splitlines()[0]}", path=rel) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read: {exc}", path=rel) from exc
    if not isinstance(data, dict):
        raise ManifestError("not a conda environment (top level is not a mapping)", path=rel)
    items = data.get("dependencies") or []
    if not isinstance(items, list):
        raise ManifestError("'dependencies' must be a list", path=rel)
    deps: list[Dependency] = []
    problems: list[tuple[str, int | None, str]] = []
    for item in items:
        try:
            if isinstance(item, dict) and "pip" in item:
                pip_items = item["pip"] or []
                if not isinstance(pip_items, list):
                    raise ManifestError("'pip' must be a list", path=rel)
                for entry in pip_items:
                    try:
                        deps.append(_pip(str(entry), rel))
                    except ManifestError as exc:
                        problems.append((rel, None, exc.message))
            elif isinstance(item, str | int | float):
                deps.append(_conda(str(item), rel))
            else:
                raise ManifestError(f"unreadable dependency {item!r}", path=rel)
        except ManifestError as exc:
            problems.append((rel, None, exc.message))
    return ParsedManifest(
        path=rel, kind=ManifestKind.CONDA, dependencies=tuple(deps), problems=tuple(problems)
    )


def _conda(text: str, rel: str) -> Dependency:
    match = _SPEC.match(text.strip())
    if match is None:
        raise ManifestError(f"invalid conda spec {text!r}", path=rel)
    op, version, build = match["op"], match["version"], match["build"]
    rest = match["rest"].split()
    if not op and 1 <= len(rest) <= 2:  # space form: "numpy 1.26.4 py311_0"
        op, version, build = "=", rest[0], rest[1] if len(rest) == 2 else None
        rest = []
    exact = (
        version is not None
        and "*" not in version
        and not rest
        and (op == "==" or (op == "=" and build is not None))
    )
    name = match["name"].lower()
    channel_len = len(match["channel"]) + 2 if match["channel"] else 0
    return Dependency(
        name=CONDA_TO_PYPI.get(name, canonical(name)),
        source=rel,
        specifier=text.strip()[len(match["name"]) + channel_len :].strip(),
        version=version if exact else None,
        ecosystem="conda",
    )


def _pip(text: str, rel: str) -> Dependency:
    from mlsvs.supply.requirements import requirement_from_tokens

    spec, sep, options = text.partition(" --")
    tokens = [spec.strip(), *(sep.strip() + options).split()] if sep else [text.strip()]
    if not tokens[0] or tokens[0].startswith("-"):
        # -r / -e inside environment.yml: resolved by pip relative to the file; record as local.
        return Dependency(
            name=canonical(tokens[-1] if tokens else "?"),
            source=rel,
            url=text,
            local=True,
            group="pip",
        )
    from dataclasses import replace

    return replace(requirement_from_tokens(tokens, source=rel, line=0), group="pip", line=None)
