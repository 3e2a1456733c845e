"""bot/edit/lines.py, dotenv.py, dockerfile.py, text.py: line-based files carried line by line.

`apply_line_edits` replaces, inserts and deletes line ranges numbered as in main, whatever
order they are given in. On it:

* `apply_dotenv` edits `.env` files by key: a changed key's line is replaced by the live line,
  a new key goes after the key that precedes it live, a removed key's line goes;
* `apply_dockerfile` edits instruction by instruction with the live text of each (an added
  instruction brings the comment right above it; a changed one keeps main's comment);
* `apply_text` edits any other file (the Caddyfile) hunk by hunk with the live lines.

For every editor: the diff against main touches only the lines of the divergences given,
comparing the result with the live file again leaves exactly the divergences not given, and a
secret reaches main as an empty value (`.env`) or a reference (`${KEY}`, `{env.KEY}`), never
as its value or its redaction.
"""
from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.capture.files import take_file
from bot.compare import compare_file
from bot.edit.dockerfile import apply_dockerfile
from bot.edit.dotenv import apply_dotenv
from bot.edit.lines import LineEdit, apply_line_edits, without_secrets
from bot.edit.text import apply_text

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "examples" / "instance"
ENV, DOCKERFILE, CADDYFILE = "voice/.env.example", "voice/agent/Dockerfile", "voice/caddy/Caddyfile"
EDITOR = {ENV: apply_dotenv, DOCKERFILE: apply_dockerfile, CADDYFILE: apply_text}
TOKEN = "<redacted hmac:0123abcd>"
SECRET = "sk-proj-Zx4Kp9Qw2Lm7Vb3Nt8Rc5Hy1Jd6Fg0S"


def compared(path: str, main: str, live: str):
    """What a run holds: the live text as captured (secrets redacted) and its divergences from main."""
    capture = take_file(path.rsplit("/", 1)[-1], path, live.encode())
    found, errors = compare_file(path, main, capture)
    assert errors == []
    return capture.text, found


def carry(path: str, main: str, live: str, chosen=None) -> str:
    """Main with the chosen divergences applied (a predicate on each; all of them when None)."""
    text, found = compared(path, main, live)
    return EDITOR[path](main, text, [d for d in found if chosen is None or chosen(d)])


def left(path: str, result: str, live: str) -> set[tuple[str, object, object]]:
    """The divergences that remain, by what they say (by pointer and kind)."""
    return {(d.kind, d.before, d.after) for d in compared(path, result, live)[1]}


def said(divergences) -> set[tuple[str, object, object]]:
    return {(d.kind, d.before, d.after) for d in divergences}


