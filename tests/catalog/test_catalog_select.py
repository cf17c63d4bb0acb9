"""Selection helpers and YAML line tracking (property-based)."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsvs.catalog.select import Filter, applies, maps_to, select
from mlsvs.catalog.yamlsource import parse_text
from mlsvs.model.catalog import Level, Verification


def test_applies_needs_every_requirement_and_chapter_tag(standard) -> None:
    chapter = standard.chapter("M2")
    req = standard.requirement("M2.1.1")
    assert not applies(req, chapter, frozenset())
    assert applies(req, chapter, frozenset({"genai"}))
    untagged = standard.requirement("M1.1.1")
    assert applies(untagged, standard.chapter("M1"), frozenset())


def test_maps_to_matches_exact_ids_and_sub_techniques(standard) -> None:
    req = standard.requirement("M1.1.1")
    assert maps_to(req, "AML.T0010.003")
    assert maps_to(req, "aml.t0010")  # parent technique, case-insensitive
    assert not maps_to(req, "AML.T001")  # not a prefix at a dot boundary
    assert maps_to(req, "mitre_atlas_5.6:AML.M0013")
    assert not maps_to(req, "owasp_ml_top10_2023:AML.M0013")


def test_empty_filter_selects_everything_in_order(standard) -> None:
    assert [r.id for _, r in select(standard, Filter())] == list(standard.requirements)


def test_filters_combine(standard) -> None:
    flt = Filter(level=Level.L2, methods=frozenset({Verification.STATIC}))
    assert [r.id for _, r in select(standard, flt)] == ["M1.1.1", "M2.1.1"]


_KEY = st.from_regex(r"k[a-z_]{0,8}", fullmatch=True)  # never a YAML keyword (on, null)
_SCALAR = st.one_of(st.integers(), st.from_regex(r"[A-Za-z][A-Za-z ]{0,12}", fullmatch=True))
_TREE = st.recursive(
    _SCALAR,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3),
        st.dictionaries(_KEY, children, min_size=1, max_size=3),
    ),
    max_leaves=12,
)


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(_KEY, _TREE, min_size=1, max_size=4))
def test_every_key_is_located_on_its_own_line(data) -> None:
    text = yaml.safe_dump(data, default_flow_style=False, sort_keys=False)
    source, problems = parse_text(text, file="f.yaml")
    assert problems == []
    assert source is not None
    assert source.data == data
    lines = text.splitlines()
    for path in _paths(data):
        line = lines[source.line_of(path) - 1]
        if isinstance(path[-1], str):
            assert f"{path[-1]}:" in line
        else:
            assert line.lstrip().startswith("-")
