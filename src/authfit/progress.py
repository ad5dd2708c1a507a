"""Progress through the named stages of a long command: a log line per stage (with the time the previous
one took), and on a terminal also a tqdm bar over the stages, so `authfit train` is never silent for half a
minute. Callers mark stage starts with `advance()`, one added line each, and end with `finish()`."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence

log = logging.getLogger("authfit.progress")


class Stages:
    """`advance()` ends the current stage (logging its time) and starts the next: 'train 2/5: comment model'.
    The bar is drawn only when stderr is a terminal, and log lines are written around it."""

    def __init__(self, command: str, names: Sequence[str], bar: bool | None = None):
        self.command = command
        self.names = tuple(names)
        self.current = -1
        self._started = time.perf_counter()
        self._bar = None
        if bar if bar is not None else sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=len(self.names), desc=command, unit="stage", file=sys.stderr, leave=False)

    def _log(self, message: str, *args: object) -> None:
        if self._bar is not None:
            self._bar.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} INFO {log.name}: " + message % args,
                            file=sys.stderr)
        else:
            log.info(message, *args)

    def _end_current(self) -> None:
        if self.current >= 0:
            self._log("%s %d/%d: %s done in %.1f s", self.command, self.current + 1, len(self.names),
                      self.names[self.current], time.perf_counter() - self._started)
            if self._bar is not None:
                self._bar.update(1)

    def advance(self) -> None:
        self._end_current()
        self.current += 1
        self._started = time.perf_counter()
        name = self.names[self.current]
        self._log("%s %d/%d: %s", self.command, self.current + 1, len(self.names), name)
        if self._bar is not None:
            self._bar.set_postfix_str(name)

    def finish(self) -> None:
        self._end_current()
        self.current = len(self.names)
        if self._bar is not None:
            self._bar.close()
