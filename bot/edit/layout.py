"""Comment and blank lines of a YAML text: which lines they are, and where they go around an edit.

ruamel.yaml ties a comment or blank line to the node before it, so removing or appending a node
takes them along or leaves them on the wrong side. The compose editor therefore reads both files
without those lines (`YamlText.bare`), lets `splice` say which pieces of main's text the edit
keeps, inserts, replaces or deletes, and puts main's comment and blank lines back the way a person
editing by hand would:

* a comment right above a line describes it: it stays with that line, and goes with it when the
  line is removed live and the host no longer has that comment;
* blank lines separate siblings: a block inserted among siblings main separates by blank lines is
  separated the same way, and a removed block takes one separator along, never leaving two in a
  row or one at the end of its parent;
* a line carried from the host brings the comment right above it live, when main has none there.
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable

from bot.edit.lines import without_secrets
from bot.edit.splice import Piece, joined, split_lines


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _is_blank(line: str) -> bool:
    return not line.strip()


def level(line: str) -> int:
    """How deep a line sits: its indentation, and a sequence item one deeper than keys beside it."""
    stripped = line.lstrip(" ")
    item = stripped.startswith("-") and stripped[1:2] in ("", " ", "\n", "\r")
    return len(line) - len(stripped) + (1 if item else 0)


def _trivia(text: str, lines: list[str]) -> set[int]:
    """Line numbers (0-based) of the blank and comment lines that are not inside a scalar."""
    import yaml  # PyYAML's scanner marks where each scalar starts and ends

    inside: set[int] = set()
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        for token in yaml.scan(text, Loader=loader):
            if not isinstance(token, yaml.ScalarToken):
                continue
            first = token.start_mark.line
            last = token.end_mark.line - (1 if token.end_mark.column == 0 else 0)
            if token.style in ("|", ">") and "+" not in lines[first][token.start_mark.column :].split("#")[0]:
                while last > first and last < len(lines) and _is_blank(lines[last]):
                    last -= 1  # the blank lines after a block scalar are not part of its value
            inside.update(range(first + 1, last + 1))
    except yaml.YAMLError:
        return set()  # not for us to judge: the editor reads the file with its comments then
    return {n for n, line in enumerate(lines) if n not in inside and (_is_blank(line) or _is_comment(line))}


class YamlText:
    """A YAML text, its comment and blank lines, and the text without them."""

    def __init__(self, text: str):
        self.text = text
        self.lines = split_lines(text + ("\n" if text and not text.endswith("\n") else ""))
        self.trivia = _trivia(text, self.lines)
        self.kept = [n for n in range(len(self.lines)) if n not in self.trivia]

    @property
    def bare(self) -> str:
        return "".join(self.lines[n] for n in self.kept)

    def comments_above(self, n: int) -> list[int]:
        """The comment lines right above line n, no blank line between."""
        out = []
        while n - 1 >= 0 and n - 1 in self.trivia and _is_comment(self.lines[n - 1]):
            n -= 1
            out.insert(0, n)
        return out

    def block(self, n: int) -> range:
        """Line n and the lines below it that sit deeper (its value)."""
        depth, end = level(self.lines[n]), n + 1
        at = bisect.bisect_right(self.kept, n)
        while at < len(self.kept) and level(self.lines[self.kept[at]]) > depth:
            end = self.kept[at] + 1
            at += 1
        return range(n, end)

    def blank_above(self, n: int) -> bool:
        """Whether a blank line sits right above line n and the comment right above it."""
        above = self.comments_above(n)
        k = (above[0] if above else n) - 1
        return k >= 0 and k in self.trivia and _is_blank(self.lines[k])

    def separated(self, at: int, depth: int) -> bool | None:
        """Whether main puts blank lines between the siblings at `depth` of the block `at` is in
        (None: main has no two such siblings to tell)."""
        structural = self.kept[: bisect.bisect_left(self.kept, at)]
        parent = next((k for k in range(len(structural) - 1, -1, -1) if level(self.lines[structural[k]]) < depth), -1)
        siblings = []
        for n in self.kept[parent + 1 :]:
            if level(self.lines[n]) < depth:
                break
            if level(self.lines[n]) == depth:
                siblings.append(n)
        if len(siblings) < 2:
            return None
        for n in siblings[1:]:
            k = n - 1
            while k in self.trivia:
                if _is_blank(self.lines[k]):
                    return True
                k -= 1
        return False


def _depth(lines: Iterable[str]) -> int | None:
    return next((level(line) for line in lines if not _is_blank(line) and not _is_comment(line)), None)


def _is_trivia(piece: Piece) -> bool:
    return not piece.edited and not piece.printed and all(_is_blank(l) or _is_comment(l) for l in piece.lines)


def _split_insertions(parts: list[Piece]) -> list[Piece]:
    """An insertion that climbs back out of its block (a key appended to one service, then a new
    service) is two insertions: each finds its own place among main's blank lines."""
    out = []
    for piece in parts:
        if not (piece.edited and piece.replaced == 0 and piece.lines):
            out.append(piece)
            continue
        start, depth = 0, _depth(piece.lines)
        for k, line in enumerate(piece.lines):
            if k and depth is not None and not _is_blank(line) and level(line) < depth:
                out.append(Piece(piece.lines[start:k], piece.original, edited=True))
                start, depth = k, level(line)
        out.append(Piece(piece.lines[start:], piece.original, edited=True))
    return out


