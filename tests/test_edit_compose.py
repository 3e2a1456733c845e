"""bot/edit/compose.py (and bot/edit/__init__.py): compose divergences carried onto main's text.

`apply_compose(base_text, live_text, divergences)` changes main's compose file by exactly the
divergences it is given, and nothing else:

* the diff against main touches only the lines of those divergences; comments, blank lines,
  quoting, key order and indentation of every other line stay byte for byte;
* comparing the result with the live file again leaves exactly the divergences not given
  (convergence);
* values are the live file's own nodes (its quoting, its spelling), written in main's
  spelling of the block around them: `- KEY=value` where main lists environment entries;
* a key added live goes after the key that precedes it live;
* a secret never reaches main: main gets a `${KEY}` reference instead.

Divergences come from `compare_file` over a (main, live) pair of texts, as in a real run.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.capture.files import take_file
from bot.compare import compare_file, compare_snapshot
from bot.edit import edited_files
from bot.edit.compose import apply_compose, detect_indent
from bot.edit.dockerfile import apply_dockerfile
from bot.edit.dotenv import apply_dotenv
from bot.edit.text import apply_text
from bot.model import Snapshot

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = "voice/docker-compose.yml"
MAIN = (ROOT / "voice" / "docker-compose.yml").read_text()
LIVE = (ROOT / "examples" / "instance" / "docker-compose.yml").read_text()
SECRET = "sk-proj-Zx4Kp9Qw2Lm7Vb3Nt8Rc5Hy1Jd6Fg0S"


def compared(main: str, live: str):
    """What a run holds: the live text as captured (secrets redacted) and its divergences from main."""
    capture = take_file("docker-compose.yml", COMPOSE, live.encode())
    found, errors = compare_file(COMPOSE, main, capture)
    assert errors == []
    return capture.text, found


def carry(main: str, live: str, *pointers: str) -> str:
    """Main with the divergences at `pointers` applied (all of them when none is named)."""
    text, found = compared(main, live)
    chosen = [d for d in found if not pointers or d.pointer in pointers]
    assert {d.pointer for d in chosen} >= set(pointers), "the test names a divergence compare does not find"
    return apply_compose(main, text, chosen)


def left(result: str, live: str) -> set[tuple[str, str]]:
    """The divergences that remain between an edited main and the live file."""
    return {(d.kind, d.pointer) for d in compared(result, live)[1]}


def hunks(main: str, result: str) -> list[tuple[int, list[str], list[str]]]:
    """The diff from main to the result: (lines of main before the hunk, lines removed, lines added)."""
    a, b = main.splitlines(), result.splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [(i1, a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def compose(text: str) -> str:
    return dedent(text).lstrip("\n")


# --- the bundled example: voice/ on main, examples/instance live ----------------------

# Each divergence of the example, and the only lines of main that carrying it may change.
EXAMPLE = {
    # The host's comment right above the changed key comes along: main has none there.
    "/services/vllm-voxtral/image": [
        (16, ["    image: vllm/vllm-omni:v0.11.0"],
         ["    # v0.11.0 crashed loading the audio tokenizer; v0.11.2 fixes it", "    image: vllm/vllm-omni:v0.11.2"])],
    "/services/vllm-voxtral/command": [
        (28, [], ["      - --stage-configs-path", "      - /opt/voxtral/stage-overlay.yaml"])],
    "/services/vllm-voxtral/volumes": [
        (33, [], ["      - ./voxtral/stage-overlay.yaml:/opt/voxtral/stage-overlay.yaml:ro"])],
    "/services/vllm-voxtral/healthcheck/retries": [
        (39, ["      retries: 10"], ["      retries: 30"])],
    "/services/vllm-voxtral/healthcheck/start_period": [
        (40, ["      start_period: 120s"], ["      start_period: 5m"])],
    "/services/vllm-whisper/environment/HF_HUB_OFFLINE": [
        (54, [], ['      HF_HUB_OFFLINE: "1"'])],
    "/services/voice-agent/labels/com.example.deployed-at": [  # a settings block main does not have
        (73, [], ["    labels:", '      com.example.deployed-at: "2026-04-24T18:02:11Z"'])],
    "/services/caddy/healthcheck/test": [
        (89, ['      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/healthz"]'],
         ['      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8081/healthz"]'])],
}


def test_the_table_names_every_divergence_of_the_example():
    assert {d.pointer for d in compared(MAIN, LIVE)[1]} == set(EXAMPLE)


@pytest.mark.parametrize("pointer", sorted(EXAMPLE))
def test_each_divergence_of_the_example_changes_only_its_own_lines(pointer):
    assert hunks(MAIN, carry(MAIN, LIVE, pointer)) == EXAMPLE[pointer]


@pytest.mark.parametrize("pointer", sorted(EXAMPLE))
def test_each_divergence_of_the_example_applied_alone_leaves_exactly_the_others(pointer):
    _, found = compared(MAIN, LIVE)
    expected = {(d.kind, d.pointer) for d in found if d.pointer != pointer}
    assert left(carry(MAIN, LIVE, pointer), LIVE) == expected


def test_all_divergences_of_the_example_together_converge():
    assert left(carry(MAIN, LIVE), LIVE) == set()


def test_the_folded_command_and_the_comments_elsewhere_stay_byte_identical():
    out = carry(MAIN, LIVE)
    assert (
        "    command: >-\n"
        "      vllm serve openai/whisper-large-v3-turbo\n"
        "      --port 8001\n"
        "      --gpu-memory-utilization 0.40\n"
        "      --max-model-len 448\n"
    ) in out
    assert out.startswith(MAIN[: MAIN.index("services:")])  # header comments, name, the x-gpu anchor
    assert out.endswith("volumes:\n  models:\n  caddy-data:\n")


@settings(max_examples=25, deadline=None)
@given(chosen=st.sets(st.sampled_from(sorted(EXAMPLE))))
def test_any_subset_of_the_example_changes_its_own_lines_and_leaves_exactly_the_complement(chosen):
    _, found = compared(MAIN, LIVE)
    out = carry(MAIN, LIVE, *chosen) if chosen else apply_compose(MAIN, LIVE, [])
    assert left(out, LIVE) == {(d.kind, d.pointer) for d in found if d.pointer not in chosen}
    removed = sorted(line for _, old, _ in hunks(MAIN, out) for line in old)
    added = sorted(line for _, _, new in hunks(MAIN, out) for line in new)
    assert removed == sorted(line for p in chosen for _, old, _ in EXAMPLE[p] for line in old)
    assert added == sorted(line for p in chosen for _, _, new in EXAMPLE[p] for line in new)


def test_no_divergence_returns_main_unchanged():
    assert apply_compose(MAIN, LIVE, []) == MAIN


# --- the same example the other way round: the instance file as main ------------------

# The instance file wraps a flow list over two lines, uses flow maps and lists, and spells
# environment as a list; the divergences now remove what the host added.
REVERSED = {
    "/services/vllm-voxtral/image": [
        (16, ["    image: vllm/vllm-omni:v0.11.2"], ["    image: vllm/vllm-omni:v0.11.0"])],
    "/services/vllm-voxtral/command": [
        (28, ["      - --stage-configs-path", "      - /opt/voxtral/stage-overlay.yaml"], [])],
    "/services/vllm-voxtral/volumes": [
        (35, ["      - ./voxtral/stage-overlay.yaml:/opt/voxtral/stage-overlay.yaml:ro"], [])],
    "/services/vllm-voxtral/healthcheck/retries": [
        (44, ["      retries: 30"], ["      retries: 10"])],
    "/services/vllm-voxtral/healthcheck/start_period": [
        (45, ["      start_period: 5m"], ["      start_period: 120s"])],
    "/services/vllm-whisper/environment/HF_HUB_OFFLINE": [
        (56, ['      HF_HUB_OFFLINE: "1"'], [])],
    # The block held one key: with it gone the block goes too, as it is absent live.
    "/services/voice-agent/labels/com.example.deployed-at": [
        (75, ["    labels:", '      com.example.deployed-at: "2026-04-24T18:02:11Z"'], [])],
    "/services/caddy/healthcheck/test": [
        (89, ['      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8081/healthz"]'],
         ['      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/healthz"]'])],
}


@pytest.mark.parametrize("pointer", sorted(REVERSED))
def test_each_divergence_carried_back_onto_the_instance_file_changes_only_its_own_lines(pointer):
    assert hunks(LIVE, carry(LIVE, MAIN, pointer)) == REVERSED[pointer]


@pytest.mark.parametrize("pointer", sorted(REVERSED))
def test_each_divergence_carried_back_onto_the_instance_file_leaves_exactly_the_others(pointer):
    _, found = compared(LIVE, MAIN)
    assert left(carry(LIVE, MAIN, pointer), MAIN) == {(d.kind, d.pointer) for d in found if d.pointer != pointer}


def test_a_multi_line_flow_list_and_flow_maps_elsewhere_stay_byte_identical():
    out = carry(LIVE, MAIN)
    assert left(out, MAIN) == set()
    for lines in (
        '    command: ["vllm", "serve", "openai/whisper-large-v3-turbo", "--port", "8001",\n'
        '              "--gpu-memory-utilization", "0.40", "--max-model-len", "448"]\n',
        "    env_file: [.env]\n",
        "      vllm-voxtral: {condition: service_healthy}\n",
        '    ports: ["80:80", "443:443"]\n',
        "    depends_on: [voice-agent]\n",
        "      - HF_TOKEN=${HF_TOKEN}\n",
        "    # v0.11.0 crashed loading the audio tokenizer; v0.11.2 fixes it\n",
    ):
        assert lines in out


# --- environment spelt as a list on one side and a map on the other -------------------

LIST_MAIN = compose("""
    services:
      app:
        image: app:1
        environment:
          - A=1
          - B=2
        restart: always
