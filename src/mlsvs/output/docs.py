"""Links to the generated documentation (SARIF ``helpUri``, report links).

The documentation is the ``docs/`` folder of the mlsvs repository (``docs/checks/`` and
``docs/requirements/`` are generated from the checks and the catalog by
``scripts/gen_docs.py``). ``MLSVS_DOCS_URL`` points the links at a mirror (an internal Git
server, a built site) without changing the paths.
"""

from __future__ import annotations

import os
import re

DOCS_URL = "https://github.com/OWASP/www-project-machine-learning-security-verification-standard/blob/main/docs/"
_NOT_ANCHOR = re.compile(r"[^\w\- ]", re.UNICODE)


def docs_url() -> str:
    """The base every link starts with (always ends with ``/``)."""
    base = os.environ.get("MLSVS_DOCS_URL", "").strip() or DOCS_URL
    return base if base.endswith("/") else base + "/"


def anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown renderers) give a heading."""
    return _NOT_ANCHOR.sub("", heading.strip().lower()).replace(" ", "-")


def page(path: str, heading: str = "") -> str:
    """``docs/<path>``, with the anchor of ``heading`` when given."""
    return docs_url() + path + (f"#{anchor(heading)}" if heading else "")


def check_uri(check_id: str, title: str) -> str:
    """The check's entry in ``docs/checks/README.md`` (heading ``ID: title``)."""
    return page("checks/README.md", f"{check_id}: {title}" if title else "")


def requirement_uri(requirement: str, title: str = "") -> str:
    """The requirement's section in ``docs/requirements/<chapter>.md``."""
    chapter = requirement.split(".", 1)[0]
    return page(f"requirements/{chapter}.md", f"{requirement} {title}" if title else "")
