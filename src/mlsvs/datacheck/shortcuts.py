"""Shortcut and backdoor-trigger screening: rare items almost always paired with one label.

A poisoning trigger (BadNets, Gu et al. 2017; rare-word triggers such as ``cf``/``mn`` in text,
Kurita et al. 2020, Chen et al. 2021 "BadNL") is a feature value or token that the attacker
adds to a few percent of the training rows together with one target label. In the data it shows
as an *item* (a cell value of a numeric/categorical column, or a word uni-/bigram of a text
column, or a pair of them) with

1. low support: at most ``max_support`` of the rows carry it;
2. near-perfect purity: at least ``min_purity`` of those rows have the same label ``c``;
3. significance: the one-sided binomial tail ``P(X >= a | s, prior(c))`` is below
   ``alpha / m`` (Bonferroni over all ``m`` items and pairs tested), so chance associations
   of rare values in a table with thousands of them are not reported; items too rare to reach
   significance even when pure are not tested (``min_support``, reported);
4. the rest of the row disagrees: a cross-validated model that does *not* see the candidate
   items (they are masked: cell emptied, token removed) predicts ``c`` for fewer than
   ``max_content_agreement`` of the rows carrying it. An ordinary predictive feature ("refund"
   in complaints, a pixel that only zeros have) has rows whose other content also says ``c``;
   a trigger was stamped onto rows of other classes, so their content says otherwise.

Items meeting 1-3 but not 4 are reported as strong (possibly spurious) features, not as
triggers. Clean-label attacks (the trigger only on rows whose content already says ``c``) are
out of reach of any label-association screen; spectral signatures on a model's embeddings
(``spectral``) are the complementary test.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsvs.datacheck.columns import ColumnKind
from mlsvs.datacheck.errors import DataFileError
from mlsvs.datacheck.normalise import normalise

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.datacheck.oos import ModelInputs

Sparse = Any
"""A ``scipy.sparse`` matrix (scipy ships no type information)."""
MAX_PAIR_ITEMS = 400
"""Items (the most label-associated ones) combined into pairs: bounds the pair search."""
EXAMPLES = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortcutItem:
    """A cell value or a text n-gram, or a pair of them."""

    column: str
    value: str
    kind: str
    """``value`` (numeric/categorical cell) or ``ngram`` (text)."""

    def describe(self) -> str:
        """``review: token 'cf'`` or ``amount = 999.99``."""
        if self.kind == "ngram":
            return f"{self.column}: token {self.value!r}"
        return f"{self.column} = {self.value!r}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """An item (or pair) with near-perfect label association at low support."""

    items: tuple[ShortcutItem, ...]
    label: str
    support: int
    purity: float
    prior: float
    p_value: float
    """Bonferroni-adjusted one-sided binomial p-value."""
    content_agreement: float
    """Share of the carrying rows whose other content (masked model) predicts ``label``."""
    rows: tuple[int, ...]
    """1-based sample positions of up to ``EXAMPLES`` carrying rows."""

    def describe(self) -> str:
        """One line of evidence."""
        what = " + ".join(i.describe() for i in self.items)
        return (
            f"{what}: {self.support} row(s), {self.purity:.0%} label {self.label!r} (prior "
            f"{self.prior:.0%}, adjusted p {self.p_value:.1e}); the rest of those rows says "
            f"{self.label!r} in {self.content_agreement:.0%}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortcutReport:
    """Screening result of one table."""

    rows: int
    tests: int
    min_support: int
    """Smallest support a perfectly pure item needs to be significant (smaller: undetectable)."""
    triggers: tuple[Candidate, ...]
    features: tuple[Candidate, ...]
    """Pure, significant, but supported by the rest of the row: strong or spurious features."""
    text_columns: tuple[str, ...]
    columns: tuple[str, ...]
    """Columns screened (identifiers and empty columns are not)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortcutParams:
    """Thresholds (see the module docstring)."""

    min_purity: float = 0.95
    max_support: float = 0.10
    alpha: float = 0.01
    max_content_agreement: float = 0.5
    folds: int = 5
    seed: int = 0


