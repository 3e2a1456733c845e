"""bot/compare/dockerfile.py (and its use by compare): Dockerfiles instruction by instruction.

Each added, removed or changed instruction is one divergence; how an instruction is laid out
(continuation lines, spacing, comments, keyword case, JSON spacing) is not. Pointers name the
instruction by stage and what it is, never by line: `/stages/0/FROM`, `/stages/0/ENV/HF_HOME`,
`/stages/runtime/RUN[2]`, `/global/ARG/BASE`; the line is evidence only.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.capture.files import take_file
from bot.compare import compare_file
from bot.compare.dockerfile import Instruction, parse_dockerfile
from tests.compare_support import TrackedFile, summary

DOCKERFILE = "voice/agent/Dockerfile"
# Credential-shaped fakes, assembled from halves so that no token-shaped literal is in the source.
FAKE_HF = "hf_" "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
FAKE_GITHUB = "ghp_" "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
FAKE_OPENAI = "sk-proj-" "AbCdEfGhIjKlMnOpQrStUvWx"
MAIN = (Path(__file__).resolve().parent.parent / "voice" / "agent" / "Dockerfile").read_text()


_FILE = TrackedFile(DOCKERFILE, "agent/Dockerfile")
divergences, same = _FILE.divergences, _FILE.same


# --- parsing -------------------------------------------------------------------------

def test_each_instruction_is_read_with_its_first_line():
    parsed = parse_dockerfile("# comment\nFROM python:3.11-slim\n\nWORKDIR /app\n")
    assert [(i.keyword, i.text, i.line) for i in parsed] == [
        ("FROM", "FROM python:3.11-slim", 2),
        ("WORKDIR", "WORKDIR /app", 4),
    ]


def test_a_continued_instruction_is_one_instruction_on_one_line():
    (run,) = parse_dockerfile("RUN apt-get update \\\n    && apt-get install -y libgomp1\n")
    assert run == Instruction("RUN", "RUN apt-get update && apt-get install -y libgomp1", run.key, 1)


def test_comments_are_not_instructions():
    assert parse_dockerfile("# syntax=docker/dockerfile:1\n# note\n") == []


# --- cosmetic differences ----------------------------------------------------------

def test_the_same_file_is_no_divergence():
    same(MAIN, MAIN)


def test_continuation_lines_are_cosmetic():
    same("""\
        FROM python:3.11-slim
        RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*
        """, """\
        FROM python:3.11-slim
        RUN apt-get update \\
            && apt-get install -y --no-install-recommends libgomp1 \\
            && rm -rf /var/lib/apt/lists/*
        """)


def test_a_comment_inside_a_continued_instruction_is_cosmetic():
    same("""\
        FROM python:3.11-slim
        RUN apt-get update && apt-get install -y libgomp1
        """, """\
        FROM python:3.11-slim
        RUN apt-get update \\
            # the OpenMP runtime for the turn detector
            && apt-get install -y libgomp1
        """)


def test_whitespace_blank_lines_and_comments_are_cosmetic():
    same("""\
        FROM python:3.11-slim
        WORKDIR /app
        COPY agent.py .
        """, """\
        # LiveKit voice agent
        FROM   python:3.11-slim


        WORKDIR    /app
        # the agent itself
        COPY agent.py   .
        """)


def test_keyword_case_is_cosmetic():
    same("FROM python:3.11-slim\nRUN echo hi\n", "from python:3.11-slim\nrun echo hi\n")


def test_exec_form_json_spacing_is_cosmetic():
    same("""\
        FROM python:3.11-slim
        CMD ["python", "agent.py", "start"]
        ENTRYPOINT ["/usr/bin/tini", "--"]
        """, """\
        FROM python:3.11-slim
        CMD ["python","agent.py","start"]
        ENTRYPOINT [ "/usr/bin/tini" ,  "--" ]
        """)


def test_windows_line_endings_are_cosmetic():
    same("FROM python:3.11-slim\nRUN echo hi\n", "FROM python:3.11-slim\r\nRUN echo hi\r\n")


# --- real differences -------------------------------------------------------------

def test_shell_form_and_exec_form_are_not_equivalent():
    (d,) = divergences('FROM a\nCMD ["python", "agent.py", "start"]\n', "FROM a\nCMD python agent.py start\n")
    assert (d.pointer, d.kind) == ("/stages/0/CMD", "changed")
    assert d.before == 'CMD ["python", "agent.py", "start"]'
    assert d.after == "CMD python agent.py start"


def test_cmd_turned_into_entrypoint_with_the_same_arguments_is_a_divergence():
    found = divergences('FROM a\nCMD ["python", "agent.py", "start"]\n',
                        'FROM a\nENTRYPOINT ["python", "agent.py", "start"]\n')
    assert found, "CMD and ENTRYPOINT are different instructions even with equal arguments"
    assert {d.kind for d in found} <= {"added", "removed", "changed"}
    assert any(d.after and d.after.startswith("ENTRYPOINT") for d in found)


def test_a_changed_instruction_is_one_divergence_at_its_line_in_main():
    live = MAIN.replace("livekit-agents==1.2.6", "livekit-agents==1.2.7")
    (d,) = divergences(MAIN, live)
    assert (d.file, d.pointer, d.kind) == (DOCKERFILE, "/stages/0/RUN[1]", "changed")
    assert "livekit-agents==1.2.6" in d.before and "livekit-agents==1.2.7" in d.after
    assert d.line == 11


def test_two_live_edits_are_two_divergences():
    live = MAIN.replace("livekit-agents==1.2.6", "livekit-agents==1.2.7").replace(
        "COPY agent.py .\n", "COPY agent.py .\nENV TTS_TIMEOUT=30\n")
    assert summary(divergences(MAIN, live)) == [
        ("/stages/0/RUN[1]", "changed", "RUN pip install --no-cache-dir -r requirements.txt livekit-agents==1.2.6 "
         "livekit-plugins-openai==1.2.6 livekit-plugins-turn-detector",
         "RUN pip install --no-cache-dir -r requirements.txt livekit-agents==1.2.7 "
         "livekit-plugins-openai==1.2.6 livekit-plugins-turn-detector"),
        ("/stages/0/ENV/TTS_TIMEOUT", "added", None, "ENV TTS_TIMEOUT=30"),
    ]


def test_an_added_instruction_is_placed_after_the_line_of_main_it_follows():
    (d,) = divergences("FROM a\nWORKDIR /app\nCOPY . .\n", "FROM a\nWORKDIR /app\nENV PYTHONUNBUFFERED=1\nCOPY . .\n")
    assert (d.pointer, d.kind, d.before, d.after, d.line) == ("/stages/0/ENV/PYTHONUNBUFFERED", "added", None, "ENV PYTHONUNBUFFERED=1", 3)


def test_several_instructions_added_together_are_numbered_in_order():
    found = divergences("FROM a\nCOPY . .\n", "FROM a\nRUN one\nRUN two\nCOPY . .\n")
    assert summary(found) == [("/stages/0/RUN[0]", "added", None, "RUN one"), ("/stages/0/RUN[1]", "added", None, "RUN two")]


def test_an_instruction_added_before_the_first_stage_is_global():
    (d,) = divergences("FROM a\n", "ARG BASE=a\nFROM a\n")
    assert (d.pointer, d.kind) == ("/global/ARG/BASE", "added")


def test_a_removed_instruction_is_one_divergence_at_its_line_in_main():
    (d,) = divergences("FROM a\nRUN a\nRUN b\n", "FROM a\nRUN b\n")
    assert (d.pointer, d.kind, d.before, d.after, d.line) == ("/stages/0/RUN[0]", "removed", "RUN a", None, 2)


def test_an_instruction_replaced_by_another_keyword_is_removed_and_added():
    found = divergences("FROM a\nCOPY agent.py .\n", "FROM a\nADD agent.py .\n")
    assert sorted((d.kind, d.before, d.after) for d in found) == [
        ("added", None, "ADD agent.py ."),
        ("removed", "COPY agent.py .", None),
    ]


def test_a_heredoc_body_belongs_to_its_run_instruction():
    found = divergences(
        "# syntax=docker/dockerfile:1\nFROM a\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n",
        "# syntax=docker/dockerfile:1\nFROM a\nRUN <<EOF\napt-get update\napt-get install -y wget\nEOF\n",
    )
    assert len(found) == 1
    assert found[0].pointer == "/stages/0/RUN[0]" and found[0].kind == "changed"
    assert found[0].before.startswith("RUN <<EOF") and "wget" in found[0].after


def test_an_unchanged_heredoc_is_no_divergence():
    text = "FROM a\nRUN <<EOF\n# not a Dockerfile comment\napt-get update\nEOF\nCOPY <<-CONF /etc/app.conf\n\tkey = 1\n\tCONF\n"
    same(text, text)
    assert [(i.keyword, i.line) for i in parse_dockerfile(text)] == [("FROM", 1), ("RUN", 2), ("COPY", 6)]


def test_a_changed_line_in_a_copy_heredoc_is_one_divergence_at_the_copy():
    (d,) = divergences("FROM a\nCOPY <<EOF /app/x.conf\nport = 1\nEOF\nCMD run\n",
                       "FROM a\nCOPY <<EOF /app/x.conf\nport = 2\nEOF\nCMD run\n")
    assert (d.pointer, d.kind, d.after) == ("/stages/0/COPY[0]", "changed", "COPY <<EOF /app/x.conf\nport = 2\nEOF")


# --- secrets -------------------------------------------------------------------------

def test_an_env_secret_is_compared_by_presence():
    same("FROM a\nENV HF_TOKEN=${HF_TOKEN}\n", f"FROM a\nENV HF_TOKEN={FAKE_HF}\n")


def test_a_rotated_env_secret_in_legacy_form_is_no_divergence():
    same("FROM a\nENV LIVEKIT_API_SECRET first-s3cret-value\n", "FROM a\nENV LIVEKIT_API_SECRET second-s3cret-value\n")


def test_an_arg_secret_default_is_compared_by_presence():
    same("FROM a\nARG GITHUB_TOKEN=change-me\n",
         f"FROM a\nARG GITHUB_TOKEN={FAKE_GITHUB}\n")


def test_a_legacy_env_secret_against_a_reference_is_no_divergence():
    same("FROM a\nENV HF_TOKEN ${HF_TOKEN}\n", f"FROM a\nENV HF_TOKEN {FAKE_HF}\n")


def test_a_token_count_in_an_env_is_compared_by_value():
    (d,) = divergences("FROM a\nENV MAX_TOKENS=512\n", "FROM a\nENV MAX_TOKENS=1024\n")
    assert (d.before, d.after, d.secret) == ("ENV MAX_TOKENS=512", "ENV MAX_TOKENS=1024", False)


def test_an_ordinary_env_value_beside_a_secret_is_still_compared():
    (d,) = divergences("FROM a\nENV HF_TOKEN=x LOG_LEVEL=info\n", "FROM a\nENV HF_TOKEN=y LOG_LEVEL=debug\n")
    assert (d.pointer, d.kind) == ("/stages/0/ENV/HF_TOKEN,LOG_LEVEL", "changed")
    assert "LOG_LEVEL=debug" in d.after


def test_an_added_env_secret_is_shown_redacted_and_marked_secret():
    (d,) = divergences("FROM a\n", f"FROM a\nENV OPENAI_API_KEY={FAKE_OPENAI}\n")
    assert (d.kind, d.secret) == ("added", True)
    assert "AbCdEf" not in d.after and "<redacted" in d.after


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.gpu", "agent.dockerfile"])
def test_dockerfile_names_are_compared_as_dockerfiles(name):
    path = f"voice/agent/{name}"
    found, errors = compare_file(path, "FROM a\nRUN  echo hi\n", take_file(name, path, b"from a\nRUN echo \\\n  hi\n"))
    assert (found, errors) == ([], [])


# --- names that survive unrelated line shifts -----------------------------------------

def test_a_divergence_keeps_its_name_when_main_gains_lines_elsewhere():
    live = MAIN.replace("livekit-agents==1.2.6", "livekit-agents==1.2.7")
    shifted = lambda t: t.replace("WORKDIR /app\n", "WORKDIR /app\n# a note\nENV PIP_NO_CACHE_DIR=1\n\n")
    before = [(d.pointer, d.kind) for d in divergences(MAIN, live)]
    after = [(d.pointer, d.kind) for d in divergences(shifted(MAIN), shifted(live))]
    assert before == after == [("/stages/0/RUN[1]", "changed")]


def test_stages_are_named_by_their_name_or_their_index():
    main = "ARG V=1\nFROM python:3.11 AS build\nRUN make\nFROM debian\nCOPY --from=build /a /a\nCMD [\"a\"]\n"
    live = main.replace("RUN make", "RUN make all").replace("FROM debian", "FROM debian:12").replace('CMD ["a"]', 'CMD ["b"]')
    assert [(d.pointer, d.kind) for d in divergences(main, live)] == [
        ("/stages/build/RUN[0]", "changed"), ("/stages/1/FROM", "changed"), ("/stages/1/CMD", "changed")]
