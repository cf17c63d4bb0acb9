"""Read the infrastructure files of a project into one inventory, with what could not be read.

Each parser is a maintained library: python-hcl2 for Terraform, PyYAML's safe loader for
Kubernetes, compose and CloudFormation (CloudFormation's ``!Ref``-style tags become plain
values), dockerfile-parse for Dockerfiles. Nothing is rendered or executed: a Helm template
(``{{ ... }}``) cannot be evaluated without Helm, so it is a gap, as is a file that does not
parse and a Terraform module fetched from outside the project.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from mlsvs.plugin import DeploymentConfig, Gap, GapReason

if TYPE_CHECKING:
    from mlsvs.plugin import Project

MAX_BYTES = 2 * 1024 * 1024


@enum.unique
class Source(enum.StrEnum):
    """The kinds of infrastructure file the inventory reads (``DeploymentConfig.config``)."""

    TERRAFORM = "terraform"
    TERRAFORM_VARS = "terraform_vars"
    CLOUDFORMATION = "cloudformation"
    KUBERNETES = "kubernetes"
    COMPOSE = "compose"
    DOCKERFILE = "dockerfile"


IAC = frozenset({Source.TERRAFORM, Source.CLOUDFORMATION})
CLUSTER = frozenset({Source.KUBERNETES, Source.COMPOSE})


@dataclass(frozen=True, slots=True, kw_only=True)
class TfBlock:
    """One Terraform block: ``resource "type" "name" {...}``, ``data``, ``module``, ``provider``."""

    block: str
    type: str
    name: str
    body: Mapping[str, object]
    path: str

    @property
    def address(self) -> str:
        """``aws_s3_bucket.models`` (``module.x`` for module calls)."""
        return f"{self.type}.{self.name}" if self.type else f"{self.block}.{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CfnResource:
    """One CloudFormation resource."""

    type: str
    logical_id: str
    properties: Mapping[str, object]
    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KubeObject:
    """One Kubernetes object from a manifest."""

    kind: str
    api_version: str
    name: str
    namespace: str
    doc: Mapping[str, object]
    path: str
    index: int
    """Position of the document in its file (0-based)."""

    @property
    def ref(self) -> str:
        """``deploy/k8s.yaml: Deployment/scorer``."""
        return f"{self.path}: {self.kind}/{self.name or '?'}"

    @property
    def labels(self) -> Mapping[str, object]:
        """metadata.labels (empty when absent)."""
        return mapping(mapping(self.doc.get("metadata")).get("labels"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposeService:
    """One service of a compose file."""

    name: str
    body: Mapping[str, object]
    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DockerInstruction:
    """One Dockerfile instruction (continuation lines joined)."""

    instruction: str
    value: str
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Dockerfile:
    """A parsed Dockerfile."""

    path: str
    instructions: tuple[DockerInstruction, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    """Everything read from the project's infrastructure files of the requested kinds."""

    terraform: tuple[TfBlock, ...] = ()
    tfvars: tuple[tuple[str, Mapping[str, object]], ...] = ()
    cloudformation: tuple[CfnResource, ...] = ()
    kube: tuple[KubeObject, ...] = ()
    compose: tuple[ComposeService, ...] = ()
    dockerfiles: tuple[Dockerfile, ...] = ()
    gaps: tuple[Gap, ...] = ()
    files: tuple[str, ...] = ()
    """Every file of the requested kinds (parsed or not)."""
    by_kind: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def resources(self, *types: str) -> tuple[TfBlock, ...]:
        """Terraform ``resource`` blocks of the given types."""
        return tuple(b for b in self.terraform if b.block == "resource" and b.type in types)

    def data(self, *types: str) -> tuple[TfBlock, ...]:
        """Terraform ``data`` blocks of the given types."""
        return tuple(b for b in self.terraform if b.block == "data" and b.type in types)

    def cfn(self, *types: str) -> tuple[CfnResource, ...]:
        """CloudFormation resources of the given types."""
        return tuple(r for r in self.cloudformation if r.type in types)

    def remote_modules(self) -> tuple[TfBlock, ...]:
        """Module calls whose source is outside the project (their resources are unseen)."""
        return tuple(
            b
            for b in self.terraform
            if b.block == "module" and not str(b.body.get("source", "")).startswith(("./", "../"))
        )

    def objects(self, *kinds: str) -> tuple[KubeObject, ...]:
        """Kubernetes objects of the given kinds."""
        return tuple(o for o in self.kube if o.kind in kinds)