def log_binomial_tail(successes: int, trials: int, p: float) -> float:
    """``log P(X >= successes)`` for ``X ~ Binomial(trials, p)``."""
    from scipy.stats import binom

    return float(binom.logsf(successes - 1, trials, p))


def _items(
    inputs: ModelInputs, params: ShortcutParams, floor: int
) -> tuple[list[ShortcutItem], Sparse]:
    """Candidate items with support in ``[floor, max_support * n]`` and their row matrix."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer

    from mlsvs.datacheck.oos import WORD

    n = len(inputs.cells[0]) if inputs.cells else 0
    ceiling = max(floor, int(params.max_support * n))
    items: list[ShortcutItem] = []
    blocks: list[Any] = []
    for j in inputs.used:
        name, kind, cells = inputs.names[j], inputs.kinds[j], inputs.cells[j]
        if kind is ColumnKind.TEXT:
            vectorizer = CountVectorizer(
                binary=True, token_pattern=WORD, ngram_range=(1, 2), lowercase=True,
                min_df=floor, max_df=ceiling, dtype=np.int8,
            )  # fmt: skip
            try:
                matrix = vectorizer.fit_transform(cells)
            except ValueError:  # no term within the support range
                continue
            items += [ShortcutItem(column=name, value=t, kind="ngram")
                      for t in vectorizer.get_feature_names_out()]  # fmt: skip
            blocks.append(matrix.tocsc())
            continue
        values = np.asarray([normalise(c) for c in cells], dtype=object)
        uniques, codes, counts = np.unique(values, return_inverse=True, return_counts=True)
        keep = np.flatnonzero((counts >= floor) & (counts <= ceiling) & (uniques != ""))
        if not len(keep):
            continue
        slot = np.full(len(uniques), -1)
        slot[keep] = np.arange(len(keep))
        mapped = slot[codes]
        rows = np.flatnonzero(mapped >= 0)
        block = sp.csc_matrix(
            (np.ones(len(rows), dtype=np.int8), (rows, mapped[rows])), shape=(n, len(keep))
        )
        items += [ShortcutItem(column=name, value=str(uniques[k]), kind="value") for k in keep]
        blocks.append(block)
    if not blocks:
        return [], sp.csc_matrix((n, 0), dtype=np.int8)
    return items, sp.hstack(blocks, format="csc")


def _pure_words(
    inputs: ModelInputs, onehot: Sparse, min_purity: float
) -> dict[str, dict[str, int]]:
    """Per text column, the words (any support >= 2) that are ``min_purity`` pure: word -> class."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    from mlsvs.datacheck.oos import WORD

    out: dict[str, dict[str, int]] = {}
    for j in inputs.used:
        if inputs.kinds[j] is not ColumnKind.TEXT:
            continue
        vectorizer = CountVectorizer(binary=True, token_pattern=WORD, min_df=2, dtype=np.int8)
        try:
            matrix = vectorizer.fit_transform(inputs.cells[j])
        except ValueError:
            continue
        counts = np.asarray((matrix.T @ onehot).todense())
        support = counts.sum(axis=1)
        best = counts.argmax(axis=1)
        pure = counts[np.arange(len(best)), best] >= min_purity * support
        words = vectorizer.get_feature_names_out()
        out[inputs.names[j]] = {str(words[k]): int(best[k]) for k in np.flatnonzero(pure)}
    return out


def _explained(
    items: tuple[ShortcutItem, ...], label: int, pure: dict[str, dict[str, int]]
) -> bool:
    """A bigram containing a word that is itself pure for the same label adds nothing."""
    for item in items:
        if item.kind == "ngram" and " " in item.value:
            words = pure.get(item.column, {})
            if any(words.get(w) == label for w in item.value.split()):
                return True
    return False


def _min_support(tests: int, alpha: float, prior: float) -> int:
    """Support a 100 %-pure item of the most common class needs to reach ``alpha / tests``."""
    if prior >= 1:
        return 1 << 30
    return max(3, math.ceil(math.log(alpha / max(tests, 1)) / math.log(prior)))


