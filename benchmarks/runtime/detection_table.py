"""Detection table of the runtime testers (issue 13): every flaw class next to the test that
builds it on a real server / dataset / model and the test of its hardened variant.

Each test asserts the verdict (the flawed variant fails or is not verified, the hardened one
passes), so a passing test *is* the detection. The script runs all of them in one pytest
session (an in-process plugin records each test's outcome) and prints

    flaw class | flawed: test -> verdict | hardened: test -> verdict

where the verdict is the one the test asserts, shown only when the test passed (otherwise
the pytest outcome is shown: the check misses the flaw or fails the hardened variant).

    python benchmarks/runtime/detection_table.py            # markdown table on stdout
    python benchmarks/runtime/detection_table.py --only data  # one area (endpoints/data/models)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Row:
    area: str
    flaw: str
    flawed: str
    """Node id of the test that builds the flaw (``file::test[param]``)."""
    flawed_verdict: str
    hardened: str
    """Node id of the hardened variant's test ("" when the flaw has none)."""
    hardened_verdict: str = "pass"


_P = "tests/probes/test_tester.py::"
_F = _P + "test_flaw_is_exploitable_and_the_probe_fails_it"
_HARD = _P + "test_hardened_server_passes_every_check"
_TLS = "tests/probes/test_tls.py::"
_LN = "tests/datacheck/test_labelnoise.py::"
_SC = "tests/datacheck/test_shortcuts.py::"
_PII = "tests/datacheck/test_pii_columns.py::"
_SP = "tests/datacheck/test_spectral_model.py::"
_M = "tests/modeltest/test_masking.py::"
_PR = "tests/modeltest/test_privacy.py::"
_EX = "tests/modeltest/test_config_cli.py::"

ROWS: tuple[Row, ...] = (
    Row("endpoints", "route alias /v1/predict without auth",
        f"{_F}[alias_without_auth-authentication]", "fail", _HARD),
    Row("endpoints", "lower-case auth scheme skips the key check",
        f"{_F}[lowercase_scheme_skips_check-authentication]", "fail", _HARD),
    Row("endpoints", "credential accepted in the query string",
        f"{_F}[query_credential_echo-authentication]", "fail", _HARD),
    Row("endpoints", "credential echoed in errors (reported, redacted)",
        f"{_F}[query_credential_echo-error_leakage]", "fail", _HARD),
    Row("endpoints", "rate limit keyed on spoofable X-Forwarded-For",
        f"{_F}[xff_rate_limit-rate_limit]", "fail", _HARD),
    Row("endpoints", "CORS reflects any origin with credentials",
        f"{_F}[cors_reflects_with_credentials-cors]", "fail", _HARD),
    Row("endpoints", "weights download route",
        f"{_F}[weights_route-management_surface]", "fail", _HARD),
    Row("endpoints", "no body limit for a valid-shaped batch (422 on wrong shape)",
        f"{_F}[no_body_limit-resource_limits]", "fail",
        f"{_P}test_hardened_probe_is_bounded", "pass (413 on valid-shaped oversize)"),
    Row("endpoints", "quadratic-cost endpoint",
        f"{_F}[quadratic_cost-cost]", "fail", _HARD),
    Row("endpoints", "undocumented route from OpenAPI without auth",
        f"{_F}[openapi_hidden_route-authentication]", "fail", _HARD),
    Row("endpoints", "body limit follows the level",
        f"{_P}test_the_level_parameter_sets_the_body_limit[L3-262144-fail]", "fail",
        f"{_P}test_the_level_parameter_sets_the_body_limit[L3-2097152-pass]"),
    Row("endpoints", "TLS: self-signed certificate",
        "tests/probes/test_failures.py::test_self_signed_certificate_fails_transport_and_blocks"
        "_the_rest", "fail",
        "tests/probes/test_failures.py::test_trusted_private_ca_passes_transport"),
    Row("endpoints", "TLS: expired certificate",
        f"{_TLS}test_expired_certificate_fails_even_when_its_ca_is_trusted", "fail",
        f"{_TLS}test_hardened_tls_passes_with_every_handshake_tried"),
    Row("endpoints", "TLS 1.0/1.1 offered",
        f"{_TLS}test_legacy_protocols_offered_fail", "fail",
        f"{_TLS}test_hardened_tls_passes_with_every_handshake_tried"),
    Row("endpoints", "TLS weak cipher suites",
        f"{_TLS}test_weak_cipher_suite_fails", "fail",
        f"{_TLS}test_hardened_tls_passes_with_every_handshake_tried"),
    Row("endpoints", "TLS legacy probe impossible locally",
        f"{_TLS}test_an_openssl_that_cannot_offer_legacy_is_not_a_pass", "not verified", ""),
    Row("data", "5 % flipped labels (breast cancer)",
        f"{_LN}test_five_percent_flipped_labels_fail_and_clean_copy_passes[breast_cancer]",
        "fail", f"{_LN}test_five_percent_flipped_labels_fail_and_clean_copy_passes"
        "[breast_cancer]"),
    Row("data", "backdoor: rare token + feature value -> one label (text column)",
        f"{_SC}test_text_and_value_trigger_is_found", "fail",
        f"{_SC}test_clean_reviews_pass_though_sentiment_words_are_pure"),
    Row("data", "backdoor: sentinel feature value (breast cancer)",
        f"{_SC}test_sentinel_value_on_breast_cancer_is_found_and_clean_copy_passes", "fail",
        f"{_SC}test_digits_predictive_pixels_are_features_not_triggers"),
    Row("data", "backdoor: spectral signature (embeddings / model)",
        f"{_SP}test_backdoored_model_is_found_and_clean_model_passes", "fail",
        f"{_SP}test_backdoored_model_is_found_and_clean_model_passes"),
    Row("data", "order IDs 976-987-4168 vs phone numbers",
        f"{_PII}test_real_phone_numbers_in_a_neutral_column_are_found", "phones found",
        f"{_PII}test_order_ids_shaped_like_phones_are_not_phones", "pass (no phone)"),
    Row("data", "sequential SSN-shaped refs / chance-Luhn IDs",
        f"{_PII}test_faker_personal_data_is_found", "PII found",
        f"{_PII}test_sequential_ssn_shaped_references_and_chance_luhn_ids_are_dismissed",
        "pass (dismissed)"),
    Row("models", "logits x1000, black-box (project eps 0.1)",
        f"{_M}test_logit_scaled_model_gets_the_healthy_number_and_fails", "fail",
        f"{_M}test_whitebox_sees_through_logit_scaling"),
    Row("models", "saturated float32 probability API",
        f"{_M}test_saturated_probability_api_cannot_pass", "not pass", ""),
    Row("models", "logits x1000 at L1, black-box (standard eps 1/255)",
        f"{_M}test_at_l1_the_saturation_sanity_check_decides[blackbox]",
        "not verified (masking)", f"{_M}test_at_l1_the_saturation_sanity_check_decides[blackbox]"),
    Row("models", "logits x1000 at L1, white-box (standard eps 1/255)",
        f"{_M}test_at_l1_the_saturation_sanity_check_decides[whitebox]",
        "not verified (masking)", f"{_M}test_at_l1_the_saturation_sanity_check_decides[whitebox]"),
    Row("models", "non-differentiable input layer (gradient masking)",
        f"{_M}test_quantised_input_masks_gradients_and_is_not_verified", "not verified", ""),
    Row("models", "large-budget sanity run with a small absolute step",
        f"{_M}test_quantised_input_masks_gradients_and_is_not_verified", "not verified",
        f"{_M}test_large_budget_sanity_run_scales_its_step", "pass (sanity pass)"),
    Row("models", "level sets eps, budget, ratio floor",
        f"{_M}test_at_a_level_the_standard_sets_epsilon_budget_and_the_ratio_floor",
        "not pass (< min samples)", ""),
    Row("models", "membership: overfit model",
        f"{_PR}test_overfit_model_leaks_and_fails", "fail",
        f"{_PR}test_regularised_model_stays_near_chance_and_passes"),
    Row("models", "membership: float32 softmax ties at p = 1",
        f"{_PR}test_scores_from_logits_do_not_tie_where_float32_softmax_saturates",
        "no ties (logits)", ""),
    Row("models", "TPR at 0.1 % FPR on too few non-members",
        f"{_PR}test_low_fpr_figure_the_sample_cannot_support_is_not_decided",
        "not verified", f"{_PR}test_tpr_at_fpr_and_wilson", "interval"),
    Row("models", "LiRA interval includes shadow variance",
        f"{_PR}test_lira_interval_includes_shadow_model_variance", "wider interval", ""),
    Row("models", "extraction verdict across query pools",
        f"{_EX}test_extraction_takes_the_worst_pool_and_is_stable_across_pools",
        "fail (every seed)", ""),
    Row("models", "extraction surrogate below majority class",
        f"{_EX}test_surrogate_below_majority_class_is_not_verified", "not verified", ""),
    Row("models", "privacy without a limit is not silently n/a",
        f"{_PR}test_no_threshold_means_not_verified", "not verified", ""),
)  # fmt: skip


