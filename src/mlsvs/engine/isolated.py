"""Run one check in a spawned process, so a check that loads models cannot take the run down.

The child re-imports the check by ``module:attribute`` (functions decorated into ``Check``
objects cannot be pickled by reference) and sends back plain outcomes over a pipe. Spawn, never
fork: forking a threaded process can deadlock.
"""

from __future__ import annotations

import importlib
import multiprocessing
from typing import TYPE_CHECKING

from mlsvs.model.result import Outcome, errored

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from mlsvs.model.artifact import Target
    from mlsvs.model.check import CheckContext


def run_isolated(
    attribute: str, ctx: CheckContext, target: Target, timeout_s: float
) -> list[Outcome]:
    """Outcomes of the check at ``attribute`` run in a child process, or one ERROR outcome."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(attribute, ctx, target, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            return [errored(f"timed out after {timeout_s:g} s in an isolated process")]
        kind, payload = receiver.recv()
    except EOFError:
        process.join(5)
        return [errored(f"isolated process died (exit code {process.exitcode})")]
    finally:
        if process.is_alive():
            process.terminate()
            process.join(5)
            if process.is_alive():
                process.kill()
        receiver.close()
    if kind == "ok":
        return list(payload)
    return [errored(str(payload))]


def _child(attribute: str, ctx: CheckContext, target: Target, sender: Connection) -> None:
    module_name, _, name = attribute.partition(":")
    try:
        check = getattr(importlib.import_module(module_name), name)
        outcomes = check.run(ctx, target)
    except Exception as exc:  # noqa: BLE001 - the task boundary: report, never crash the parent
        sender.send(("error", f"{type(exc).__name__}: {exc}"))
    else:
        sender.send(("ok", outcomes))
    finally:
        sender.close()
