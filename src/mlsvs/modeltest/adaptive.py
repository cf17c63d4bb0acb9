"""Hardening validated with adaptive attacks (M6.2.5).

The model under test is the *defended* pipeline (defence and classifier together, as served).
Each declared defence gets the attack adapted to it (Tramer et al., NeurIPS 2020):

- ``randomized`` (noise injection, random transforms, randomized smoothing): the Square attack
  on the Expectation over Transformation — every query is the mean of ``eot_samples`` answers —
  so the defence's randomness no longer hides the margin;
- ``input_transform``, ``ensemble`` and ``adversarial_training``: the Square attack on the whole
  pipeline end to end (score-based, so a non-differentiable transform cannot mask a gradient).

A ``detector`` defence (a reject output) needs an attack on the classifier and the detector
jointly, which this test does not run: declaring one leaves the requirement not verified.
Success is judged on the pipeline's own answer (the majority of ``eot_samples`` answers for a
randomized one). The naive attack (one query per
step, plain margin) is run too and reported: a naive figure far above the adaptive one is the
signature of a defence credited without an adaptive evaluation. The verdict is robust accuracy
under the adaptive attack divided by clean accuracy, at least ``min_robust_accuracy_ratio``;
``epsilon`` and the query budget are the standard's black-box ones (M6.2.1) at a level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsvs.errors import ConfigError
from mlsvs.model.result import Measurement
from mlsvs.modeltest.metrics import wilson
from mlsvs.modeltest.result import TestName, TestResult, limited, params
from mlsvs.modeltest.thresholds import decide

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mlsvs.adapters.models.spec import InputSpec, ModelAdapter, OutputKind
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset

    Array = npt.NDArray[np.floating]
    Labels = npt.NDArray[np.integer]

NAME = TestName.ADAPTIVE
KINDS = ("randomized", "detector", "input_transform", "ensemble", "adversarial_training")
JOINT = frozenset({"detector"})
"""Kinds whose adaptive attack (a joint objective) this test does not implement."""
MIN_SAMPLES = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class Defence:
    """One declared defence."""

    name: str
    kind: str
    eot_samples: int = 1


def parse_defences(cfg: ModelTestConfig) -> tuple[Defence, ...] | None:
    """The declared defences; None when the table is absent."""
    raw = cfg.adaptive.values.get("defences")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ConfigError("model_tests.adaptive.defences must be an array of tables")
    out = []
    for i, entry in enumerate(raw):
        where = f"model_tests.adaptive.defences[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table")
        extra = sorted(set(entry) - {"name", "kind", "eot_samples"})
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(extra)}")
        kind = entry.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"{where}.kind must be one of {', '.join(KINDS)}")
        eot = entry.get("eot_samples", 16 if kind == "randomized" else 1)
        if not isinstance(eot, int) or isinstance(eot, bool) or not 1 <= eot <= 256:
            raise ConfigError(f"{where}.eot_samples must be an integer 1-256")
        out.append(Defence(name=str(entry.get("name", kind)), kind=str(kind), eot_samples=eot))
    return tuple(out)


class Adapted:
    """The pipeline as the adaptive attack sees it: the mean over ``eot_samples`` answers."""

    def __init__(self, inner: ModelAdapter, defence: Defence) -> None:
        self._inner = inner
        self._defence = defence
        self.queries = 0

    @property
    def input_spec(self) -> InputSpec:
        """The pipeline's input spec."""
        return self._inner.input_spec

    @property
    def n_classes(self) -> int:
        """The pipeline's class count."""
        return self._inner.n_classes

    @property
    def output_kind(self) -> OutputKind:
        """The pipeline's output kind."""
        return self._inner.output_kind

    @property
    def has_gradient(self) -> bool:
        """The attack is score-based."""
        return False

    def predict_proba(self, x: Array) -> Array:
        """Mean scores over ``eot_samples`` answers."""
        import numpy as np

        k = self._defence.eot_samples
        total = np.zeros((x.shape[0], self.n_classes), dtype=np.float64)
        for _ in range(k):
            total += np.asarray(self._inner.predict_proba(x), dtype=np.float64)
        self.queries += k * x.shape[0]
        out: Array = total / k
        return out

    def predict(self, x: Array) -> Labels:
        """The majority answer over ``eot_samples`` calls."""
        import numpy as np

        k = self._defence.eot_samples
        votes = np.zeros((x.shape[0], self.n_classes), dtype=np.int64)
        for _ in range(k):
            pred = np.asarray(self._inner.predict(x), dtype=np.int64)
            votes[np.arange(len(pred)), pred] += 1
        out: Labels = votes.argmax(axis=1)
        return out

    def loss_gradient(self, x: Array, y: Labels) -> Array:
        """Not used: the adaptive attacks here are score-based."""
        raise NotImplementedError


def _robust(
    pipeline: Adapted,
    attack_model: ModelAdapter,
    x: Array,
    y: Labels,
    eps: float,
    qpi: int,
    seed: int,
    cfg: ModelTestConfig,
) -> npt.NDArray[np.bool_]:
    """Whether each input is still correct after the attack (judged on the pipeline)."""
    import numpy as np

    from mlsvs.modeltest.evasion.blackbox import square

    adv, _, _ = square(
        attack_model,
        x,
        y,
        eps,
        cfg.norm,
        queries_per_input=qpi,
        rng=np.random.default_rng([cfg.seed, 625, seed]),
    )
    out: npt.NDArray[np.bool_] = pipeline.predict(adv) == y
    return out


