"""The ``mlsvs.toml`` that ``mlsvs init`` proposes: pure functions from what discovery found.

Every proposed trait is written with the evidence behind it as comments, so the file says why
each line is there; traits with no evidence are listed (commented out) with what they mean.
Denied traits carry the reason the user gave. Nothing is a placeholder written as if real.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsvs.render.text import clean

if TYPE_CHECKING:
    from mlsvs.model.artifact import Project

MAX_EVIDENCE = 3
"""Evidence lines written per trait (the report lists them all)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """The answers that go into the file."""

    name: str
    level: str = "L1"
    traits: tuple[str, ...] = ()
    denied: Mapping[str, str] = field(default_factory=dict)
    """Trait -> why it does not hold."""
    allow: tuple[str, ...] = ()
    """Capabilities the project asks for (granted only on the command line)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """What discovery suggests, before anyone answers."""

    evidence: Mapping[str, tuple[str, ...]]
    """Trait -> ``path:line: what was seen`` lines, for traits with evidence."""
    summary: tuple[str, ...]
    """One line per kind of thing found (``3 models: a.onnx, b.pt, c.pkl``)."""
    tags: Mapping[str, str]
    """Every applicability trait of the standard -> its description."""


def propose(project: Project, tags: Mapping[str, str]) -> Proposal:
    """Traits suggested by discovery's trait evidence, and a summary of what was found."""
    evidence: dict[str, list[str]] = {}
    for item in sorted(project.trait_evidence, key=lambda e: (e.trait, e.path, e.line or 0)):
        where = f"{item.path}:{item.line}" if item.line else item.path
        evidence.setdefault(item.trait, []).append(f"{where}: {item.detail}")
    kinds = Counter(a.kind for a in project.artifacts)
    summary = []
    for kind in sorted(kinds, key=lambda k: (-kinds[k], k)):
        paths = sorted(a.path for a in project.artifacts if a.kind == kind)
        more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        summary.append(f"{kinds[kind]} {kind}: {', '.join(paths[:3])}{more}")
    if project.endpoints:
        summary.append(f"{len(project.endpoints)} endpoint(s) configured")
    return Proposal(
        evidence={t: tuple(lines) for t, lines in evidence.items()},
        summary=tuple(summary),
        tags=dict(tags),
    )


def default_scope(name: str, proposal: Proposal) -> Scope:
    """Without questions: every trait with evidence is declared (the fail-closed choice:
    its requirements apply until someone denies the trait with a reason)."""
    return Scope(
        name=name, traits=tuple(sorted(t for t in proposal.evidence if t in proposal.tags))
    )


def _string(text: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    return clean(text).replace("\n", " ")


def render(scope: Scope, proposal: Proposal) -> str:
    """The commented ``mlsvs.toml``."""
    out = [
        "# mlsvs configuration: what the system is, what level it targets, what checks may do.",
        "# Written by `mlsvs init` from what discovery found; every key is explained in",
        "# docs/configuration.md of mlsvs (`mlsvs --help` lists the commands).",
        "",
    ]
    if proposal.summary:
        out.append("# Discovery found:")
        out += [f"#   {_comment(line)}" for line in proposal.summary]
        out.append("")
    out += [
        f"name = {_string(scope.name)}",
        "# Target level: L1 (baseline), L2 (exposed models, personal data), L3 (high assurance).",
        f"level = {_string(scope.level)}",
        "",
        "# Applicability traits: declare every one that is true. A requirement tagged with a",
        "# trait that is neither declared nor denied is not applicable, unless discovery sees",
        "# evidence of the trait: then it stays *not verified* until you declare or deny it.",
        "traits = [",
    ]
    for trait in scope.traits:
        for line in proposal.evidence.get(trait, ())[:MAX_EVIDENCE]:
            out.append(f"  # evidence: {_comment(line)}")
        extra = len(proposal.evidence.get(trait, ())) - MAX_EVIDENCE
        if extra > 0:
            out.append(f"  # … and {extra} more (mlsvs verify lists them)")
        if trait not in proposal.evidence:
            out.append("  # declared without evidence found by discovery")
        out.append(f"  {_string(trait)},")
    out.append("]")
    others = [t for t in sorted(proposal.tags) if t not in scope.traits and t not in scope.denied]
    if others:
        out += ["", "# Other traits of the standard (add the ones that hold to `traits`):"]
        out += [f"#   {t}: {_comment(proposal.tags[t])}" for t in others]
    out += [
        "",
        "# Paths (globs, relative to this file) to leave out of discovery.",
        "exclude = []",
        "",
        "# Where signed-off attestations live (`mlsvs attest template REQ-ID` writes one).",
        'attestations = ["attestations"]',
        "",
        '# Capabilities the checks of this project need: "network" (probe the declared',
        '# endpoints), "model-exec" (load the model under test in a separate process). A request',
        "# only: whoever runs mlsvs grants them with --allow (a file never grants them itself).",
        "allow = [" + ", ".join(_string(c) for c in scope.allow) + "]",
    ]
    if scope.denied:
        out += [
            "",
            "# Traits that do not hold, each with the reason (shown in every report).",
            "[denied_traits]",
        ]
        for trait, reason in sorted(scope.denied.items()):
            for line in proposal.evidence.get(trait, ())[:MAX_EVIDENCE]:
                out.append(f"# evidence seen: {_comment(line)}")
            out.append(f"{trait} = {_string(reason)}")
    out += [
        "",
        "# More sections (see docs/configuration.md): [[endpoints]] inference endpoints to",
        "# probe (name, url, auth_env = the NAME of the variable holding the key), [[waivers]]",
        "# accepted failures (reason and expires are mandatory), [checks.MLCnnn] per-check",
        "# options, [model_tests] runtime tests, [datasets] dataset checks.",
    ]
    return "\n".join(out) + "\n"
