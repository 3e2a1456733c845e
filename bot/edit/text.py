"""Text divergences (the Caddyfile) applied hunk by hunk, with the live lines."""
from __future__ import annotations

from collections.abc import Iterable

from bot.compare.text import text_hunks
from bot.edit.lines import LineEdit, apply_line_edits, without_secrets
from bot.model import Divergence


def apply_text(base_text: str, live_text: str, divergences: Iterable[Divergence]) -> str:
    wanted = {d.pointer for d in divergences}
    live_lines = live_text.split("\n")
    edits = []
    for kind, anchor, _, old, new in text_hunks(base_text, live_text):
        pointer = f"/L{anchor}+1" if kind == "added" else f"/L{anchor}"
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
        else:
            edits.append(LineEdit(old[0], old[-1] - old[0] + 1, tuple(region)))
    return apply_line_edits(base_text, edits)
