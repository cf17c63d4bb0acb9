"""What people see: inventory, history plots, diffs (regressions first), per-requirement history,
open findings, expiries, the standard; hostile strings from scanned artifacts stay inert."""

from __future__ import annotations

import re

from markupsafe import escape

from tests.server.projects import HOSTILE_FILE, HOSTILE_SYSTEM


def test_inventory_shows_each_system_with_its_current_level(loaded):
    page = loaded.client("vic").get("/").text
    assert ">fraud-scorer</a>" in page
    assert str(escape(HOSTILE_SYSTEM)) in page
    row = page.split(">fraud-scorer</a>", 1)[1].split("</tr>", 1)[0]
    assert 'class="lvl bad">none<' in row  # below L1, target L1
    assert loaded.client("vic").get("/?q=fraud").text.count("/systems/") == 1


def test_history_plots_level_and_chapters_per_run(loaded, corpus):
    page = loaded.client("vic").get("/systems/1").text
    assert '<svg id="level-plot"' in page
    assert page.count('<circle class="dot"') == 2
    grid = page.split('<svg id="chapter-grid"', 1)[1].split("</svg>", 1)[0]
    from mlsvs.catalog import load_standard

    chapters = len(load_standard("1.1.0").chapters)
    assert grid.count("<rect ") == 2 * chapters
    # The cell titles carry the real counts: chapter M3 of run 2.
    m3 = [v for v in corpus.run2["verdicts"] if v["requirement"].startswith("M3.")]
    passed = sum(1 for v in m3 if v["verdict"] == "pass")
    applicable = sum(1 for v in m3 if v["verdict"] != "not_applicable")
    assert "M3 in run 2 (" in grid
    assert f"{passed}/{applicable} satisfied" in grid


def test_diff_shows_regressions_first(loaded, corpus):
    page = loaded.client("vic").get("/runs/2/diff").text
    assert "REGRESSED" in page
    order = [m.group(1) for m in re.finditer(r'<table class="diff-(\w+)"', page)]
    assert order[0] == "regressed"
    assert "improved" in order
    from mlsvs.render.diff import diff_assessments
    from mlsvs.render.json import parse_assessment

    expected = diff_assessments(parse_assessment(corpus.run1), parse_assessment(corpus.run2))
    section = page.split('id="diff-regressed"', 1)[1].split("</table>", 1)[0]
    assert section.count("<tr>") - 1 == len(expected.regressed)
    api = (
        loaded.client()
        .get("/api/v1/runs/2/diff", headers={"authorization": f"Bearer {loaded.tokens['read']}"})
        .json()
    )
    assert api["against"] == 1
    assert [c["requirement"] for c in api["regressions"]] == [
        c.requirement for c in expected.regressed
    ]
    assert (
        loaded.client("vic").get("/runs/1/diff").status_code == 200
    )  # first run: nothing to compare


def test_requirement_history_across_runs(loaded, corpus):
    changed = next(
        a["requirement"]
        for a, b in zip(corpus.run1["verdicts"], corpus.run2["verdicts"], strict=True)
        if a["verdict"] != b["verdict"]
    )
    page = loaded.client("vic").get(f"/systems/1/requirements/{changed}").text
    rows = page.split('id="requirement-history"', 1)[1].split("</tbody>", 1)[0]
    verdicts = re.findall(r'class="v-(\w+)"', rows)
    old = next(v["verdict"] for v in corpus.run1["verdicts"] if v["requirement"] == changed)
    new = next(v["verdict"] for v in corpus.run2["verdicts"] if v["requirement"] == changed)
    assert verdicts == [new, old]  # newest first


def test_open_findings_are_the_newest_runs_failures(loaded, corpus):
    page = loaded.client("vic").get("/findings").text
    failing = [f for f in corpus.run2["findings"] if f["status"] in {"fail", "error"}]
    assert page.count(">fraud-scorer</a>") == len(failing)
    assert "MLC101" in page  # the os.system pickle


