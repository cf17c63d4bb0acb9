"""The whole journey as a person does it: one command, CI uploads, the browser, a higher level.

``mlsvs server`` runs as a subprocess on a fresh SQLite file (users and the CI token made with
``mlsvs server create-user`` / ``create-token``, as docs/server.md says); ``mlsvs verify
examples/hardened-classifier --upload`` (without the example's attestations, its model server
on loopback) uploads two runs, the first with an unpinned dependency added; in chromium an
auditor sees the inventory, the history and the diff, records a verdict with evidence for every
requirement that blocks L1, is refused her own sign-off, a second auditor signs off and
downloads the attestations; the next ``mlsvs verify`` reaches L1 where the runs before were
below it. Screenshots of each step go where test_browser.py keeps its own (CI artifacts).

CI runs without ``--allow model-exec`` here (the runtime model tests alone take longer than
the rest of the journey), so the two model-test requirements the checks leave not verified
are among those the auditor records; the other five are the example's attestation-only
requirements, recorded with the statements and evidence files of its own attestations.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.integration.servers import EXAMPLES, free_port, running
from tests.integration.test_examples import _advisory_cache, _copy, _verify
from tests.server.conftest import PASSWORD
from tests.server.live import mlsvs_command, serve_command
from tests.server.test_browser import (  # noqa: F401 - fixtures
    _login,
    browser,
    four_eyes_sign_off,
    shots,
)

pytestmark = [pytest.mark.browser, pytest.mark.network, pytest.mark.slow]
SYSTEM = "hardened-classifier"
# What an auditor writes for requirements the example has no attestation of (the runtime model
# tests, which this CI does not allow to run).
MODEL_TESTS = (
    "The runtime model tests declared in mlsvs.toml [model_tests] ran in the release sandbox "
    "with --allow model-exec on the ONNX model; every L1 threshold was met."
)


def _results(out: Path) -> dict[str, object]:
    return json.loads((out / "results.json").read_text())  # type: ignore[no-any-return]


def _verdicts(out: Path) -> dict[str, str]:
    return {v["requirement"]: v["verdict"] for v in _results(out)["verdicts"]}  # type: ignore[attr-defined]


def _claim(project: Path, rid: str) -> tuple[str, str, str, list[str]]:
    """Claim, statement, justification and evidence paths the auditor records for ``rid``."""
    source = EXAMPLES / SYSTEM / "attestations" / f"{rid}.yaml"
    if not source.is_file():
        return "pass", MODEL_TESTS, "", [str(project / "mlsvs.toml")]
    claim = yaml.safe_load(source.read_text())
    files = [str(project / e["path"]) for e in claim["evidence"]]
    return claim["claim"], claim["statement"], claim.get("justification") or "", files


def test_one_command_upload_history_diff_assessment_sign_off_higher_level(
    browser,  # noqa: F811 - the fixture imported above
    shots,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server dates its attestations today (UTC); every run is verified as of that day.
    today = dt.datetime.now(dt.UTC).date().isoformat()
    data = tmp_path / "mlsvs-server"
    common = ("--data-dir", str(data))
    for user, role in (("ci", "engineer"), ("ada", "auditor"), ("bob", "auditor")):
        made = mlsvs_command("server", "create-user", user, "--role", role, *common,
                             password=PASSWORD)  # fmt: skip
        assert made.returncode == 0, made.stderr
    issued = mlsvs_command("server", "create-token", "ci", "--name", "ci", "--scopes", "ingest",
                           *common)  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    monkeypatch.setenv("MLSVS_SERVER_TOKEN", issued.stdout.strip())
    _advisory_cache(tmp_path, monkeypatch, today=today)
    example_port = free_port()
    project = _copy(SYSTEM, tmp_path, example_port)
    shutil.rmtree(project / "attestations")
    requirements = project / "requirements.txt"
    pinned = requirements.read_text()
    dialogs: list[str] = []
    with serve_command(data, free_port()) as url, running(project, example_port):
        # Two CI runs: an unpinned dependency slipped in, then the fix.
        requirements.write_text(pinned + "requests>=2.0\n")
        first = _verify(project, tmp_path / "run1", "--allow", "network", "--upload", url,
                        today=today)  # fmt: skip
        assert first.returncode == 1, first.stderr[-2000:]
        assert f"uploaded run 1 of {SYSTEM}" in first.stderr
        requirements.write_text(pinned)
        second = _verify(project, tmp_path / "run2", "--allow", "network", "--upload", url,
                         today=today)  # fmt: skip
        assert second.returncode == 1, second.stderr[-2000:]
        assert f"uploaded run 2 of {SYSTEM}" in second.stderr
        before = _results(tmp_path / "run2")
        assert before["achieved_level"] is None
        blocking: list[str] = before["levels"][0]["blocking"]  # type: ignore[index]
        assert blocking, "without attestations something must block L1"

        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        _login(page, url, "ada")
        inventory = page.locator("#inventory")
        assert inventory.get_by_text(SYSTEM).is_visible()
        page.screenshot(path=shots / "01-inventory.png", full_page=True)
        page.click(f"text={SYSTEM}")
        page.wait_for_selector("#level-plot")
        assert page.locator("#runs tbody tr").count() == 2
        assert page.locator("#chapter-grid rect").count() > 0
        page.screenshot(path=shots / "02-history.png", full_page=True)
        page.click("text=diff with previous")
        page.wait_for_selector("#diff-summary")
        assert "no regressions" in page.inner_text("#diff-summary")
        # What failed in run 1 and passes in run 2 (the pin fixed it) is listed as improved.
        was = _verdicts(tmp_path / "run1")
        now = _verdicts(tmp_path / "run2")
        fixed = {rid for rid, v in was.items() if v == "fail" and now.get(rid) == "pass"}
        improved = page.inner_text("#diff-improved")
        assert fixed and all(rid in improved for rid in fixed), (fixed, improved)
        assert "MLC420" in page.inner_text("body")  # the unpinned-dependency finding, fixed
        page.screenshot(path=shots / "03-diff.png", full_page=True)

        # Ada opens an assessment of the newest run and records every blocking requirement.
        page.goto(f"{url}/systems/1")
        page.click("#open-assessment")
        page.wait_for_selector("#assessment-lines")
        assessment_url = page.url
        for number, rid in enumerate(blocking):
            claim, statement, justification, files = _claim(project, rid)
            row = page.locator(f"tr[id='{rid}']")
            row.locator("summary").click()
            row.locator("select[name=claim]").select_option(claim)
            row.locator("textarea[name=statement]").fill(statement)
            row.locator("textarea[name=justification]").fill(justification)
            row.locator("input[type=file]").set_input_files(files)
            if number == 0:
                page.screenshot(path=shots / "04-record.png", full_page=True)
            row.locator("button[type=submit]").click()
            page.wait_for_selector(f"tr[id='{rid}'] .recorded")
        assert f"{len(blocking)} recorded" in page.inner_text("body")
        page.screenshot(path=shots / "05-recorded.png", full_page=True)
        # Four-eyes: Ada may not sign off what she recorded; Bob signs off and downloads the
        # attestations through the browser.
        status, download = four_eyes_sign_off(page, url, assessment_url, shots)
        assert "signed off by bob" in status
        archive = tmp_path / "assessment.zip"
        shutil.copyfile(download, archive)

        # The engineer unpacks it in the project; the next CI run reaches L1.
        with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as handle:
            handle.extractall(project)
        config = project / "mlsvs.toml"
        text, n = re.subn(r"^exclude = \[", 'exclude = ["mlsvs-evidence", ', config.read_text(),
                          count=1, flags=re.M)  # fmt: skip
        assert n == 1  # docs/server.md: the evidence copies are review records, not the system
        config.write_text(text)
        third = _verify(project, tmp_path / "run3", "--allow", "network", "--upload", url,
                        today=today)  # fmt: skip
        after = _results(tmp_path / "run3")
        assert third.returncode == 0, (after["levels"][0]["blocking"], third.stdout[-3000:])  # type: ignore[index]
        assert f"uploaded run 3 of {SYSTEM}" in third.stderr
        page.goto(f"{url}/")
        assert "L1" in inventory.locator("tr", has_text=SYSTEM).inner_text()
        page.screenshot(path=shots / "08-inventory-l1.png", full_page=True)
        context.close()
    assert dialogs == []
    assert after["achieved_level"] == 1 and before["achieved_level"] is None
    final = {v["requirement"]: v for v in after["verdicts"]}  # type: ignore[attr-defined]
    for rid in blocking:
        assert final[rid]["basis"] in {"attested", "both"}, final[rid]
        assert final[rid]["attestation"] == f"attestations/mlsvs-server/{rid}.yaml", final[rid]
    assert len(list(shots.glob("*.png"))) == 8
