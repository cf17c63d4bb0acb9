"""The HTML report in a real browser: headless Chromium driven by Playwright.

The report is made by ``mlsvs verify`` on the insecure example project (twice, the second
run with ``--previous`` so the trend plot is drawn) and by the hostile fixture assessment.
Screenshots and a PDF go to ``$MLSVS_TEST_ARTIFACTS`` (default ``test-artifacts/`` at the repo
root), which CI keeps.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest

from mlsvs.cli.main import main
from mlsvs.render.html import render_html
from tests.render import builders

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "insecure-classifier"
VIEWPORT = {"width": 1280, "height": 900}
MAX_HEIGHT = 2600
"""The collapsed report of a ~200-requirement run must stay short (it was 24,000 px)."""


def _chromium() -> str | None:
    path = os.environ.get("MLSVS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).is_file() else None


def _artifacts() -> Path:
    out = Path(os.environ.get("MLSVS_TEST_ARTIFACTS") or REPO / "test-artifacts") / "report"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium at /usr/bin/chromium (set MLSVS_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """A real report: verify the insecure example, then again with --previous."""
    out = tmp_path_factory.mktemp("report")
    first = out / "first.json"
    args = ["verify", str(EXAMPLE), "--no-progress", "--today", "2026-11-20"]
    assert main([*args, "-f", f"json:{first}"]) == 1
    data = json.loads(first.read_text(encoding="utf-8"))
    data["finished_at"] = "2026-11-20T08:00:00+00:00"  # an earlier run
    first.write_text(json.dumps(data), encoding="utf-8")
    html = out / "report.html"
    assert main([*args, "--previous", str(first), "-f", f"html:{html}"]) == 1
    return html


def _open(browser, path: Path):
    page = browser.new_page(viewport=VIEWPORT)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(path.as_uri())
    return page, problems


def test_report_is_short_with_the_overview_above_the_fold(browser, report):
    page, problems = _open(browser, report)
    shots = _artifacts()
    page.screenshot(path=str(shots / "overview.png"))
    page.screenshot(path=str(shots / "collapsed-full.png"), full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert 900 < height < MAX_HEIGHT
    for selector in ("#summary", "#level-progress", "#heat-map", "#trend"):
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["y"] + min(box["height"], 200) <= VIEWPORT["height"], selector
    assert page.locator("#summary").inner_text().startswith("Level achieved: none")
    assert page.locator("#trend polyline.trend").count() == 3
    results = json.loads((report.parent / "first.json").read_text(encoding="utf-8"))
    chapters = {v["requirement"].split(".")[0] for v in results["verdicts"]}
    assert page.locator("#heat-map rect.heat").count() == len(chapters) * 3
    # everything below the overview is collapsed
    assert page.evaluate("[...document.querySelectorAll('details')].every(d => !d.open)")
    assert page.locator("details.req").count() == len(results["verdicts"])
    assert not page.locator("details.req").first.is_visible()
    assert problems == []  # no CSP violation, no script error
    page.close()


def test_a_blocker_link_opens_its_requirement(browser, report):
    page, problems = _open(browser, report)
    link = page.locator("ol.blockers a").first
    rid = link.inner_text()
    link.click()
    req = page.locator(f"details.req[id='r-{rid}']")
    assert req.evaluate("d => d.open") is True
    assert req.evaluate("d => d.parentElement.open") is True  # its chapter
    body = req.locator(".req-body")
    assert body.is_visible()
    text = body.inner_text()
    assert "Passes when" in text and "Next step:" in text
    req.screenshot(path=str(_artifacts() / "requirement.png"))
    # the evidence table stays collapsed until asked for
    evidence = req.locator("details.evidence")
    if evidence.count():
        assert not evidence.locator("table").is_visible()
        evidence.locator("summary").click()
        assert evidence.locator("table").is_visible()
    assert problems == []
    page.close()


def test_print_expands_everything_and_hides_controls(browser, report):
    page, problems = _open(browser, report)
    page.emulate_media(media="print")
    assert page.locator(".filters").first.is_hidden()
    assert page.locator("#expand-all").is_hidden()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate("[...document.querySelectorAll('details')].every(d => d.open)")
    pdf = page.pdf(format="A4")
    (_artifacts() / "report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page/") > 3
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.evaluate("[...document.querySelectorAll('details')].every(d => !d.open)")
    assert problems == []
    page.close()


def test_hostile_text_renders_inert(browser, tmp_path):
    a = builders.assessment()
    a = dataclasses.replace(
        a,
        project=dataclasses.replace(a.project, name='<img src=x onerror="alert(1)"> p'),
    )
    path = tmp_path / "hostile.html"
    path.write_text(render_html(a), encoding="utf-8")
    page, problems = _open(browser, path)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1
    assert "<script>alert('x')</script>" in page.locator("#r-M4\\.1\\.1").inner_text()
    page.screenshot(path=str(_artifacts() / "hostile-expanded.png"), full_page=True)
    assert problems == []
    page.close()
