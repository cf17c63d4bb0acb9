"""Not-applicable claims justified (M1.1.5).

In mlsvs a requirement becomes not applicable through the profile: an applicability trait
that is not declared. Such a claim is justified only when the trait is denied under
``[denied_traits]`` with a reason that states a fact of the system, and nothing discovery saw
contradicts it. A trait left out silently, a placeholder reason ("n/a", "none", "not
relevant"), or a denial contradicted by the project (a FastAPI app while
``exposes_inference_api`` is denied) fails. Attestations claiming ``not_applicable`` must carry a
justification already (the loader rejects them otherwise).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mlsvs.plugin import (
    Gap,
    GapReason,
    Project,
    Severity,
    SourceFile,
    check,
    failed,
    not_verified,
    passed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlsvs.plugin import CheckContext, Outcome

_PLACEHOLDER = re.compile(
    r"^\W*(n/?a|none|no|nope|not\s+(?:applicable|relevant|needed|used)|irrelevant|tbd|todo|"
    r"fixme|-+|\?+|x+|ok|yes|false|ignore[d]?|skip(?:ped)?|does\s+not\s+apply)\W*$",
    re.I,
)
MIN_WORDS = 4


def weak_reason(reason: str) -> bool:
    """A placeholder or too short to state a fact of the system."""
    words = re.findall(r"[A-Za-z0-9][\w'-]*", reason)
    return bool(_PLACEHOLDER.match(reason.strip())) or len(words) < MIN_WORDS


def _unread_code(project: Project) -> list[Gap]:
    """Source files whose evidence discovery could not gather (unreadable or unparseable)."""
    import ast

    gaps = [g for g in project.gaps if not g.could_be or "SourceFile" in g.could_be]
    for source in project.of_type(SourceFile):
        if source.language != "python":
            continue
        try:
            ast.parse(source.absolute.read_bytes())
        except OSError as exc:
            gaps.append(
                Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc.strerror))
            )
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:120]))
    return gaps


def _tags() -> tuple[str, ...]:
    from mlsvs.catalog import load_standard

    return tuple(t.id for t in load_standard(None).tags)


@check(
    id="MLC863",
    title="Every applicability trait is declared, or denied with a reason the project bears out",
    requirements=["M1.1.5"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    # Declarations and denials come from the configuration; only a denial is weighed against
    # the project, and then the check itself makes sure the code behind the evidence was read.
    reads=(),
    remediation="For each trait that does not hold, add it under [denied_traits] with a "
    'sentence stating the fact (e.g. uses_third_party_model = "all models are trained here '
    'from the data in data/; no pretrained weights are downloaded").',
)
def not_applicable_justified(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Undeclared traits must be denied; denials must be facts discovery does not contradict."""
    tags = _tags()
    problems: list[str] = []
    silent = sorted(t for t in tags if t not in project.traits and t not in project.denied_traits)
    if silent:
        problems.append(
            "traits neither declared nor denied, so their requirements are not applicable "
            f"without a justification: {', '.join(silent)}"
        )
    for trait, reason in sorted(project.denied_traits.items()):
        if weak_reason(reason):
            problems.append(f"denied trait {trait}: reason {reason!r} states no fact")
        seen = [e for e in project.trait_evidence if e.trait == trait]
        if seen:
            where = ", ".join(f"{e.path} ({e.detail})" for e in seen[:3])
            problems.append(f"denied trait {trait} is contradicted by the project: {where}")
    facts = tuple(("denied", f"{t}: {r}") for t, r in sorted(project.denied_traits.items()))
    unread = _unread_code(project) if project.denied_traits and not problems else []
    if unread:
        yield not_verified(
            "denied traits cannot be weighed against code that was not read or parsed", unread
        )
        return
    if problems:
        yield failed("; ".join(problems), facts=facts)
    else:
        yield passed(
            f"{len(project.traits)} trait(s) declared; {len(project.denied_traits)} denied, each "
            "with a reason the project does not contradict",
            facts=facts,
        )
