"""The progress display of an ingestion job: units done of all (hour files, days), rows read and kept."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ingestion.log import console


class LoadProgress:
    """One bar: `advance` counts units done, `add_rows` the rows read and kept. Does nothing when disabled."""

    def __init__(self, progress: Progress | None = None, task: TaskID | None = None):
        self.progress = progress
        self.task = task
        self.read = 0
        self.kept = 0

    def advance(self, units: int = 1) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, units)

    def add_rows(self, read: int, kept: int) -> None:
        if self.progress is not None and self.task is not None:
            self.read += read
            self.kept += kept
            self.progress.update(self.task, read=self.read, kept=self.kept)


@contextmanager
def load_progress(enabled: bool, source: str, units: str, rows: str, total: int) -> Iterator[LoadProgress]:
    """A bar such as `github ━━━━ 12/96 hour files · events read 41,226 · kept 733 0:00:02`."""
    if not enabled:
        yield LoadProgress()
        return
    columns = (
        TextColumn(source),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(f"{units} · {rows} read {{task.fields[read]:,}} · kept {{task.fields[kept]:,}}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        yield LoadProgress(progress, progress.add_task(source, total=total, read=0, kept=0))
