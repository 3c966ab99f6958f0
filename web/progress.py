"""Scan progress on the terminal with rich: a count while walking, then a bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from catalog.terminal import printable
from indexer.pipeline import Progress as ScanProgress

T = TypeVar("T")


class RichProgress(ScanProgress):
    def __init__(self, label: str) -> None:
        self.bar = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
            # A file name is text, never markup, and shows its control characters escaped.
            TextColumn("{task.fields[current]}", style="dim", markup=False), transient=False,
        )
        self.label = label
        self.task = self.bar.add_task(label, total=None, current="")
        self.found_files = 0

    def found(self, count: int) -> None:
        # While walking, the total is not known yet: show how many files were found.
        self.found_files += count
        self.bar.update(self.task, current=str(self.found_files))

    def planned(self, total_work: int) -> None:
        self.bar.update(self.task, total=total_work, completed=0, current="")

    def advanced(self, rel_path: str) -> None:
        self.bar.update(self.task, advance=1, current=printable(rel_path[-40:]))


def run_with_progress(progress: RichProgress | None,
                      work: Callable[[ScanProgress | None], T]) -> T:
    if progress is None:
        return work(None)
    with progress.bar:
        return work(progress)
