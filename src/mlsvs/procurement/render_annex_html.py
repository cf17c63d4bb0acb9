"""The annex as one self-contained, printable HTML page (Jinja2, autoescaped)."""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING

from mlsvs.catalog.markdown import inline
from mlsvs.procurement.clauses import clauses, parties_lines, title
from mlsvs.procurement.render_annex import value_text

if TYPE_CHECKING:
    from mlsvs.procurement.annex import AnnexRequirement, ContractAnnex

_BACKTICKS = re.compile(r"`([^`]+)`")


def code_spans(text: str) -> object:
    """Escape ``text``, then show Markdown-style `code` spans as <code> elements."""
    import markupsafe

    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(_BACKTICKS.sub(r"<code>\1</code>", escaped))  # noqa: S704


def template(name: str) -> str:
    """A bundled template's text."""
    return resources.files("mlsvs.procurement").joinpath("templates", name).read_text("utf-8")


def annex_html(annex: ContractAnnex) -> str:
    """Render the annex; every string is escaped by Jinja2's autoescape."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["inline"] = inline
    env.filters["code"] = code_spans
    env.globals["value_text"] = value_text
    chapters: list[tuple[str, str, list[AnnexRequirement]]] = []
    for r in annex.requirements:
        if not chapters or chapters[-1][0] != r.chapter:
            chapters.append((r.chapter, r.chapter_title, []))
        chapters[-1][2].append(r)
    return env.from_string(template("annex.html.j2")).render(
        title=title(annex),
        annex=annex,
        parties=parties_lines(annex),
        clauses=clauses(annex),
        chapters=chapters,
        params={p.key: p for p in annex.parameters},
    )
