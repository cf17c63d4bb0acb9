"""Where serving code loads its models from, read statically with ``ast`` and ``Scopes``.

Each model-loading call is classified by its source: a local path (with the literal file name
when visible), an internal registry or store URI (``models:/``, ``runs:/``, ``s3://`` ...), a
public hub id, a URL, or a value chosen per request (an argument of a route handler).
"""

from __future__ import annotations

import ast
import enum
import re
from dataclasses import dataclass

from mlsvs.codescan.calls import argument, kwarg, method
from mlsvs.codescan.names import Scopes, parameters

_LOADERS = frozenset(
    {
        "onnxruntime.InferenceSession",
        "joblib.load",
        "torch.load",
        "torch.jit.load",
        "safetensors.torch.load_file",
        "safetensors.numpy.load_file",
        "skops.io.load",
        "tensorflow.keras.models.load_model",
        "keras.models.load_model",
        "keras.saving.load_model",
        "tensorflow.saved_model.load",
        "xgboost.Booster",
        "lightgbm.Booster",
        "mlflow.pyfunc.load_model",
        "mlflow.sklearn.load_model",
        "mlflow.pytorch.load_model",
        "mlflow.transformers.load_model",
        "mlflow.lightgbm.load_model",
        "mlflow.xgboost.load_model",
        "pickle.load",
        "cloudpickle.load",
        "dill.load",
        "sentence_transformers.SentenceTransformer",
        "transformers.pipeline",
        "huggingface_hub.hf_hub_download",
        "huggingface_hub.snapshot_download",
        "timm.create_model",
        "torch.hub.load",
        "ultralytics.YOLO",
        "gguf.GGUFReader",
        "llama_cpp.Llama",
    }
)
_DOWNLOADS = frozenset(
    {
        "urllib.request.urlretrieve",
        "torch.hub.load_state_dict_from_url",
        "torch.hub.download_url_to_file",
        "tensorflow.keras.utils.get_file",
        "keras.utils.get_file",
        "gdown.download",
        "wget.download",
        "mlflow.artifacts.download_artifacts",
    }
)
_HUB_LOADERS = (".from_pretrained", "SentenceTransformer", "pipeline", "create_model", "YOLO")
_HTTP_GETS = frozenset({"requests.get", "httpx.get", "urllib.request.urlopen"})
_HUB_DOWNLOADS = frozenset(
    {"huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download", "torch.hub.load"}
)
_REGISTRY = re.compile(
    r"^(models:/|runs:/|s3://|gs://|azureml://|oci://|abfss?://|dbfs:/|wasbs?://)"
)
_URL = re.compile(r"^https?://", re.I)
_MODEL_SUFFIX = re.compile(
    r"\.(onnx|pt|pth|bin|pkl|pickle|joblib|h5|keras|safetensors|gguf|tflite|ckpt|lgb|xgb|ubj"
    r"|skops|mar)$",
    re.I,
)
_ROUTES = re.compile(r"\.(get|post|put|patch|delete|route|api_route|websocket)$")
HUB_LIBRARIES = ("transformers", "huggingface_hub", "sentence_transformers", "diffusers", "timm")


@enum.unique
class Source(enum.StrEnum):
    """Where a load call takes its model from."""

    LOCAL = "local path"
    REGISTRY = "registry or internal store"
    HUB = "public hub"
    URL = "URL"
    REQUEST = "request parameter"
    UNKNOWN = "run-time value"


