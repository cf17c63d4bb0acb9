"""Hosted model version and region pinned (M5.3.2).

Every call to a hosted model in the project's Python code and notebooks must name a dated or
numbered model version (``gpt-4o-2024-08-06``, ``claude-3-5-sonnet-20241022``,
``gemini-1.5-pro-002``, ``anthropic.claude-3-haiku-20240307-v1:0``), not a moving alias
(``gpt-4o``, ``...-latest``), and go through a client bound to a region or regional endpoint
(boto3 ``region_name``, ``vertexai.init(location=...)``, an Azure OpenAI resource endpoint, a
regional ``base_url``). The hybrid part that stays with a person: the change log and the
re-evaluation before a pinned version is moved (attestation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.checks.pipeline._hosted import hosted_calls, pinned
from mlsvs.checks.pipeline._yaml import DocumentError, read_text
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

    from mlsvs.checks.pipeline._hosted import HostedCall
    from mlsvs.plugin import CheckContext, Outcome


def python_of(source: SourceFile) -> str:
    """The file's Python (a notebook's code cells joined); ``DocumentError`` when unreadable."""
    text = read_text(source.absolute, source.path)
    if source.language != "notebook":
        return text
    from mlsvs.codescan.notebook import NotebookError, parse_notebook, python_of_cell

    try:
        notebook = parse_notebook(text)
    except NotebookError as exc:
        raise DocumentError(f"{source.path}: {exc}") from None
    cells = [python_of_cell(c.source) for c in notebook.cells if c.kind == "code"]
    return "\n".join(c for c in cells if c)


def project_calls(project: Project) -> tuple[list[tuple[str, HostedCall]], list[Gap]]:
    """Every hosted model call in the project's code, and the files that could not be read."""
    calls: list[tuple[str, HostedCall]] = []
    gaps: list[Gap] = []
    for source in project.of_type(SourceFile):
        try:
            found = hosted_calls(python_of(source))
        except DocumentError as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNREADABLE, detail=str(exc)))
            continue
        except (SyntaxError, ValueError) as exc:
            gaps.append(Gap(item=source.path, reason=GapReason.UNPARSEABLE, detail=str(exc)[:160]))
            continue
        calls.extend((source.path, call) for call in found)
    return calls, gaps


@check(
    id="MLC864",
    title="Hosted model calls pin a dated model version and a region",
    requirements=["M5.3.2"],
    applies_to=Project,
    severity=Severity.MEDIUM,
    reads=(SourceFile,),
    remediation="Name a dated snapshot (gpt-4o-2024-08-06, claude-3-5-sonnet-20241022, "
    "gemini-1.5-pro-002) and bind the client to a region (region_name=, location=, a "
    "regional or Azure resource endpoint); move versions only after re-evaluation (M5.3.5).",
)
def hosted_versions_pinned(ctx: CheckContext, project: Project) -> Iterator[Outcome]:
    """Model id and region of every OpenAI, Anthropic, Bedrock, Vertex, LangChain, LiteLLM call."""
    calls, gaps = project_calls(project)
    if gaps:
        yield not_verified("source files could not be analysed", gaps)
    if not calls:
        if not gaps:
            yield not_verified(
                "no hosted model call was found in the Python code (calls from other "
                "languages or configuration are not read): where hosted_model_api holds, the "
                "calls are not visible here",
                Gap(item="*", reason=GapReason.UNSUPPORTED, detail="no recognised client call"),
            )
        return
    for path, call in calls:
        key = f"{path}:{call.line}"
        where = f"{path}:{call.line} ({call.provider.value})"
        problems = []
        if call.model is not None and not pinned(call.model):
            problems.append(f"model {call.model!r} is a moving alias, not a dated version")
        if call.region is None:
            problems.append("the client is bound to no region or regional endpoint")
        facts = (
            ("provider", call.provider.value),
            ("model", call.model or "dynamic"),
            ("region", call.region or "none"),
        )
        if problems:
            yield failed(f"{where}: {'; '.join(problems)}", key=key, facts=facts)
        elif call.model is None:
            yield not_verified(
                f"{where}: the model id is chosen at run time; the value in force is not visible",
                Gap(item=key, reason=GapReason.UNSUPPORTED, detail="model id not a constant"),
                key=key,
                facts=facts,
            )
        else:
            yield passed(f"{where}: {call.model} in {call.region}", key=key, facts=facts)