def mapping(value: object) -> Mapping[str, object]:
    """``value`` when it is a mapping with string keys, else an empty one."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return {}


def items(value: object) -> list[object]:
    """``value`` as a list: a list as is, one mapping as a one-item list, else empty."""
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        return [value]
    return []


def block(body: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    """The nested blocks ``key`` of a Terraform body (hcl2 gives a list of mappings)."""
    return [mapping(b) for b in items(body.get(key)) if isinstance(b, Mapping)]


def load(project: Project, kinds: Iterable[Source]) -> Inventory:
    """Parse every infrastructure file of ``kinds`` in the project."""
    wanted = frozenset(kinds)
    parts: dict[str, list[object]] = {
        k: [] for k in ("terraform", "tfvars", "cfn", "kube", "compose", "docker", "gaps")
    }
    files: list[str] = []
    by_kind: dict[str, list[str]] = {}
    for config in project.of_type(DeploymentConfig):
        if config.config not in wanted:
            continue
        files.append(config.path)
        by_kind.setdefault(config.config, []).append(config.path)
        text = _read(config, parts["gaps"])
        if text is None:
            continue
        parsed = _parse_cached(Source(config.config), config.path, text)
        for key, values in parsed.items():
            parts[key].extend(values)
    return Inventory(
        terraform=tuple(parts["terraform"]),  # type: ignore[arg-type]
        tfvars=tuple(parts["tfvars"]),  # type: ignore[arg-type]
        cloudformation=tuple(parts["cfn"]),  # type: ignore[arg-type]
        kube=tuple(parts["kube"]),  # type: ignore[arg-type]
        compose=tuple(parts["compose"]),  # type: ignore[arg-type]
        dockerfiles=tuple(parts["docker"]),  # type: ignore[arg-type]
        gaps=tuple(parts["gaps"]),  # type: ignore[arg-type]
        files=tuple(files),
        by_kind={k: tuple(v) for k, v in by_kind.items()},
    )


def _read(config: DeploymentConfig, gaps: list[object]) -> str | None:
    if config.size > MAX_BYTES:
        gaps.append(_gap(config.path, GapReason.TOO_LARGE, "larger than 2 MiB; not read"))
        return None
    try:
        data = config.absolute.read_bytes()
    except OSError as exc:
        gaps.append(_gap(config.path, GapReason.UNREADABLE, exc.strerror or type(exc).__name__))
        return None
    if len(data) > MAX_BYTES:
        gaps.append(_gap(config.path, GapReason.TOO_LARGE, "larger than 2 MiB; not read"))
        return None
    if not data.strip():
        gaps.append(_gap(config.path, GapReason.EMPTY, "no content"))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        gaps.append(_gap(config.path, GapReason.UNPARSEABLE, f"not UTF-8 at byte {exc.start}"))
        return None


def _gap(path: str, reason: GapReason, detail: str) -> Gap:
    return Gap(item=path, reason=reason, detail=detail[:300])


_PARSED: dict[tuple[str, str, str], dict[str, tuple[object, ...]]] = {}
_PARSED_MAX = 512


def _parse_cached(kind: Source, path: str, text: str) -> dict[str, tuple[object, ...]]:
    """Parse one file, cached on its content digest (several checks read the same files)."""
    key = (kind.value, path, hashlib.sha256(text.encode("utf-8")).hexdigest())
    found = _PARSED.get(key)
    if found is None:
        found = _parse(kind, path, text)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)), None)
        _PARSED[key] = found
    return found


def _parse(kind: Source, path: str, text: str) -> dict[str, tuple[object, ...]]:
    gaps: list[Gap] = []
    out: dict[str, list[object]] = {}
    try:
        if kind is Source.TERRAFORM:
            out["terraform"] = list(_terraform(path, text))
        elif kind is Source.TERRAFORM_VARS:
            out["tfvars"] = [(path, _tfvars(path, text))]
        elif kind is Source.CLOUDFORMATION:
            out["cfn"] = list(_cloudformation(path, text))
        elif kind is Source.KUBERNETES:
            out["kube"] = list(_kubernetes(path, text, gaps))
        elif kind is Source.COMPOSE:
            out["compose"] = list(_compose(path, text))
        else:
            out["docker"] = [_dockerfile(path, text)]
    except _UnparseableError as exc:
        gaps.append(_gap(path, exc.reason, str(exc)))
    out["gaps"] = list(gaps)
    return {k: tuple(v) for k, v in out.items()}


class _UnparseableError(ValueError):
    def __init__(self, message: str, reason: GapReason = GapReason.UNPARSEABLE) -> None:
        super().__init__(message)
        self.reason = reason


def _hcl(text: str) -> dict[str, object]:
    from mlsvs.checks.platform._hcl import loads

    try:
        return loads(
            text,
            with_comments=False,
            explicit_blocks=False,
            preserve_heredocs=False,
            strip_string_quotes=True,
        )
    except ImportError:
        raise _UnparseableError(
            "python-hcl2 is not installed (pip install 'mlsvs[iac]')", GapReason.UNSUPPORTED
        ) from None
    except Exception as exc:  # noqa: BLE001 - lark raises many error types; all mean "unparseable"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _UnparseableError(f"Terraform syntax error: {first}") from None


def _terraform(path: str, text: str) -> Iterator[TfBlock]:
    if path.lower().endswith(".json"):
        data = _json(text)
        yield from _tf_json(path, data)
        return
    data = _hcl(text)
    for kind in ("resource", "data"):
        for entry in items(data.get(kind)):
            for rtype, named in mapping(entry).items():
                for name, body in mapping(named).items():
                    yield TfBlock(block=kind, type=rtype, name=name, body=mapping(body), path=path)
    for kind in ("module", "provider", "locals", "variable", "terraform"):
        for entry in items(data.get(kind)):
            if kind in {"locals", "terraform"}:
                yield TfBlock(block=kind, type="", name="", body=mapping(entry), path=path)
                continue
            for name, body in mapping(entry).items():
                yield TfBlock(block=kind, type="", name=name, body=mapping(body), path=path)


def _tf_json(path: str, data: object) -> Iterator[TfBlock]:
    root = mapping(data)
    for kind in ("resource", "data"):
        for rtype, named in mapping(root.get(kind)).items():
            for name, body in mapping(named).items():
                yield TfBlock(block=kind, type=rtype, name=name, body=_json_blocks(body), path=path)
    for kind in ("module", "provider", "variable"):
        for name, body in mapping(root.get(kind)).items():
            yield TfBlock(block=kind, type="", name=name, body=_json_blocks(body), path=path)
    if "locals" in root:
        yield TfBlock(block="locals", type="", name="", body=mapping(root["locals"]), path=path)


def _json_blocks(body: object) -> Mapping[str, object]:
    """Terraform JSON writes nested blocks as objects; hcl2 writes them as lists of objects."""
    out: dict[str, object] = {}
    for key, value in mapping(body).items():
        out[key] = [_json_blocks(value)] if isinstance(value, Mapping) else value
    return out


def _tfvars(path: str, text: str) -> Mapping[str, object]:
    if path.lower().endswith(".json"):
        return mapping(_json(text))
    return _hcl(text)


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _UnparseableError(f"invalid JSON: {exc}") from None


@lru_cache(maxsize=1)
def _cfn_loader() -> type:
    """A safe YAML loader that reads CloudFormation's short-form intrinsics (``!Ref x``)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: object = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    Loader.add_multi_constructor("!", tagged)
    return Loader


