"""Progress of a long capture on stderr: one line kept up to date on a terminal, one line per
service otherwise (a log, a CI job). DRIFT_PROGRESS=0 silences it, DRIFT_PROGRESS=1 asks for the
lines even where they would not be shown. Output on stdout is never touched."""
from __future__ import annotations

import os
import sys
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, setting: str | None = None):
        self.stream = stream or sys.stderr
        setting = os.environ.get("DRIFT_PROGRESS", "") if setting is None else setting
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.live = tty and setting != "1"
        self.enabled = setting != "0"
        self.shown = False

    def say(self, text: str, *, log: bool = True) -> None:
        """`log=False`: a stage worth showing on a terminal only (a log keeps one line per service)."""
        if not self.enabled or (not log and not self.live):
            return
        if self.live:
            self.stream.write("\r\x1b[K" + text)
            self.shown = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        """Clear the live line, so what follows starts on a clean one."""
        if self.live and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
