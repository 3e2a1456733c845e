"""world: what a GitHub-aware run knows besides GitHub itself, gathered once at the edge.

The host is captured once per run; only GitHub (and main) is read again under the lock.
The clock and the environment are read by `observe` and handed in here, so that every stage
after it is a pure function of these values.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Config
from bot.model import DiffReport, Snapshot
from bot.plan import TitleFn


@dataclass(frozen=True)
class World:
    config: Config
    snapshot: Snapshot
    report: DiffReport  # the snapshot against main at the commit GitHubState names
    base_files: Mapping[str, str | None]
    changes: Mapping[str, Mapping[str, str | None]]  # PR slug -> the files its branch must hold
    title: TitleFn
    author: tuple[str, str]  # every commit's author and committer (`bot:` in .drift.yml)
    templates: str | None  # the team's templates folder, when it has one
    instance: str | None = None  # in a fleet: whose tracker sections this run writes
    server: str = "https://github.com"  # where links to the repository's files point
    repository: str = "OWNER/REPO"
    today: str = "1970-01-01"  # UTC: a new handover entry's date

    @property
    def applies(self) -> bool:
        """Whether this instance opens pull requests (`apply: false` in a fleet only reports)."""
        return self.instance is None or self.config.instance(self.instance).apply

    @property
    def tracks(self) -> bool:
        t = self.config.tracker
        return bool(t.parent or t.mega or t.research)
