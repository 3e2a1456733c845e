"""github_limits: the one policy by which every request of a run keeps to GitHub's rate limits.

From GitHub's "Rate limits for the REST API" (docs.github.com/en/rest/using-the-rest-api/
rate-limits-for-the-rest-api, "Exceeding the rate limit"):
- a refusal comes as 403 **or** 429;
- the primary limit says `x-ratelimit-remaining: 0`: wait until `x-ratelimit-reset`;
- a secondary limit sends `retry-after` only sometimes: wait that long when it does, "at least one
  minute" when it does not, and longer each time it comes again; "continuing to make requests
  while you are rate limited may result in the banning of your integration".

So: a refused request waits as asked and is sent again (GitHub did nothing with it); a wait longer
than DRIFT_RETRY_WAIT_MAX (default 120 s), or a third refusal of the same request, stops writing
for the rest of the run: every later write fails at once without being sent, reads go on, and the
next run completes the work. Once GitHub refused anything, writes are spaced a second apart (its
"Best practices": at least one second between mutative requests), so a refusal is never followed
by a burst. Pure bookkeeping: the sleeping and the clock are handed in.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.errors import DriftError

SECONDARY_WAIT = 60.0  # seconds, when a secondary limit does not say (doubled each time it comes again)
DEFAULT_WAIT_MAX = 120.0  # seconds: DRIFT_RETRY_WAIT_MAX; a longer wait stops writing instead
WRITE_GAP = 1.0  # seconds between writes once GitHub refused one
REFUSALS_PER_REQUEST = 3  # the third refusal of one request stops writing
TELL_AFTER = 10.0  # waits at least this long are said on stderr (a run that pauses says why)


def _tell(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Refusal:
    kind: str  # "primary" or "secondary"
    wait: float | None  # seconds GitHub asked for; None when it did not say


def _seconds(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def refusal(status: int | None, headers: Mapping[str, Any] | None, message: str | None, now: float) -> Refusal | None:
    """What a 403 or 429 answer says about GitHub's limits; None when it is no rate limit."""
    if status not in (403, 429):
        return None
    lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
    text = (message or "").lower()
    retry_after = _seconds(lowered.get("retry-after"))
    if str(lowered.get("x-ratelimit-remaining")) == "0" and "secondary" not in text:
        reset = _seconds(lowered.get("x-ratelimit-reset"))
        until_reset = max(0.0, reset - now) + 1.0 if reset is not None else None
        return Refusal("primary", retry_after if retry_after is not None else until_reset)
    if status == 429 or retry_after is not None or "rate limit" in text:
        return Refusal("secondary", retry_after)
    return None  # a 403 for a reason: no permission, a locked issue, ...


def wait_max() -> float:
    raw = os.environ.get("DRIFT_RETRY_WAIT_MAX", "").strip()
    if not raw:
        return DEFAULT_WAIT_MAX
    value = _seconds(raw)
    if value is None or not value >= 0:
        raise DriftError(f"DRIFT_RETRY_WAIT_MAX must be a number of seconds (0 or more), not {raw!r}")
    return value


@dataclass
class Limits:
    """One run's standing with GitHub's limits."""

    sleep: Callable[[float], None]
    wait_max: float = DEFAULT_WAIT_MAX
    clock: Callable[[], float] = time.monotonic
    stopped: str | None = None  # why writing stopped, once it did
    strikes: int = 0  # secondary refusals that did not say how long
    gap: float = 0.0  # seconds between writes
    last_write: float | None = None
    waits: list[float] = field(default_factory=list)  # every wait of the run, in order
    tell: Callable[[str], None] = _tell  # a long pause is said on stderr, so a quiet run is not a hung one

    def before(self, write: bool) -> str | None:
        """Called before each request: the reason a write may not be sent, or None (after
        keeping writes apart, once GitHub refused one)."""
        if not write:
            return None
        if self.stopped:
            return f"not sent: {self.stopped}"
        if self.gap and self.last_write is not None:
            left = self.gap - (self.clock() - self.last_write)
            if left > 0:
                self.wait(left)
        return None

    def sent(self, write: bool) -> None:
        if write:
            self.last_write = self.clock()

    def refused(self, what: str, limit: Refusal, refusals: int) -> str | None:
        """GitHub refused `what` for the `refusals`-th time: wait as it asked and return None (send
        it again), or stop writing for the rest of the run and return the line saying so."""
        wait = limit.wait
        if wait is None:
            self.strikes += 1
            wait = SECONDARY_WAIT * 2 ** (self.strikes - 1)
        self.gap = max(self.gap, WRITE_GAP)
        if wait > self.wait_max or refusals >= REFUSALS_PER_REQUEST:
            why = (f"asks to wait {wait:.0f} s, more than DRIFT_RETRY_WAIT_MAX ({self.wait_max:.0f} s)"
                   if wait > self.wait_max else f"refused it {refusals} times")
            self.stopped = (f"GitHub's {limit.kind} rate limit {why}: no more writes in this run; "
                            "the next run completes the work")
            return self.stopped
        if wait >= TELL_AFTER:
            self.tell(f"drift: GitHub's {limit.kind} rate limit: waiting {wait:.0f} s before trying again ({what})")
        self.wait(wait)
        return None

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleep(seconds)
