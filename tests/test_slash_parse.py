"""The `/drift` grammar: one command on the first line, child names only, nothing else."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slash.parse import Command, Unknown, help_text, is_drift_comment, parse_command


def test_commands_and_their_children() -> None:
    assert parse_command("/drift plan") == Command("plan")
    assert parse_command("  /drift apply R-4 r-6 R-4") == Command("apply", ("R-4", "R-6"))
    assert parse_command("/drift reopen RT-1") == Command("reopen", ("RT-1",))
    assert parse_command("/drift") == Command("help")


def test_comments_not_for_the_bot() -> None:
    for body in ("", None, "lgtm", "/drifter plan", "please /drift plan", "\n\n/drifts"):
        assert parse_command(body) is None and not is_drift_comment(body)


def test_what_cannot_be_read_says_why() -> None:
    assert parse_command("/drift explode") == Unknown("`explode` is not a command")
    assert parse_command("/drift plan R-4") == Unknown("`plan` takes no arguments")
    assert parse_command("/drift reopen") == Unknown("`reopen` needs at least one child, like R-4")
    assert parse_command('/drift apply "R-4') == Unknown("the command could not be read (No closing quotation)")
    assert parse_command("/drift apply ../etc") == Unknown("`../etc` is not a child name (like R-4)")


def test_help_names_every_command() -> None:
    text = help_text()
    for name in ("help", "status", "snapshot", "plan", "apply", "reopen"):
        assert f"`/drift {name}" in text


@settings(max_examples=500, deadline=None)
@given(first=st.text(max_size=200), rest=st.text(max_size=200))
def test_any_comment_parses_without_crashing_and_only_its_first_line_counts(first: str, rest: str) -> None:
    first_line = first.split("\n", 1)[0]
    result = parse_command(first_line + "\n" + rest)
    assert result is None or isinstance(result, (Command, Unknown))
    assert parse_command(first_line + "\n" + rest) == parse_command(first_line)
    if isinstance(result, Command):
        assert all(c.replace("-", "").replace("_", "").replace(".", "").isalnum() for c in result.children)
