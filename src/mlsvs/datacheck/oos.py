"""Out-of-sample class probabilities for confident learning: K-fold cross-validation, seeded.

The model is chosen by what the columns hold (``columns.ColumnKind``):

* numeric columns: median-imputed (with a missing-value indicator) and standardised;
* categorical columns: one-hot (categories seen fewer than twice in a fold share one slot);
* text columns: TF-IDF of word uni- and bigrams (sublinear term frequency, at most 50,000
  terms per column), so text is a first-class feature, not ignored;

all fed to one multinomial logistic regression (L2, C = 1). A linear model on these features is
the usual strong baseline for tabular and bag-of-words data, is fast on two cores, and gives
smooth probabilities, which is what the per-class thresholds of confident learning need (tree
ensembles overfit their folds into 0/1 probabilities on small tables). Identifier columns never
enter the model. Every fold is fitted on the other folds only (``StratifiedKFold``, shuffled with
``seed``), so no row is scored by a model that saw its label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.datacheck.columns import ColumnKind
from mlsvs.datacheck.errors import DataFileError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

MAX_TERMS = 50_000
WORD = r"(?u)\b\w+\b"
"""Words of one character count too (scikit-learn's default drops them; triggers like ``cf``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInputs:
    """The analysed columns of a sample, by kind (cells as text)."""

    names: tuple[str, ...]
    kinds: tuple[ColumnKind, ...]
    cells: tuple[tuple[str, ...], ...]
    """Column-major: ``cells[j][i]`` is row ``i`` of column ``names[j]``."""

    @property
    def used(self) -> tuple[int, ...]:
        """Columns that enter the model."""
        usable = {ColumnKind.NUMERIC, ColumnKind.TEXT, ColumnKind.CATEGORICAL}
        return tuple(j for j, k in enumerate(self.kinds) if k in usable)


def describe(inputs: ModelInputs) -> str:
    """One line naming the model and its feature blocks."""
    blocks = {
        kind: [inputs.names[j] for j in inputs.used if inputs.kinds[j] is kind]
        for kind in (ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.TEXT)
    }
    parts = [f"{kind.value}={len(cols)}" for kind, cols in blocks.items() if cols]
    tfidf = " (tf-idf word 1-2-grams)" if blocks[ColumnKind.TEXT] else ""
    return f"logistic regression on {', '.join(parts)}{tfidf}"


def _numbers(values: Sequence[str]) -> npt.NDArray[np.float64]:
    import numpy as np

    from mlsvs.datacheck.normalise import number

    return np.asarray([v if (v := number(c)) is not None else np.nan for c in values], dtype=float)


def _transformer(inputs: ModelInputs) -> object:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [j for j in inputs.used if inputs.kinds[j] is ColumnKind.NUMERIC]
    categorical = [j for j in inputs.used if inputs.kinds[j] is ColumnKind.CATEGORICAL]
    text = [j for j in inputs.used if inputs.kinds[j] is ColumnKind.TEXT]
    steps: list[tuple[str, object, object]] = []
    # Column positions in the design array built by ``_array``: numeric block first.
    position = 0
    if numeric:
        block = list(range(position, position + len(numeric)))
        steps.append((
            "numeric",
            make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                StandardScaler(),
            ),
            block,
        ))  # fmt: skip
        position += len(numeric)
    if categorical:
        block = list(range(position, position + len(categorical)))
        steps.append((
            "categorical",
            OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=2),
            block,
        ))  # fmt: skip
        position += len(categorical)
    for offset, _ in enumerate(text):
        steps.append((
            f"text{offset}",
            TfidfVectorizer(
                ngram_range=(1, 2), sublinear_tf=True, max_features=MAX_TERMS, min_df=1,
                token_pattern=WORD,
            ),
            position + offset,
        ))  # fmt: skip
    return ColumnTransformer(steps, sparse_threshold=0.3)


def _array(inputs: ModelInputs) -> npt.NDArray[np.object_]:
    import numpy as np

    numeric = [j for j in inputs.used if inputs.kinds[j] is ColumnKind.NUMERIC]
    other = [j for j in inputs.used if inputs.kinds[j] is ColumnKind.CATEGORICAL]
    text = [j for j in inputs.used if inputs.kinds[j] is ColumnKind.TEXT]
    rows = len(inputs.cells[0]) if inputs.cells else 0
    out = np.empty((rows, len(numeric) + len(other) + len(text)), dtype=object)
    for position, j in enumerate(numeric):
        out[:, position] = _numbers(inputs.cells[j])
    for position, j in enumerate(other + text, start=len(numeric)):
        out[:, position] = [c.strip().casefold() if j in other else c for c in inputs.cells[j]]
    return out


def cross_val_probs(
    inputs: ModelInputs, labels: npt.NDArray[np.int64], *, folds: int, seed: int
) -> npt.NDArray[np.float64]:
    """Out-of-fold probabilities (n x classes); ``DataFileError`` when nothing can be modelled."""
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    if not inputs.used:
        raise DataFileError("no numeric, categorical or text column to model the labels from")
    numeric = [j for j in inputs.used if inputs.kinds[j] is ColumnKind.NUMERIC]
    x = _array(inputs)
    if numeric:
        x[:, : len(numeric)] = x[:, : len(numeric)].astype(np.float64)
    model = make_pipeline(_transformer(inputs), LogisticRegression(max_iter=2000, C=1.0))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        probs: npt.NDArray[np.float64] = cross_val_predict(
            model, x, labels, cv=cv, method="predict_proba"
        )
    return np.asarray(probs, dtype=np.float64)


def kappa(labels: npt.NDArray[np.int64], probs: npt.NDArray[np.float64]) -> float:
    """Cohen's kappa between the labels and the out-of-sample arg-max (0: no better than chance)."""
    import numpy as np

    predicted = probs.argmax(axis=1)
    classes = probs.shape[1]
    observed = float(np.mean(predicted == labels))
    given = np.bincount(labels, minlength=classes) / len(labels)
    guessed = np.bincount(predicted, minlength=classes) / len(labels)
    expected = float(np.dot(given, guessed))
    return 1.0 if expected >= 1 else (observed - expected) / (1 - expected)
