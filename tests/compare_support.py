"""Comparing a main text with a live text of one tracked file, the way a run does."""
from __future__ import annotations

from dataclasses import dataclass
from textwrap import dedent

from bot.capture.files import take_file
from bot.compare import compare_file
from bot.model import Divergence, FileError


def summary(found: list[Divergence]) -> list[tuple]:
    return [(d.pointer, d.kind, d.before, d.after) for d in found]


@dataclass(frozen=True)
class TrackedFile:
    """One tracked file: `repo_path` in main, `live_path` on the instance.

    With `dedent`, both texts are dedented first, so that a test can write them indented.
    """

    repo_path: str
    live_path: str
    dedent: bool = True

    def compared(self, main: str | None, live: str | None) -> tuple[list[Divergence], list[FileError]]:
        """`live` captured (so redacted) and compared with `main`; None: the file is absent there."""
        if self.dedent:
            main, live = (None if t is None else dedent(t) for t in (main, live))
        return compare_file(self.repo_path, main, take_file(self.live_path, self.repo_path, None if live is None else live.encode()))

    def divergences(self, main: str, live: str) -> list[Divergence]:
        """The divergences of `live` against `main`; no file error allowed."""
        found, errors = self.compared(main, live)
        assert errors == []
        return found

    def same(self, main: str, live: str) -> None:
        found = self.divergences(main, live)
        assert found == [], summary(found)

    def only(self, main: str, live: str) -> Divergence:
        found = self.divergences(main, live)
        assert len(found) == 1, summary(found)
        return found[0]
