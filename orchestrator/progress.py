"""A rich progress bar per staged file (bytes read, speed, then records), on a terminal only."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)


class _Task:
    def __init__(self, owner: FileProgress, task: TaskID | None, name: str) -> None:
        self._owner, self._task, self._name = owner, task, name
        self._lock = threading.Lock()

    def advance(self, n: int) -> None:
        if self._owner.progress is not None and self._task is not None:
            self._owner.progress.advance(self._task, n)

    def reset(self) -> None:
        if self._owner.progress is not None and self._task is not None:
            self._owner.progress.reset(self._task, description=f"{self._name} (record by record)")

    def done(self, records: int) -> None:
        if self._owner.progress is not None and self._task is not None:
            self._owner.progress.update(self._task, description=f"{self._name}: {records:,} rows")


class FileProgress:
    """Context manager; a no-op when disabled (not a terminal, or --json)."""

    def __init__(self, enabled: bool) -> None:
        self.progress: Progress | None = None
        if enabled:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )

    def add(self, name: str, total: int) -> _Task:
        task = self.progress.add_task(name, total=total) if self.progress is not None else None
        return _Task(self, task, name)

    def __enter__(self) -> FileProgress:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self.progress is not None:
            self.progress.stop()
