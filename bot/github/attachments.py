"""attachments: `drift attach` as writes of a plan — the file committed to the attachments
branch, then linked from the MEGA's slot. Pure."""
from __future__ import annotations

from bot.attach import BRANCH, Prepared, link_in_slot
from bot.github.ops import AttachmentCommit, IssueEdit, Write
from bot.github.plan import UPDATED
from bot.model import GitHubState


def attachment_writes(state: GitHubState, prepared: Prepared, slot: str, label: str, server: str,
                      repository: str) -> tuple[list[Write], str]:
    """(the writes, the file's link). The link names the commit holding the file, so it does not
    move when the branch does; a file already there as it is is not committed again."""
    assert state.mega is not None
    head, files = state.attachments or (None, {})
    writes: list[Write] = []
    if files.get(prepared.path) != prepared.text:
        writes.append(AttachmentCommit("attach", BRANCH, f"{prepared.path} is not on {BRANCH} as it is now", BRANCH,
                                       prepared.path, prepared.text,
                                       f"drift: attach {prepared.path} (#{state.mega.number})\n", head))
        head = f"{UPDATED}:{BRANCH}"
    url = f"{server}/{repository}/blob/{head}/{prepared.path}"
    body = link_in_slot(state.mega.body, slot, label, url)
    if body != state.mega.body:
        writes.append(IssueEdit("mega:body", f"#{state.mega.number}", f"its {slot} slot does not link {label}",
                                state.mega.number, body))
    return writes, url
