"""Evidence behind applicability traits, so leaving a trait out cannot switch requirements off.

A project that serves a model with FastAPI but does not declare ``exposes_inference_api`` would
otherwise see every serving requirement as *not applicable*. Discovery looks for what each
trait implies and the verdict logic makes undeclared-but-evidenced traits *not verified* until
the configuration declares the trait or denies it with a reason.

Source is parsed with ``ast`` (never imported or run); notebooks are read as JSON and their
shell/magic lines dropped. Evidence is deliberately specific (an app object of a serving
framework, a hub download call, an optimiser step), because each hit asks the user to act.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mlsvs.discovery.read import head_of
from mlsvs.model.artifact import (
    DatasetArtifact,
    ModelArtifact,
    SourceFile,
    TraitEvidence,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from pathlib import Path

    from mlsvs.model.artifact import Artifact

SERVES = "exposes_inference_api"
THIRD_PARTY = "uses_third_party_model"
TRAINS = "trains_in_house"
PERSONAL = "personal_data"
HOSTED = "hosted_model_api"

_MAX_SOURCE_BYTES = 1024 * 1024
_MAX_HEADER_BYTES = 64 * 1024
_MAX_PER_TRAIT = 5

# Modules whose mere import means "this program serves a model or a model UI".
_SERVING_MODULES = {
    "gradio": "Gradio app",
    "streamlit": "Streamlit app",
    "bentoml": "BentoML service",
    "litserve": "LitServe server",
    "ray.serve": "Ray Serve deployment",
    "ts.torch_handler": "TorchServe handler",
    "kserve": "KServe model server",
    "mlserver": "MLServer runtime",
    "tritonclient": "Triton client",
    "triton_python_backend_utils": "Triton Python backend",
}
# Web frameworks: an app object in a project that also holds ML code or models.
_WEB_APPS = {
    "Flask": "Flask app",
    "FastAPI": "FastAPI app",
    "Starlette": "Starlette app",
    "Sanic": "Sanic app",
    "Quart": "Quart app",
    "Litestar": "Litestar app",
}
_WEB_MODULES = frozenset(
    {"flask", "fastapi", "starlette", "sanic", "quart", "litestar", "aiohttp", "tornado"}
)
_ML_MODULES = frozenset(
    {
        "torch",
        "tensorflow",
        "keras",
        "sklearn",
        "transformers",
        "onnxruntime",
        "joblib",
        "xgboost",
        "lightgbm",
        "catboost",
        "jax",
        "flax",
        "diffusers",
        "sentence_transformers",
        "timm",
        "mlflow",
        "spacy",
        "vllm",
        "llama_cpp",
    }
)
_HUB_CALLS = {
    "from_pretrained": "from_pretrained()",
    "hf_hub_download": "hf_hub_download()",
    "snapshot_download": "snapshot_download()",
    "cached_download": "cached_download()",
    "load_from_hub": "load_from_hub()",
    "SentenceTransformer": "SentenceTransformer()",
    "create_model": "create_model()",
}
_HOSTED_MODULES = {
    "openai": "OpenAI API client",
    "anthropic": "Anthropic API client",
    "cohere": "Cohere API client",
    "google.generativeai": "Gemini API client",
    "mistralai": "Mistral API client",
    "groq": "Groq API client",
}
_TRAIN_CALLS = frozenset({"backward", "fit", "fit_generator", "train_on_batch"})
_TRAIN_CLASSES = frozenset({"Trainer", "SFTTrainer", "Seq2SeqTrainer", "DPOTrainer"})
# Column names that hold personal data (normalised: lower case, separators removed).
_PERSONAL_COLUMNS = frozenset(
    {
        "email",
        "emailaddress",
        "mail",
        "phone",
        "phonenumber",
        "telephone",
        "mobile",
        "cellphone",
        "ssn",
        "socialsecuritynumber",
        "nationalid",
        "passport",
        "passportnumber",
        "firstname",
        "lastname",
        "surname",
        "fullname",
        "givenname",
        "familyname",
        "personname",
        "customername",
        "patientname",
        "patientid",
        "address",
        "streetaddress",
        "street",
        "zipcode",
        "postcode",
        "postalcode",
        "dob",
        "dateofbirth",
        "birthdate",
        "birthday",
        "gender",
        "sex",
        "ethnicity",
        "race",
        "religion",
        "ipaddress",
        "ip",
        "creditcard",
        "creditcardnumber",
        "cardnumber",
        "iban",
        "salary",
        "income",
        "diagnosis",
        "medicalrecord",
        "licenseplate",
        "latitude",
        "longitude",
        "username",
        "userid",
        "customerid",
        "deviceid",
    }
)
_SERVING_FILES = {
    "config.pbtxt": ("Triton model configuration", re.compile(rb"\b(platform|backend)\s*:")),
    "config.properties": (
        "TorchServe configuration",
        re.compile(rb"inference_address|model_store"),
    ),
    "bentofile.yaml": ("BentoML build file", re.compile(rb"service\s*:")),
}
_SERVING_MANIFESTS = re.compile(
    rb"^kind:\s*(InferenceService|SeldonDeployment|ServingRuntime|ClusterServingRuntime)\b", re.M
)
_SERVE_COMMANDS = re.compile(
    rb"(torchserve\s+--start|tritonserver\b|mlflow\s+models\s+serve|bentoml\s+serve|"
    rb"uvicorn\s+\S+:\S+|gunicorn\s+.*\S+:\S+|vllm\s+serve|text-generation-launcher)"
)


def find_trait_evidence(
    artifacts: Sequence[Artifact],
    other_files: Iterable[tuple[str, Path]] = (),
    *,
    read_head: Callable[[Path, int], bytes] = head_of,
) -> tuple[TraitEvidence, ...]:
    """Evidence for each trait, at most a few items per trait, sorted.

    ``other_files`` are (relative path, absolute path) pairs of walked files that are not
    artifacts but can show serving (Triton ``config.pbtxt``, TorchServe ``config.properties``).
    """
    found: list[TraitEvidence] = []
    sources = [a for a in artifacts if isinstance(a, SourceFile)]
    has_ml = any(isinstance(a, ModelArtifact) for a in artifacts)
    parsed = [(s, _facts(s, read_head)) for s in sources]
    has_ml = has_ml or any(f.imports & _ML_MODULES for _, f in parsed if f is not None)
    for source, facts in parsed:
        if facts is not None:
            found.extend(_from_source(source, facts, has_ml))
    for artifact in artifacts:
        if isinstance(artifact, DatasetArtifact):
            found.extend(_personal_columns(artifact, read_head))
        if isinstance(artifact, ModelArtifact) and artifact.path.lower().endswith(".mar"):
            found.append(
                TraitEvidence(trait=SERVES, path=artifact.path, detail="TorchServe archive")
            )
    for rel, absolute in other_files:
        found.extend(_serving_file(rel, absolute, read_head))
    return _bounded(found)


_RELEVANT: re.Pattern[bytes]


def _bounded(found: list[TraitEvidence]) -> tuple[TraitEvidence, ...]:
    unique = sorted(set(found), key=lambda e: (e.trait, e.path, e.line or 0, e.detail))
    kept: list[TraitEvidence] = []
    per_trait: dict[str, int] = {}
    for item in unique:
        count = per_trait.get(item.trait, 0)
        if count < _MAX_PER_TRAIT:
            kept.append(item)
        per_trait[item.trait] = count + 1
    return tuple(kept)


class _Facts:
    """What one source file imports and calls (names only; nothing is evaluated)."""

    __slots__ = ("calls", "imports")

    def __init__(self) -> None:
        self.imports: set[str] = set()
        self.calls: list[tuple[str, int, str]] = []
        """(called name, line, first string argument or '')."""


def _relevant_tokens() -> re.Pattern[bytes]:
    words = {
        *(max(m.split("."), key=len) for m in _SERVING_MODULES),
        *_WEB_MODULES,
        *_ML_MODULES,
        *_HUB_CALLS,
        *(max(m.split("."), key=len) for m in _HOSTED_MODULES),
        *_TRAIN_CALLS,
        *_TRAIN_CLASSES,
        *_ZOO_MODULES,
        *_WEIGHT_KEYWORDS,
        "hub",
    }
    alternatives = "|".join(sorted(re.escape(w) for w in words))
    return re.compile(rf"\b(?:{alternatives})\b".encode())


def _facts(source: SourceFile, read_head: Callable[[Path, int], bytes]) -> _Facts | None:
    if source.size > _MAX_SOURCE_BYTES:
        return None
    try:
        raw = read_head(source.absolute, _MAX_SOURCE_BYTES)
    except OSError:
        return None
    if not _RELEVANT.search(raw):
        return _Facts()  # mentions nothing any trait looks for: skip the parse (most files)
    text = raw.decode("utf-8", "replace")
    if source.language == "notebook":
        text = _notebook_code(text)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    facts = _Facts()
    try:
        for node in ast.walk(tree):
            _visit(node, facts)
    except RecursionError:
        return None
    return facts


def _visit(node: ast.AST, facts: _Facts) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            _add_module(facts, alias.name)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        _add_module(facts, node.module)
        for alias in node.names:
            _add_module(facts, f"{node.module}.{alias.name}")
    elif isinstance(node, ast.Call):
        name = _call_name(node.func)
        if name:
            first = node.args[0] if node.args else None
            arg = first.value if isinstance(first, ast.Constant) else ""
            pairs = ",".join(
                f"{k.arg}={_literal(k.value)}"
                for k in node.keywords
                if k.arg in _WEIGHT_KEYWORDS and _literal(k.value)
            )
            facts.calls.append((name, node.lineno, f"{arg}" if isinstance(arg, str) else ""))
            if pairs:
                facts.calls.append((f"{name}#kw", node.lineno, pairs))


# Libraries whose model constructors download published weights (weights= / pretrained=).
_ZOO_MODULES = frozenset(
    {"keras", "tensorflow", "torchvision", "timm", "segmentation_models_pytorch", "ultralytics"}
)
_WEIGHT_KEYWORDS = frozenset({"pretrained", "weights", "pretrained_model_name_or_path"})


def _literal(node: ast.expr) -> str:
    """A constant or dotted name as text (``True``, ``imagenet``, ``ResNet50_Weights.DEFAULT``)."""
    if isinstance(node, ast.Constant) and node.value not in (None, False, ""):
        return str(node.value)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return ""


def _add_module(facts: _Facts, dotted: str) -> None:
    parts = dotted.split(".")
    for i in range(1, len(parts) + 1):
        facts.imports.add(".".join(parts[:i]))


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _from_source(source: SourceFile, facts: _Facts, has_ml: bool) -> Iterator[TraitEvidence]:
    path = source.path
    for module, detail in _SERVING_MODULES.items():
        if module in facts.imports:
            yield TraitEvidence(trait=SERVES, path=path, detail=f"{detail} (imports {module})")
    if has_ml and facts.imports & _WEB_MODULES:
        for name, line, _ in facts.calls:
            if name in _WEB_APPS:
                yield TraitEvidence(
                    trait=SERVES, path=path, line=line, detail=f"{_WEB_APPS[name]} in an ML project"
                )
    for module, detail in _HOSTED_MODULES.items():
        if module in facts.imports:
            yield TraitEvidence(trait=HOSTED, path=path, detail=f"{detail} (imports {module})")
    yield from _hub_calls(source, facts)
    yield from _training(path, facts)


def _hub_calls(source: SourceFile, facts: _Facts) -> Iterator[TraitEvidence]:
    path = source.path
    vision = facts.imports & {
        "keras",
        "tensorflow",
        "torchvision",
        "timm",
        "segmentation_models_pytorch",
    }
    for name, line, arg in facts.calls:
        if name.endswith("#kw"):
            called = name.removesuffix("#kw")
            pretrained = [p for p in arg.split(",") if _pretrained_weights(p)]
            if pretrained and (vision or called == "create_model"):
                yield TraitEvidence(
                    trait=THIRD_PARTY,
                    path=path,
                    line=line,
                    detail=f"{called}({pretrained[0]}): published pretrained weights",
                )
            continue
        if name not in _HUB_CALLS or name == "create_model":
            continue
        if name in {"from_pretrained", "SentenceTransformer"} and (
            not arg or _local_path(arg) or _exists_locally(source, arg)
        ):
            continue  # the project's own checkpoint, or a name only known at run time
        shown = f"{_HUB_CALLS[name]} of {arg!r}" if arg else _HUB_CALLS[name]
        yield TraitEvidence(trait=THIRD_PARTY, path=path, line=line, detail=shown)
    if "torch" in facts.imports:
        for name, line, arg in facts.calls:
            if name == "load" and re.fullmatch(r"[\w.-]+/[\w.-]+(:[\w.-]+)?", arg or ""):
                yield TraitEvidence(
                    trait=THIRD_PARTY, path=path, line=line, detail=f"torch.hub.load({arg!r})"
                )


def _pretrained_weights(pair: str) -> bool:
    key, _, value = pair.partition("=")
    if key == "pretrained":
        return value == "True"
    # weights="imagenet" / ResNet50_Weights.DEFAULT are published weights; a file path is not.
    return bool(value) and not value.endswith((".h5", ".pt", ".pth", ".keras", ".ckpt", ".bin"))


def _exists_locally(source: SourceFile, arg: str) -> bool:
    try:
        return (source.root / arg).exists() or (source.absolute.parent / arg).exists()
    except (OSError, ValueError):
        return False


def _local_path(arg: str) -> bool:
    """Hub IDs are ``name`` or ``org/name``; anything else is a path on disk."""
    return (
        arg.startswith((".", "/", "~"))
        or arg.count("/") > 1
        or "\\" in arg
        or arg.endswith("/")
        or not re.fullmatch(r"[\w.-]+(/[\w.-]+)?", arg)
    )


def _training(path: str, facts: _Facts) -> Iterator[TraitEvidence]:
    ml = facts.imports & _ML_MODULES
    if not ml:
        return
    for name, line, _ in facts.calls:
        if name in _TRAIN_CALLS or name in _TRAIN_CLASSES:
            yield TraitEvidence(
                trait=TRAINS, path=path, line=line, detail=f"{name}() with {sorted(ml)[0]}"
            )
            return


def _notebook_code(text: str) -> str:
    try:
        document = json.loads(text)
    except ValueError:
        return ""
    cells = document.get("cells", []) if isinstance(document, dict) else []
    lines: list[str] = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        body = "".join(source) if isinstance(source, list) else str(source)
        # IPython magics and shell escapes are not Python; keep line numbers stable.
        lines.extend(
            "" if line.lstrip().startswith(("%", "!", "?")) else line for line in body.splitlines()
        )
        lines.append("")
    code = "\n".join(lines)
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        # One bad cell must not hide the rest: keep the cells that parse on their own.
        return "\n".join(c for c in code.split("\n\n") if _parses(c))
    return code


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True


def _personal_columns(
    dataset: DatasetArtifact, read_head: Callable[[Path, int], bytes]
) -> Iterator[TraitEvidence]:
    header = _header(dataset, read_head)
    hits = sorted({c for c in header if _normalise(c) in _PERSONAL_COLUMNS})
    if hits:
        shown = ", ".join(hits[:5])
        yield TraitEvidence(trait=PERSONAL, path=dataset.path, detail=f"columns: {shown}")


def _normalise(column: str) -> str:
    return re.sub(r"[^a-z0-9]", "", column.lower())


def _header(dataset: DatasetArtifact, read_head: Callable[[Path, int], bytes]) -> list[str]:
    try:
        head = read_head(dataset.absolute, _MAX_HEADER_BYTES)
    except OSError:
        return []
    text = head.decode("utf-8", "replace")
    first = text.splitlines()[0] if text else ""
    if dataset.format in {"csv", "tsv"}:
        delimiter = "\t" if dataset.format == "tsv" else ","
        try:
            row = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
        except csv.Error:
            return []
        return [c.strip() for c in row]
    if dataset.format == "jsonl":
        try:
            record = json.loads(first)
        except ValueError:
            return []
        return [str(k) for k in record] if isinstance(record, dict) else []
    return []


def _serving_file(
    rel: str, absolute: Path, read_head: Callable[[Path, int], bytes]
) -> Iterator[TraitEvidence]:
    name = PurePosixPath(rel).name.lower()
    wanted = _SERVING_FILES.get(name)
    is_yaml = name.endswith((".yaml", ".yml"))
    is_script = name in {"dockerfile", "procfile"} or name.endswith((".sh", ".dockerfile"))
    if wanted is None and not is_yaml and not is_script:
        return
    try:
        head = read_head(absolute, _MAX_HEADER_BYTES)
    except OSError:
        return
    if wanted is not None and wanted[1].search(head):
        yield TraitEvidence(trait=SERVES, path=rel, detail=wanted[0])
    elif is_yaml and _SERVING_MANIFESTS.search(head):
        kind = _SERVING_MANIFESTS.search(head)
        shown = kind.group(1).decode() if kind else "serving"
        yield TraitEvidence(trait=SERVES, path=rel, detail=f"Kubernetes {shown}")
    elif is_script:
        command = _SERVE_COMMANDS.search(head)
        if command:
            shown = command.group(1).decode("utf-8", "replace")[:60]
            yield TraitEvidence(trait=SERVES, path=rel, detail=f"serving command: {shown}")


_RELEVANT = _relevant_tokens()
