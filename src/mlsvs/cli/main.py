"""``mlsvs`` entry point.

Subcommand modules are imported only when their command runs, so ``mlsvs --version`` and
``mlsvs --help`` cost argparse and nothing else. Each module ``mlsvs.cli.<module>`` provides::

    def configure(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

``run`` returns the exit code. Errors meant for the user are ``MlsvsError``: printed as one
line, exit code 2 (``-v`` / ``MLSVS_DEBUG=1`` show the traceback). A module that never logs may
set ``CONFIGURE_LOGGING = False`` to skip importing and configuring ``logging`` (``-v`` and
``MLSVS_LOG_LEVEL`` still configure it), and ``SKIP_TEARDOWN = True`` when nothing of its run
needs the interpreter's shutdown (no atexit handler, no open file or child process): the
console script then flushes stdout/stderr and ends the process with ``os._exit``, which saves
tearing down every imported module (~10% of a directory scan). ``main`` itself always returns,
so in-process callers (tests, ``mlsvs.api``) are unaffected.
"""

from __future__ import annotations

import os
import sys

from mlsvs import __version__

# argparse and typing are imported where used: `mlsvs --version` needs neither (~20 ms).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import NoReturn, Protocol

    class _CommandModule(Protocol):
        def configure(self, parser: argparse.ArgumentParser) -> None: ...

        def run(self, args: argparse.Namespace) -> int: ...


# name -> (module under mlsvs.cli, one-line help). Order is the order shown by --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "verify": ("verify", "assess a project against the standard and report the level reached"),
    "scan": ("scan", "scan model files for code that runs on load (never loads them)"),
    "render": ("render", "re-render a results.json in another format without re-running"),
    "diff": ("diff", "compare two results.json files and show regressions"),
    "init": ("init", "write a commented starter mlsvs.toml"),
    "catalog": ("catalog", "list, show, validate and export the requirement catalog"),
    "procurement": ("procurement", "write the contract annex for a level and scope questionnaire"),
    "evidence": ("evidence", "pack signed supplier evidence; verify a package against an annex"),
    "oscal": ("oscal", "export the catalog, a profile or an assessment as OSCAL JSON"),
    "checks": ("checks", "list the automated checks or explain one"),
    "plugins": ("plugins", "list loaded plugins and plugin load failures"),
    "attest": ("attest", "write attestation templates and verify attestations"),
    "bom": ("bom", "write a CycloneDX 1.6 ML-BOM for a project"),
    "sign": ("sign", "sign model files with OpenSSF model-signing"),
    "verify-signature": ("verify_signature", "verify an OpenSSF model-signing signature"),
    "deps": ("deps", "audit dependency manifests: pinning, hashes, known vulnerabilities"),
    "advisories": ("advisories", "download, import or inspect the advisory database"),
    "code": ("code", "run the ML code rules over Python files and notebooks"),
    "secrets": ("secrets", "find credentials in code, notebooks, configs and model metadata"),
    "test": ("test", "run robustness, privacy and extraction tests against a model"),
    "probe": ("probe", "probe declared inference endpoints (needs --allow network)"),
    "data": ("data", "dataset checks: manifests, split leakage, PII, label noise"),
    "server": ("server", "run the assessment service (history, diffs, auditor workflow)"),
    "push": ("push", "upload a results.json to an mlsvs server"),
    "completion": ("completion", "print a shell completion script (bash, zsh, fish)"),
    "fleet": ("fleet", "scan every model of trees, buckets, hubs and registries (local or Ray)"),
}


def _top_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="mlsvs",
        description="Verify ML systems against the Machine Learning Security "
        "Verification Standard (MLSVS).",
        epilog="Run 'mlsvs COMMAND --help' for the options of one command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mlsvs {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show tracebacks and debug logging"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _load(module_name: str) -> _CommandModule:
    import importlib
    from typing import cast

    return cast("_CommandModule", importlib.import_module(f"mlsvs.cli.{module_name}"))


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run one command. Returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args_list[:1] or "--verbose" in args_list[:1]
    if verbose:
        args_list = args_list[1:]
    command = args_list[0] if args_list else None
    if args_list == ["--version"]:
        print(f"mlsvs {__version__}")  # what argparse's version action prints, minus argparse
        return 0
    if command not in COMMANDS:
        # --version, --help, no command, or an unknown one: argparse prints and exits.
        parser = _top_parser()
        parsed = parser.parse_args(args_list)
        if parsed.command is None:
            parser.print_help(sys.stderr)
            return 2
        return 2  # pragma: no cover - argparse rejects unknown choices itself

    module_name, help_text = COMMANDS[command]
    module = _load(module_name)
    import argparse

    parser = argparse.ArgumentParser(prog=f"mlsvs {command}", description=help_text)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show tracebacks and debug logging"
    )
    module.configure(parser)
    args = _parse(parser, args_list[1:])
    verbose = (
        verbose or bool(getattr(args, "verbose", False)) or bool(os.environ.get("MLSVS_DEBUG"))
    )
    if verbose or "MLSVS_LOG_LEVEL" in os.environ or getattr(module, "CONFIGURE_LOGGING", True):
        _configure_logging(verbose=verbose)
    return _run_guarded(module, args, verbose=verbose)


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    # Intermixed parsing lets options follow positionals (`mlsvs scan a.pkl -f json b.pkl`);
    # argparse refuses it for parsers with sub-commands, which keep the plain parse.
    if parser._subparsers is None:
        return parser.parse_intermixed_args(argv)
    return parser.parse_args(argv)


def _configure_logging(*, verbose: bool) -> None:
    import logging

    level_name = os.environ.get("MLSVS_LOG_LEVEL", "DEBUG" if verbose else "WARNING").upper()
    logging.basicConfig(
        level=getattr(logging, level_name, logging.WARNING),
        format="mlsvs: %(levelname)s: %(name)s: %(message)s",
    )


def _run_guarded(module: _CommandModule, args: argparse.Namespace, *, verbose: bool) -> int:
    from mlsvs.errors import MlsvsError

    try:
        return module.run(args)
    except MlsvsError as exc:
        if verbose:
            raise
        print(f"mlsvs: error: {exc.diagnostics()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mlsvs: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error worth a traceback.
        return 0
    except Exception as exc:
        if verbose:
            raise
        print(
            f"mlsvs: internal error: {type(exc).__name__}: {exc} "
            "(run with -v for the traceback and please report it)",
            file=sys.stderr,
        )
        return 2


def entry() -> NoReturn:
    """The ``mlsvs`` console script: ``main``, then exit (see ``SKIP_TEARDOWN`` above)."""
    code = main()
    if _skips_teardown(sys.argv[1:]):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            pass  # e.g. a closed pipe: let the normal exit path report it
        else:
            os._exit(code)
    sys.exit(code)


def _skips_teardown(argv: Sequence[str]) -> bool:
    """Whether the command that just ran declared ``SKIP_TEARDOWN``.

    Logging needs no teardown either: its stream handlers flush every record.
    """
    words = [a for a in argv[:2] if a not in ("-v", "--verbose")]
    command = COMMANDS.get(words[0]) if words else None
    if command is None:
        return False
    module = sys.modules.get(f"mlsvs.cli.{command[0]}")
    return bool(getattr(module, "SKIP_TEARDOWN", False))


if __name__ == "__main__":  # pragma: no cover
    entry()