def _first_line(piece: Piece, main: YamlText) -> str | None:
    lines = piece.lines or tuple(main.lines[n] for n in range(*piece.original) if n not in main.trivia)
    return next((l for l in lines if not _is_blank(l) and not _is_comment(l)), None)


def _neighbours(parts: list[Piece], k: int, main: YamlText) -> tuple[Piece | None, Piece | None, Piece | None, Piece | None]:
    """(structural piece before, trivia before, trivia after, structural piece after) of parts[k]."""
    before = parts[k - 1] if k > 0 and _is_trivia(parts[k - 1]) else None
    after = parts[k + 1] if k + 1 < len(parts) and _is_trivia(parts[k + 1]) else None
    p = next((x for x in reversed(parts[: k - (1 if before else 0)]) if _first_line(x, main) is not None), None)
    n = next((x for x in parts[k + (2 if after else 1) :] if _first_line(x, main) is not None), None)
    return p, before, after, n


def _last_depth(piece: Piece | None, main: YamlText) -> int | None:
    if piece is None:
        return None
    lines = piece.lines or tuple(main.lines[n] for n in range(*piece.original))
    return next((level(l) for l in reversed(lines) if not _is_blank(l) and not _is_comment(l)), None)


def _deletions(parts: list[Piece], main: YamlText, live: YamlText) -> list[Piece]:
    """A removed block takes the comment right above it (when the host has it no more) and one
    blank-line separator."""
    live_comments = {live.lines[n].strip() for n in live.trivia if _is_comment(live.lines[n])}
    parts = list(parts)
    for k, piece in enumerate(parts):
        if not (piece.edited and not piece.lines and piece.replaced):
            continue
        p, t1, t2, n = _neighbours(parts, k, main)
        depth = _depth(main.lines[m] for m in range(*piece.original) if m not in main.trivia)
        if depth is None:
            continue
        lines = list(t1.lines) if t1 is not None else []
        while lines and _is_comment(lines[-1]) and lines[-1].strip() not in live_comments:
            lines.pop()  # the comment described what is gone
        next_depth = level(_first_line(n, main)) if n is not None else None  # type: ignore[arg-type]
        starts_blank = t2 is not None and _is_blank(t2.lines[0])
        if lines and _is_blank(lines[-1]) and (starts_blank or next_depth is None or next_depth < depth):
            while lines and _is_blank(lines[-1]):
                lines.pop()  # the separator before the block goes with it
        elif starts_blank and p is not None and (_last_depth(p, main) or 0) < depth and next_depth == depth:
            # The first of its siblings: the separator after it goes with it.
            rest = list(t2.lines)  # type: ignore[union-attr]
            while rest and _is_blank(rest[0]):
                rest.pop(0)
            parts[k + 1] = Piece(tuple(rest), t2.original, printed=False)  # type: ignore[union-attr]
        if t1 is not None:
            parts[k - 1] = Piece(tuple(lines), t1.original, printed=False)
    return parts