def hunks(main: str, result: str) -> list[tuple[int, list[str], list[str]]]:
    """The diff from main to the result: (lines of main before the hunk, lines removed, lines added)."""
    a, b = main.splitlines(), result.splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [(i1, a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


# --- apply_line_edits -------------------------------------------------------------------

ABC = "a\nb\nc\n"


def test_no_edit_leaves_the_text_as_it_is():
    assert apply_line_edits(ABC, []) == ABC


def test_a_line_is_replaced_by_any_number_of_lines():
    assert apply_line_edits(ABC, [LineEdit(2, 1, ("x", "y"))]) == "a\nx\ny\nc\n"


def test_a_range_of_lines_is_replaced_whole():
    assert apply_line_edits(ABC, [LineEdit(1, 2, ("x",))]) == "x\nc\n"


def test_an_insertion_goes_after_the_line_it_names():
    assert apply_line_edits(ABC, [LineEdit(2, 0, ("x",))]) == "a\nb\nx\nc\n"


def test_an_insertion_after_line_0_goes_first():
    assert apply_line_edits(ABC, [LineEdit(0, 0, ("x",))]) == "x\na\nb\nc\n"


def test_an_insertion_after_the_last_line_goes_last():
    assert apply_line_edits(ABC, [LineEdit(3, 0, ("x",))]) == "a\nb\nc\nx\n"


def test_a_deletion_removes_its_lines():
    assert apply_line_edits(ABC, [LineEdit(2, 1, ())]) == "a\nc\n"


def test_edits_in_any_order_all_count_lines_as_main_does():
    edits = [LineEdit(1, 1, ("A", "A2")), LineEdit(3, 0, ("d",)), LineEdit(2, 1, ())]
    assert apply_line_edits(ABC, edits) == "A\nA2\nc\nd\n"
    assert apply_line_edits(ABC, edits[::-1]) == "A\nA2\nc\nd\n"


def test_a_text_without_a_final_newline_keeps_none():
    assert apply_line_edits("a\nb", [LineEdit(1, 1, ("x",))]) == "x\nb"


def test_an_empty_text_takes_an_insertion():
    assert apply_line_edits("", [LineEdit(0, 0, ("x",))]) == "x\n"


def test_two_insertions_after_the_same_line_keep_the_order_they_are_given_in():
    assert apply_line_edits(ABC, [LineEdit(1, 0, ("x",)), LineEdit(1, 0, ("y",))]) == "a\nx\ny\nb\nc\n"


def test_an_insertion_after_a_line_replaced_by_several_goes_after_all_of_them():
    edits = [LineEdit(2, 1, ("x", "y")), LineEdit(2, 0, ("z",))]
    assert apply_line_edits(ABC, edits) == "a\nx\ny\nz\nc\n"


def test_an_insertion_after_a_deleted_line_goes_where_that_line_was():
    edits = [LineEdit(2, 1, ()), LineEdit(2, 0, ("z",))]
    assert apply_line_edits(ABC, edits) == "a\nz\nc\n"


# --- without_secrets ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "line, style, expected",
    [
        (f"HF_TOKEN={TOKEN}", "dotenv", "HF_TOKEN="),
        (f"export db_password={TOKEN}", "dotenv", "export db_password="),
        (f"      - HF_TOKEN={TOKEN}", "compose", "      - HF_TOKEN=${HF_TOKEN}"),
        (f'      HF_TOKEN: "{TOKEN}"', "compose", '      HF_TOKEN: "${HF_TOKEN}"'),
        (f"      db_password: {TOKEN}", "compose", "      db_password: ${DB_PASSWORD}"),
        (f"ENV HF_TOKEN={TOKEN}", "dockerfile", "ENV HF_TOKEN=${HF_TOKEN}"),
        (f"\t\tapi_key {TOKEN}", "text", "\t\tapi_key {env.API_KEY}"),
    ],
)
def test_a_redacted_value_becomes_what_the_host_fills_in(line, style, expected):
    assert without_secrets(line, style) == expected


def test_a_line_without_a_redaction_is_left_alone():
    assert without_secrets("LOG_LEVEL=info", "dotenv") == "LOG_LEVEL=info"


def test_every_redaction_on_a_line_is_replaced():
    out = without_secrets(f"ENV HF_TOKEN={TOKEN} GH_TOKEN={TOKEN}", "dockerfile")
    assert out == "ENV HF_TOKEN=${HF_TOKEN} GH_TOKEN=${GH_TOKEN}"


# --- apply_dotenv: the example ----------------------------------------------------------------

ENV_MAIN = (ROOT / ENV).read_text()
ENV_LIVE = (INSTANCE / ".env").read_text()


def test_the_example_env_has_one_divergence_and_it_changes_one_line():
    _, found = compared(ENV, ENV_MAIN, ENV_LIVE)
    assert [(d.kind, d.pointer) for d in found] == [("changed", "/AGENT_INSTRUCTIONS")]
    out = carry(ENV, ENV_MAIN, ENV_LIVE)
    assert hunks(ENV_MAIN, out) == [(4, [ENV_MAIN.splitlines()[4]], [ENV_LIVE.splitlines()[4]])]
    assert left(ENV, out, ENV_LIVE) == set()


def test_the_example_secrets_keep_mains_placeholders():
    # The host's key, secret and token differ from main's only by their (secret) values.
    out = carry(ENV, ENV_MAIN, ENV_LIVE)
    for line in ("LIVEKIT_API_KEY=change-me", "LIVEKIT_API_SECRET=change-me", "HF_TOKEN="):
        assert line + "\n" in out
    assert "Zx4Kp9" not in out and "hf_Xb7" not in out and "<redacted" not in out


# --- apply_dotenv: by key -----------------------------------------------------------------

DOTENV = (
    "# Copy to .env on the instance\n"
    "A=1\n"
    "\n"
    "# the model\n"
    "B=2\n"
    "C=3\n"
)


def test_a_changed_key_takes_the_live_line_as_written():
    live = DOTENV.replace("B=2\n", 'export B="two words"\n')
    out = carry(ENV, DOTENV, live)
    assert hunks(DOTENV, out) == [(4, ["B=2"], ['export B="two words"'])]
    assert left(ENV, out, live) == set()


def test_a_key_added_live_goes_after_the_key_that_precedes_it_live():
    live = DOTENV.replace("B=2\n", "B=2\nB2=22\n")
    out = carry(ENV, DOTENV, live)
    assert hunks(DOTENV, out) == [(5, [], ["B2=22"])]
    assert left(ENV, out, live) == set()


def test_keys_added_live_one_after_another_keep_their_live_order():
    live = DOTENV.replace("B=2\n", "B=2\nX=1\nY=2\nZ=3\n")
    out = carry(ENV, DOTENV, live)
    assert hunks(DOTENV, out) == [(5, [], ["X=1", "Y=2", "Z=3"])]


def test_a_key_added_before_every_key_of_main_is_appended():
    live = "NEW=1\n" + DOTENV
    out = carry(ENV, DOTENV, live)
    assert hunks(DOTENV, out) == [(6, [], ["NEW=1"])]
    assert left(ENV, out, live) == set()


def test_a_key_appended_to_a_file_without_a_final_newline_starts_a_line_of_its_own():
    main = "A=1"
    out = carry(ENV, main, "Z=0\nA=1\n")
    assert out == "A=1\nZ=0\n"


def test_a_key_removed_live_removes_only_its_line():
    live = DOTENV.replace("B=2\n", "")
    out = carry(ENV, DOTENV, live)
    assert hunks(DOTENV, out) == [(4, ["B=2"], [])]
    assert left(ENV, out, live) == set()


def test_a_key_set_twice_in_main_and_removed_live_is_gone_from_main():
    main = DOTENV + "A=1\n"
    live = DOTENV.replace("A=1\n", "")
    out = carry(ENV, main, live)
    assert left(ENV, out, live) == set()


def test_a_value_quoted_over_several_lines_is_replaced_and_removed_whole():
    main = DOTENV + 'CERT="line one\nline two"\nZ=1\n'
    changed = main.replace("line two", "line 2")
    assert carry(ENV, main, changed) == changed
    gone = DOTENV + "Z=1\n"
    assert carry(ENV, main, gone) == gone


def test_only_the_chosen_keys_are_carried():
    live = DOTENV.replace("A=1\n", "A=9\n").replace("C=3\n", "")
    out = carry(ENV, DOTENV, live, chosen=lambda d: d.pointer == "/A")
    assert hunks(DOTENV, out) == [(1, ["A=1"], ["A=9"])]
    assert left(ENV, out, live) == {("removed", "3", None)}


@pytest.mark.parametrize(
    "line, expected",
    [
        (f"OPENAI_API_KEY={SECRET}", "OPENAI_API_KEY="),  # a secret by its shape
        ("DB_PASSWORD=correct-horse", "DB_PASSWORD="),  # a secret by its name alone
        ("SESSION_SECRET=", "SESSION_SECRET="),  # already empty live
        ("SOME_SETTING=Zx4Kp9Qw2Lm7Vb3Nt8Rc5Hy1Jd6Fg0Sa4We7Qt2Yu", "SOME_SETTING="),  # high entropy
    ],
)
def test_a_secret_added_live_reaches_main_with_an_empty_value(line, expected):
    live = DOTENV.replace("C=3\n", f"C=3\n{line}\n")
    out = carry(ENV, DOTENV, live)
    assert hunks(DOTENV, out) == [(6, [], [expected])]
    assert "<redacted" not in out
    assert left(ENV, out, live) == set()


def test_a_quoted_secret_added_live_reaches_main_without_its_value():
    live = DOTENV.replace("C=3\n", 'C=3\nDB_PASSWORD="correct-horse"\n')
    out = carry(ENV, DOTENV, live)
    assert "correct-horse" not in out and "<redacted" not in out
    assert [new for _, _, new in hunks(DOTENV, out)] in ([["DB_PASSWORD="]], [['DB_PASSWORD=""']])


_keys = st.lists(st.tuples(st.sampled_from("ABCDEF"), st.sampled_from(["1", "2"])), max_size=6, unique_by=lambda kv: kv[0])


@settings(max_examples=100, deadline=None)
@given(main=_keys, live=_keys, data=st.data())
def test_any_subset_of_env_divergences_leaves_exactly_the_complement(main, live, data):
    main_text = "# header\n" + "".join(f"{k}={v}\n" for k, v in main)
    live_text = "".join(f"{k}={v}\n" for k, v in live)
    text, found = compared(ENV, main_text, live_text)
    chosen = data.draw(st.sets(st.sampled_from([d.pointer for d in found])) if found else st.just(set()))
    out = apply_dotenv(main_text, text, [d for d in found if d.pointer in chosen])
    assert {(d.kind, d.pointer) for d in compared(ENV, out, live_text)[1]} == \
        {(d.kind, d.pointer) for d in found if d.pointer not in chosen}
    assert out.startswith("# header\n")


# --- apply_dockerfile: the example ------------------------------------------------------------

DOCKER_MAIN = (ROOT / DOCKERFILE).read_text()
DOCKER_LIVE = (INSTANCE / "agent" / "Dockerfile").read_text()

DOCKER_EXAMPLE = {
    # An added ENV with the comment right above it, after main's multi-line RUN.
    "/stages/0/ENV/HF_HOME": [(8, [], ["", "# keep the turn-detector model out of the container layer (see RT-2)", "ENV HF_HOME=/cache/hf"])],
    # A changed multi-line RUN: only its changed continuation line differs.
    "/stages/0/RUN[1]": [(13, ["      livekit-plugins-turn-detector"], ["      livekit-plugins-turn-detector==1.2.6"])],
}


def test_the_table_names_every_divergence_of_the_example_dockerfile():
    assert {d.pointer for d in compared(DOCKERFILE, DOCKER_MAIN, DOCKER_LIVE)[1]} == set(DOCKER_EXAMPLE)


@pytest.mark.parametrize("pointer", sorted(DOCKER_EXAMPLE))
def test_each_divergence_of_the_example_dockerfile_changes_only_its_own_lines(pointer):
    out = carry(DOCKERFILE, DOCKER_MAIN, DOCKER_LIVE, chosen=lambda d: d.pointer == pointer)
    assert hunks(DOCKER_MAIN, out) == DOCKER_EXAMPLE[pointer]


@pytest.mark.parametrize("pointer", sorted(DOCKER_EXAMPLE))
def test_each_divergence_of_the_example_dockerfile_applied_alone_leaves_the_other(pointer):
    _, found = compared(DOCKERFILE, DOCKER_MAIN, DOCKER_LIVE)
    out = carry(DOCKERFILE, DOCKER_MAIN, DOCKER_LIVE, chosen=lambda d: d.pointer == pointer)
    assert left(DOCKERFILE, out, DOCKER_LIVE) == said(d for d in found if d.pointer != pointer)


def test_both_divergences_of_the_example_dockerfile_give_the_live_file():
    assert carry(DOCKERFILE, DOCKER_MAIN, DOCKER_LIVE) == DOCKER_LIVE


# --- apply_dockerfile: instruction by instruction -----------------------------------------------

DOCKER = (
    "# syntax=docker/dockerfile:1\n"
    "FROM python:3.11-slim\n"
    "\n"
    "# system packages\n"
    "RUN apt-get update \\\n"
    "    && apt-get install -y libgomp1 \\\n"
    "    && rm -rf /var/lib/apt/lists/*\n"
    "\n"
    "COPY agent.py .\n"
    'CMD ["python", "agent.py", "start"]\n'
)


def test_a_changed_multi_line_run_is_replaced_whole_by_the_live_instruction():
    live = DOCKER.replace("    && apt-get install -y libgomp1 \\\n", "    && apt-get install -y --no-install-recommends \\\n       libgomp1 curl \\\n")
    out = carry(DOCKERFILE, DOCKER, live)
    assert out == live
    assert hunks(DOCKER, out) == [(5, ["    && apt-get install -y libgomp1 \\"],
                                   ["    && apt-get install -y --no-install-recommends \\", "       libgomp1 curl \\"])]


def test_a_multi_line_run_folded_onto_one_line_live_replaces_all_its_lines():
    live = DOCKER.replace("RUN apt-get update \\\n    && apt-get install -y libgomp1 \\\n    && rm -rf /var/lib/apt/lists/*\n",
                          "RUN apt-get update && apt-get install -y libgomp1 curl\n")
    out = carry(DOCKERFILE, DOCKER, live)
    assert out == live
    assert left(DOCKERFILE, out, live) == set()


def test_a_changed_instruction_keeps_mains_comment_above_it():
    live = DOCKER.replace("# system packages\n", "# packages the host needed\n").replace("libgomp1", "libgomp1 curl")
    out = carry(DOCKERFILE, DOCKER, live)
    assert "# system packages\n" in out and "# packages the host needed" not in out
    assert hunks(DOCKER, out) == [(5, ["    && apt-get install -y libgomp1 \\"], ["    && apt-get install -y libgomp1 curl \\"])]


def test_a_changed_exec_form_cmd_replaces_its_line():
    live = DOCKER.replace('CMD ["python", "agent.py", "start"]', 'CMD ["python", "-u", "agent.py", "start"]')
    out = carry(DOCKERFILE, DOCKER, live)
    assert hunks(DOCKER, out) == [(9, ['CMD ["python", "agent.py", "start"]'], ['CMD ["python", "-u", "agent.py", "start"]'])]
    assert left(DOCKERFILE, out, live) == set()


def test_exec_form_spacing_alone_is_nothing_to_carry():
    live = DOCKER.replace('CMD ["python", "agent.py", "start"]', 'CMD ["python","agent.py","start"]')
    assert compared(DOCKERFILE, DOCKER, live)[1] == []


def test_an_instruction_removed_live_takes_all_its_lines():
    live = DOCKER.replace("RUN apt-get update \\\n    && apt-get install -y libgomp1 \\\n    && rm -rf /var/lib/apt/lists/*\n", "")
    out = carry(DOCKERFILE, DOCKER, live)
    removed = [line for _, old, _ in hunks(DOCKER, out) for line in old]
    assert {"RUN apt-get update \\", "    && apt-get install -y libgomp1 \\", "    && rm -rf /var/lib/apt/lists/*"} <= set(removed)
    assert all(new == [] for _, _, new in hunks(DOCKER, out))
    assert left(DOCKERFILE, out, live) == set()


def test_an_instruction_removed_live_takes_the_comment_right_above_it():
    # An added instruction brings that comment along; a removed one does not leave it orphaned.
    live = DOCKER.replace("# system packages\nRUN apt-get update \\\n    && apt-get install -y libgomp1 \\\n    && rm -rf /var/lib/apt/lists/*\n", "")
    out = carry(DOCKERFILE, DOCKER, live)
    assert "# system packages" not in out


def test_an_added_instruction_without_a_comment_comes_alone():
    live = DOCKER.replace("COPY agent.py .\n", "COPY agent.py .\nEXPOSE 8080\n")
    out = carry(DOCKERFILE, DOCKER, live)
    assert hunks(DOCKER, out) == [(9, [], ["EXPOSE 8080"])]
    assert left(DOCKERFILE, out, live) == set()


def test_an_added_instruction_the_host_put_below_mains_blank_line_goes_there():
    live = DOCKER.replace("\nCOPY agent.py .\n", "\nEXPOSE 8080\nCOPY agent.py .\n")
    out = carry(DOCKERFILE, DOCKER, live)
    assert out == live
    assert hunks(DOCKER, out) == [(8, [], ["EXPOSE 8080"])]


def test_an_added_instruction_the_host_set_apart_by_blank_lines_is_set_apart_in_main():
    live = DOCKER.replace("COPY agent.py .\n", "COPY agent.py .\n\nEXPOSE 8080\n\n")
    assert carry(DOCKERFILE, DOCKER, live) == live


def test_instructions_added_one_after_another_keep_their_live_order():
    live = DOCKER.replace("COPY agent.py .\n", "COPY agent.py .\nENV PORT=8080\nRUN echo $PORT > /port\n")
    out = carry(DOCKERFILE, DOCKER, live)
    assert out == live
    assert left(DOCKERFILE, out, live) == set()


def test_an_instruction_added_right_after_a_changed_one_follows_it():
    live = DOCKER.replace("COPY agent.py .\n", "COPY agent.py /srv/\nWORKDIR /srv\n")
    _, found = compared(DOCKERFILE, DOCKER, live)
    assert sorted(d.kind for d in found) == ["added", "changed"]
    out = carry(DOCKERFILE, DOCKER, live)
    assert out == live
    assert left(DOCKERFILE, out, live) == set()


def test_an_instruction_added_before_from_does_not_repeat_the_header_comment():
    main = "# the agent image\nFROM python:3.11-slim\n"
    live = "# the agent image\nARG PY=3.11\nFROM python:3.11-slim\n"
    out = carry(DOCKERFILE, main, live)
    assert out == live


def test_a_secret_env_added_live_becomes_a_reference():
    live = DOCKER.replace("COPY agent.py .\n", "COPY agent.py .\nENV HF_TOKEN=hf_Xb7Kq2Lm9Rv4Tn8Wc3Pd6Fy1Hs5Jg0Za\n")
    out = carry(DOCKERFILE, DOCKER, live)
    assert hunks(DOCKER, out) == [(9, [], ["ENV HF_TOKEN=${HF_TOKEN}"])]
    assert "hf_Xb7" not in out and "<redacted" not in out


def test_a_secret_env_carried_as_a_reference_is_no_longer_a_divergence():
    live = DOCKER.replace("COPY agent.py .\n", "COPY agent.py .\nENV HF_TOKEN=hf_Xb7Kq2Lm9Rv4Tn8Wc3Pd6Fy1Hs5Jg0Za\n")
    out = carry(DOCKERFILE, DOCKER, live)
    assert left(DOCKERFILE, out, live) == set()


# --- apply_text: the Caddyfile ------------------------------------------------------------------

CADDY_MAIN = (ROOT / CADDYFILE).read_text()
CADDY_LIVE = (INSTANCE / "caddy" / "Caddyfile").read_text()


def test_the_example_caddyfile_gains_the_added_block_with_its_comment():
    _, found = compared(CADDYFILE, CADDY_MAIN, CADDY_LIVE)
    assert [(d.kind, d.pointer) for d in found] == [("added", "/+:8081 {")]
    out = carry(CADDYFILE, CADDY_MAIN, CADDY_LIVE)
    assert hunks(CADDY_MAIN, out) == [(19, [], ["", "# container healthcheck target; not exposed outside the host",
                                                ":8081 {", '\trespond /healthz "ok" 200', "}"])]
    assert out == CADDY_LIVE


def test_a_changed_line_takes_the_live_line():
    live = CADDY_MAIN.replace("\tencode gzip\n", "\tencode zstd gzip\n")
    out = carry(CADDYFILE, CADDY_MAIN, live)
    assert hunks(CADDY_MAIN, out) == [(5, ["\tencode gzip"], ["\tencode zstd gzip"])]
    assert left(CADDYFILE, out, live) == set()


def test_a_changed_hunk_brings_the_comment_lines_inside_it():
    live = CADDY_MAIN.replace("\t\treverse_proxy vllm-voxtral:8000\n",
                              "\t\treverse_proxy vllm-voxtral:8000 {\n\t\t\t# voxtral streams\n\t\t\tflush_interval -1\n\t\t}\n")
    out = carry(CADDYFILE, CADDY_MAIN, live)
    assert out == live


def test_a_block_removed_live_takes_its_lines_and_leaves_the_rest():
    live = CADDY_MAIN.replace("\thandle_path /stt/* {\n\t\treverse_proxy vllm-whisper:8001\n\t}\n\n", "")
    out = carry(CADDYFILE, CADDY_MAIN, live)
    assert hunks(CADDY_MAIN, out) == [(11, ["\thandle_path /stt/* {", "\t\treverse_proxy vllm-whisper:8001", "\t}"], [])]
    assert left(CADDYFILE, out, live) == set()


def test_a_block_removed_live_at_the_end_leaves_no_blank_line_behind():
    out = carry(CADDYFILE, CADDY_LIVE, CADDY_MAIN)  # the instance file as main: its :8081 block goes
    assert out == CADDY_MAIN


def test_a_block_removed_live_keeps_a_comment_the_host_still_has():
    main = CADDY_MAIN + "\n# probes\n:8081 {\n\trespond ok\n}\n"
    live = CADDY_MAIN + "\n# probes\n"
    assert carry(CADDYFILE, main, live) == live


def test_a_block_added_at_the_top_starts_the_file():
    live = ":2019 {\n\tmetrics\n}\n\n" + CADDY_MAIN
    out = carry(CADDYFILE, CADDY_MAIN, live)
    assert hunks(CADDY_MAIN, out) == [(0, [], [":2019 {", "\tmetrics", "}"])]
    assert left(CADDYFILE, out, live) == set()


def test_only_the_chosen_hunks_are_carried():
    live = CADDY_LIVE.replace("\tencode gzip\n", "\tencode zstd gzip\n")
    out = carry(CADDYFILE, CADDY_MAIN, live, chosen=lambda d: d.kind == "changed")
    assert hunks(CADDY_MAIN, out) == [(5, ["\tencode gzip"], ["\tencode zstd gzip"])]
    assert {kind for kind, _, _ in left(CADDYFILE, out, live)} == {"added"}


def test_a_secret_in_a_caddyfile_line_reaches_main_as_an_env_reference():
    live = CADDY_MAIN.replace("\t\treverse_proxy vllm-voxtral:8000\n",
                              '\t\treverse_proxy vllm-voxtral:8000 {\n\t\t\theader_up Authorization "Bearer Zt4Kp9Qw2Lm7Vb3Nt8Rc5Hy1Jd6Fg0Sa4We7"\n\t\t}\n')
    out = carry(CADDYFILE, CADDY_MAIN, live)
    assert "Zt4Kp9" not in out and "<redacted" not in out
    assert "{env." in out


def test_a_secret_carried_into_a_caddyfile_as_a_reference_is_no_longer_a_divergence():
    live = CADDY_MAIN.replace("\t\treverse_proxy vllm-voxtral:8000\n",
                              '\t\treverse_proxy vllm-voxtral:8000 {\n\t\t\theader_up Authorization "Bearer Zt4Kp9Qw2Lm7Vb3Nt8Rc5Hy1Jd6Fg0Sa4We7"\n\t\t}\n')
    out = carry(CADDYFILE, CADDY_MAIN, live)
    assert left(CADDYFILE, out, live) == set()
