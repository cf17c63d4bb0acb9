"""Terraform parsed on several runner threads at once reads the same as parsed alone.

python-hcl2 8.x mutates a shared serialisation context; without mlsvs's lock a policy
inside ``jsonencode({...})`` came back as a Python repr on one thread in a CI run, and
M9.2.3 turned "not verified" at random. This test races the real parser.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("hcl2")

from mlsvs.checks.platform._hcl import loads

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hardened-classifier" / "deploy"
OPTIONS = {"with_comments": False, "explicit_blocks": False, "strip_string_quotes": True}


def test_concurrent_parses_agree_with_a_parse_alone() -> None:
    texts = [
        (EXAMPLE / "platform.tf").read_text(),
        'policy = {Version = "2012-10-17", S = [{P = {AWS = "arn:aws:iam::${local.a}:r"}}]}\n',
    ]
    alone = [repr(loads(t, **OPTIONS)) for t in texts]
    wrong: list[str] = []

    def parse(i: int) -> None:
        for _ in range(25):
            got = repr(loads(texts[i % 2], **OPTIONS))
            if got != alone[i % 2]:
                wrong.append(got[:200])

    # Switch threads as often as possible so the race, if the lock were gone, shows at once
    # (51 of 240 parses differed when measured without it).
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=parse, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(previous)
    assert wrong == []
