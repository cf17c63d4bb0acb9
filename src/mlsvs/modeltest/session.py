"""Run runtime model tests: load the model in a worker process, run each test, fail closed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlsvs.adapters.models.errors import ModelTestError
from mlsvs.adapters.models.load import ModelKind, ModelSource
from mlsvs.adapters.models.spec import HttpSettings, InputSpec
from mlsvs.errors import CapabilityError, ConfigError
from mlsvs.modeltest.config import floats, ints, parse, strs
from mlsvs.modeltest.result import TestName, TestResult

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from mlsvs.adapters.models.spec import ModelAdapter
    from mlsvs.model.artifact import Endpoint
    from mlsvs.modeltest.config import ModelTestConfig
    from mlsvs.modeltest.data import Dataset
    from mlsvs.modeltest.privacy.scores import Trainer


def input_spec(cfg: ModelTestConfig) -> InputSpec:
    """The declared per-sample input spec."""
    inp = cfg.input
    groups = inp.get("one_hot_groups", [])
    if not isinstance(groups, list):
        raise ConfigError("model_tests.input.one_hot_groups must be a list of index lists")
    return InputSpec(
        shape=ints(inp.get("shape", []), "model_tests.input.shape"),
        dtype=inp.get_str("dtype", "float32"),
        lower=floats(inp.get("lower", 0.0), "model_tests.input.lower"),
        upper=floats(inp.get("upper", 1.0), "model_tests.input.upper"),
        integer_features=ints(inp.get("integer_features", []), "input.integer_features"),
        one_hot_groups=tuple(ints(g, "model_tests.input.one_hot_groups") for g in groups),
        fixed_features=ints(inp.get("fixed_features", []), "input.fixed_features"),
        scale=floats(inp.get("scale", 1.0), "model_tests.input.scale"),
    )


def model_source(cfg: ModelTestConfig, root: Path) -> ModelSource:
    """Where the model comes from (crosses into the worker process)."""
    m = cfg.model
    http = None
    if cfg.kind is ModelKind.HTTP:
        auth = m.values.get("auth_env")
        http = HttpSettings(
            url=m.get_str("url", ""),
            allowed_hosts=strs(m.get("allowed_hosts", []), "model_tests.model.allowed_hosts"),
            request_template=m.get_str("request_template", '{"inputs": "$INPUTS"}'),
            output_path=m.get_str("output_path", "outputs"),
            auth_env=auth if isinstance(auth, str) else None,
            auth_header=m.get_str("auth_header", "Authorization"),
            auth_scheme=m.get_str("auth_scheme", "Bearer"),
            timeout_s=m.get_float("request_timeout_s", 10.0),
            max_retries=m.get_int("max_retries", 5),
            backoff_s=m.get_float("backoff_s", 0.5),
            batch_size=m.get_int("batch_size", 64),
        )
    factory, trusted = m.values.get("factory"), m.values.get("trusted_model")
    return ModelSource(
        kind=cfg.kind,
        root=str(root),
        spec=input_spec(cfg),
        n_classes=m.get_int("n_classes", 2),
        factory=factory if isinstance(factory, str) else None,
        trusted_model=trusted if isinstance(trusted, str) else None,
        device=m.get_str("device", "auto"),
        http=http,
        trusted_types=strs(m.get("trusted_types", []), "model_tests.model.trusted_types"),
        threads=m.get_int("threads", 1),
    )


def run_tests(
    section: Mapping[str, object],
    root: Path,
    names: Iterable[TestName],
    *,
    model_exec: bool,
    network: bool,
    endpoints: Mapping[str, Endpoint] | None = None,
    level: str | None = None,
    parameters: Mapping[str, object] | None = None,
) -> tuple[TestResult, ...]:
    """Parse the config, open the model (worker process or HTTP client) and run ``names``.

    ``level`` is the level being verified (``verify --level``; else ``model_tests.level``);
    with a level, the standard's ``parameters`` (or their level defaults) set the limits and
    budgets, and the project's own thresholds may only tighten them.
    ``output.endpoint`` names a declared inference endpoint: output minimisation is then
    judged from that endpoint's raw answers instead of the model's.
    Raises ``ConfigError``/``CapabilityError``/``ModelTestError`` when nothing can run.
    """
    from dataclasses import replace

    from mlsvs.modeltest.standard import StandardValues

    cfg = parse(section)
    chosen = level or cfg.level
    cfg = replace(cfg, level=chosen, standard=StandardValues(level=chosen, values=parameters or {}))
    names = tuple(names)
    if TestName.DERIVED in names:
        from mlsvs.modeltest.derived import evaluate

        def run(c: ModelTestConfig, tests: tuple[str, ...]) -> dict[str, TestResult]:
            chosen = tuple(TestName(t) for t in tests)  # the derived suite names tests by value
            try:
                return {r.name: r for r in _with_model(c, root, chosen, model_exec, network)}
            except ModelTestError as exc:  # a derived model that does not load decides nothing
                why = f"could not verify: {exc.message}"
                return {t: TestResult(name=t, ok=None, message=why) for t in chosen}

        first = evaluate(cfg, run)
        remaining = tuple(n for n in names if n is not TestName.DERIVED)
        others = {}
        if remaining:
            done = run_tests(
                section, root, remaining, model_exec=model_exec, network=network,
                endpoints=endpoints, level=level, parameters=parameters,
            )  # fmt: skip
            others = {r.name: r for r in done}
        return tuple(first if n is TestName.DERIVED else others[n] for n in names)
    if TestName.OUTPUT in names and cfg.output.values.get("endpoint"):
        rest = tuple(n for n in names if n is not TestName.OUTPUT)
        first = _endpoint_output(cfg, endpoints or {}, network=network)
        if not rest:
            return (first,)
        others = {r.name: r for r in _with_model(cfg, root, rest, model_exec, network)}
        return tuple(first if n is TestName.OUTPUT else others[n] for n in names)
    return _with_model(cfg, root, names, model_exec, network)


def _endpoint_output(
    cfg: ModelTestConfig, endpoints: Mapping[str, Endpoint], *, network: bool
) -> TestResult:
    import json

    from mlsvs.adapters.models.http import post_json
    from mlsvs.modeltest.output import endpoint_answers

    name = cfg.output.get_str("endpoint", "")
    if not network:
        raise CapabilityError("querying the declared endpoint needs --allow network")
    ep = endpoints.get(name)
    if ep is None:
        raise ConfigError(f"model_tests.output.endpoint {name!r} is not a declared [[endpoints]]")
    try:
        body = json.loads(ep.request_template)
    except json.JSONDecodeError:
        raise ConfigError(f"endpoint {name!r} needs a JSON request_template") from None
    try:
        answers = [
            post_json(ep.url, body, auth_env=ep.auth_env, auth_header=ep.auth_header,
                      auth_scheme=ep.auth_scheme)
            for _ in range(max(1, cfg.output.get_int("requests", 3)))
        ]  # fmt: skip
    except ModelTestError as exc:
        return TestResult(name=TestName.OUTPUT, ok=None, message=f"could not verify: {exc}")
    return endpoint_answers(answers, name, cfg.model.get_int("n_classes", 2), cfg)


def _with_model(
    cfg: ModelTestConfig,
    root: Path,
    names: tuple[TestName, ...],
    model_exec: bool,
    network: bool,
) -> tuple[TestResult, ...]:
    from mlsvs.adapters.models.worker import open_worker

    source = model_source(cfg, root)
    if source.kind is ModelKind.HTTP:
        if not network:
            raise CapabilityError("querying an HTTP model needs --allow network")
        from mlsvs.adapters.models.load import build

        model = build(source)
        try:
            return run_with_model(model, cfg, root, names)
        finally:
            getattr(model, "close", lambda: None)()
    if not model_exec:
        raise CapabilityError("loading the model runs its code: grant it with --allow model-exec")
    recipe = cfg.privacy.values.get("recipe") or cfg.reproducibility.values.get("recipe")
    with open_worker(
        source, recipe=recipe if isinstance(recipe, str) else None, timeout_s=cfg.timeout_s
    ) as worker:
        trainer = worker.fit if recipe else None
        return run_with_model(worker.model, cfg, root, names, trainer=trainer)


def run_with_model(
    model: ModelAdapter,
    cfg: ModelTestConfig,
    root: Path,
    names: Iterable[TestName],
    *,
    trainer: Trainer | None = None,
) -> tuple[TestResult, ...]:
    """Run each test on an already-open model; each gets a fresh query budget.

    Attack results are shared between tests (the white-box test reuses the black-box runs).
    """
    out: list[TestResult] = []
    memo: dict[tuple[object, ...], object] = {}
    for name in names:
        try:
            out.append(_one(model, cfg, Path(root), name, trainer, memo))
        except (ModelTestError, ConfigError) as exc:
            gap = getattr(exc, "gap", None)
            out.append(
                TestResult(name=name, ok=None, message=f"could not verify: {exc}",
                           gaps=(gap,) if gap is not None else ())
            )  # fmt: skip
    return tuple(out)


def _one(
    model: ModelAdapter,
    cfg: ModelTestConfig,
    root: Path,
    name: TestName,
    trainer: Trainer | None,
    memo: dict[tuple[object, ...], object],
) -> TestResult:
    from mlsvs.adapters.models.budget import BudgetedModel
    from mlsvs.modeltest import (
        accuracy,
        calibration,
        claims,
        compute,
        extraction,
        memorisation,
        ood,
        output,
        reproducibility,
        robustness,
        shift,
    )
    from mlsvs.modeltest.data import load
    from mlsvs.modeltest.privacy import attribute, membership

    counted = BudgetedModel(model, budget=cfg.query_budget)
    spec, k = model.input_spec, model.n_classes

    def data(role: str) -> Dataset:
        fallback = "test" if role == "nonmembers" and "nonmembers" not in cfg.data.values else role
        return load(root, cfg.data, fallback, spec, k)

    match name:
        case TestName.ACCURACY:
            return accuracy.clean_accuracy(counted, data("test"), cfg)
        case TestName.BLACKBOX:
            return robustness.blackbox(counted, data("test"), cfg, memo)  # type: ignore[arg-type]
        case TestName.WHITEBOX:
            return robustness.whitebox(counted, data("test"), cfg, memo)  # type: ignore[arg-type]
        case TestName.MEMBERSHIP:
            return membership.membership(
                counted,
                data("train"),
                data("nonmembers"),
                cfg,
                trainer if cfg.privacy.values.get("recipe") else None,
            )
        case TestName.ATTRIBUTE:
            return attribute.attribute_inference(counted, data("train"), cfg)
        case TestName.EXTRACTION:
            return extraction.extraction(counted, data("test"), cfg)
        case TestName.OUTPUT:
            return output.output_minimisation(counted, data("test"), cfg)
        case TestName.CALIBRATION:
            return calibration.calibration(counted, data("test"), data("train"), cfg)
        case TestName.CORRUPTION:
            return shift.corruption_robustness(counted, data("test"), cfg)
        case TestName.OOD:
            declared = "ood" in cfg.data.values
            outliers = load(root, cfg.data, "ood", spec, k, labels=False) if declared else None
            return ood.ood_detection(counted, data("test"), outliers, cfg)
        case TestName.COMPUTE:
            return compute.worst_case_compute(model, data("test"), cfg)
        case TestName.MEMORISATION:
            return memorisation.memorisation(counted, data("train"), data("test"), cfg)
        case TestName.DECLARED:
            return claims.declared_matches(counted, data("test"), cfg, root)
        case TestName.ACCEPTANCE:
            return claims.acceptance(counted, data("test"), cfg, root)
        case TestName.REPRODUCIBILITY:
            return reproducibility.reproducibility(
                counted, data("train"), data("test"), cfg, trainer
            )
        case TestName.SUBGROUPS:
            from mlsvs.modeltest import subgroups

            return subgroups.subgroup_robustness(counted, data("test"), cfg, root)
        case TestName.RECONSTRUCTION:
            from mlsvs.modeltest.privacy import reconstruction

            return reconstruction.reconstruction(model, data("train"), data("test"), cfg)
        case TestName.PROPERTY:
            from mlsvs.modeltest.privacy import property_inference

            return property_inference.property_inference(
                counted, data("train"), data("test"), cfg, root, trainer
            )
        case TestName.ADAPTIVE:
            from mlsvs.modeltest.adaptive import adaptive_evaluation

            return adaptive_evaluation(model, data("test"), cfg)
        case TestName.DERIVED:
            raise ConfigError("the derived evaluation runs several models: use run_tests")
