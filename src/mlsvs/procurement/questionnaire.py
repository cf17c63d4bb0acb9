"""The scope questionnaire: what the system does, asked in words, mapped to applicability tags.

Every applicability tag of the standard is asked: the well-known ones in plain words, any other
tag (an overlay catalog's) with its own description. A question left unanswered keeps its
requirements in scope (fail closed) and the annex says so; only an explicit "no" removes them.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from mlsvs.model.catalog import Standard


@enum.unique
class Answer(enum.StrEnum):
    """A buyer's answer to one scope question."""

    YES = "yes"
    NO = "no"
    UNANSWERED = "unanswered"
    """Not answered: the requirements stay in scope (fail closed)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """One scope question and the applicability tag it decides."""

    id: str
    tag: str
    text: str


# Plain-language questions for the standard's tags; a tag not listed here is asked with its
# catalog description (see ``questions``).
_WORDING: Mapping[str, tuple[str, str]] = {
    "exposes_inference_api": (
        "exposes_api",
        "Can the model be queried over a network (an HTTP/gRPC API, a model server, a web or "
        "mobile backend)?",
    ),
    "personal_data": (
        "personal_data",
        "Does training, evaluation or inference data contain personal data, or can outputs "
        "reveal it?",
    ),
    "uses_third_party_model": (
        "third_party_models",
        "Does the system use a model, adapter, tokenizer or embedding obtained from outside "
        "the supplier (model hub, vendor, open-source release)?",
    ),
    "hosted_model_api": (
        "hosted_model_api",
        "Does the system call a model hosted and operated by a third party through its API?",
    ),
    "genai": (
        "llm",
        "Does the system use a generative model (LLM, diffusion or multimodal generator)?",
    ),
    "edge_deployment": (
        "on_device",
        "Are model weights shipped to devices outside the operator's control (mobile, "
        "embedded, on-premises appliances)?",
    ),
    "trains_in_house": (
        "trains_models",
        "Does the supplier train, fine-tune or retrain the models itself?",
    ),
    "online_learning": (
        "online_learning",
        "Is the model updated from production data or user feedback after deployment?",
    ),
    "federated": (
        "federated_learning",
        "Is the model trained with federated or distributed learning across parties or devices?",
    ),
    "physical_inputs": (
        "physical_inputs",
        "Are model inputs captured from the physical world by sensors (camera, microphone, "
        "lidar, radar)?",
    ),
    "returns_scores": (
        "returns_scores",
        "Does the system return confidence scores, probabilities, logits, embeddings or "
        "explanations to its callers?",
    ),
}


def questions(standard: Standard) -> tuple[Question, ...]:
    """One question per applicability tag of ``standard``, in the catalog's tag order."""
    out = []
    for tag in standard.tags:
        qid, text = _WORDING.get(tag.id, (tag.id, f"Does this apply: {tag.description}"))
        out.append(Question(id=qid, tag=tag.id, text=text))
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopeAnswer:
    """A question with the buyer's answer."""

    question: str
    tag: str
    text: str
    answer: Answer


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcurementScope:
    """Every question of the standard with its answer."""

    answers: tuple[ScopeAnswer, ...]

    @property
    def included_tags(self) -> frozenset[str]:
        """Tags whose requirements apply: answered yes, or not answered (fail closed)."""
        return frozenset(a.tag for a in self.answers if a.answer is not Answer.NO)

    @property
    def excluded_tags(self) -> frozenset[str]:
        """Tags the buyer answered no to."""
        return frozenset(a.tag for a in self.answers if a.answer is Answer.NO)

    @property
    def unanswered(self) -> tuple[ScopeAnswer, ...]:
        """Questions not answered (their requirements are kept in scope)."""
        return tuple(a for a in self.answers if a.answer is Answer.UNANSWERED)

    def answer_for(self, tag: str) -> ScopeAnswer | None:
        """The answer deciding ``tag``."""
        return next((a for a in self.answers if a.tag == tag), None)


def _answer(value: object, where: str) -> Answer:
    if isinstance(value, bool):
        return Answer.YES if value else Answer.NO
    if isinstance(value, str) and value.strip().lower() in {"yes", "no", "unanswered", "unknown"}:
        text = value.strip().lower()
        return Answer.UNANSWERED if text == "unknown" else Answer(text)
    raise ConfigError(f"{where}: answer must be yes, no or unanswered (or true/false)")


def decide_scope(
    standard: Standard, answers: Mapping[str, object], *, source: str = "answers"
) -> ProcurementScope:
    """The scope for ``answers`` keyed by question ID or tag; unknown keys are errors."""
    asked = questions(standard)
    by_key = {q.id: q for q in asked} | {q.tag: q for q in asked}
    given: dict[str, Answer] = {}
    for key, value in answers.items():
        question = by_key.get(str(key))
        if question is None:
            known = ", ".join(q.id for q in asked)
            raise ConfigError(f"{source}: unknown scope question {key!r} (known: {known})")
        answer = _answer(value, f"{source}: {key}")
        if given.get(question.tag, answer) is not answer:
            raise ConfigError(f"{source}: {key} is answered twice with different answers")
        given[question.tag] = answer
    return ProcurementScope(
        answers=tuple(
            ScopeAnswer(
                question=q.id, tag=q.tag, text=q.text, answer=given.get(q.tag, Answer.UNANSWERED)
            )
            for q in asked
        )
    )


def ask(
    standard: Standard,
    prompt: Callable[[str], str],
    *,
    preset: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """Ask every question not in ``preset`` through ``prompt``; blank input leaves it unanswered."""
    preset = dict(preset or {})
    out: dict[str, str] = {str(k): str(v) for k, v in preset.items()}
    for q in questions(standard):
        if q.id in preset or q.tag in preset:
            continue
        while True:
            reply = prompt(f"{q.text} [yes/no/blank = unanswered] ").strip().lower()
            if reply in {"", "y", "yes", "n", "no"}:
                break
        if reply:
            out[q.id] = "yes" if reply.startswith("y") else "no"
    return out


def read_answers_file(path: Path) -> dict[str, object]:
    """Read a YAML or JSON answers file (a mapping; see ``docs/procurement.md``)."""
    display = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("answers file not found", path=display) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read answers file: {exc}", path=display) from None
    if path.suffix.lower() == ".json":
        try:
            data: object = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not valid JSON: {exc.msg}", path=display, line=exc.lineno) from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise ConfigError("invalid YAML", path=display, line=line) from None
    if not isinstance(data, dict):
        raise ConfigError("an answers file must be a mapping", path=display)
    return data
