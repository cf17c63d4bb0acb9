"""CycloneDX ``modelCard`` JSON from a Hugging Face model card and the model's ``config.json``.

cyclonedx-python-lib 11 cannot model ``modelCard``; it is built here as plain JSON and the
whole BOM is then validated against the 1.6 schema. Nothing is loaded or executed: the card
front matter is already parsed (``CardDocument.metadata``, ``yaml.safe_load``) and config.json
is read with ``json``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from mlsvs.model.artifact import CardDocument

_MAX_TEXT = 1024 * 1024
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_USE = ("intended use", "intended uses", "uses", "direct use", "intended uses & limitations")
_LIMITS = ("limitations", "bias, risks, and limitations", "risks and limitations",
           "limitations and bias", "bias, risks and limitations", "known limitations")  # fmt: skip
_OUT_OF_SCOPE = ("out-of-scope use", "out of scope use", "out-of-scope uses", "misuse")
_ETHICS = ("ethical considerations", "ethics")
_TRADEOFFS = ("performance tradeoffs", "trade-offs", "tradeoffs")
_APPROACH = {
    "supervised",
    "unsupervised",
    "reinforcement-learning",
    "semi-supervised",
    "self-supervised",
}


def read_json_object(path: Path) -> Mapping[str, object]:
    """A small JSON file as a mapping; empty when absent, too large or not an object."""
    try:
        if not path.is_file() or path.stat().st_size > _MAX_TEXT:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def card_sections(text: str) -> dict[str, str]:
    """Markdown heading (lower-cased) -> its body, whitespace collapsed, front matter skipped."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        text = text[end + 4 :] if end != -1 else text
    sections: dict[str, str] = {}
    current: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        if match := _HEADING.match(line):
            if current is not None:
                sections.setdefault(current, " ".join(" ".join(body).split()))
            current, body = match[2].strip().lower(), []
        elif current is not None:
            body.append(line)
    if current is not None:
        sections.setdefault(current, " ".join(" ".join(body).split()))
    return {k: v for k, v in sections.items() if v}


def _pick(sections: Mapping[str, str], names: tuple[str, ...]) -> list[str]:
    return [sections[n][:1000] for n in names if sections.get(n)]


def _metrics(metadata: Mapping[str, object]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    index = metadata.get("model-index")
    for entry in index if isinstance(index, list) else ():
        results = entry.get("results") if isinstance(entry, dict) else None
        for result in results if isinstance(results, list) else ():
            if not isinstance(result, dict):
                continue
            raw = result.get("dataset")
            dataset: dict[str, object] = raw if isinstance(raw, dict) else {}
            where = str(dataset.get("name") or dataset.get("type") or "")
            if dataset.get("split"):
                where = f"{where} ({dataset['split']})".strip()
            for metric in result.get("metrics") or ():
                if isinstance(metric, dict) and metric.get("value") is not None:
                    item: dict[str, object] = {
                        "type": str(metric.get("type") or metric.get("name") or "metric"),
                        "value": str(metric["value"]),
                    }
                    if where:
                        item["slice"] = where
                    out.append(item)
    return out


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return []


def build_model_card(
    *,
    card: CardDocument | None,
    config: Mapping[str, object],
    dataset_refs: Mapping[str, str],
) -> dict[str, object]:
    """The ``modelCard`` object; ``dataset_refs`` maps dataset names to data bom-refs."""
    metadata: Mapping[str, object] = card.metadata if card is not None else {}
    params: dict[str, object] = {}
    task = metadata.get("pipeline_tag") or config.get("task")
    if isinstance(task, str) and task:
        params["task"] = task
    if isinstance(config.get("model_type"), str):
        params["architectureFamily"] = config["model_type"]
    architectures = _strings(config.get("architectures"))
    if architectures:
        params["modelArchitecture"] = architectures[0]
    approach = metadata.get("approach")
    if isinstance(approach, str) and approach in _APPROACH:
        params["approach"] = {"type": approach}
    datasets: list[dict[str, object]] = []
    for name in _strings(metadata.get("datasets")):
        if name in dataset_refs:
            datasets.append({"ref": dataset_refs[name]})
        else:
            datasets.append({"type": "dataset", "name": name})
    if datasets:
        params["datasets"] = datasets
    model_card: dict[str, object] = {}
    if params:
        model_card["modelParameters"] = params
    metrics = _metrics(metadata)
    if metrics:
        model_card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    sections: dict[str, str] = {}
    if card is not None:
        try:
            if card.absolute.stat().st_size <= _MAX_TEXT:
                sections = card_sections(
                    card.absolute.read_text(encoding="utf-8", errors="replace")
                )
        except OSError:
            sections = {}
    considerations: dict[str, object] = {}
    for key, names in (
        ("useCases", _USE),
        ("technicalLimitations", _LIMITS),
        ("performanceTradeoffs", _TRADEOFFS),
    ):
        if found := _pick(sections, names):
            considerations[key] = found
    if ethics := _pick(sections, _ETHICS):
        considerations["ethicalConsiderations"] = [{"name": text} for text in ethics]
    if considerations:
        model_card["considerations"] = considerations
    properties = [
        {"name": "mlsvs:out-of-scope-use", "value": text} for text in _pick(sections, _OUT_OF_SCOPE)
    ]
    for key in ("base_model", "library_name", "base_model_relation"):
        properties.extend(
            {"name": f"huggingface:{key}", "value": v} for v in _strings(metadata.get(key))
        )
    if card is not None:
        properties.append({"name": "mlsvs:model-card", "value": card.path})
    if properties:
        model_card["properties"] = properties
    return model_card
