"""``mlsvs init``: propose an ``mlsvs.toml`` from what discovery finds in the project.

Without ``--interactive`` every trait discovery has evidence for is declared (with the
evidence as comments) and nothing is asked. ``--interactive`` asks the scope questions on
standard input: the project name, the target level, each trait (defaulting to yes where there
is evidence), a reason for every evidenced trait answered "no", and the capabilities the
checks may need. Answers can be piped in, one per line (an empty line takes the default).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import argparse

    from mlsvs.cli.init_template import Proposal, Scope


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``mlsvs init``."""
    parser.description = (
        "Discover the project and write a commented mlsvs.toml: the traits discovery has "
        "evidence for are declared, each with its evidence; --interactive asks the scope "
        "questions instead."
    )
    parser.add_argument("path", nargs="?", default=".", help="project root (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing mlsvs.toml")
    parser.add_argument(
        "-i",
        "--interactive",
        action="store_true",
        help="ask the scope questions (name, level, each trait, capabilities) on standard input",
    )
    parser.add_argument("--level", help="target level L1, L2 or L3 (default: L1)")
    parser.add_argument(
        "--print",
        dest="to_stdout",
        action="store_true",
        help="print the proposed file instead of writing it",
    )


def run(args: argparse.Namespace) -> int:
    """Discover, propose (or ask), write and re-read the file."""
    from mlsvs.catalog import load_standard
    from mlsvs.cli.init_template import default_scope, propose, render
    from mlsvs.discovery import discover
    from mlsvs.errors import UsageError
    from mlsvs.model.catalog import Level

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{root} is not a directory")
    target = root / "mlsvs.toml"
    if target.exists() and not args.force and not args.to_stdout:
        raise UsageError(f"{target} already exists (use --force to overwrite)")
    level = None
    if args.level:
        try:
            level = str(Level.parse(args.level))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    standard = load_standard()
    tags = {t.id: t.description for t in standard.tags}
    found = discover(root)
    proposal = propose(found.project, tags)
    name = root.resolve().name
    if args.interactive:
        scope = ask(proposal, name=name, level=level or "L1", stdin=sys.stdin, out=sys.stderr)
    else:
        scope = default_scope(name, proposal)
        if level:
            from dataclasses import replace

            scope = replace(scope, level=level)
    text = render(scope, proposal)
    _check(text, root)
    if args.to_stdout:
        sys.stdout.write(text)
        return 0
    target.write_text(text, encoding="utf-8")
    _report(target, scope, proposal)
    return 0


def _check(text: str, root: Path) -> None:
    """The written file must load as a configuration (fail closed on our own output)."""
    import tempfile

    from mlsvs.config import load_config

    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "mlsvs.toml"
        probe.write_text(text, encoding="utf-8")
        load_config(root, probe)


def _report(target: Path, scope: Scope, proposal: Proposal) -> None:
    from mlsvs.util.text import safe_path

    print(f"mlsvs: wrote {safe_path(str(target))}", file=sys.stderr)
    for line in proposal.summary:
        print(f"  found {line}", file=sys.stderr)
    for trait in scope.traits:
        seen = proposal.evidence.get(trait, ())
        why = f" ({len(seen)} piece(s) of evidence, first: {seen[0]})" if seen else ""
        print(f"  declared trait {trait}{why}", file=sys.stderr)
    for trait, reason in sorted(scope.denied.items()):
        print(f"  denied trait {trait}: {reason}", file=sys.stderr)
    print(
        "  next: review the traits, then run `mlsvs verify` "
        "(add --allow model-exec to run the model tests)",
        file=sys.stderr,
    )


def ask(proposal: Proposal, *, name: str, level: str, stdin: TextIO, out: TextIO) -> Scope:
    """Ask the scope questions; raises ``UsageError`` when the input ends early."""
    from mlsvs.cli.init_template import Scope
    from mlsvs.model.catalog import Level

    def question(prompt: str, default: str) -> str:
        out.write(f"{prompt} [{default}]: " if default else f"{prompt}: ")
        out.flush()
        line = stdin.readline()
        if not line:
            from mlsvs.errors import UsageError

            out.write("\n")
            raise UsageError("mlsvs init --interactive: input ended before every question")
        return line.strip() or default

    def yes(prompt: str, default: bool) -> bool:
        while True:
            answer = question(prompt + " (y/n)", "y" if default else "n").lower()
            if answer in {"y", "yes"}:
                return True
            if answer in {"n", "no"}:
                return False
            out.write("  please answer y or n\n")

    if proposal.summary:
        out.write("Discovery found:\n" + "".join(f"  {s}\n" for s in proposal.summary))
    chosen_name = question("Project name", name)
    chosen_level = ""
    while not chosen_level:
        raw = question("Target level (L1 baseline, L2 exposed or personal data, L3 high)", level)
        try:
            chosen_level = str(Level.parse(raw))
        except ValueError as exc:
            out.write(f"  {exc}\n")
    traits: list[str] = []
    denied: dict[str, str] = {}
    for tag in sorted(proposal.tags):
        seen = proposal.evidence.get(tag, ())
        out.write(f"\n{tag}: {proposal.tags[tag]}\n")
        for line in seen[:3]:
            out.write(f"  evidence: {line}\n")
        if yes(f"Does {tag} hold for this system?", bool(seen)):
            traits.append(tag)
        elif seen:
            while not (reason := question(f"Why does {tag} not hold (shown in reports)", "")):
                out.write("  a reason is required: discovery saw evidence of this trait\n")
            denied[tag] = reason
    allow = []
    if yes("\nMay the checks load and run the model (model-exec)?", False):
        allow.append("model-exec")
    if yes("May the checks send requests to the configured endpoints (network)?", False):
        allow.append("network")
    return Scope(
        name=chosen_name,
        level=chosen_level,
        traits=tuple(traits),
        denied=denied,
        allow=tuple(allow),
    )
