"""The main journeys in a real browser (Playwright driving Debian's chromium).

Each journey runs on SQLite and on PostgreSQL (``database`` from conftest: a fresh SQLite file,
or a fresh schema of the session's PostgreSQL database; PostgreSQL skips with the reason when
127.0.0.1:5432 is unreachable). Screenshots of every step go to
``$MLSVS_TEST_ARTIFACTS/server/<test>-<database>`` (default ``test-artifacts/server`` in the
repository root, which CI keeps).
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import PASSWORD
from tests.server.live import serve
from tests.server.projects import verify

pytestmark = [pytest.mark.browser, pytest.mark.network, pytest.mark.slow]
CHROMIUM = os.environ.get("MLSVS_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


@pytest.fixture
def shots(request) -> Path:
    base = Path(os.environ.get("MLSVS_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "server"
    target = base / request.node.name.replace("[", "-").replace("]", "")
    target.mkdir(parents=True, exist_ok=True)
    return target


def _login(page, url, user):
    page.goto(f"{url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def four_eyes_sign_off(page: Any, url: str, assessment_url: str, shots: Path) -> tuple[str, Path]:
    """The recorder (logged in) is refused her own sign-off; bob signs off and downloads the
    attestations. Returns the assessment's status text and the downloaded archive's path."""
    page.click("#sign-off")
    assert "four-eyes" in page.inner_text("#error")
    page.screenshot(path=shots / "06-four-eyes.png", full_page=True)
    page.goto(f"{url}/")
    page.click("text=Log out")
    page.wait_for_url(f"{url}/login")
    _login(page, url, "bob")
    page.goto(assessment_url)
    page.click("#sign-off")
    page.wait_for_selector("#export")
    status = str(page.inner_text("#assessment-status"))
    page.screenshot(path=shots / "07-signed-off.png", full_page=True)
    with page.expect_download() as info:
        page.click("#export")
    return status, Path(info.value.path())


def test_journey_login_history_diff_assessment_sign_off(browser, loaded, corpus, shots, tmp_path):
    from tests.server.test_workflow import _attest_only_l1

    requirement = _attest_only_l1(corpus)[0]
    dialogs: list[str] = []
    with serve(loaded.app) as url:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        # Anonymous: sent to the login page.
        page.goto(f"{url}/systems/1")
        assert "/login" in page.url
        _login(page, url, "ada")
        page.screenshot(path=shots / "01-inventory.png", full_page=True)
        assert page.locator("#inventory").get_by_text("fraud-scorer").is_visible()
        page.click("text=fraud-scorer")
        page.wait_for_selector("#level-plot")
        assert page.locator("#chapter-grid rect").count() > 0
        page.screenshot(path=shots / "02-history.png", full_page=True)
        page.click("text=diff with previous")
        page.wait_for_selector("#diff-summary")
        assert "REGRESSED" in page.inner_text("#diff-summary")
        first_table = page.locator("table[class^=diff-]").first.get_attribute("class")
        assert first_table == "diff-regressed"
        page.screenshot(path=shots / "03-diff.png", full_page=True)
        # Open an assessment and record a verdict with an evidence file.
        page.goto(f"{url}/systems/1")
        page.click("#open-assessment")
        page.wait_for_selector("#assessment-lines")
        assessment_url = page.url
        row = page.locator(f"tr[id='{requirement}']")
        row.locator("summary").click()
        row.locator("select[name=claim]").select_option("pass")
        row.locator("textarea[name=statement]").fill(
            "The threat model was reviewed with the risk team on 2026-11-20; minutes attached."
        )
        evidence = tmp_path / "threat-model-review.md"
        evidence.write_text("# Threat model review\n\nSTRIDE over pipeline, registry, API.\n")
        row.locator("input[type=file]").set_input_files(str(evidence))
        page.screenshot(path=shots / "04-record.png", full_page=True)
        row.locator("button[type=submit]").click()
        page.wait_for_selector(f"tr[id='{requirement}'] .recorded")
        page.screenshot(path=shots / "05-recorded.png", full_page=True)
        status, download = four_eyes_sign_off(page, url, assessment_url, shots)
        assert "signed_off" in status
        archive = zipfile.ZipFile(io.BytesIO(download.read_bytes()))
        # Hostile names from scanned artifacts are shown escaped and nothing runs.
        page.goto(f"{url}/findings")
        page.screenshot(path=shots / "08-findings-hostile.png", full_page=True)
        assert page.locator("svg[onload]").count() == 0
        assert "<svg onload=alert(1)>" in page.inner_text("#open-findings")
        page.goto(f"{url}/")
        assert page.locator("script").count() == 0
        context.close()
    assert dialogs == []
    project = corpus.project_copy(tmp_path / "project")
    archive.extractall(project)
    after = verify(project, attestations=("attestations",))
    verdict = next(v for v in after["verdicts"] if v["requirement"] == requirement)
    assert verdict["verdict"] == "pass" and verdict["basis"] == "attested"
    assert sorted(p.name for p in shots.glob("*.png"))[0] == "01-inventory.png"
