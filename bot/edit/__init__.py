"""edit: main's files changed by exactly the divergences of one pull request, and nothing else."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.compare import file_kind
from bot.edit.compose import apply_compose
from bot.edit.dockerfile import apply_dockerfile
from bot.edit.dotenv import apply_dotenv
from bot.edit.lines import without_secrets
from bot.edit.text import apply_text
from bot.model import Divergence, Snapshot

_BY_KIND = {"compose": apply_compose, "dotenv": apply_dotenv, "dockerfile": apply_dockerfile, "text": apply_text}


def edited_files(snapshot: Snapshot, base_files: Mapping[str, str | None],
                 divergences: Iterable[Divergence]) -> dict[str, str | None]:
    """New text of every file the divergences touch (None: the file is deleted)."""
    by_file: dict[str, list[Divergence]] = {}
    for d in divergences:
        by_file.setdefault(d.file, []).append(d)
    out: dict[str, str | None] = {}
    for path, items in by_file.items():
        capture = snapshot.file(path)
        live = capture.text if capture is not None else None
        base = base_files.get(path)
        if any(d.pointer == "" for d in items):
            # The whole file added (its secrets as references, as for any divergence) or removed.
            out[path] = None if live is None else _references(live, file_kind(path))
        elif base is not None and live is not None:
            out[path] = _BY_KIND[file_kind(path)](base, live, items)
    return out


def _references(text: str, kind: str) -> str:
    """A redacted value becomes the reference the host fills in: `${KEY}`, `{env.KEY}`, an empty value."""
    style = {"compose": "compose", "dotenv": "dotenv", "dockerfile": "dockerfile"}.get(kind, "text")
    return "\n".join(without_secrets(line, style) for line in text.split("\n"))
