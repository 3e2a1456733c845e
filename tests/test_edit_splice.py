"""bot/edit/splice.py: an edit made on a re-serialised document, carried back onto the original.

`splice(original, dump_before, dump_after)` takes from `dump_after` only the lines the edit
changed (the difference between the two dumps); every other line is the original's, byte for
byte, even where the library re-spelt it (a wrapped flow list joined onto one line, a comment
moved to another column, different quotes).

In these examples the "dump" is written by hand: what a round-trip library would print for
the original, and what it prints once the edit is made.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.edit.splice import pieces, splice

# The original wraps a flow list over two lines and aligns a comment by hand; the library
# prints both on its own terms. The other lines are spelt alike.
ORIGINAL = (
    "name: voice\n"
    "services:\n"
    "  whisper:\n"
    '    command: ["vllm", "serve",\n'
    '              "--port", "8001"]\n'
    "    image: vllm:0.11\n"
    "    restart: always      # aligned by hand\n"
    "    stop_signal: SIGINT\n"
)
DUMP = (
    "name: voice\n"
    "services:\n"
    "  whisper:\n"
    '    command: ["vllm", "serve", "--port", "8001"]\n'
    "    image: vllm:0.11\n"
    "    restart: always # aligned by hand\n"
    "    stop_signal: SIGINT\n"
)
FLOW_LIST = '    command: ["vllm", "serve",\n              "--port", "8001"]\n'
ALIGNED = "    restart: always      # aligned by hand\n"


# --- nothing to carry -----------------------------------------------------------------

def test_identical_dumps_return_the_original_untouched():
    assert splice(ORIGINAL, DUMP, DUMP) == ORIGINAL


def test_identical_dumps_return_the_original_even_when_no_line_is_spelt_alike():
    assert splice("a:   1\n", "a: 1\n", "a: 1\n") == "a:   1\n"


# --- changed lines ------------------------------------------------------------------

def test_a_changed_line_comes_from_the_edit_and_every_other_line_from_the_original():
    after = DUMP.replace("image: vllm:0.11", "image: vllm:0.12")
    assert splice(ORIGINAL, DUMP, after) == ORIGINAL.replace("image: vllm:0.11", "image: vllm:0.12")


def test_a_reflowed_untouched_line_is_kept_as_in_the_original():
    # The edit sits right between the flow list the library joined and the comment it moved.
    after = DUMP.replace("image: vllm:0.11", "image: vllm:0.12")
    out = splice(ORIGINAL, DUMP, after)
    assert FLOW_LIST in out
    assert ALIGNED in out


def test_an_edit_inside_a_reflowed_line_takes_the_edited_spelling_of_that_line_only():
    # The edit must rewrite that line anyway: what the library prints for it is the new text.
    after = DUMP.replace('"8001"]', '"8002"]')
    assert splice(ORIGINAL, DUMP, after) == ORIGINAL.replace(FLOW_LIST, '    command: ["vllm", "serve", "--port", "8002"]\n')


# --- inserted and deleted lines -------------------------------------------------------

def test_lines_inserted_in_the_middle_land_where_the_edit_put_them():
    after = DUMP.replace("  whisper:\n", "  whisper:\n    init: true\n")
    assert splice(ORIGINAL, DUMP, after) == ORIGINAL.replace("  whisper:\n", "  whisper:\n    init: true\n")


def test_lines_inserted_at_the_end_are_appended():
    after = DUMP + "volumes:\n  models:\n"
    assert splice(ORIGINAL, DUMP, after) == ORIGINAL + "volumes:\n  models:\n"


def test_lines_inserted_at_the_start_are_kept():
    after = "x-note: carried from the host\n" + DUMP
    assert splice(ORIGINAL, DUMP, after) == "x-note: carried from the host\n" + ORIGINAL


def test_a_first_key_inserted_before_every_other_is_kept():
    assert splice("b: 2\n", "b: 2\n", "a: 1\nb: 2\n") == "a: 1\nb: 2\n"


def test_lines_inserted_into_an_empty_document_are_kept():
    assert splice("", "", "a: 1\n") == "a: 1\n"


def test_a_reflowed_line_right_before_an_insertion_is_kept_as_in_the_original():
    # The inserted line is new; the flow list above it is untouched and must not be re-spelt.
    after = DUMP.replace("    image: vllm:0.11\n", "    init: true\n    image: vllm:0.11\n")
    assert splice(ORIGINAL, DUMP, after) == ORIGINAL.replace("    image: vllm:0.11\n", "    init: true\n    image: vllm:0.11\n")


def test_a_deleted_line_is_gone_and_its_neighbours_keep_their_spelling():
    after = DUMP.replace("    image: vllm:0.11\n", "")
    assert splice(ORIGINAL, DUMP, after) == ORIGINAL.replace("    image: vllm:0.11\n", "")


def test_a_deleted_reflowed_line_is_gone_whole():
    after = DUMP.replace('    command: ["vllm", "serve", "--port", "8001"]\n', "")
    assert splice(ORIGINAL, DUMP, after) == ORIGINAL.replace(FLOW_LIST, "")


# --- whatever the edit ----------------------------------------------------------------

_lines = st.lists(st.sampled_from(["a: 1\n", "b: 2\n", "  - x\n", "# c\n", "\n"]), max_size=10)


@settings(max_examples=300, deadline=None)
@given(before=_lines, after=_lines)
def test_when_the_library_prints_the_original_exactly_splice_returns_the_edited_dump(before, after):
    original = "".join(before)
    assert splice(original, original, "".join(after)) == "".join(after)


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(min_value=2, max_value=12),
    respelt=st.sets(st.integers(min_value=0, max_value=11)),
    at=st.integers(min_value=0, max_value=11),
    delete=st.booleans(),
)
def test_a_line_changed_or_deleted_leaves_every_re_spelt_line_elsewhere_as_in_the_original(size, respelt, at, delete):
    # Keys are unique, so each line of the dump has one place in the original; the original
    # spells some of them with extra spaces, as a person might, and the library does not.
    at %= size
    respelt.discard(at)
    dump = [f"k{i}: {i}\n" for i in range(size)]
    original = [line.replace(": ", ":   ") if i in respelt else line for i, line in enumerate(dump)]
    new = [] if delete else [f"k{at}: changed\n"]
    after = dump[:at] + new + dump[at + 1 :]
    expected = original[:at] + new + original[at + 1 :]
    assert splice("".join(original), "".join(dump), "".join(after)) == "".join(expected)


# --- lines the library does not print --------------------------------------------------------
# A caller that reads the original without its comment and blank lines says which lines those
# are; they are pieces of their own, kept unless they sit inside a block the edit replaces.

BARE = "a: 1\nb: 2\nc: 3\n"
COMMENTED = "# top\na: 1\n\n# about b\nb: 2\nc: 3\n"
UNPRINTED = {0, 2, 3}


def test_unprinted_lines_stay_around_a_changed_line():
    assert splice(COMMENTED, BARE, BARE.replace("b: 2", "b: 9"), UNPRINTED) == COMMENTED.replace("b: 2", "b: 9")


def test_unprinted_lines_stay_when_the_line_below_them_is_deleted():
    # Where they go then is the caller's call (`pieces` tells it what was deleted where).
    assert splice(COMMENTED, BARE, "a: 1\nc: 3\n", UNPRINTED) == "# top\na: 1\n\n# about b\nc: 3\n"


def test_an_insertion_goes_before_the_unprinted_lines_at_its_place():
    assert splice(COMMENTED, BARE, "a: 1\nx: 0\nb: 2\nc: 3\n", UNPRINTED) == "# top\na: 1\nx: 0\n\n# about b\nb: 2\nc: 3\n"


def test_pieces_say_what_the_edit_inserted_replaced_deleted_and_left():
    parts = pieces(COMMENTED, BARE, "x: 0\na: 1\nc: 4\n", UNPRINTED)
    assert [(p.lines, p.original, p.edited, p.printed) for p in parts] == [
        (("x: 0\n",), (0, 0), True, True),  # inserted, before the unprinted lines at its place
        (("# top\n",), (0, 1), False, False),
        (("a: 1\n",), (1, 2), False, True),
        (("\n", "# about b\n"), (2, 4), False, False),
        (("c: 4\n",), (4, 6), True, True),  # `b: 2` and `c: 3` replaced by `c: 4`
    ]


@settings(max_examples=300, deadline=None)
@given(before=_lines, after=_lines, unprinted=st.lists(st.sampled_from(["# c\n", "\n"]), max_size=10), data=st.data())
def test_whatever_the_edit_the_printed_lines_of_the_result_are_the_edited_dump(before, after, unprinted, data):
    printed = [line for line in before if line not in ("# c\n", "\n")]
    after = [line for line in after if line not in ("# c\n", "\n")]
    original, skip = [], set()
    for line in printed:
        if unprinted and data.draw(st.booleans()):
            skip.add(len(original))
            original.append(unprinted.pop())
        original.append(line)
    out = splice("".join(original), "".join(printed), "".join(after), skip)
    assert [line for line in out.splitlines(keepends=True) if line not in ("# c\n", "\n")] == after


def test_an_original_without_a_final_line_end_takes_lines_after_its_last_and_keeps_none():
    assert splice("a: 1", "a: 1\n", "a: 1\nb: 2\n") == "a: 1\nb: 2"
    assert splice("a:  1", "a: 1\n", "a: 2\n") == "a: 2"
