"""Progress on long work: one status line that updates in a terminal, or plain lines every few seconds otherwise."""
from __future__ import annotations

import shutil
import sys
import time


class Progress:
    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_plain = 0.0

    def update(self, message: str) -> None:
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r" + message[:width].ljust(width))
            self.stream.flush()
        elif time.monotonic() - self._last_plain > 10:
            self._last_plain = time.monotonic()
            print(message, file=self.stream, flush=True)

    def done(self, message: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * (shutil.get_terminal_size((100, 20)).columns - 1) + "\r")
        print(message, file=self.stream, flush=True)
