"""Only features needed for the purpose (MLC1005, M2.1.2): the dataset card's feature list
against the columns of the dataset files.

The feature list is a Markdown table in a dataset card (parsed with markdown-it-py) whose header
names the feature (``feature``, ``column``, ``field``, ``attribute``) and its purpose
(``purpose``, ``justification``, ``why``, ``reason``, ``use``). The training schema is the
header of every CSV/TSV dataset file and the keys of the first JSON Lines record. Pass: every
column is listed, every listed feature is a column, and every sensitive or identifying column
(the PII column hints of ``mlsvs.datacheck`` plus IDs, free text, precise location and special
categories) has a non-empty justification. The review of whether the purpose really needs
each justified column stays with the reviewer (hybrid).
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import TYPE_CHECKING

from mlsvs.datacheck.pii import Entity, column_hints
from mlsvs.plugin import (
    CardDocument,
    CardKind,
    DatasetArtifact,
    Gap,
    GapReason,
    Project,
    Severity,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_FEATURE = re.compile(r"^(feature|column|field|attribute|variable)s?( name)?$", re.I)
_PURPOSE = re.compile(r"purpose|justification|why|reason|use[ds]? for|need", re.I)
_SENSITIVE = re.compile(
    r"(^|_)(id|ids|uuid|guid|customer_?id|user_?id|account_?no|name|surname|comment|comments|"
    r"notes?|free_?text|description|message|text|lat|latitude|lon|lng|longitude|gps|geo\w*|"
    r"coordinates|ethnic\w*|race|religio\w*|health|diagnos\w*|disabilit\w*|gender|sex|"
    r"sexual\w*|politic\w*|nationality|citizenship|marital\w*|pregnan\w*|biometric\w*|"
    r"card_?number|iban)($|_)",
    re.I,
)
# Name hints of mlsvs.datacheck that identify a person by the name alone (``credit`` or
# ``account`` in a name is not a card or IBAN number; the value scan decides those).
_IDENTIFYING = frozenset(
    {
        Entity.EMAIL,
        Entity.PHONE,
        Entity.IP_ADDRESS,
        Entity.US_SSN,
        Entity.UK_NINO,
        Entity.ES_DNI,
        Entity.PERSON_NAME,
        Entity.POSTAL_ADDRESS,
        Entity.DATE_OF_BIRTH,
    }
)
_BLANK = {"", "-", "—", "n/a", "none", "tbd", "todo", "?"}
_MAX_HEAD = 256 * 1024


def sensitive(column: str) -> bool:
    """Whether a column's name marks it as sensitive or identifying."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", column.strip()).lower().replace(" ", "_")
    return bool(_SENSITIVE.search(snake) or column_hints(column) & _IDENTIFYING)


def feature_tables(markdown: str) -> list[dict[str, str]]:
    """Feature -> justification, one mapping per feature table of a Markdown document."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables: list[list[list[str]]] = []
    row: list[str] | None = None
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in {"th_open", "td_open"} and row is not None:
            inline = tokens[index + 1]
            row.append(inline.content.strip() if inline.type == "inline" else "")
        elif token.type == "tr_close" and row is not None and tables:
            tables[-1].append(row)
            row = None
    out: list[dict[str, str]] = []
    for table in tables:
        if len(table) < 2:
            continue
        header = table[0]
        name_col = next((i for i, h in enumerate(header) if _FEATURE.match(h.strip("* "))), None)
        why_col = next((i for i, h in enumerate(header) if _PURPOSE.search(h)), None)
        if name_col is None or why_col is None:
            continue
        out.append(
            {
                r[name_col].strip("`* "): (r[why_col] if why_col < len(r) else "").strip()
                for r in table[1:]
                if name_col < len(r) and r[name_col].strip("`* ")
            }
        )
    return out


def columns(dataset: DatasetArtifact) -> list[str]:
    """The column names of a CSV/TSV/JSONL file (``ValueError`` when they cannot be read)."""
    with dataset.absolute.open("rb") as handle:
        head = handle.read(_MAX_HEAD)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise ValueError("empty file")
    if dataset.format == "jsonl":
        record = json.loads(first)
        if not isinstance(record, dict):
            raise ValueError("first record is not an object")
        return [str(k) for k in record]
    delimiter = "\t" if dataset.format == "tsv" else ","
    return [c.strip() for c in next(csv.reader(io.StringIO(first), delimiter=delimiter))]


@check(
    id="MLC1005",
    title="The dataset card lists every training column and justifies each sensitive or "
    "identifying one",
    requirements=["M2.1.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(CardDocument, DatasetArtifact),
    remediation="Add a feature table (Feature | Purpose) to the dataset card listing every "
    "column of the training data; justify each identifying or sensitive column by the model's "
    "purpose, or drop or coarsen it.",
)
def features_justified(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Every dataset column is in the card's feature list; sensitive ones are justified."""
    listed: dict[str, str] = {}
    cards: list[str] = []
    gaps: list[Gap] = []
    for card in project.of_type(CardDocument):
        if card.card is not CardKind.DATASET:
            continue
        try:
            text = card.absolute.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            gaps.append(Gap(item=card.path, reason=GapReason.UNREADABLE, detail=str(exc)[:200]))
            continue
        tables = feature_tables(text)
        if tables:
            cards.append(card.path)
            for table in tables:
                listed.update(table)
    schema: dict[str, list[str]] = {}
    for dataset in project.of_type(DatasetArtifact):
        if dataset.format not in {"csv", "tsv", "jsonl"}:
            gaps.append(
                Gap(
                    item=dataset.path,
                    reason=GapReason.UNSUPPORTED,
                    detail=f"{dataset.format} columns are not read",
                )
            )
            continue
        try:
            schema[dataset.path] = columns(dataset)
        except (OSError, ValueError) as exc:
            gaps.append(Gap(item=dataset.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:200]))
    if gaps:
        yield not_verified("dataset cards or files could not be read", gaps, key="unread")
    if not schema:
        if not gaps:
            yield abstained(
                "no dataset file in the project, so the training schema is not shown", key="no-data"
            )
        return
    for path, cols in sorted(schema.items()):
        flagged = [c for c in cols if sensitive(c)]
        if not listed:
            if flagged:
                yield failed(
                    f"{path}: sensitive or identifying column(s) "
                    f"{', '.join(flagged[:8])} and no feature list with justifications",
                    key=path,
                )
            else:
                yield not_verified(
                    f"{path}: no dataset card has a feature table (Feature | Purpose)",
                    Gap(item=path, reason=GapReason.NOT_PRESENT, detail="no feature list"),
                    key=path,
                )
            continue
        problems = [f"column {c} is not in the feature list" for c in cols if c not in listed]
        problems += [
            f"{c} is sensitive or identifying and has no justification"
            for c in flagged
            if c in listed and listed[c].strip().lower() in _BLANK
        ]
        if problems:
            yield failed(f"{path}: {'; '.join(problems[:6])}", key=path)
        else:
            yield passed(
                f"{path}: {len(cols)} column(s), all in the feature list of {', '.join(cards)}"
                + (f"; {len(flagged)} sensitive one(s) justified" if flagged else ""),
                key=path,
            )
    unused = sorted(set(listed) - {c for cols in schema.values() for c in cols})
    if unused:
        yield failed(
            f"the feature list names column(s) no dataset file has: "
            f"{', '.join(unused[:8])} (the list does not match the training schema)",
            key="list-vs-schema",
        )
