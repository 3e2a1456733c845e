"""attach: a session file stored in the repository and linked from a MEGA attachment slot.

The REST API cannot attach files to an issue, so the file is committed to a branch of its own
(`drift-attachments`): the same token permission and push path as the bot's pull requests, a
history anyone can review, and a stable link. The file is scanned for secrets first: refused
by default, or stored with them redacted on request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.secrets import redact as redact_secrets
from bot.secrets import redaction_kind
from bot.errors import DriftError
from bot.github.markers import SLOT, read_section, slot_marker

BRANCH = "drift-attachments"
MAX_BYTES = 10 * 1024 * 1024
SLOTS = ("session-memory", "transcript")


@dataclass(frozen=True)
class Prepared:
    path: str  # where it goes on the branch
    text: str  # what is stored (redacted when asked)
    redacted: int


def prepare(name: str, data: bytes, slot: str, *, redact: bool) -> Prepared:
    if slot not in SLOTS:
        raise DriftError(f"unknown slot {slot!r}; the MEGA has {', '.join(SLOTS)}")
    if len(data) > MAX_BYTES:
        raise DriftError(f"{name} is {len(data) / 1048576:.1f} MiB; attachments are limited to {MAX_BYTES // 1048576} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DriftError(f"{name} is not UTF-8 text; attach session notes and transcripts as text") from None
    done = redact_secrets(text, redaction_kind(name))
    cleaned, found = done.text, done.count
    if found and not redact:
        raise DriftError(f"{name} holds {found} secret value(s); nothing was stored. Remove them, or pass --redact "
                         "to store the file with them replaced")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name.rsplit("/", 1)[-1]).strip("-") or "attachment.txt"
    return Prepared(f"attachments/{slot}/{safe}", cleaned if redact else text, found)


def link_in_slot(body: str, slot: str, label: str, url: str) -> str:
    """The MEGA body with the slot's placeholder replaced by the link (or the link added after
    what humans put there); everything else is left as it was."""
    if read_section(body, "attachments") is None or slot_marker(slot) not in body:
        raise DriftError(f"the MEGA has no `{slot}` slot; run `drift tracker` first so that it has its attachments section")
    link = f"[{label}]({url})"

    def fill(m: re.Match[str]) -> str:
        if m.group("slot") != slot:
            return m.group(0)
        content = m.group("content")
        if url in content:
            return m.group(0)
        placeholder = content.strip().startswith("_not attached yet")
        new = link if placeholder or not content.strip() else f"{content.rstrip()} · {link}"
        return f"{m.group(1)}{new}{m.group(4)}"

    return SLOT.sub(fill, body)
