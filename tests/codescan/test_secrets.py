"""Secrets: every token shape, placeholders, masking, notebooks, configs and safetensors."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlsvs.codescan.secrets import (
    SecretKind,
    SourceKind,
    find_secrets,
    known_shape,
    scan_secrets_file,
)

# Built by concatenation so that no complete token literal sits in the repository.
RAND = "Q7wErT9yUi0pAs2dFg4hJk6lZx8cVb1nM3"
HF = "hf_" + RAND[:34]
OPENAI = "sk-proj-" + RAND + RAND[:20]
OPENAI_LEGACY = "sk-" + RAND[:20] + "T3BlbkFJ" + RAND[:20]
ANTHROPIC = "sk-ant-api03-" + RAND + RAND + "AA"
AWS_ID = "AKIA" + "Q7WERT9YUI0PAS2D"
AWS_SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCY" + "Q7wErT9yUi0p"
GITHUB = "ghp_" + RAND + "xy"
GITHUB_PAT = "github_pat_" + RAND[:22] + "_" + (RAND + RAND)[:59]
SLACK = "xoxb-1234567890-1234567890123-" + RAND[:24]
STRIPE = "sk_live_" + RAND[:24]
WANDB = "8f14e45fceea167a5a36dedd4bea2543" + "a1b2c3d4"
AZURE = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + (RAND * 3)[:86] + "==;"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" + RAND


@pytest.mark.parametrize(
    ("text", "kind", "source"),
    [
        (f'HF_TOKEN = "{HF}"', SecretKind.HUGGINGFACE_TOKEN, SourceKind.CODE),
        (f"key: {OPENAI}", SecretKind.OPENAI_KEY, SourceKind.CONFIG),
        (f"OPENAI_API_KEY={OPENAI_LEGACY}", SecretKind.OPENAI_KEY, SourceKind.CONFIG),
        (f'client = Anthropic(api_key="{ANTHROPIC}")', SecretKind.ANTHROPIC_KEY, SourceKind.CODE),
        (f"aws_access_key_id = {AWS_ID}", SecretKind.AWS_ACCESS_KEY_ID, SourceKind.CONFIG),
        (f"aws_secret_access_key = {AWS_SECRET}", SecretKind.AWS_SECRET_KEY, SourceKind.CONFIG),
        (f"remote = https://{GITHUB}@github.com/o/r", SecretKind.GITHUB_TOKEN, SourceKind.TEXT),
        (f"GH={GITHUB_PAT}", SecretKind.GITHUB_TOKEN, SourceKind.CONFIG),
        (f"slack: {SLACK}", SecretKind.SLACK_TOKEN, SourceKind.CONFIG),
        (f"stripe = '{STRIPE}'", SecretKind.STRIPE_KEY, SourceKind.CODE),
        (f"wandb.login(key='{WANDB}')", SecretKind.WANDB_KEY, SourceKind.CODE),
        (f"conn: {AZURE}", SecretKind.AZURE_CONNECTION_STRING, SourceKind.CONFIG),
        (
            f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
            SecretKind.PRIVATE_KEY,
            SourceKind.TEXT,
        ),
        ('db_password = "Zx9!kq2LmP0#wE"', SecretKind.GENERIC, SourceKind.CODE),
        ("DB_PASSWORD=Zx9kq2LmP0wE7", SecretKind.GENERIC, SourceKind.CONFIG),
    ],
)
def test_each_shape_is_found_and_masked(text: str, kind: SecretKind, source: SourceKind) -> None:
    hits = find_secrets(text, source_kind=source)
    assert [h.kind for h in hits] == [kind]
    [hit] = hits
    assert hit.rule == kind.value
    secret_parts = [
        p
        for p in (
            HF,
            OPENAI,
            ANTHROPIC,
            AWS_SECRET,
            GITHUB,
            STRIPE,
            WANDB,
            PEM_BODY,
            "Zx9!kq2LmP0#wE",
        )
        if p in text
    ]
    for part in secret_parts:
        assert part not in hit.excerpt
        assert part not in hit.masked


def test_gcp_service_account_json() -> None:
    key = json.dumps(
        {
            "type": "service_account",
            "project_id": "p",
            "private_key_id": "0" * 40,
            "private_key": f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n",
        },
        indent=1,
    )
    hits = find_secrets(key, source_kind=SourceKind.CONFIG)
    assert [h.kind for h in hits] == [SecretKind.GCP_SERVICE_ACCOUNT]
    assert PEM_BODY not in hits[0].excerpt


@pytest.mark.parametrize(
    "text",
    [
        'token = "<your-token>"',
        'HF_TOKEN = "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
        "password: ${DB_PASSWORD}",
        'api_key = os.environ["OPENAI_API_KEY"]',
        "password = os.getenv('PW')",
        'password = "changeme"',
        'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"',
        "tokenizer: bert-base-uncased-tokenizer",
        "max_new_tokens = 512",
        'pad_token = "<|endoftext|>"',
        "-----BEGIN RSA PRIVATE KEY----- is what a key file starts with",
        'secret_name = "prod-database-credentials"',
        'password = "aaaaaaaaaaaa"',
        "commit = 8f14e45fceea167a5a36dedd4bea2543a1b2c3d4",
        "token: {{ secrets.HF_TOKEN }}",
    ],
)
def test_false_positive_controls(text: str) -> None:
    assert find_secrets(text, source_kind=SourceKind.CONFIG) == []
    assert find_secrets(text, source_kind=SourceKind.CODE) == []


def test_data_source_kind_has_no_generic_rule() -> None:
    text = f"row,password=Zx9kq2LmP0wE7,{HF}"
    assert [h.kind for h in find_secrets(text, source_kind=SourceKind.DATA)] == [
        SecretKind.HUGGINGFACE_TOKEN
    ]


def test_entropy_threshold_is_adjustable() -> None:
    text = 'password = "hunter2hunter2"'
    assert find_secrets(text, source_kind=SourceKind.CODE, min_entropy=3.0) == []
    assert len(find_secrets(text, source_kind=SourceKind.CODE, min_entropy=2.0)) == 1


def test_known_shape_for_code_rule() -> None:
    assert known_shape(HF) is SecretKind.HUGGINGFACE_TOKEN
    assert known_shape("hf_" + "x" * 34) is None
    assert known_shape("hello world") is None


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        min_size=34,
        max_size=34,
    )
)
def test_mask_never_reveals_the_token(body: str) -> None:
    token = "hf_" + body
    for hit in find_secrets(f'token = "{token}"', source_kind=SourceKind.CODE):
        assert token not in hit.masked and token not in hit.excerpt
        assert body[4:] not in hit.excerpt


def test_notebook_outputs_and_metadata(tmp_path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["Set up"]},
            {
                "cell_type": "code",
                "source": ["import os\n", "print(os.environ['HF_TOKEN'])\n"],
                "outputs": [{"output_type": "stream", "text": ["ok\n", f"{HF}\n"]}],
            },
        ],
        "metadata": {"widgets": {"state": {"api_key": OPENAI}}},
    }
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook))
    result = scan_secrets_file(path, display="n.ipynb")
    assert result.errors == ()
    places = [(s.pointer, s.hit.line, s.hit.kind) for s in result.hits]
    assert ("cell 2 output 1", 2, SecretKind.HUGGINGFACE_TOKEN) in places
    assert any(p == "metadata" and k is SecretKind.OPENAI_KEY for p, _l, k in places)


def _safetensors(meta: dict[str, str]) -> bytes:
    header = json.dumps(
        {"__metadata__": meta, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    ).encode()
    return struct.pack("<Q", len(header)) + header + b"\x00" * 4


def test_safetensors_metadata(tmp_path) -> None:
    path = tmp_path / "m.safetensors"
    path.write_bytes(_safetensors({"format": "pt", "hub_token": HF}))
    result = scan_secrets_file(path, display="m.safetensors")
    assert [(s.pointer, s.hit.kind) for s in result.hits] == [
        ("__metadata__/hub_token", SecretKind.HUGGINGFACE_TOKEN)
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"\x01",
        struct.pack("<Q", 10**9) + b"{}",
        struct.pack("<Q", 2) + b"[]",
        struct.pack("<Q", 3) + b"{x}",
    ],
)
def test_malformed_safetensors_is_an_error(tmp_path, data: bytes) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    result = scan_secrets_file(path, display="bad.safetensors")
    assert result.hits == () and len(result.errors) == 1


def test_env_card_and_undecodable(tmp_path) -> None:
    (tmp_path / ".env").write_text(f"HF_TOKEN={HF}\nDEBUG=1\n")
    readme = tmp_path / "README.md"
    readme.write_text(f"---\nlicense: mit\nwandb_key: {WANDB}\n---\n# Model\n")
    binary = tmp_path / "x.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert [s.hit.line for s in scan_secrets_file(tmp_path / ".env", display=".env").hits] == [1]
    assert [s.hit.kind for s in scan_secrets_file(readme, display="README.md").hits] == [
        SecretKind.WANDB_KEY
    ]
    assert scan_secrets_file(binary, display="x.yaml").errors == ("x.yaml: not UTF-8 text",)


def test_kubernetes_secret_references_are_not_secrets() -> None:
    from mlsvs.codescan import SourceKind, find_secrets

    text = "volumes:\n  - secret:\n      secretName: hardened-classifier-api-key\n"
    assert find_secrets(text, source_kind=SourceKind.CONFIG) == []
    assert find_secrets('apiKey: "sk3Jd9sKq2LmN8pQ4rT7vW1xZ5"\n', source_kind=SourceKind.CONFIG)