def _yaml_docs(text: str, *, tags: bool = False) -> list[object]:
    import yaml

    try:
        if tags:
            return list(yaml.load_all(text, Loader=_cfn_loader()))  # a SafeLoader subclass
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0]
        raise _UnparseableError(f"YAML error: {first}") from None


def _cloudformation(path: str, text: str) -> Iterator[CfnResource]:
    data = _json(text) if path.lower().endswith(".json") else _first(_yaml_docs(text, tags=True))
    resources = mapping(data).get("Resources")
    if not isinstance(resources, Mapping):
        raise _UnparseableError("no Resources section")
    for logical_id, resource in mapping(resources).items():
        body = mapping(resource)
        yield CfnResource(
            type=str(body.get("Type", "")),
            logical_id=logical_id,
            properties=mapping(body.get("Properties")),
            path=path,
        )


def _first(docs: list[object]) -> object:
    return docs[0] if docs else None


_HELM = re.compile(r"\{\{-?\s*[\w.$(\"'|/]")


def _helm_template() -> _UnparseableError:
    return _UnparseableError(
        "Helm/Go template: it cannot be evaluated without rendering it "
        "(run `helm template` and commit the rendered manifests)",
        GapReason.UNSUPPORTED,
    )


def _kubernetes(path: str, text: str, gaps: list[Gap]) -> Iterator[KubeObject]:
    templated = bool(_HELM.search(text))
    # A chart's templates/ are evaluated by Helm; elsewhere ``{{ }}`` inside valid YAML is a
    # literal for the consumer (Argo Workflows parameters, alert annotations).
    if templated and "templates" in path.split("/")[:-1]:
        raise _helm_template()
    try:
        docs = _yaml_docs(text)
    except _UnparseableError:
        if templated:
            raise _helm_template() from None
        raise
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        body = mapping(doc)
        if not body or "kind" not in body:
            gaps.append(_gap(path, GapReason.UNPARSEABLE, f"document {index + 1} has no kind"))
            continue
        meta = mapping(body.get("metadata"))
        if body.get("kind") == "List":
            for sub, item in enumerate(items(body.get("items"))):
                inner = mapping(item)
                inner_meta = mapping(inner.get("metadata"))
                yield KubeObject(
                    kind=str(inner.get("kind", "")),
                    api_version=str(inner.get("apiVersion", "")),
                    name=str(inner_meta.get("name", "")),
                    namespace=str(inner_meta.get("namespace", "")),
                    doc=inner,
                    path=path,
                    index=index * 1000 + sub,
                )
            continue
        yield KubeObject(
            kind=str(body.get("kind", "")),
            api_version=str(body.get("apiVersion", "")),
            name=str(meta.get("name", "")),
            namespace=str(meta.get("namespace", "")),
            doc=body,
            path=path,
            index=index,
        )


