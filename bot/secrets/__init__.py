"""secrets: what is secret in a file, decided on the file's parsed structure, and its placeholders.

One invariant, kept here: a value decided secret is replaced before the text goes anywhere (a
snapshot, a comparison, a page, a pull request), whatever the file's spelling of it. Each kind of
file is read as its own reader reads it (compose as YAML nodes, `.env` by entry, a Dockerfile by
instruction, a Caddyfile by directive); the replaced text keeps its lines and still parses to the
same structure with placeholders where the secrets stood.

Placeholders carry no digest by default (`<redacted>`): an unsalted hash of a weak password is
reversed in moments, and placeholders are public in pull requests. With a key (the
`DRIFT_REDACTION_KEY` the capture side reads, kept on the host or in the runner's secrets) they
carry a keyed digest (`<redacted hmac:1a2b3c4d>`), which lets two captures, or a container and its
compose file, be told apart without the value.
"""
from __future__ import annotations

from functools import lru_cache

from bot.kinds import declared_as, file_kind
from bot.secrets import lines, yaml_nodes
from bot.secrets.names import holds_secret, is_reference, is_secret_name, name_strength
from bot.secrets.placeholders import LEGACY, PLACEHOLDER_RE, PLAIN, Redaction, Redactor, canonical
from bot.secrets.shapes import secret_spans

__all__ = ["PLACEHOLDER_RE", "PLAIN", "Redaction", "Redactor", "canonical", "holds_secret",
           "is_reference", "is_secret_name", "name_strength", "redact", "redaction_kind", "secret_spans"]


def redaction_kind(path: str) -> str:
    """How a file is read for its secrets: compose, dotenv, dockerfile, caddyfile or text."""
    kind = file_kind(path)
    if declared_as(path) == "caddyfile" or (kind == "text" and path.rsplit("/", 1)[-1].lower().startswith("caddyfile")):
        return "caddyfile"
    return kind


def redact(text: str, kind: str, redactor: Redactor = Redactor()) -> Redaction:
    """`text` with every secret value replaced, read as a file of `kind` (see redaction_kind).

    A placeholder of an older version (an unsalted hash) becomes a plain one: a snapshot written
    before cannot bring a reversible digest back.
    """
    text = LEGACY.sub(PLAIN, text)
    if kind == "compose":
        return _redact_compose(text, redactor)
    return lines.redact_lines(text, kind, redactor)


@lru_cache(maxsize=8)
def _redact_compose(text: str, redactor: Redactor) -> Redaction:
    # Kept for a few files: main's compose files are read by the comparison and by the checks
    # alike, and composing a large one is the costliest step of a diff.
    done = yaml_nodes.redact_yaml(text, redactor)
    if done is None:  # not YAML compose can read: hide by lines, the comparison says why it cannot read it
        done = lines.redact_lines(text, "yaml", redactor)
    return done
