from __future__ import annotations

import io
import re

from mlsvs.render.terminal import TerminalRenderer, use_color


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _render(a, **kw) -> str:
    out = io.StringIO()
    TerminalRenderer(**kw).render(a, out)
    return out.getvalue()


def test_plain_output_has_every_section_and_no_escapes(assessment):
    text = _render(assessment)
    assert "\x1b" not in text
    assert "Level achieved: none" in text and "target: L2" in text and "NOT MET" in text
    assert "Declared traits: exposes_inference_api, trains_on_personal_data" in text
    assert "To reach L1, resolve:" in text
    blocking = text.split("To reach L1, resolve:")[1].split("\n\n")[0]
    lines = blocking.strip("\n").splitlines()
    assert [line.split()[0] for line in lines if re.match(r"  M\d", line)] == [
        "M2.1.1",
        "M4.1.1",
        "M5.2.1",
    ]
    # each blocker names its title and the command that moves it forward
    assert "M4.1.1 [fail] Title of M4.1.1 <script>" in blocking  # printed literally, inert
    assert "      next: mlsvs verify -v" in blocking  # M2.1.1 errored
    assert "models/evil<1>.pkl (archive/data.pkl @ 0x1f)" in text
    assert "(waived: W-001)" in text
    assert "MLC501 Endpoint rate limiting: needs --allow network" in text
    assert "[discovery] data/bad.parquet: unreadable file" in text
    assert "attestations/a1.yaml (M1.2.1): expired" in text
    # the chapter table has a row per chapter, M10 after M7
    assert text.index("  M7 ") < text.index("  M10 ")


def test_finding_mapped_to_two_requirements_is_listed_under_both(assessment):
    text = _render(assessment)
    section = text.split("Failed and errored findings")[1]
    assert section.count("yaml.load without SafeLoader") == 2


def test_colour_output_keeps_only_our_escapes(assessment):
    text = _render(assessment, color=True)
    assert "\x1b[" in text  # styled
    assert "\x1b]" not in text  # no OSC from the scanned text (hyperlink injection)
    assert "\x1b[31mRED" not in text
    assert "\x07" not in text


def test_rich_markup_in_scanned_text_is_literal(assessment):
    import dataclasses

    a = dataclasses.replace(
        assessment,
        project=dataclasses.replace(assessment.project, name="[bold red]x[/] :smile:"),
    )
    assert "[bold red]x[/] :smile:" in _render(a, color=True)


def test_use_color_respects_tty_no_color_and_dumb_terminal():
    assert use_color(_Tty(), {}) is True
    assert use_color(io.StringIO(), {}) is False
    assert use_color(_Tty(), {"NO_COLOR": "1"}) is False
    assert use_color(_Tty(), {"TERM": "dumb"}) is False


def test_passing_assessment_says_met_and_lists_nothing_to_fix(passing):
    text = _render(passing)
    assert "Level achieved: L3" in text and "TARGET MET" in text and "NOT MET" not in text
    assert "To reach" not in text and "Failed and errored" not in text
