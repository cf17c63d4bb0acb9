from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from mlsvs.render.junit import x as xml_text
from mlsvs.render.markdown import md
from mlsvs.render.text import clean

_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_clean_removes_ansi_osc_and_bidi():
    text = "a\x1b[31mred\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x1b\\ \u202eevil\x00\x9b2J\nb"
    assert clean(text) == "ared link evil b"
    assert clean("l1\nl2\tx", multiline=True) == "l1\nl2 x"


@given(st.text())
def test_clean_never_leaves_control_characters(text):
    assert not _BAD.search(clean(text))
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", clean(text, multiline=True))


@given(st.text())
def test_markdown_escape_cannot_break_cells_or_open_html(text):
    out = md(text)
    assert "\n" not in out
    assert "<" not in out and ">" not in out
    # every pipe is escaped: an odd number of backslashes precedes it
    for m in re.finditer(r"(\\*)\|", out):
        assert len(m.group(1)) % 2 == 1


@given(st.text())
def test_xml_text_is_xml_1_0(text):
    from xml.etree import ElementTree as ET

    element = ET.Element("t", a=xml_text(text))
    element.text = xml_text(text, multiline=True)
    ET.fromstring(ET.tostring(element, encoding="unicode"))  # noqa: S314 - our own output
