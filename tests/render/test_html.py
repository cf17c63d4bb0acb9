from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from html.parser import HTMLParser

from mlsvs.cli.main import main
from mlsvs.model.attestation import Validity
from mlsvs.render.base import OutputSpec, write_outputs
from mlsvs.render.html import render_html
from mlsvs.render.json import dumps

VOID = {"meta", "br", "input", "link", "img", "hr", "rect", "line", "circle", "polyline", "option"}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: dict[str, list[str]] = {"script": [], "style": []}
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] in self.data:
            self.data[self.stack[-1]].append(data)


def _audit(text: str) -> _Audit:
    audit = _Audit()
    audit.feed(text)
    audit.close()
    return audit


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_html_is_balanced_self_contained_and_has_one_script(assessment):
    text = render_html(assessment)
    audit = _audit(text)
    assert audit.errors == []
    assert audit.stack == []
    scripts = [attrs for tag, attrs in audit.tags if tag == "script"]
    assert scripts == [{}]
    for _tag, attrs in audit.tags:
        for name in ("src", "href", "action", "xlink:href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (name, value)
    assert "url(" not in "".join(audit.data["style"])
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    assert "\x1b" not in text and "\x07" not in text


def test_csp_allows_exactly_the_inline_style_and_script(assessment):
    text = render_html(assessment)
    audit = _audit(text)
    csp = next(a["content"] for t, a in audit.tags if t == "meta" and a.get("http-equiv"))
    assert csp is not None
    assert "default-src 'none'" in csp
    (style,) = audit.data["style"]
    (script,) = audit.data["script"]
    assert f"style-src '{_sha(style)}'" in csp
    assert f"script-src '{_sha(script)}'" in csp


def test_overview_requirements_and_collapsed_sections(assessment):
    text = render_html(assessment)
    audit = _audit(text)
    assert "Level achieved: none · target L2 not met" in text
    # one collapsed <details> per requirement, grouped in collapsed chapters
    reqs = [a for t, a in audit.tags if t == "details" and "data-verdict" in a]
    assert len(reqs) == len(assessment.verdicts)
    assert {a["data-verdict"] for a in reqs} == {v.verdict.value for v in assessment.verdicts}
    assert {a["data-level"] for a in reqs} == {"1", "2", "3"}
    details = [a for t, a in audit.tags if t == "details"]
    assert details and all("open" not in a for a in details)
    chapters = [
        a["id"] for t, a in audit.tags if t == "details" and "chapter" in a.get("class", "")
    ]
    assert chapters == ["c-M1", "c-M2", "c-M4", "c-M5", "c-M7", "c-M10"]
    boxes = [a for t, a in audit.tags if t == "input" and "data-filter-verdict" in a]
    assert len(boxes) == 6
    assert any(t == "select" and a.get("id") == "filter-level" for t, a in audit.tags)
    # one chapter bar per chapter, one segment per verdict present
    bars = re.findall(r'<rect class="s-(\w+)"', text)
    assert len(bars) == sum(
        len({v.verdict for v in assessment.verdicts if v.requirement.split(".")[0] == ch})
        for ch in ("M1", "M2", "M4", "M5", "M7", "M10")
    )
    for validity in Validity:
        assert f'class="badge val-{validity.value}"' in text
    assert text.count('data-status="fail"') == 4
    assert "models/evil&lt;1&gt;.pkl" in text


def test_every_requirement_shows_what_it_says_and_a_next_step(assessment):
    text = render_html(assessment)
    for info in assessment.requirements:
        body = text[text.index(f'id="r-{info.id}"') :]
        body = body[: body.index("</details>\n</div>") if "</details>\n</div>" in body else None]
        assert info.text in body
        assert info.pass_criteria in body
        assert info.fail_condition in body
    # M4.1.1 failed: the check's remediation is the next step
    m411 = text[text.index('id="r-M4.1.1"') :]
    step = m411[m411.index('<div class="step">') :]
    step = step[: step.index("</div>")]
    assert "Fix the failed findings, then verify again: Convert to safetensors." in step
    # M1.2.1 is verified by attestation: the step writes one
    m121 = text[text.index('id="r-M1.2.1"') :]
    assert "mlsvs attest template M1.2.1 -o attestations/M1.2.1.yaml" in m121
    # hostile title and guidance from the catalog copy stay inert
    assert "<script>alert" not in text
    assert "Title of M4.1.1 &lt;script&gt;" in text


def test_overview_plots_progress_heat_map_and_blockers(assessment):
    text = render_html(assessment)
    audit = _audit(text)
    ids = {a.get("id") for _t, a in audit.tags}
    assert {"overview", "level-progress", "heat-map"} <= ids
    assert "trend" not in ids  # no --previous: no trend plot
    assert "To reach L1: 3 requirements to go" in text
    assert "2 of 5 (40%)" in text and "3 of 8 (37%)" in text
    heat = [a["class"] for t, a in audit.tags if t == "rect" and "heat" in a.get("class", "")]
    assert len(heat) == 6 * 3
    # M4 at L1: M4.1.1 fails, nothing passes -> h0; M10 at L1: the only requirement passes
    assert "M4 at L1: 0 of 1 applicable requirements pass" in text
    assert "M10 at L1: 1 of 1 applicable requirements pass" in text
    blockers = text[text.index('<ol class="blockers">') : text.index("</ol>")]
    assert blockers.index("M4.1.1") < blockers.index("M2.1.1")  # failures before errors


def test_evidence_facts_become_tables(assessment):
    text = render_html(assessment)
    assert '<th scope="row">leak</th>' in text
    assert "12 entries" in text
    assert '<th scope="row">07</th><td><code>train row 49 = test row 77</code>' in text
    assert '<th scope="row">count</th>' in text and '<th scope="row">email</th>' in text
    assert "leak01" not in text


def test_trend_is_drawn_from_previous_runs(assessment):
    from mlsvs.engine.trend import trend_point

    earlier = dataclasses.replace(assessment, finished_at="2026-11-01T09:00:00Z")
    a = dataclasses.replace(assessment, trend=(trend_point(earlier), trend_point(earlier)))
    text = render_html(a)
    assert 'id="trend"' in text and "Trend (3 runs)" in text
    assert text.count('<polyline class="trend t-') == 3
    assert "L1 on 2026-11-01: 2 of 5" in text


def test_measurement_plots(assessment):
    text = render_html(assessment)
    assert text.count('<polyline class="curve"') == 2
    assert text.count('<polyline class="diagonal"') == 1  # the ROC only
    assert text.count('<line class="threshold"') == 1  # robust accuracy only
    assert "false positive rate (log scale)" in text
    assert "epsilon &lt;L∞&gt;" in text
    assert ">robust accuracy</text>" in text
    assert "<strong>query_budget</strong> = 1000 queries" in text  # listed, not plotted
    assert text.index("<strong>robust_accuracy") < text.index("<strong>query_budget")


def test_render_of_results_json_is_byte_identical_to_verify_output(assessment, tmp_path):
    results = tmp_path / "results.json"
    results.write_text(dumps(assessment), encoding="utf-8")
    direct = tmp_path / "direct.html"
    write_outputs(assessment, (OutputSpec(format="html", path=str(direct)),))
    again = tmp_path / "again" / "out.html"
    assert main(["render", str(results), "-f", f"html:{again}"]) == 0
    assert again.read_bytes() == direct.read_bytes()
    assert render_html(assessment) == direct.read_text(encoding="utf-8")


def test_passing_report(passing):
    text = render_html(passing)
    assert "Level achieved: L3 · target L2 met" in text
    assert 'class="card banner met"' in text
    assert "To reach" not in text