class _Recorder:
    def __init__(self) -> None:
        self.outcome: dict[str, str] = {}
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        node = report.nodeid
        decisive = report.when == "call" or report.outcome != "passed"
        if decisive and self.outcome.get(node, "passed") == "passed":
            self.outcome[node] = report.outcome  # the first failure or skip wins
        if report.when == "call":
            self.seconds[node] = report.duration


def _cell(node: str, verdict: str, rec: _Recorder) -> str:
    if not node:
        return "—"
    name = node.split("::", 1)[1]
    got = rec.outcome.get(node, "not run")
    shown = verdict if got == "passed" else f"**test {got}**"
    return f"`{name}` → {shown}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("endpoints", "data", "models"))
    args = ap.parse_args()
    rows = [r for r in ROWS if args.only in (None, r.area)]
    nodes = sorted({n for r in rows for n in (r.flawed, r.hardened) if n})
    os.chdir(ROOT)
    os.environ.setdefault("KERAS_BACKEND", "torch")
    os.environ.setdefault("MPLBACKEND", "Agg")
    rec = _Recorder()
    start = time.perf_counter()
    pytest.main(["-q", "-p", "no:cacheprovider", "-rA", *nodes], plugins=[rec])
    took = time.perf_counter() - start
    print(f"\n{len(nodes)} tests in {took:.0f} s; load average {os.getloadavg()}\n")
    print("| area | flaw class | flawed variant: test → verdict | hardened: test → verdict |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r.area} | {r.flaw} | {_cell(r.flawed, r.flawed_verdict, rec)} | "
              f"{_cell(r.hardened, r.hardened_verdict, rec)} |")  # fmt: skip
    bad = [n for n in nodes if rec.outcome.get(n) != "passed"]
    if bad:
        print("\nnot detected / not passing:", *bad, sep="\n  ", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
