"""Copy what each requirement says from the catalog into the assessment."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from mlsvs.model.assessment import RequirementInfo

if TYPE_CHECKING:
    from mlsvs.model.assessment import Assessment
    from mlsvs.model.catalog import Standard


def requirement_infos(standard: Standard) -> tuple[RequirementInfo, ...]:
    """One ``RequirementInfo`` per requirement of ``standard``, in document order."""
    return tuple(
        RequirementInfo(
            id=req.id,
            title=req.title,
            text=req.text,
            level=req.level,
            verification=req.verification,
            chapter=chapter.id,
            chapter_title=chapter.title,
            section=section.id,
            section_title=section.title,
            pass_criteria=req.pass_criteria,
            fail_condition=req.fail_condition,
            evidence=tuple(req.evidence),
            why=req.guidance.why,
            how=req.guidance.how,
            tools=tuple(req.guidance.tools),
        )
        for chapter in standard.chapters
        for section in chapter.sections
        for req in section.requirements
    )


def with_requirements(assessment: Assessment, standard: Standard) -> Assessment:
    """``assessment`` with requirement content filled in when it has none (older results).

    Only a catalog whose digest matches the one the results were made against is used, so a
    report never shows text the verdicts were not decided on.
    """
    if assessment.requirements or standard.digest != assessment.standard.digest:
        return assessment
    return dataclasses.replace(assessment, requirements=requirement_infos(standard))
