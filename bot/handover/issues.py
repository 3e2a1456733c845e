"""The issues a handover names, by name (R-5) and by number (#666), with their titles and
states as far as `.drift.yml` and GitHub tell them."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Config
from bot.gates import issue_names
from bot.model import IssueState

_TITLE_NAME = re.compile(r"^\s*\[?([A-Z][A-Z0-9]*-\d+)\]?\s*[:·—–-]?\s*(.*)$", re.S)


@dataclass(frozen=True)
class Ref:
    """An issue the pages name: R-5 (#666), RT-1 (#673), or only one of the two."""

    name: str | None
    number: int | None
    title: str | None = None
    state: str | None = None  # open | closed | None: not known (GitHub not consulted)
    url: str | None = None

    @property
    def closed(self) -> bool:
        return self.state == "closed"


class _Refs:
    """Names and numbers of the issues the run knows (`bot.gates.issue_names`: children, research
    keys, `R-0` for the parent, `issues:`), with titles from `.drift.yml` (child and research
    titles) or else from GitHub, whose titles also name issues `.drift.yml` does not
    ("R-12: docs migration")."""

    def __init__(self, config: Config, issues: Mapping[int, IssueState] | None, github_url: str):
        self.issues = issues or {}
        self.base = f"{github_url.rstrip('/')}/{config.repository}" if config.repository else None
        self.numbers: dict[str, int] = dict(issue_names(config))
        self.titles: dict[int, str] = {}
        for child in config.children:
            if child.issue and child.title:
                self.titles[child.issue] = child.title  # the configured title says what it owns
        for item in config.tracker.research:
            if isinstance(item, Mapping) and item.get("issue") and item.get("title"):
                self.titles[int(item["issue"])] = str(item["title"])
        for number, issue in self.issues.items():
            m = _TITLE_NAME.match(issue.title or "")
            if m:
                self.numbers.setdefault(m[1], number)
                self.titles.setdefault(number, m[2] or issue.title)
        self.names = {n: k for k, n in self.numbers.items()}

    def by_number(self, number: int | None, name: str | None = None) -> Ref:
        issue = self.issues.get(number) if number else None
        return Ref(name or self.names.get(number or -1), number, self.titles.get(number or -1) or (issue.title if issue else None),
                   issue.state if issue else None, f"{self.base}/issues/{number}" if self.base and number else None)

    def by_name(self, name: str) -> Ref:
        number = self.numbers.get(name)
        return self.by_number(number, name) if number else Ref(name, None)

    def pull_url(self, number: int) -> str | None:
        return f"{self.base}/pull/{number}" if self.base else None
