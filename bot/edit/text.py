"""Text divergences (the Caddyfile) applied hunk by hunk, with the live lines."""
from __future__ import annotations

from collections.abc import Iterable

from bot.compare.text import text_hunks
from bot.edit.lines import LineEdit, apply_line_edits, as_compared, without_secrets
from bot.model import Divergence


def apply_text(base_text: str, live_text: str, divergences: Iterable[Divergence]) -> str:
    wanted = {d.pointer for d in divergences}
    base_lines, live_lines = base_text.split("\n"), live_text.split("\n")
    edits = []
    for kind, pointer, anchor, _, old, new in text_hunks(as_compared(base_text, "text", main=True),
                                                         as_compared(live_text, "text", main=False)):
        if pointer not in wanted:
            continue
        if new:
            # Take the live region whole, so comment and blank lines inside it come along.
            first = new[0]
            while first > 1 and live_lines[first - 2].lstrip().startswith("#") and kind == "added":
                first -= 1
            region = [without_secrets(l, "text") for l in live_lines[first - 1 : new[-1]]]
        else:
            region = []
        if kind == "added":
            edits.append(LineEdit(anchor, 0, ("",) + tuple(region) if anchor else tuple(region)))
        elif kind == "removed":
            first, last = _removed_span(base_lines, live_lines, old[0], old[-1])
            edits.append(LineEdit(first, last - first + 1, ()))
        else:
            edits.append(LineEdit(old[0], old[-1] - old[0] + 1, tuple(region)))
    return apply_line_edits(base_text, edits)


def _removed_span(base_lines: list[str], live_lines: list[str], first: int, last: int) -> tuple[int, int]:
    """The lines of main a removed hunk takes: its own, the comment right above it when the host
    no longer has that comment (as an added hunk brings its comment), and at the end of the file
    the blank lines that only separated it from what comes before."""
    live = {line.strip() for line in live_lines}
    while first > 1 and base_lines[first - 2].lstrip().startswith("#") and base_lines[first - 2].strip() not in live:
        first -= 1
    if all(not line.strip() for line in base_lines[last:]):
        last = len(base_lines) - (1 if base_lines and base_lines[-1] == "" else 0)
        while first > 1 and not base_lines[first - 2].strip():
            first -= 1
    return first, last
