"""A rich progress bar on stderr, attached only when stderr is a terminal."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

from mlsvs.engine.events import RunFinished, RunStarted, TaskFinished

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from mlsvs.engine.events import Event, EventSink


class RichProgress:
    """EventSink drawing one bar for the whole run."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress: Progress = Progress(
            TextColumn("[bold]verifying"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._task: TaskID | None = None
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        """Advance or close the bar."""
        with self._lock:
            match event:
                case RunStarted(total=total):
                    self._progress.start()
                    self._task = self._progress.add_task("", total=total)
                case TaskFinished(check=check, target=target):
                    if self._task is not None:
                        self._progress.update(
                            self._task, advance=1, description=f"{check} {target}"[:60]
                        )
                case RunFinished():
                    self._progress.stop()


def progress_sink(*, enabled: bool) -> EventSink | None:
    """A progress bar when asked for and stderr is a TTY; None (silent) otherwise."""
    if not enabled or not sys.stderr.isatty():
        return None
    return RichProgress()