""")


def test_a_changed_value_is_written_in_mains_list_spelling():
    live = LIST_MAIN.replace("      - A=1\n      - B=2\n", "      A: '9'\n      B: '2'\n")
    out = carry(LIST_MAIN, live)
    assert hunks(LIST_MAIN, out) == [(4, ["      - A=1"], ["      - A=9"])]
    assert left(out, live) == set()


def test_a_key_added_live_in_a_map_becomes_a_list_entry_after_its_live_predecessor():
    live = LIST_MAIN.replace("      - A=1\n      - B=2\n", "      A: '1'\n      C: '3'\n      B: '2'\n")
    out = carry(LIST_MAIN, live)
    assert hunks(LIST_MAIN, out) == [(5, [], ["      - C=3"])]
    assert left(out, live) == set()


def test_a_key_removed_live_drops_its_list_entry():
    live = LIST_MAIN.replace("      - A=1\n      - B=2\n", "      B: '2'\n")
    out = carry(LIST_MAIN, live)
    assert hunks(LIST_MAIN, out) == [(4, ["      - A=1"], [])]
    assert left(out, live) == set()


def test_a_key_named_live_without_a_value_becomes_a_bare_list_entry():
    live = LIST_MAIN.replace("      - A=1\n      - B=2\n", "      A: '1'\n      B: '2'\n      HOST_ONLY:\n")
    out = carry(LIST_MAIN, live)
    assert hunks(LIST_MAIN, out) == [(6, [], ["      - HOST_ONLY"])]
    assert left(out, live) == set()


@pytest.mark.parametrize("value", ["true", "2.0", "0.50", "1e3", "0x1F"])
def test_a_typed_scalar_from_a_live_map_is_written_as_compose_reads_it(value):
    # Compose stringifies the live map's scalar; the list entry must carry the same string.
    live = LIST_MAIN.replace("      - A=1\n      - B=2\n", f"      A: {value}\n      B: '2'\n")
    out = carry(LIST_MAIN, live)
    assert left(out, live) == set(), out
    assert [old for _, old, _ in hunks(LIST_MAIN, out)] == [["      - A=1"]]


MAP_MAIN = compose("""
    services:
      app:
        image: app:1
        environment:
          A: "1"  # first
          C: "3"
        restart: always
