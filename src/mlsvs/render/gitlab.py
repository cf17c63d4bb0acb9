"""GitLab SAST report of an assessment (``gl-sast-report.json`` for ``artifacts: reports:
sast:``): the FAIL and ERROR findings, written by :mod:`mlsvs.output.gitlab`."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from mlsvs.output.gitlab import sast_text
from mlsvs.render.sarif import findings_report

if TYPE_CHECKING:
    from typing import TextIO

    from mlsvs.model.assessment import Assessment


class GitlabSastRenderer:
    """Registered as ``gitlab-sast``."""

    name: ClassVar[str] = "gitlab-sast"
    suffix: ClassVar[str] = ".json"
    binary: ClassVar[bool] = False

    def render(self, assessment: Assessment, out: TextIO) -> None:
        """Write the GitLab SAST report."""
        out.write(sast_text(findings_report(assessment)))
