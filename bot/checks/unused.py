"""unused: top-level volumes, networks, secrets and configs that no service names.

Compose drops them when it reads the file, so they change nothing that runs and the diff
does not report them; a person may still want to know one was left behind (or added live for
a service that never came), so each is said once, as information.
"""
from __future__ import annotations

from collections.abc import Iterator

from bot.checks.base import CheckContext, check, finding_id
from bot.compare.compose import locate_line, unused_in
from bot.model import Finding


@check("unused")
def unused(ctx: CheckContext) -> Iterator[Finding]:
    side = ctx.side
    where = "live" if side.name == "live" else "in main"
    for path, _raw, norm in side.compose_files():
        for section, name in unused_in(norm):
            kind = section[:-1]
            yield Finding(
                finding_id("unused", f"{path}#/{section}/{name}"), "unused", "info",
                f"{kind} {name} in {path} is declared {where} but used by no service: compose drops it, "
                f"so it changes nothing that runs",
                side.evidence(path, locate_line(side.files[path], (section, name)), section=section, name=name),
            )
