"""Fine-tuning, instruction and preference data and reward models: provenance recorded and
poisoning screening accepted by a reviewer before training (MLC1088, M11.3.3)::

    [[agents.fine_tuning]]
    kind = "preference"                      # sft, instruction, preference or reward_model
    path = "data/dpo/pairs-v3.jsonl"         # the dataset (or reward model) file
    card = "data/dpo/README.md"              # dataset or model card (YAML front matter)
    screening = "reports/dpo-pairs-v3-screening.json"

The card's front matter records provenance in ``source_datasets`` (Hugging Face dataset cards),
``provenance`` or ``base_model`` (a reward model's card). The screening report is JSON: the
``sha256`` of the file it screened, ``screening`` (``tool``, ``date``, ``flagged``, ``total``)
and ``review`` (``reviewer``, ``decision``: ``accepted``). A report for a different file digest
screened another version: it does not count.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from mlsvs.checks.operations._records import items, mapping, text
from mlsvs.plugin import (
    CardDocument,
    DatasetArtifact,
    Gap,
    GapReason,
    Project,
    Severity,
    check,
    errored,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from mlsvs.plugin import CheckContext, Outcome

KINDS = frozenset({"sft", "instruction", "preference", "reward_model"})
PROVENANCE_KEYS = ("source_datasets", "provenance", "base_model", "source")
MAX_REPORT_BYTES = 4 * 1024 * 1024


class _UnreadableError(ValueError):
    def __init__(self, rel: str, reason: GapReason, detail: str) -> None:
        super().__init__(f"{rel}: {detail}")
        self.gap = Gap(item=rel, reason=reason, detail=detail[:200])


def _path(project: Project, rel: str) -> Path:
    path = (project.root / rel).resolve()
    if not path.is_relative_to(project.root.resolve()):
        raise _UnreadableError(rel, GapReason.UNSUPPORTED, "outside the project")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def front_matter(text_: str) -> Mapping[str, object]:
    """The YAML front matter of a Markdown card (empty when there is none)."""
    import yaml

    if not text_.startswith("---"):
        return {}
    end = text_.find("\n---", 3)
    if end < 0:
        raise ValueError("front matter not closed")
    try:
        data = yaml.safe_load(text_[3:end])
    except yaml.YAMLError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    return mapping(data)


def _judge(project: Project, entry: Mapping[str, object]) -> tuple[list[str], str]:
    """(problems, summary) for one declared dataset or reward model; _UnreadableError when a file
    exists but cannot be read."""
    rel = str(entry["path"])
    problems: list[str] = []
    try:
        data = _path(project, rel)
        digest = sha256_of(data)
    except FileNotFoundError:
        return [f"{rel} does not exist"], ""
    except OSError as exc:
        raise _UnreadableError(rel, GapReason.UNREADABLE, exc.strerror or "unreadable") from None
    card_rel = entry.get("card")
    if not isinstance(card_rel, str):
        problems.append("no card records its provenance")
    else:
        try:
            meta = front_matter(_path(project, card_rel).read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(f"card {card_rel} does not exist")
            meta = None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise _UnreadableError(card_rel, GapReason.UNPARSEABLE, str(exc)) from None
        if meta is not None and not any(meta.get(k) for k in PROVENANCE_KEYS):
            problems.append(f"card {card_rel} records no provenance ({', '.join(PROVENANCE_KEYS)})")
    report_rel = entry.get("screening")
    if not isinstance(report_rel, str):
        problems.append("no poisoning screening report")
        return problems, ""
    try:
        path = _path(project, report_rel)
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise _UnreadableError(report_rel, GapReason.TOO_LARGE, "larger than 4 MiB")
        report = mapping(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        problems.append(f"screening report {report_rel} does not exist")
        return problems, ""
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, _UnreadableError):
            raise
        raise _UnreadableError(report_rel, GapReason.UNPARSEABLE, str(exc)) from None
    screened = text(report, "sha256", "dataset_sha256", "subject_sha256").removeprefix("sha256:")
    screening = mapping(report.get("screening"))
    review = mapping(report.get("review"))
    if screened != digest:
        problems.append(
            f"{report_rel} screened sha256 {screened[:12] or '?'}…, not this file ({digest[:12]}…)"
        )
    if not text(screening, "tool") or not text(screening, "date"):
        problems.append(f"{report_rel} names no screening tool and date")
    if not text(review, "reviewer"):
        problems.append(f"{report_rel} has no reviewer")
    elif text(review, "decision").lower() != "accepted":
        problems.append(
            f"{report_rel}: the reviewer's decision is {text(review, 'decision') or 'missing'}"
        )
    summary = (
        f"{text(screening, 'tool')} on {text(screening, 'date')}, accepted by "
        f"{text(review, 'reviewer')}"
    )
    return problems, summary


@check(
    id="MLC1088",
    title="Fine-tuning data and reward models have provenance and an accepted screening",
    requirements=["M11.3.3"],
    applies_to=Project,
    severity=Severity.HIGH,
    reads=[DatasetArtifact, CardDocument],
    remediation="Record each fine-tuning, instruction or preference dataset's and reward "
    "model's provenance in its card (source_datasets, provenance), screen the exact file for "
    "poisoning (cleanlab, argilla review), have a reviewer accept the result, and declare them "
    "in [[agents.fine_tuning]].",
)
def tuning_data_integrity(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Each declared fine-tuning dataset and reward model has a card with provenance and a
    screening report bound to its SHA-256, naming tool and date, accepted by a reviewer."""
    entries = [mapping(e) for e in items(ctx.section("agents").get("fine_tuning"))]
    if not entries:
        yield not_verified(
            "no [[agents.fine_tuning]] entries, so nothing shows where fine-tuning or preference "
            "data and reward models came from or that they were screened",
            Gap(item="agents.fine_tuning", reason=GapReason.NOT_PRESENT, detail="not configured"),
            key="not-configured",
        )
        return
    for number, entry in enumerate(entries, 1):
        kind = text(entry, "kind").lower()
        rel = entry.get("path")
        if kind not in KINDS or not isinstance(rel, str):
            yield errored(
                f"[[agents.fine_tuning]] entry {number} needs kind ({', '.join(sorted(KINDS))}) "
                "and path",
                key=f"entry-{number}",
            )
            continue
        facts = (("kind", kind), ("path", rel))
        try:
            problems, summary = _judge(project, entry)
        except _UnreadableError as exc:
            yield not_verified(str(exc), exc.gap, key=rel, facts=facts)
            continue
        if problems:
            yield failed(f"{kind} {rel}: " + "; ".join(problems), key=rel, facts=facts)
        else:
            yield passed(
                f"{kind} {rel}: provenance recorded; screened ({summary})", key=rel, facts=facts
            )
