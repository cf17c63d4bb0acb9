"""The procurement annex as one self-contained, printable HTML page (Jinja2, autoescaped)."""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING

from mlsvs.catalog.markdown import inline
from mlsvs.catalog.procurement import CLAIMS, evidence_required, intro_paragraphs

if TYPE_CHECKING:
    from mlsvs.catalog.procurement import Annex

TEMPLATE = "procurement.html.j2"
_BACKTICKS = re.compile(r"`([^`]+)`")


def _code(text: str) -> object:
    """Escape ``text``, then show Markdown-style `code` spans as <code> elements."""
    import markupsafe

    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(_BACKTICKS.sub(r"<code>\1</code>", escaped))  # noqa: S704


def annex_html(annex: Annex) -> str:
    """Render the annex; every catalog string is escaped by Jinja2's autoescape."""
    import jinja2

    text = resources.files("mlsvs.catalog").joinpath("templates", TEMPLATE).read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["inline"] = inline
    env.filters["code"] = _code
    env.globals["evidence_required"] = evidence_required
    s = annex.standard
    descriptions = {t.id: t.description for t in s.tags}
    chapters: list[tuple[str, str, list[object]]] = []
    for item in annex.in_scope:
        if not chapters or chapters[-1][0] != item.chapter.id:
            chapters.append((item.chapter.id, item.chapter.title, []))
        chapters[-1][2].append(item)
    return env.from_string(text).render(
        annex=annex,
        standard=s,
        intro=intro_paragraphs(annex),
        tags=[(t, descriptions[t]) for t in sorted(annex.tags)],
        chapters=chapters,
        claims=CLAIMS,
    )
