"""Placeholders are not high-severity secrets; real-looking secrets still are (issue 12).

The true secrets are generated at test time (random, never committed): AWS, GitHub, Hugging
Face, Slack tokens, a PEM private key and random generic passwords, including ones that happen
to contain a marker word such as ``here`` or ``test``.
"""

from __future__ import annotations

import secrets
import string

import pytest

from mlsvs.codescan.secrets import SecretKind
from mlsvs.codescan.secrets.find import SourceKind, find_secrets
from mlsvs.codescan.secrets.placeholders import ValueKind, classify, segment
from mlsvs.model.result import Severity

ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits


def _random(alphabet: str, size: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(size))


PLACEHOLDERS = [
    "changethis",
    "sample_api_key",
    "your-api-key-here",
    "YOUR_TOKEN_HERE",
    "xxxxxxxxxxxxxxxx",
    "xxxx-xxxx-xxxx",
    "sk-xxxxxxxxxxxxxxxxxxxxxxxx",
    "<token>",
    "<your-hf-token>",
    "${HF_TOKEN}",
    "{{ secrets.API_KEY }}",
    "%(password)s",
    "example-password",
    "dummy_secret_value",
    "test1234",
    "testpassword",
    "aaaaaaaaaaaa",
    "12345678",
    "qwertyuiop",
    "insert-your-key-here",
    "REPLACE_ME_WITH_A_REAL_KEY",
    "__API_TOKEN__",
    "fake-token-for-tests",
    "put_your_secret_here",
    "changeme123",
]


@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_placeholders_are_classified_as_such(value: str) -> None:
    assert classify(value) is ValueKind.PLACEHOLDER


@pytest.mark.parametrize("value", PLACEHOLDERS)
@pytest.mark.parametrize(
    ("template", "source"),
    [
        ('password = "{}"', SourceKind.CODE),
        ('API_KEY = "{}"', SourceKind.CODE),
        ("secret_key: {}", SourceKind.CONFIG),
        ("HF_TOKEN={}", SourceKind.CONFIG),
    ],
)
def test_placeholders_are_not_reported(value: str, template: str, source: SourceKind) -> None:
    assert find_secrets(template.format(value), source_kind=source) == []


@pytest.mark.parametrize(
    "line",
    [
        # Seen in public ML repositories (lm-evaluation-harness, whisper, a fabfile):
        '    "apikey": "WATSONX_API_KEY",',
        '    "password": "WATSONX_PASSWORD",',
        '    "passage_retrieval_en": "retrieval_score",',
        '    "passivisation": "passivization",',
        "env.cloudfiles_api_key = 'my_rackspace_api_key'",
        'TEST_AUTH_TOKEN = "secure-token"',
    ],
)
def test_real_world_false_positives(line: str) -> None:
    assert find_secrets(line, source_kind=SourceKind.CODE) == []
    assert find_secrets(line, source_kind=SourceKind.CONFIG) == []


def test_comment_context_marks_a_placeholder() -> None:
    line = 'password = "Zq8!tLr2Wm"  # dummy value for the docs'
    assert find_secrets(line, source_kind=SourceKind.CODE) == []
    assert find_secrets('password = "Zq8!tLr2Wm"', source_kind=SourceKind.CODE)
    # ... but a comment never hides a structured vendor token.
    token = "ghp_" + _random(ALNUM, 36)
    [hit] = find_secrets(f'TOKEN = "{token}"  # example', source_kind=SourceKind.CODE)
    assert hit.kind is SecretKind.GITHUB_TOKEN


def test_dictionary_only_literals_are_weak_not_high() -> None:
    [hit] = find_secrets('SECRET_KEY = "supersecretpassword"', source_kind=SourceKind.CODE)
    assert hit.kind is SecretKind.GENERIC and hit.severity is Severity.LOW
    # A passphrase of ordinary words outside the filler vocabulary stays a secret.
    [phrase] = find_secrets('password = "correcthorsebatterystaple"', source_kind=SourceKind.CODE)
    assert phrase.severity is Severity.HIGH


def test_segmentation_is_complete_or_nothing() -> None:
    assert segment("replacethis") == ("replace", "this")
    assert segment("yourapikeyhere") == ("your", "api", "key", "here")
    assert segment("k8vq3tzr") is None


def _true_secrets() -> list[tuple[str, SecretKind]]:
    aws_id = "AKIA" + _random(UPPER, 16)
    aws_secret = _random(string.ascii_letters + string.digits + "/+", 40)
    github = "ghp_" + _random(ALNUM, 36)
    hf = "hf_" + _random(ALNUM, 34)
    slack = f"xoxb-{_random(string.digits, 12)}-{_random(string.digits, 13)}-{_random(ALNUM, 24)}"
    # Random tokens that happen to spell a marker word must still be found.
    hf_here = "hf_" + _random(ALNUM, 14) + "here" + _random(ALNUM, 16)
    gh_test = "ghp_" + _random(ALNUM, 10) + "test" + _random(ALNUM, 22)
    return [
        (f'aws_access_key_id = "{aws_id}"', SecretKind.AWS_ACCESS_KEY_ID),
        (f"aws_secret_access_key = {aws_secret}", SecretKind.AWS_SECRET_KEY),
        (f'GITHUB_TOKEN = "{github}"', SecretKind.GITHUB_TOKEN),
        (f"HF_TOKEN={hf}", SecretKind.HUGGINGFACE_TOKEN),
        (f'slack = "{slack}"', SecretKind.SLACK_TOKEN),
        (f'token = "{hf_here}"', SecretKind.HUGGINGFACE_TOKEN),
        (f'token = "{gh_test}"', SecretKind.GITHUB_TOKEN),
        (f'db_password = "{_random(ALNUM + "!@%", 16)}"', SecretKind.GENERIC),
    ]


@pytest.mark.parametrize("attempt", range(5))
def test_real_looking_secrets_are_still_found(attempt: int) -> None:
    for text, kind in _true_secrets():
        hits = find_secrets(text, source_kind=SourceKind.CONFIG)
        assert [h.kind for h in hits] == [kind], text
        assert hits[0].severity in {Severity.HIGH, Severity.CRITICAL}


def test_private_key_is_found() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        .decode()
    )
    [hit] = find_secrets(pem, source_kind=SourceKind.CONFIG)
    assert hit.kind is SecretKind.PRIVATE_KEY and hit.severity is Severity.CRITICAL