""")


def test_a_changed_value_from_a_live_list_is_written_in_mains_map_spelling():
    live = MAP_MAIN.replace('      A: "1"  # first\n      C: "3"\n', "      - A=9\n      - C=3\n")
    out = carry(MAP_MAIN, live)
    assert [(at, old) for at, old, _ in hunks(MAP_MAIN, out)] == [(4, ['      A: "1"  # first'])]
    assert out.splitlines()[4].startswith("      A: ") and "9" in out.splitlines()[4]
    assert left(out, live) == set()


def test_a_key_added_in_a_live_list_goes_after_the_key_that_precedes_it_live():
    live = MAP_MAIN.replace('      A: "1"  # first\n      C: "3"\n', "      - A=1\n      - B=2\n      - C=3\n")
    out = carry(MAP_MAIN, live)
    assert [(at, old) for at, old, _ in hunks(MAP_MAIN, out)] == [(5, [])]
    assert left(out, live) == set()


def test_a_key_removed_from_a_live_list_is_removed_from_mains_map():
    live = MAP_MAIN.replace('      A: "1"  # first\n      C: "3"\n', "      - A=1\n")
    out = carry(MAP_MAIN, live)
    assert hunks(MAP_MAIN, out) == [(5, ['      C: "3"'], [])]
    assert left(out, live) == set()


# --- keys removed and added live -------------------------------------------------------

TWO_SERVICES = compose("""
    # two services, one blank line between them
    services:
      app:
        image: app:1
        environment:
          A: "1"
          # B is read by the healthcheck
          B: "2"
        restart: always

      db:
        image: postgres:16
