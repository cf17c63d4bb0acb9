"""Opt-outs honoured by the collector (MLC1010, M2.1.6): the collection clause, from Scrapy
projects.

A Scrapy project is recognised by its settings module (a Python file assigning ``BOT_NAME`` and
``SPIDER_MODULES``), read with ``ast`` (never imported). Its collector must obey robots
directives (``ROBOTSTXT_OBEY = True``; Scrapy's own default is ``False``) and text-and-data-mining
reservations: a downloader middleware enabled in ``DOWNLOADER_MIDDLEWARES`` (a class in the
project, not disabled with ``None``) whose module reads the TDMRep signal (the
``tdm-reservation`` header or ``/.well-known/tdmrep.json``). Settings a spider overrides in its
``custom_settings`` count too: one spider with ``ROBOTSTXT_OBEY: False`` fails.

The consent clause (a sampled withdrawal is absent from later dataset versions) stays with the
reviewer: the requirement is hybrid and the engine requires the attestation for it.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._yaml import DocumentError
from mlsvs.checks.pipeline.hosted import python_of
from mlsvs.plugin import (
    Gap,
    GapReason,
    Project,
    Severity,
    SourceFile,
    abstained,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_TDM_SIGNALS = ("tdm-reservation", "tdmrep.json", "tdm-policy")


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return ast.unparse(node)


def settings_of(tree: ast.Module) -> dict[str, object]:
    """Module-level assignments of upper-case names, as literals where they are literal."""
    out: dict[str, object] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    out[target.id] = _literal(stmt.value)
    return out


def custom_settings(tree: ast.Module) -> list[tuple[str, dict[str, object]]]:
    """(spider class, custom_settings) of every class assigning a literal ``custom_settings``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "custom_settings" for t in stmt.targets
                ):
                    value = _literal(stmt.value)
                    if isinstance(value, dict):
                        found.append((node.name, {str(k): v for k, v in value.items()}))
    return found


def _module(
    modules: dict[str, tuple[str, str, ast.Module]], dotted: str
) -> tuple[str, str, ast.Module] | None:
    """The project module ``dotted`` names (the project may sit below the repository root)."""
    for name, module in modules.items():
        if name == dotted or name.endswith(f".{dotted}"):
            return module
    return None


@check(
    id="MLC1010",
    title="Scrapy collectors obey robots directives and text-and-data-mining reservations",
    requirements=["M2.1.6"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(SourceFile,),
    remediation="Set ROBOTSTXT_OBEY = True in the Scrapy settings and in no spider's "
    "custom_settings False; enable a downloader middleware that drops responses carrying a "
    "TDMRep reservation (tdm-reservation: 1 or the site's /.well-known/tdmrep.json).",
)
def collectors_honour_optouts(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Scrapy collectors obey robots directives and read TDM reservations."""
    gaps: list[Gap] = []
    modules: dict[str, tuple[str, str, ast.Module]] = {}
    for source in project.of_type(SourceFile):
        if source.language != "python":
            continue
        try:
            text = python_of(source)
            tree = ast.parse(text)
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)))
            continue
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        dotted = source.path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        modules[dotted] = (source.path, text, tree)
    if gaps:
        yield not_verified("source files could not be analysed", gaps, key="unread")
    projects = {
        dotted: settings_of(tree)
        for dotted, (_, _, tree) in modules.items()
        if {"BOT_NAME", "SPIDER_MODULES"} <= settings_of(tree).keys()
    }
    if not projects:
        if not gaps:
            yield abstained(
                "no Scrapy project in the code: how collectors treat robots directives and "
                "TDM reservations is not shown",
                key="no-collector",
            )
        return
    overrides = [
        (modules[d][0], name, cs)
        for d, (_, _, tree) in modules.items()
        for name, cs in custom_settings(tree)
    ]
    for dotted, settings in sorted(projects.items()):
        path = modules[dotted][0]
        problems = []
        if settings.get("ROBOTSTXT_OBEY") is not True:
            problems.append(f"ROBOTSTXT_OBEY is {settings.get('ROBOTSTXT_OBEY', 'unset (False)')}")
        problems += [
            f"spider {name} ({where}) sets ROBOTSTXT_OBEY {cs['ROBOTSTXT_OBEY']}"
            for where, name, cs in overrides
            if "ROBOTSTXT_OBEY" in cs and cs["ROBOTSTXT_OBEY"] is not True
        ]
        middlewares = settings.get("DOWNLOADER_MIDDLEWARES")
        enabled = (
            [str(k) for k, v in middlewares.items() if v is not None]
            if isinstance(middlewares, dict)
            else []
        )
        tdm = [
            m
            for m in enabled
            if (module := _module(modules, m.rsplit(".", 1)[0])) is not None
            and any(signal in module[1].lower() for signal in _TDM_SIGNALS)
        ]
        if not tdm:
            problems.append(
                "no enabled downloader middleware of the project reads TDM reservations "
                "(tdm-reservation header or tdmrep.json)"
            )
        if problems:
            yield failed(f"{path}: " + "; ".join(problems), key=path)
        else:
            yield passed(
                f"{path}: ROBOTSTXT_OBEY True, TDM reservations read by {', '.join(tdm)}",
                key=path,
            )
