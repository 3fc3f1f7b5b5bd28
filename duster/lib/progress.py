"""A progress bar for long management commands, on one terminal line."""

import sys
import time
from typing import IO


class ProgressBar:
    """`bar(done, total)` redraws the line; `bar.finish()` ends it. Redraws at
    most ten times a second, and only on a terminal (a log gets the end)."""

    WIDTH = 30

    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.drawn = 0.0
        self.last = (0, 0)

    def __call__(self, done: int, total: int) -> None:
        self.last = (done, total)
        now = time.monotonic()
        if now - self.drawn < 0.1 and done < total:
            return
        self.drawn = now
        if self.stream.isatty():
            self.stream.write("\r" + self._line(done, total))
            self.stream.flush()

    def finish(self) -> None:
        done, total = self.last
        end = "\n" if self.stream.isatty() else ""
        self.stream.write(("\r" if end else "") + self._line(done, total) + "\n")
        self.stream.flush()

    def _line(self, done: int, total: int) -> str:
        share = done / total if total else 1.0
        filled = int(share * self.WIDTH)
        elapsed = time.monotonic() - self.started
        return (
            f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{done:,}/{total:,} {share:4.0%} {elapsed:6.1f}s"
        )