def _compose(path: str, text: str) -> Iterator[ComposeService]:
    docs = _yaml_docs(text)
    data = mapping(_first(docs))
    services = data.get("services")
    if not isinstance(services, Mapping):
        raise _UnparseableError("no services section")
    for name, body in mapping(services).items():
        yield ComposeService(name=name, body=mapping(body), path=path)


def _dockerfile(path: str, text: str) -> Dockerfile:
    import io

    try:
        from dockerfile_parse import DockerfileParser
    except ImportError:
        raise _UnparseableError(
            "dockerfile-parse is not installed (pip install 'mlsvs[iac]')", GapReason.UNSUPPORTED
        ) from None

    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()), env_replace=False)
    try:
        structure = parser.structure
    except Exception as exc:  # noqa: BLE001 - the parser's errors vary; all mean "unparseable"
        raise _UnparseableError(f"Dockerfile parse error: {exc}") from None
    instructions = tuple(
        DockerInstruction(
            instruction=str(s.get("instruction", "")).upper(),
            value=str(s.get("value", "")),
            line=int(s.get("startline", 0)) + 1,
        )
        for s in structure
    )
    known = {i.instruction for i in instructions}
    if "FROM" not in known:
        raise _UnparseableError("no FROM instruction")
    unknown = known - _DOCKER_INSTRUCTIONS
    if unknown:
        raise _UnparseableError(f"unknown instruction(s): {', '.join(sorted(unknown))}")
    return Dockerfile(path=path, instructions=instructions)


_DOCKER_INSTRUCTIONS = frozenset(
    {"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
     "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
     "COMMENT"}
)  # fmt: skip