def test_open_findings_come_a_page_at_a_time_most_severe_first(loaded, corpus, monkeypatch):
    from mlsvs.server import queries

    monkeypatch.setattr(queries, "FINDINGS_PER_PAGE", 5)
    client = loaded.client("vic")
    failing = [f for f in corpus.run2["findings"] if f["status"] in {"fail", "error"}]
    first = client.get("/findings").text
    total = int(re.search(r"\): (\d+), most severe first", first)[1])
    assert total >= len(failing) > 5
    pages = -(-total // 5)
    seen, ours = [], 0
    for n in range(1, pages + 1):
        page = client.get("/findings", params={"page": n}).text
        assert f"Page {n} of {pages}" in page
        assert (f"page={n + 1}" in page) == (n < pages)
        rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert rows.count("<tr>") == (5 if n < pages else total - 5 * (pages - 1))
        seen += re.findall(r"<td>(critical|high|medium|low|info)</td>", rows)
        ours += rows.count(">fraud-scorer</a>")
    rank = ["critical", "high", "medium", "low", "info"]
    assert len(seen) == total
    assert ours == len(failing)
    assert seen == sorted(seen, key=rank.index)
    assert client.get("/findings", params={"page": 0}).status_code == 422


def test_expiries_list_attestations_soonest_first(loaded, corpus, tmp_path):
    page = loaded.client("vic").get("/expiries").text
    assert 'id="expiries"' in page


def test_standard_is_browsable_and_searchable(loaded):
    client = loaded.client("vic")
    index = client.get("/standard").text
    assert "M1.1.1" in index
    hits = client.get("/standard", params={"q": "pickle"}).text
    listed = re.findall(
        r'<li><a href="/standard/[^/]+/(M[\d.]+)"',
        hits.split('id="search-hits"')[1].split("</ul>", 1)[0],
    )
    assert listed
    from mlsvs.catalog import load_standard
    from mlsvs.server.search import search

    assert listed == [r.id for r in search(load_standard(), "pickle")]
    detail = client.get(f"/standard/{load_standard().version}/{listed[0]}").text
    assert 'id="requirement-text"' in detail and 'id="mappings"' in detail
    assert client.get("/standard/9.9.9/M1.1.1").status_code == 404
    api = loaded.client().get(
        "/api/v1/standard/search",
        params={"q": "CWE-502"},
        headers={"authorization": f"Bearer {loaded.tokens['read']}"},
    )
    assert api.status_code == 200 and api.json()


HOSTILE_PAGES = ["/", "/systems/2", "/runs/3", "/findings", "/runs/3/diff"]


def test_hostile_strings_from_scanned_artifacts_render_inert(loaded):
    client = loaded.client("vic")
    for path in HOSTILE_PAGES:
        page = client.get(path).text
        for raw in ("<script>alert", "<svg onload", '"onerror=alert'):
            assert raw not in page, (path, raw)
        assert "&lt;" in page  # it is shown, escaped
        if path in {"/findings", "/runs/3"}:
            assert str(escape(f"models/{HOSTILE_FILE}")) in page


def test_unknown_ids_are_404_not_500(loaded):
    client = loaded.client("vic")
    for path in (
        "/systems/999",
        "/runs/999",
        "/runs/999/diff",
        "/assessments/999",
        "/evidence/" + "0" * 64,
        "/systems/1/requirements/M1.1.1x",
    ):
        assert client.get(path).status_code in {200, 404}, path
    assert client.get("/systems/999").status_code == 404


def test_plot_labels_are_escaped_and_cells_shaded_by_share():
    from mlsvs.server.plots import chapter_grid, level_plot

    when = '2026-12-02"><script>alert(1)</script>'
    chapter = "C1<img src=x onerror=alert(1)>"
    plot = str(level_plot([(1, when, 0, 1), (2, when, 1, 1)]))
    grid = str(
        chapter_grid(
            [(1, when), (2, when)],
            {1: {chapter: {"pass": 1, "fail": 3}}, 2: {chapter: {"pass": 2}}},
            [chapter],
        )
    )
    for svg in (plot, grid):
        assert "<script" not in svg and "<img" not in svg
        assert "&lt;script&gt;" in svg or "&lt;img" in svg
    assert plot.count('<circle class="dot"') == 2
    assert '<rect class="s1"' in grid  # 1 of 4 satisfied
    assert '<rect class="s4"' in grid  # all satisfied
    assert "1/4 satisfied (fail 3, pass 1)" in grid


def test_expiries_are_ordered_by_date_with_expired_flagged_and_soon_highlighted(env, corpus):
    import dataclasses
    import datetime as dt

    from mlsvs.model.assessment import WaiverRecord
    from mlsvs.model.attestation import Attestation, Claim, Validity
    from mlsvs.render.json import parse_assessment, to_dict
    from mlsvs.server.queries import EXPIRING_DAYS

    today = dt.datetime.now(dt.UTC).date()

    def day(n: int) -> dt.date:
        return today + dt.timedelta(days=n)

    def attestation(rid: str, expires: dt.date, validity: Validity) -> Attestation:
        return Attestation(
            source=f"attestations/{rid}.yaml", requirement=rid, claim=Claim.PASS,
            statement="reviewed", expires=expires, validity=validity,
        )  # fmt: skip

    run = parse_assessment(corpus.run2)
    rids = [v.requirement for v in run.verdicts][:3]
    document = dataclasses.replace(
        run,
        finished_at="2099-01-01T00:00:00+00:00",
        attestations=(
            attestation(rids[0], day(200), Validity.VALID),
            attestation(rids[1], day(-3), Validity.EXPIRED),
            attestation(rids[2], day(EXPIRING_DAYS - 20), Validity.VALID),
        ),
        waivers=(
            WaiverRecord(id="w-soon", reason="r", expires=day(5), check="MLC101", applied=2),
            WaiverRecord(id="w-old", reason="r", expires=day(-40), expired=True),
            WaiverRecord(id="w-far", reason="r", expires=day(EXPIRING_DAYS + 1)),
        ),
    )
    assert env.upload(to_dict(document)).status_code == 201
    page = env.client("vic").get("/expiries").text
    table = page.split('id="expiries"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<tr class="state-([a-z-]+)"><td>([\d-]+)</td><td>(-?\d+)</td><td class="state">'
        r"([a-z ]+)</td>.*?<td>(attestation|waiver)</td><td>[^<]*</td><td><code>([^<]+)</code>"
        r"</td><td>([^<]+)</td>",
        table,
    )
    assert [(r[5], r[0]) for r in rows] == [
        ("w-old", "expired"),
        (f"attestations/{rids[1]}.yaml", "expired"),
        ("w-soon", "expiring"),
        (f"attestations/{rids[2]}.yaml", "expiring"),
        ("w-far", "in-force"),
        (f"attestations/{rids[0]}.yaml", "in-force"),
    ]
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)
    assert [int(r[2]) for r in rows] == [-40, -3, 5, EXPIRING_DAYS - 20, EXPIRING_DAYS + 1, 200]
    validity = {r[5]: r[6] for r in rows}
    assert validity["w-soon"] == "applied to 2 failures"
    assert validity["w-old"] == "not applied (expired)"
    assert validity[f"attestations/{rids[1]}.yaml"] == "expired"
    css = env.client("vic").get("/static/app.css")
    assert css.status_code == 200 and "tr.state-expired" in css.text