""")


def test_a_key_removed_live_removes_only_its_line():
    live = TWO_SERVICES.replace("    image: app:1\n", "")
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(3, ["    image: app:1"], [])]
    assert left(out, live) == set()


def test_a_key_removed_live_leaves_the_comment_above_the_next_key():
    live = TWO_SERVICES.replace('      A: "1"\n', "")
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(5, ['      A: "1"'], [])]


def test_the_last_key_of_a_service_removed_live_keeps_the_blank_line_between_services():
    live = TWO_SERVICES.replace("    restart: always\n", "")
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(8, ["    restart: always"], [])]


def test_a_key_added_live_goes_after_the_key_that_precedes_it_live():
    live = TWO_SERVICES.replace("    image: app:1\n", "    image: app:1\n    init: true\n")
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(4, [], ["    init: true"])]
    assert left(out, live) == set()


def test_a_key_added_live_as_the_first_of_a_service_goes_first():
    live = TWO_SERVICES.replace("  app:\n", "  app:\n    container_name: app\n")
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(3, [], ["    container_name: app"])]


def test_a_key_added_after_the_last_key_of_a_service_keeps_the_blank_line_between_services():
    live = TWO_SERVICES.replace("    restart: always\n", "    restart: always\n    init: true\n")
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(9, [], ["    init: true"])]
    assert left(out, live) == set()


def test_a_top_level_key_added_live_before_every_other_is_carried():
    main = TWO_SERVICES.replace("# two services, one blank line between them\n", "")
    live = "name: voice\n" + main
    out = carry(main, live)
    assert hunks(main, out) == [(0, [], ["name: voice"])]
    assert left(out, live) == set()


def test_a_settings_block_main_lacks_is_added_after_the_key_that_precedes_it_live():
    live = TWO_SERVICES.replace(
        "    restart: always\n",
        "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      retries: 3\n    restart: always\n",
    )
    _, found = compared(TWO_SERVICES, live)
    assert {d.pointer for d in found} == {"/services/app/healthcheck/test", "/services/app/healthcheck/retries"}
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(8, [], ["    healthcheck:", '      test: ["CMD", "true"]', "      retries: 3"])]
    assert left(out, live) == set()


def test_one_key_of_an_added_settings_block_can_be_carried_without_the_others():
    # Below a service, an added block counts key by key: a pull request may carry one of them.
    live = TWO_SERVICES + "    labels:\n      team: voice\n      tier: data\n"
    out = carry(TWO_SERVICES, live, "/services/db/labels/team")
    assert hunks(TWO_SERVICES, out) == [(12, [], ["    labels:", "      team: voice"])]
    assert left(out, live) == {("added", "/services/db/labels/tier")}


def test_a_key_removed_live_takes_the_comment_right_above_it_when_the_host_has_it_no_more():
    live = TWO_SERVICES.replace('      # B is read by the healthcheck\n      B: "2"\n', "")
    out = carry(TWO_SERVICES, live)
    assert out == live


def test_a_key_removed_live_leaves_a_comment_above_it_the_host_still_has():
    live = TWO_SERVICES.replace('      B: "2"\n', "")
    assert carry(TWO_SERVICES, live) == live


# --- comments the host wrote ----------------------------------------------------------------

def test_a_comment_the_host_put_right_above_a_changed_key_comes_along():
    live = TWO_SERVICES.replace("    image: app:1\n", "    # 1 leaks memory\n    image: app:2\n")
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(3, ["    image: app:1"], ["    # 1 leaks memory", "    image: app:2"])]


def test_mains_comment_above_a_changed_key_stays_and_the_hosts_is_not_added():
    live = TWO_SERVICES.replace('      # B is read by the healthcheck\n      B: "2"\n', '      # B, for the probe\n      B: "3"\n')
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(7, ['      B: "2"'], ['      B: "3"'])]


def test_a_service_added_live_brings_the_comments_above_and_inside_it():
    cache = "  # sessions\n  cache:\n    # pinned: 7.2 drops a module\n    image: redis:7\n\n"
    live = TWO_SERVICES.replace("  db:\n", cache + "  db:\n")
    assert carry(TWO_SERVICES, live) == live


def test_a_comment_the_host_put_above_main_s_own_key_is_not_carried_with_a_neighbour():
    live = TWO_SERVICES.replace("  db:\n", "  # the database\n  db:\n").replace("    restart: always\n", "    restart: always\n    init: true\n")
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(9, [], ["    init: true"])]


# --- whole services --------------------------------------------------------------------

def test_a_service_added_live_is_one_divergence_and_lands_after_its_live_predecessor():
    cache = "  cache:\n    image: redis:7\n    restart: always\n\n"
    live = TWO_SERVICES.replace("  db:\n", cache + "  db:\n")
    _, found = compared(TWO_SERVICES, live)
    assert [(d.kind, d.pointer) for d in found] == [("added", "/services/cache")]
    out = carry(TWO_SERVICES, live)
    assert out == live
    assert left(out, live) == set()


def test_a_service_added_live_whose_last_key_is_a_flow_list_keeps_the_blank_line_after_it():
    cache = "  cache:\n    image: redis:7\n    command: [redis-server, --save, \"\"]\n\n"
    live = TWO_SERVICES.replace("  db:\n", cache + "  db:\n")
    assert carry(TWO_SERVICES, live) == live


def test_a_service_added_live_at_the_end_is_appended_with_the_blank_line_main_puts_between_services():
    live = TWO_SERVICES + "\n  cache:\n    image: redis:7\n"
    out = carry(TWO_SERVICES, live)
    assert hunks(TWO_SERVICES, out) == [(12, [], ["", "  cache:", "    image: redis:7"])]


def test_the_last_service_removed_live_is_gone_with_the_blank_line_before_it():
    live = TWO_SERVICES.replace("\n  db:\n    image: postgres:16\n", "")
    out = carry(TWO_SERVICES, live)
    assert out == live
    assert left(out, live) == set()


def test_a_service_removed_live_from_between_two_others_keeps_their_blank_lines():
    main = TWO_SERVICES + "\n  cache:\n    image: redis:7\n"
    live = main.replace("  db:\n    image: postgres:16\n\n", "")
    assert carry(main, live) == live


def test_the_first_service_removed_live_takes_the_blank_line_after_it():
    live = TWO_SERVICES.replace(TWO_SERVICES[TWO_SERVICES.index("  app:"):TWO_SERVICES.index("  db:")], "")
    assert carry(TWO_SERVICES, live) == live


def test_two_services_added_live_at_the_end_are_set_apart_as_main_sets_services_apart():
    live = TWO_SERVICES + "\n  a2:\n    image: a\n\n  a3:\n    image: b\n"
    assert carry(TWO_SERVICES, live) == live


def test_a_top_level_block_added_live_is_set_apart_as_live_when_main_cannot_tell():
    live = TWO_SERVICES + "\nx-defaults:\n  restart: always\n"
    assert carry(TWO_SERVICES, live) == live


def test_a_service_added_live_that_merges_an_anchor_gets_the_alias():
    live = MAIN.replace("  caddy:\n", "  vllm-extra:\n    <<: *gpu\n    image: x:1\n\n  caddy:\n")
    out = carry(MAIN, live)
    assert hunks(MAIN, out) == [(80, [], ["  vllm-extra:", "    <<: *gpu", "    image: x:1", ""])]
    assert left(out, live) == set()


def test_a_service_added_live_is_written_with_mains_indentation():
    main = "services:\n    app:\n        image: app:1\n"
    live = main + "    db:\n      image: postgres:16\n      ports:\n      - 5432:5432\n"
    out = carry(main, live)
    assert hunks(main, out) == [(3, [], ["    db:", "        image: postgres:16", "        ports:", "            - 5432:5432"])]


# --- secrets -----------------------------------------------------------------------------

def test_a_secret_added_live_in_a_map_becomes_a_reference():
    live = MAP_MAIN.replace('      C: "3"\n', f'      C: "3"\n      OPENAI_API_KEY: {SECRET}\n')
    text, found = compared(MAP_MAIN, live)
    assert [d.secret for d in found] == [True]
    out = apply_compose(MAP_MAIN, text, found)
    assert hunks(MAP_MAIN, out) == [(6, [], ["      OPENAI_API_KEY: ${OPENAI_API_KEY}"])]
    assert SECRET not in out and "<redacted" not in out
    assert left(out, live) == set()


def test_a_secret_added_live_in_a_list_becomes_a_reference_in_mains_list():
    live = LIST_MAIN.replace("      - B=2\n", f"      - B=2\n      - OPENAI_API_KEY={SECRET}\n")
    out = carry(LIST_MAIN, live)
    assert hunks(LIST_MAIN, out) == [(6, [], ["      - OPENAI_API_KEY=${OPENAI_API_KEY}"])]
    assert SECRET not in out and "<redacted" not in out
    assert left(out, live) == set()


def test_a_secret_planted_in_the_example_becomes_a_reference_and_nothing_else_moves():
    live = LIVE.replace("      - STT_BASE_URL=http://vllm-whisper:8001/v1\n",
                        f"      - STT_BASE_URL=http://vllm-whisper:8001/v1\n      - OPENAI_API_KEY={SECRET}\n")
    out = carry(MAIN, live, "/services/voice-agent/environment/OPENAI_API_KEY")
    assert hunks(MAIN, out) == [(73, [], ["      OPENAI_API_KEY: ${OPENAI_API_KEY}"])]
    assert SECRET not in out and "<redacted" not in out


def test_a_service_added_live_with_secrets_in_its_environment_map_gets_references():
    live = TWO_SERVICES + "\n  llm:\n    image: llm:1\n    environment:\n      HF_TOKEN: hf_Xb7Kq2Lm9Rv4Tn8Wc3Pd6Fy1Hs5Jg0Za\n      PORT: \"80\"\n"
    out = carry(TWO_SERVICES, live)
    assert "      HF_TOKEN: ${HF_TOKEN}\n" in out and '      PORT: "80"\n' in out
    assert "hf_Xb7" not in out and "<redacted" not in out
    assert left(out, live) == set()


def test_a_service_added_live_with_secrets_in_its_environment_list_gets_references_by_key():
    live = TWO_SERVICES + "\n  llm:\n    image: llm:1\n    environment:\n      - HF_TOKEN=hf_Xb7Kq2Lm9Rv4Tn8Wc3Pd6Fy1Hs5Jg0Za\n      - PORT=80\n"
    out = carry(TWO_SERVICES, live)
    assert "      - HF_TOKEN=${HF_TOKEN}\n" in out and "      - PORT=80\n" in out
    assert "hf_Xb7" not in out and "<redacted" not in out
    assert left(out, live) == set()


# --- other blocks main spells differently from the host -----------------------------------

def test_a_dependency_condition_added_live_where_main_lists_dependencies():
    main = compose("""
        services:
          app:
            image: app:1
            depends_on: [db]
          db:
            image: postgres:16
    """)
    live = main.replace("    depends_on: [db]\n", "    depends_on:\n      db:\n        condition: service_healthy\n")
    out = carry(main, live)
    assert left(out, live) == set()
    assert all(old in ([], ["    depends_on: [db]"]) for _, old, _ in hunks(main, out))


def test_a_dependency_added_live_where_main_lists_dependencies_is_one_more_entry():
    main = compose("""
        services:
          app:
            image: app:1
            depends_on: [db]
          db:
            image: postgres:16
          cache:
            image: redis:7
    """)
    live = main.replace("depends_on: [db]", "depends_on: [db, cache]")
    out = carry(main, live)
    assert hunks(main, out) == [(3, ["    depends_on: [db]"], ["    depends_on: [db, cache]"])]
    assert left(out, live) == set()


def test_one_dependency_given_a_condition_live_leaves_the_others_as_they_were():
    main = compose("""
        services:
          app:
            depends_on: [db, cache]
          db:
            image: postgres:16
          cache:
            image: redis:7
    """)
    live = main.replace("    depends_on: [db, cache]\n", "    depends_on:\n      db:\n        condition: service_healthy\n      cache: {}\n")
    out = carry(main, live, "/services/app/depends_on/db/condition")
    assert left(out, live) == set()


def test_a_build_setting_added_live_where_main_gives_the_context_alone():
    main = compose("""
        services:
          agent:
            build: ./agent
            restart: always
    """)
    live = main.replace("    build: ./agent\n", "    build:\n      context: ./agent\n      args:\n        PIP_INDEX: https://pypi.internal\n")
    out = carry(main, live)
    assert left(out, live) == set()
    assert all(old in ([], ["    build: ./agent"]) for _, old, _ in hunks(main, out))


# --- settings shared through a YAML anchor ---------------------------------------------------

def test_a_device_a_service_inherits_from_an_anchor_overridden_live_in_that_service_only_leaves_the_anchor_alone():
    # Live, whisper moved to GPU 1 with a deploy block of its own; voxtral stays on the anchor's GPU 0.
    live = MAIN.replace(
        "    image: vllm/vllm-openai:v0.11.0\n",
        "    image: vllm/vllm-openai:v0.11.0\n"
        "    deploy:\n      resources:\n        reservations:\n          devices:\n"
        '            - driver: nvidia\n              device_ids: ["1"]\n              capabilities: [gpu]\n',
    )
    _, found = compared(MAIN, live)
    assert [d.pointer for d in found] == ["/services/vllm-whisper/deploy/resources/reservations/devices"]
    out = carry(MAIN, live)
    assert left(out, live) == set()
    assert out.splitlines()[:14] == MAIN.splitlines()[:14]  # the x-gpu anchor, byte for byte


def test_a_setting_a_service_inherits_from_an_anchor_removed_live_in_that_service_only_leaves_the_anchor_alone():
    main = compose("""
        x-base: &base
          restart: always
          logging:
            driver: json-file
            options:
              max-size: 10m
        services:
          app:
            <<: *base
            image: app:1
          db:
            <<: *base
            image: postgres:16
    """)
    live = main.replace("    <<: *base\n    image: app:1\n", "    <<: *base\n    image: app:1\n    logging:\n      driver: json-file\n")
    out = carry(main, live)
    assert left(out, live) == set()
    assert out.startswith(main[: main.index("services:")])


def test_a_device_changed_live_in_the_anchor_is_carried_in_the_anchor():
    live = MAIN.replace('device_ids: ["0"]', 'device_ids: ["1"]')
    out = carry(MAIN, live, "/x-gpu/deploy/resources/reservations/devices")
    assert hunks(MAIN, out) == [(10, ['            device_ids: ["0"]'], ['            device_ids: ["1"]'])]
    assert left(out, live) == set()


# --- indentation ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("services:\n  app:\n    ports:\n      - 80:80\n", (2, 4, 2)),  # 2 spaces, sequences indented
        ("services:\n  app:\n    ports:\n    - 80:80\n", (2, 2, 0)),  # 2 spaces, sequences not indented
        ("services:\n    app:\n        ports:\n            - 80:80\n", (4, 6, 4)),  # 4 spaces, indented by 4
        ("services:\n    app:\n        ports:\n          - 80:80\n", (4, 4, 2)),  # 4 spaces, indented by 2
        ("services:\n    app:\n        ports:\n        - 80:80\n", (4, 2, 0)),  # 4 spaces, not indented
        ("name: voice\n", (2, 4, 2)),  # nothing nested: 2 and indented sequences, the common style
    ],
)
def test_detect_indent_reads_the_files_own_style(text, expected):
    assert detect_indent(text) == expected


def test_detect_indent_goes_by_the_style_most_of_the_file_uses_and_skips_comments():
    text = "a:\n  # note\n  b:\n    - 1\n  c:\n    - 2\nd:\n      - 3\n"
    assert detect_indent(text) == (2, 4, 2)


def test_the_example_files_are_two_spaces_with_indented_sequences():
    assert detect_indent(MAIN) == (2, 4, 2)
    assert detect_indent(LIVE) == (2, 4, 2)


def test_a_key_added_to_a_four_space_file_is_indented_by_four():
    main = "services:\n    app:\n        image: app:1\n        ports:\n            - 80:80\n"
    live = main.replace("        image: app:1\n", "        image: app:1\n        init: true\n")
    assert hunks(main, carry(main, live)) == [(3, [], ["        init: true"])]


def test_an_item_appended_to_an_unindented_sequence_lines_up_with_its_siblings():
    main = compose("""
        services:
          app:
            command:
            - serve
            - --port
            ports:
            - 80:80
    """)
    live = main.replace("    - --port\n", "    - --port\n    - '8000'\n")
    out = carry(main, live)
    assert hunks(main, out) == [(5, [], ["    - '8000'"])]


def test_a_block_added_to_an_unindented_file_leaves_its_other_sequences_alone():
    main = "services:\n  app:\n    image: app:1\n    ports:\n    - 80:80\n"
    live = main + "    volumes:\n    - data:/data\n"
    out = carry(main, live)
    assert hunks(main, out) == [(5, [], ["    volumes:", "    - data:/data"])]


# --- edited_files: every file of a pull request, each by its own editor --------------------

FILES = {  # repo path -> live path in the example instance
    "voice/docker-compose.yml": "docker-compose.yml",
    "voice/.env.example": ".env",
    "voice/agent/Dockerfile": "agent/Dockerfile",
    "voice/caddy/Caddyfile": "caddy/Caddyfile",
}
EDITORS = {"voice/docker-compose.yml": apply_compose, "voice/.env.example": apply_dotenv,
           "voice/agent/Dockerfile": apply_dockerfile, "voice/caddy/Caddyfile": apply_text}


def snapshot_of(live: dict[str, bytes | None]) -> Snapshot:
    files = tuple(take_file(path.split("/", 1)[1], path, data) for path, data in live.items())
    return Snapshot("dir:instance", "l4", "2026-04-24T18:30:00Z", "test", files)


@pytest.fixture
def example():
    live = {repo: (ROOT / "examples" / "instance" / path).read_bytes() for repo, path in FILES.items()}
    base = {repo: (ROOT / repo).read_text() for repo in FILES}
    return snapshot_of(live), base


def test_edited_files_hands_each_file_to_the_editor_of_its_kind(example):
    snap, base = example
    divergences, errors = compare_snapshot(snap, base)
    assert errors == ()
    out = edited_files(snap, base, divergences)
    assert set(out) == set(FILES)
    for path, text in out.items():
        mine = [d for d in divergences if d.file == path]
        assert text == EDITORS[path](base[path], snap.file(path).text, mine)


def test_edited_files_of_the_whole_example_converge(example):
    snap, base = example
    divergences, _ = compare_snapshot(snap, base)
    edited = edited_files(snap, base, divergences)
    assert compare_snapshot(snap, {**base, **edited}) == ((), ())


def test_edited_files_leaves_out_the_files_no_divergence_touches(example):
    snap, base = example
    divergences, _ = compare_snapshot(snap, base)
    only = [d for d in divergences if d.file == "voice/caddy/Caddyfile"]
    assert set(edited_files(snap, base, only)) == {"voice/caddy/Caddyfile"}


def test_a_file_added_live_is_taken_whole_and_a_file_removed_live_is_deleted():
    snap = snapshot_of({"voice/extra/Caddyfile": b":9000 {\n\trespond ok\n}\n", "voice/gone/Caddyfile": None})
    base = {"voice/extra/Caddyfile": None, "voice/gone/Caddyfile": ":9001 {\n}\n"}
    divergences, _ = compare_snapshot(snap, base)
    assert sorted((d.file, d.kind, d.pointer) for d in divergences) == [
        ("voice/extra/Caddyfile", "added", ""), ("voice/gone/Caddyfile", "removed", "")]
    assert edited_files(snap, base, divergences) == {"voice/extra/Caddyfile": ":9000 {\n\trespond ok\n}\n",
                                                     "voice/gone/Caddyfile": None}


def test_a_compose_file_added_live_reaches_main_with_references_not_redactions():
    live = f"services:\n  app:\n    image: app:1\n    environment:\n      OPENAI_API_KEY: {SECRET}\n".encode()
    snap = snapshot_of({"voice/extra-compose.yml": live})
    divergences, _ = compare_snapshot(snap, {"voice/extra-compose.yml": None})
    text = edited_files(snap, {"voice/extra-compose.yml": None}, divergences)["voice/extra-compose.yml"]
    assert SECRET not in text
    assert "<redacted" not in text
    assert "${OPENAI_API_KEY}" in text


def test_a_network_added_live_where_main_names_none_brings_the_whole_list_so_default_stays():
    main = "services:\n  app:\n    image: a\n"
    live = "services:\n  app:\n    image: a\n    networks: [default, edge]\nnetworks:\n  edge: {}\n"
    out = carry(main, live)
    assert "networks: [default, edge]" in out
    assert left(out, live) == set()
