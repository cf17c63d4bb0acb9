"""End to end: `mlsvs verify --allow network` reads [llm] and [mlops] from mlsvs.toml."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.llm.servers import SOUND_PROMPT, chat_server

pytestmark = [pytest.mark.network, pytest.mark.slow]
SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_verify_runs_llm_checks_from_the_config(tmp_path):
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "system.txt").write_text(SOUND_PROMPT + "\n")
    with chat_server(naive=True) as (url, log):
        (tmp_path / "mlsvs.toml").write_text(
            f"""name = "acme-support"
traits = ["genai"]

[llm]
url = "{url}"
allowed_hosts = ["127.0.0.1"]
system_prompt = "prompts/system.txt"
confidential = ["ACME-ESC-7731"]

[[llm.channels]]
name = "chat"
kind = "user"
"""
        )
        out = tmp_path / "report.json"
        proc = subprocess.run(
            [sys.executable, "-m", "mlsvs", "verify", str(tmp_path), "--allow", "network",
             "--select", "MLC95*", "-f", f"json:{out}", "--no-progress"],
            env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    text = out.read_text()
    doc = json.loads(text)
    assert "MLC951" in text and "MLC950" in text
    assert log, "the endpoint was never probed"
    blob = json.dumps(doc)
    assert "marked content #1" in blob  # the naive app leaked the marked escalation code
    assert "ACME-ESC-7731" not in text  # the report names the leak, never the secret
