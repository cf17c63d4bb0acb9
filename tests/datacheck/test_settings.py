from __future__ import annotations

import pytest

from mlsvs.datacheck.errors import DataSettingsError
from mlsvs.datacheck.pii import Confidence
from mlsvs.datacheck.settings import DataSettings, parse_settings


def test_defaults_and_values() -> None:
    assert parse_settings({}) == DataSettings()
    conf = parse_settings(
        {
            "splits": {"train": "a.csv", "test": ["b.csv", "c.csv"]},
            "pii_allow": ["data/x.csv:email", {"ref": "d/*.csv:*:iban", "reason": "synthetic"}],
            "pii_min_confidence": "HIGH",
            "label_issue_rate_max": 1,
            "canary_target": 1,
        }
    )
    assert conf.splits == {"train": ("a.csv",), "test": ("b.csv", "c.csv")}
    assert [a.ref for a in conf.pii_allow] == ["data/x.csv:email", "d/*.csv:*:iban"]
    assert conf.pii_allow[1].reason == "synthetic"
    assert conf.pii_min_confidence is Confidence.HIGH
    assert conf.label_issue_rate_max == 1.0 and isinstance(conf.label_issue_rate_max, float)
    assert conf.canary_target == "1"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"nope": 1}, "unknown key"),
        ({"record_hashes": "yes"}, "record_hashes must be bool"),
        ({"near_digits": True}, "near_digits must be int"),
        ({"outlier_rate_max": -1}, "must not be negative"),
        ({"minhash_threshold": 1.5}, "minhash_threshold"),
        ({"minhash_permutations": 100, "minhash_bands": 16}, "multiple of minhash_bands"),
        ({"shingle_size": 9}, "shingle_size 1-7"),
        ({"canary_rate": 1.0}, "canary_rate"),
        ({"cv_folds": 1}, "cv_folds"),
        ({"recipe": "train"}, "module:function"),
        ({"label_method": "magic"}, "label_method"),
        ({"pii_min_confidence": "sure"}, "pii_min_confidence"),
        ({"pii_allow": ["no-column"]}, "path:column"),
        ({"pii_allow": [{"ref": "a:b", "why": "x"}]}, "unknown key"),
        ({"splits": {"train": 3}}, "splits.train"),
        ({"manifests": [1]}, "list of strings"),
    ],
)
def test_invalid_settings(raw: dict[str, object], message: str) -> None:
    with pytest.raises(DataSettingsError, match=message):
        parse_settings(raw)
