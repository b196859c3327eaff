"""Draws a replay's progress with rich: one bar per pass with events/s and the lag left."""

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class RichReporter:
    """A Reporter (orders/replay/build.py). On a terminal the bars move; elsewhere (logs, CI)
    each pass prints one final line."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._started = 0.0
        self._read = 0

    def start_pass(self, label: str, lag: int) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("events  {task.fields[rate]:>8,.0f} events/s  lag {task.fields[lag]:,}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._task = self._progress.add_task(label, total=max(lag, 0), rate=0.0, lag=lag)
        self._started, self._read = time.monotonic(), 0
        self._progress.start()

    def advance(self, read: int, lag: int) -> None:
        if self._progress is None or self._task is None:
            return
        self._read += read
        rate = self._read / max(time.monotonic() - self._started, 1e-6)
        self._progress.update(self._task, advance=read, rate=rate, lag=lag)

    def end_pass(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress = self._task = None

    def say(self, message: str) -> None:
        self.console.print(message, soft_wrap=True)