def adaptive_evaluation(model: ModelAdapter, test: Dataset, cfg: ModelTestConfig) -> TestResult:
    """Robust accuracy under each defence's adaptive attack over clean accuracy."""
    import numpy as np

    defences = parse_defences(cfg)
    if defences is None:
        return TestResult(
            name=NAME,
            ok=None,
            message="not verified: declare the defences of the served pipeline in "
            "model_tests.adaptive.defences (an empty list: no evasion defence is applied)",
            gaps=limited("adaptive evaluation", "no defences declared"),
        )
    if not defences:
        return TestResult(
            name=NAME,
            ok=None,
            applicable=False,
            message="the project declares that no evasion defence is applied "
            "(model_tests.adaptive.defences = [])",
        )
    joint = [d.name for d in defences if d.kind in JOINT]
    if joint:
        return TestResult(
            name=NAME,
            ok=None,
            message=f"not verified: {', '.join(joint)} is a detector; its adaptive attack must "
            "evade classifier and detector jointly, which this test does not run",
            gaps=limited("adaptive evaluation", f"joint attack on {', '.join(joint)}"),
        )
    sec = cfg.adaptive
    from mlsvs.modeltest.evasion.constraints import Constraints

    frac = cfg.standard.value("M6.2.1.epsilon")
    if frac is not None:  # the standard's fraction of the input range, in ε units
        c = Constraints(spec=model.input_spec)
        lo_b, hi_b = c.bounds()
        eps_abs = frac * float(((hi_b - lo_b) / c.scale()).max())
    else:
        eps_abs = sec.get_float("epsilon", 0.1)
    eps = eps_abs
    qpi = cfg.standard.budget("M6.2.1.query_budget", sec.get_int("queries_per_input", 500))
    data = test.take(sec.get_int("samples", 200), np.random.default_rng([cfg.seed, 625]))
    threshold, source = cfg.standard.threshold(
        "M6.2.5.min_robust_accuracy_ratio", sec.threshold("robust_accuracy_ratio_min")
    )
    measurements: list[Measurement] = []
    worst: tuple[float, str] | None = None
    lines: list[str] = []
    for i, defence in enumerate(defences):
        pipeline = Adapted(model, defence)
        clean_ok = pipeline.predict(data.x) == data.y
        clean = float(clean_ok.mean())
        naive = Adapted(model, Defence(name="naive", kind="naive"))
        naive_ok = _robust(pipeline, naive, data.x, data.y, eps_abs, qpi, 2 * i, cfg)
        adaptive_ok = _robust(
            pipeline,
            pipeline,
            data.x,
            data.y,
            eps_abs,
            max(1, qpi // defence.eot_samples),
            2 * i + 1,
            cfg,
        )
        robust = float((adaptive_ok & clean_ok).mean())
        ratio = robust / clean if clean > 0 else 0.0
        lo, hi = wilson(int((adaptive_ok & clean_ok).sum()), len(data))
        measurements.append(
            Measurement(
                name=f"adaptive_robust_accuracy_ratio.{defence.name}",
                value=ratio,
                unit="ratio",
                lower=lo / clean if clean else 0.0,
                upper=min(1.0, hi / clean) if clean else 0.0,
                confidence=0.95,
                parameters=params(
                    defence=defence.name,
                    kind=defence.kind,
                    eot_samples=defence.eot_samples,
                    clean_accuracy=clean,
                    adaptive_robust_accuracy=robust,
                    naive_robust_accuracy=float((naive_ok & clean_ok).mean()),
                    epsilon=eps,
                    norm=cfg.norm.value,
                    queries_per_input=qpi,
                    samples=len(data),
                    attack="square on the EOT mean",
                    seed=cfg.seed,
                ),
            )
        )
        lines.append(
            f"{defence.name} ({defence.kind}): clean {clean:.3f}, naive robust "
            f"{float((naive_ok & clean_ok).mean()):.3f}, adaptive robust {robust:.3f} "
            f"(ratio {ratio:.3f})"
        )
        if worst is None or ratio < worst[0]:
            worst = (ratio, defence.name)
    assert worst is not None  # noqa: S101 - defences is non-empty
    d = decide(worst[0], threshold, cfg.level)
    text = f"adaptive attacks at eps {eps:g} ({source}): " + "; ".join(lines)
    if len(data) < MIN_SAMPLES:
        return TestResult(
            name=NAME,
            ok=None,
            measurements=tuple(measurements),
            message=f"{text}: fewer than {MIN_SAMPLES} samples, cannot decide",
            gaps=limited("adaptive samples", f"{len(data)} inputs"),
        )
    if d.ok is None:
        return TestResult(
            name=NAME,
            ok=None,
            measurements=tuple(measurements),
            message=f"{text}: {d.text}",
            gaps=limited("adaptive limit", d.text),
        )
    return TestResult(
        name=NAME,
        ok=d.ok,
        measurements=tuple(measurements),
        message=f"{text}; worst {worst[1]}: {d.text}",
    )