def screen(inputs: ModelInputs, labels: tuple[str, ...], params: ShortcutParams) -> ShortcutReport:
    """Find trigger candidates; ``DataFileError`` when the table cannot be screened."""
    import numpy as np
    import scipy.sparse as sp

    n = len(labels)
    classes = sorted(set(labels))
    if len(classes) < 2 or not inputs.used:
        raise DataFileError("shortcut screening needs two classes and a usable column")
    lookup = {c: i for i, c in enumerate(classes)}
    y = np.asarray([lookup[v] for v in labels])
    priors = np.bincount(y, minlength=len(classes)) / n
    onehot = sp.csc_matrix((np.ones(n), (np.arange(n), y)), shape=(n, len(classes)))
    # Pass 1: everything seen at least twice, to size the Bonferroni family.
    items, matrix = _items(inputs, params, 2)
    tests = max(1, len(items))
    pairs = min(tests, MAX_PAIR_ITEMS)
    # Half the error budget for single items, half for the pairs searched (Bonferroni within
    # each), so the pair search does not blunt the test of single values and tokens.
    pair_family = max(1, pairs * (pairs - 1) // 2)
    family = tests + pair_family
    floor = _min_support(2 * tests, params.alpha, float(priors.max()))
    support = np.asarray(matrix.sum(axis=0)).ravel()
    keep = np.flatnonzero(support >= floor)
    items = [items[k] for k in keep]
    matrix = matrix[:, keep]
    support = support[keep]
    per_class = np.asarray((matrix.T @ onehot).todense())
    found: list[tuple[tuple[int, ...], int, int, int]] = []  # (item idx, class, support, count)
    if items:
        best = per_class.argmax(axis=1)
        top = per_class[np.arange(len(items)), best]
        found.extend(
            ((int(k),), int(best[k]), int(support[k]), int(top[k]))
            for k in np.flatnonzero(top >= params.min_purity * support)
        )
        found += _pairs(matrix, onehot, per_class, support, params, floor, n)
    candidates: list[tuple[tuple[int, ...], int, int, int, float]] = []
    pure = _pure_words(inputs, onehot, params.min_purity) if found else {}
    for members, label, count, hits in found:
        if _explained(tuple(items[k] for k in members), label, pure):
            continue
        size = 2 * (tests if len(members) == 1 else pair_family)
        log_p = log_binomial_tail(hits, count, float(priors[label])) + math.log(size)
        if log_p < math.log(params.alpha):
            candidates.append((members, label, count, hits, math.exp(min(log_p, 0.0))))
    screened = tuple(inputs.names[j] for j in inputs.used)
    text = tuple(inputs.names[j] for j in inputs.used if inputs.kinds[j] is ColumnKind.TEXT)
    if not candidates:
        return ShortcutReport(rows=n, tests=family, min_support=floor, triggers=(), features=(),
                              text_columns=text, columns=screened)  # fmt: skip
    carried = [_rows(matrix, members) for members, *_ in candidates]
    content = _content_predictions(inputs, items, candidates, y, params)
    triggers: list[Candidate] = []
    features: list[Candidate] = []
    for (members, label, count, hits, p_value), rows in zip(candidates, carried, strict=True):
        agreement = float(np.mean(content[rows] == label))
        candidate = Candidate(
            items=tuple(items[k] for k in members), label=classes[label], support=count,
            purity=hits / count, prior=float(priors[label]), p_value=p_value,
            content_agreement=agreement, rows=tuple(int(r) + 1 for r in rows[:EXAMPLES]),
        )  # fmt: skip
        (triggers if agreement < params.max_content_agreement else features).append(candidate)
    order = lambda c: (c.p_value, -c.support)  # noqa: E731 - local sort key
    return ShortcutReport(
        rows=n, tests=family, min_support=floor, triggers=tuple(sorted(triggers, key=order)),
        features=tuple(sorted(features, key=order)), text_columns=text, columns=screened,
    )  # fmt: skip


def _rows(matrix: Sparse, members: tuple[int, ...]) -> npt.NDArray[np.int64]:
    import numpy as np

    columns = matrix[:, list(members)]
    hits = np.asarray(columns.sum(axis=1)).ravel()
    result: npt.NDArray[np.int64] = np.flatnonzero(hits == len(members))
    return result


def _pairs(
    matrix: Sparse,
    onehot: Sparse,
    per_class: npt.NDArray[np.float64],
    support: npt.NDArray[np.int64],
    params: ShortcutParams,
    floor: int,
    n: int,
) -> list[tuple[tuple[int, ...], int, int, int]]:
    """Pairs of individually impure items whose conjunction is pure (bounded search)."""
    import numpy as np

    share = per_class.max(axis=1) / np.maximum(support, 1)
    impure = np.flatnonzero(share < params.min_purity)
    if len(impure) < 2:
        return []
    chosen = impure[np.argsort(-share[impure], kind="stable")[:MAX_PAIR_ITEMS]]
    sub = matrix[:, chosen].astype(np.int32)
    together = np.asarray((sub.T @ sub).todense())
    out: list[tuple[tuple[int, ...], int, int, int]] = []
    by_class = [
        np.asarray((sub.T @ sub.multiply(onehot[:, [c]])).todense())
        for c in range(per_class.shape[1])
    ]
    stacked = np.stack(by_class)
    best = stacked.argmax(axis=0)
    top = stacked.max(axis=0)
    upper = np.triu(np.ones_like(together, dtype=bool), k=1)
    mask = upper & (together >= floor) & (together <= params.max_support * n)
    mask &= top >= params.min_purity * together
    for a, b in zip(*np.nonzero(mask), strict=True):
        out.append(((int(chosen[a]), int(chosen[b])), int(best[a, b]), int(together[a, b]),
                    int(top[a, b])))  # fmt: skip
    return out


def _content_predictions(
    inputs: ModelInputs,
    items: list[ShortcutItem],
    candidates: list[tuple[tuple[int, ...], int, int, int, float]],
    y: npt.NDArray[np.int64],
    params: ShortcutParams,
) -> npt.NDArray[np.int64]:
    """Out-of-sample predictions of the model with every candidate item masked out."""
    from mlsvs.datacheck.oos import ModelInputs, cross_val_probs

    masked = {k for members, *_ in candidates for k in members}
    values: dict[str, set[str]] = {}
    tokens: dict[str, set[str]] = {}
    for k in masked:
        item = items[k]
        (tokens if item.kind == "ngram" else values).setdefault(item.column, set()).add(item.value)
    cells: list[tuple[str, ...]] = []
    for name, column in zip(inputs.names, inputs.cells, strict=True):
        if name in values:
            column = ()  # the whole column leaves the content model (see _content_predictions)
        if name in tokens:
            phrases = sorted(tokens[name], key=len, reverse=True)
            alternatives = (r"\W+".join(map(re.escape, p.split())) for p in phrases)
            pattern = re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.I)
            column = tuple(pattern.sub(" ", c) for c in column)
        cells.append(column)
    # A column with a masked value is left out whole: an emptied or imputed cell would itself
    # mark the rows, and a value drawn from the column's marginal still carries its class prior.
    kinds = tuple(ColumnKind.IDENTIFIER if n in values else k
                  for n, k in zip(inputs.names, inputs.kinds, strict=True))  # fmt: skip
    filled = tuple(c if c else ("",) * len(y) for c in cells)
    if not any(k in {ColumnKind.NUMERIC, ColumnKind.TEXT, ColumnKind.CATEGORICAL} for k in kinds):
        raise DataFileError("every column carries a candidate: no content left to compare with")
    content = ModelInputs(names=inputs.names, kinds=kinds, cells=filled)
    import numpy as np

    folds = min(params.folds, int(np.bincount(y).min()))
    probs = cross_val_probs(content, y, folds=max(2, folds), seed=params.seed)
    result: npt.NDArray[np.int64] = probs.argmax(axis=1)
    return result