@dataclass(frozen=True, slots=True, kw_only=True)
class Load:
    """One model-loading (or downloading) call."""

    line: int
    call: str
    source: Source
    reference: str = ""


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.scopes = Scopes()
        self.loads: list[Load] = []
        self.request_names: list[set[str]] = []
        self.literals: set[str] = set()
        self.imports: set[str] = set()
        self.values: dict[str, ast.expr] = {}

    def visit_Import(self, node: ast.Import) -> None:
        self.scopes.bind_import(node)
        self.imports.update(a.name.split(".")[0] for a in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.scopes.bind_import(node)
        if node.module and not node.level:
            self.imports.add(node.module.split(".")[0])

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and _MODEL_SUFFIX.search(node.value):
            self.literals.add(node.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.scopes.bind(target.id, node.value)
                self.values[target.id] = node.value

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        route = any(
            isinstance(d, ast.Call) and _ROUTES.search(ast.unparse(d.func))
            for d in node.decorator_list
        )
        self.request_names.append(set(parameters(node.args)) if route else set())
        for statement in node.body:
            self.visit(statement)
        self.request_names.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def _from_request(self, node: ast.expr) -> bool:
        names = set().union(*self.request_names) if self.request_names else set()
        return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        qualname = self.scopes.qualname(node.func) or ""
        name = method(node) or ""
        if qualname in _DOWNLOADS:
            self._add(node, qualname, Source.URL, self._reference(node))
            return
        if qualname in _HTTP_GETS:
            url = self.scopes.const_str(argument(node, 0, "url")) or ""
            if _MODEL_SUFFIX.search(url.split("?")[0]):
                self._add(node, qualname, Source.URL, url)
            return
        if qualname in _LOADERS or name == "from_pretrained":
            arg = argument(
                node,
                0,
                "path",
                "model_uri",
                "pretrained_model_name_or_path",
                "path_or_fileobj",
                "model_file",
                "f",
                "repo_id",
                "model",
            )
            if qualname == "transformers.pipeline":
                arg = kwarg(node, "model") or (node.args[1] if len(node.args) > 1 else None)
                if arg is None:
                    self._add(node, qualname, Source.HUB, "the task's default model")
                    return
            self._classify(node, qualname or f".{name}", arg)

    def _reference(self, node: ast.Call) -> str:
        first = argument(node, 0, "url", "path", "artifact_uri")
        return (self.scopes.const_str(first) or "") if first is not None else ""

    def _classify(self, node: ast.Call, call: str, arg: ast.expr | None) -> None:
        if arg is None:
            return
        if self._from_request(arg):
            self._add(node, call, Source.REQUEST, ast.unparse(arg)[:60])
            return
        text = self.scopes.const_str(arg)
        if text is None:
            path = self.scopes.const_suffix(arg)
            source = Source.LOCAL if path and _MODEL_SUFFIX.search(path) else Source.UNKNOWN
            literal = _path_literal(arg, self.values)
            if source is Source.UNKNOWN and literal:
                source, path = Source.LOCAL, literal
            self._add(node, call, source, path or ast.unparse(arg)[:60])
            return
        local = kwarg(node, "local_files_only")
        offline = local is not None and self.scopes.const(local) == (True, True)
        if _REGISTRY.match(text):
            source = Source.REGISTRY
        elif _URL.match(text):
            source = Source.URL
        elif text.startswith(("/", "./", "../", "~")) or _MODEL_SUFFIX.search(text) or offline:
            source = Source.LOCAL
        elif call in _HUB_DOWNLOADS or call.endswith(_HUB_LOADERS):
            source = Source.HUB if re.fullmatch(r"[\w.-]+(/[\w.-]+)?", text) else Source.LOCAL
        else:
            source = Source.LOCAL
        self._add(node, call, source, text)

    def _add(self, node: ast.Call, call: str, source: Source, reference: str) -> None:
        self.loads.append(Load(line=node.lineno, call=call, source=source, reference=reference))


def _path_literal(node: ast.expr, values: dict[str, ast.expr], depth: int = 0) -> str:
    """The model file name inside a path expression (``HERE / "models" / "x.onnx"``,
    ``str(path)``, ``os.path.join(...)``), following names bound in the module; else ''."""
    if depth > 5:
        return ""
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Constant)
            and isinstance(sub.value, str)
            and _MODEL_SUFFIX.search(sub.value)
        ):
            return sub.value
        if isinstance(sub, ast.Name) and sub.id in values and values[sub.id] is not node:
            found = _path_literal(values[sub.id], values, depth + 1)
            if found:
                return found
    return ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingCode:
    """What one serving module loads and which libraries it imports."""

    loads: tuple[Load, ...]
    literals: frozenset[str]
    imports: frozenset[str]


def analyse(source: str) -> ServingCode:
    """The model loads of a module; ``SyntaxError`` propagates."""
    visitor = _Visitor()
    visitor.visit(ast.parse(source))
    return ServingCode(
        loads=tuple(visitor.loads),
        literals=frozenset(visitor.literals),
        imports=frozenset(visitor.imports),
    )