class _Host:
    """The live lines of the nodes an edit carried, to find where a carried line comes from."""

    def __init__(self, live: YamlText, carried: Iterable[int]):
        self.live = live
        self.candidates = sorted({m for n in carried for m in live.block(n) if m not in live.trivia})
        self.used: set[int] = set()

    @staticmethod
    def _key(line: str) -> str:
        text = line.strip().removeprefix("- ").strip("'\"")
        return text.split("=", 1)[0].split(":", 1)[0].strip("'\" ")

    def find(self, line: str, take: bool = False) -> int | None:
        lines = self.live.lines
        for same in (lambda m: lines[m].strip() == line.strip(), lambda m: self._key(lines[m]) == self._key(line)):
            found = next((m for m in self.candidates if m not in self.used and same(m)), None)
            if found is not None:
                if take:
                    self.used.add(found)
                return found
        return None


def _insertions(parts: list[Piece], main: YamlText, host: _Host) -> list[tuple[str, bool]]:
    """The result as rows (line, carried from the edit), with every insertion placed among main's
    blank and comment lines."""
    rows: list[tuple[str, bool]] = []
    k = 0
    while k < len(parts):
        piece = parts[k]
        if not (piece.edited and piece.replaced == 0 and piece.lines):
            rows += [(line, piece.edited) for line in piece.lines]
            k += 1
            continue
        p, _, t, n = _neighbours(parts, k, main)
        depth = _depth(piece.lines)
        separated = depth is not None and main.separated(piece.original[0], depth)
        if separated is None:  # main cannot tell: as the host does
            live_line = host.find(_first_line(piece, main) or "")
            separated = live_line is not None and host.live.blank_above(live_line)
        inserted: list[str] = []
        for line in piece.lines:  # siblings inserted together are separated as main separates them
            if inserted and separated and not _is_blank(line) and level(line) == depth:
                inserted.append("\n")
            inserted.append(line)
        next_line = _first_line(n, main) if n is not None else None
        if next_line is not None and depth is not None and level(next_line) == depth:
            # Among siblings: after the blank lines before the next one, above its own comment.
            head = list(t.lines) if t is not None else []
            sep: list[str] = []
            while head and not (_is_comment(head[0]) and all(_is_comment(l) for l in head)):
                sep.append(head.pop(0))
            if any(_is_blank(l) for l in sep):
                inserted.append("\n")
            rows += [(l, False) for l in sep] + [(l, True) for l in inserted] + [(l, False) for l in head]
            k += 2 if t is not None else 1
            continue
        previous_depth = _last_depth(p, main)
        if separated and previous_depth is not None and previous_depth >= depth:
            inserted.insert(0, "\n")  # after the end of a sibling's block
        rows += [(l, True) for l in inserted]
        k += 1
    return rows


def _live_comments(rows: list[tuple[str, bool]], host: _Host) -> list[str]:
    """Lines carried from the host bring the comment right above them live, when main has none."""
    live = host.live
    out: list[str] = []
    for line, new in rows:
        m = host.find(line, take=True) if new and not _is_blank(line) and not _is_comment(line) else None
        if m is not None:
            above = live.comments_above(m)
            if above and not (out and _is_comment(out[-1])):
                shift = (len(line) - len(line.lstrip(" "))) - (len(live.lines[m]) - len(live.lines[m].lstrip(" ")))
                for c in above:
                    comment = without_secrets(live.lines[c].rstrip("\r\n"), "compose")
                    indent = max(0, len(comment) - len(comment.lstrip(" ")) + shift)
                    out.append(" " * indent + comment.lstrip(" ") + "\n")
        out.append(line)
    return out


def arrange(parts: list[Piece], main: YamlText, live: YamlText, carried: Iterable[int]) -> str:
    """Main's text after the edit `parts` describe, its comment and blank lines put back.

    `carried`: the live lines (0-based) of the nodes the edit took from the host."""
    host = _Host(live, carried)
    parts = _deletions(_split_insertions(parts), main, live)
    return joined(main.text, _live_comments(_insertions(parts, main, host), host))
