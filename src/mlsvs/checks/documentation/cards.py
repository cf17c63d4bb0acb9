"""Model cards and dataset cards document what a model is for and what data it learnt from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.documentation._fields import missing_topics
from mlsvs.plugin import (
    CardDocument,
    CardKind,
    DatasetArtifact,
    ModelArtifact,
    Project,
    Severity,
    abstained,
    check,
    failed,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

# Topic -> synonyms found in Hugging Face card keys or headings (lower case).
MODEL_CARD_TOPICS: dict[str, tuple[str, ...]] = {
    "intended use": ("intended use", "intended_use", "uses", "direct use", "use cases"),
    "out-of-scope use": (
        "out-of-scope",
        "out of scope",
        "out_of_scope",
        "prohibited use",
        "misuse",
    ),
    "training data": ("training data", "training_data", "datasets", "dataset"),
    "evaluation": ("evaluation", "model-index", "model_index", "metrics", "results"),
    "limitations": ("limitations", "bias, risks", "risks", "caveats"),
    "owner": ("owner", "contact", "model card contact", "maintainer", "developed by", "authors"),
}
DATASET_CARD_TOPICS: dict[str, tuple[str, ...]] = {
    "source": ("source", "source_datasets", "data collection", "collection", "origin", "curation"),
    "licence": ("license", "licence", "licensing"),
    "collection process": (
        "collection",
        "collection process",
        "data collection",
        "annotations_creators",
        "annotation",
    ),
    "owner": ("owner", "contact", "maintainer", "curators", "dataset curators", "point of contact"),
}


@check(
    id="MLC701",
    title="Every model is described by a model card with the required topics",
    requirements=["M1.2.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(ModelArtifact, CardDocument),
    remediation="Add a model card (README.md with Hugging Face front matter, or MODEL_CARD.md) "
    "covering intended use, out-of-scope use, training data, evaluation, limitations and owner.",
)
def model_card_complete(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """A model card exists for the project's models and documents each required topic.

    Topics are found as non-empty front-matter keys or Markdown headings (synonyms accepted,
    e.g. "Uses" for intended use, "Bias, Risks, and Limitations" for limitations).
    """
    models = project.of_type(ModelArtifact)
    cards = [c for c in project.of_type(CardDocument) if c.card is CardKind.MODEL]
    if not models and not cards:
        yield abstained("no model artifacts and no model card in the project")
        return
    if not cards:
        yield failed(
            f"{len(models)} model file(s) but no model card", facts=(("models", str(len(models))),)
        )
        return
    for card in cards:
        missing = missing_topics(card, MODEL_CARD_TOPICS)
        if missing:
            yield failed(
                f"model card {card.path} lacks: {', '.join(missing)}",
                key=card.path,
                facts=(("card", card.path), ("missing", ", ".join(missing))),
            )
        else:
            yield passed(
                f"model card {card.path} covers every required topic",
                key=card.path,
                facts=(("card", card.path),),
            )


@check(
    id="MLC702",
    title="Every dataset is described by a dataset card or datasheet",
    requirements=["M2.1.1"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(DatasetArtifact, CardDocument),
    remediation="Add a dataset card (DATASET_CARD.md / datasheet.md or a Hugging Face dataset "
    "README) stating source, licence, collection process and owner.",
)
def dataset_card_complete(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Datasets shipped with the project have a card stating source, licence, collection, owner."""
    datasets = project.of_type(DatasetArtifact)
    cards = [c for c in project.of_type(CardDocument) if c.card is CardKind.DATASET]
    if not datasets and not cards:
        yield abstained("no dataset files and no dataset card in the project")
        return
    if not cards:
        yield failed(
            f"{len(datasets)} dataset file(s) but no dataset card or datasheet",
            facts=(("datasets", str(len(datasets))),),
        )
        return
    for card in cards:
        missing = missing_topics(card, DATASET_CARD_TOPICS)
        if missing:
            yield failed(
                f"dataset card {card.path} lacks: {', '.join(missing)}",
                key=card.path,
                facts=(("card", card.path), ("missing", ", ".join(missing))),
            )
        else:
            yield passed(f"dataset card {card.path} covers every required topic", key=card.path)
