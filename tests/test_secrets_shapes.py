"""The shape corpus (tests/secret_corpus.py) through every file kind and every YAML spelling.

A shape is hidden wherever it stands, under a name that says nothing (`X_VALUE`): neither the
secret nor any 8-character piece of it is left, the file keeps its lines and reads as before
with placeholders. The look-alikes that fill a voice stack's files pass untouched. Generated
values under secret names, in every spelling, hold the same promise (hypothesis).
"""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.compare.dotenv import parse_dotenv
from bot.compare.yamlload import load_yaml
from bot.secrets import redact
from tests.secret_corpus import NEGATIVES, SHAPES

# Where the secret of a shape is when the shape carries more than the secret (a URL's user and
# host, a header's scheme, a connection string's other fields): the part that must go.
_PART = {
    r"^slack_webhook_url$": r"/services/(.+)$",
    r"^discord_webhook_url$": r"/webhooks/(.+)$",
    r"^url_sentry_dsn$": r"https://([0-9a-f]+)@",
    r"^url_https_user_only_token$": r"https://([^@]+)@",
    r"^url_": r"://[^:/@]*:(.+)@[^@]*$",
    r"^authorization_": r"(?:Bearer|Basic) (.+)$",
    r"^caddy_basic_auth_line$": r"^\S+ (.+)$",
    r"^htpasswd_apr1$": r"^[^:]+:(.+)$",
    r"^vllm_api_key_flag$": r"--api-key (.+)$",
    r"^gcp_service_account_private_key_json$": r"-----BEGIN PRIVATE KEY-----(.+?)-----END",
    r"^azure_storage_connection_string$": r"AccountKey=([^;]+)",
    r"^azure_sas_(token|url)$": r"sig=([^&]+)",
}


# Secret by the name that holds it only: no shape tells a password of symbols from a sentence.
NAME_ONLY = {"plain_password_symbols"}
# A bare hex string in a shell command or a header is a commit or a digest as often as a key:
# hidden under a name, not in `RUN` or after a header's harmless name.
HEX = {"hex_40", "hex_64", "hex_32_twilio_auth_token"}


def placed(name: str, text: str) -> str:
    return text.replace("X_VALUE", "DB_PASSWORD") if name in NAME_ONLY else text


def secret_of(name: str, value: str) -> str:
    for pattern, part in _PART.items():
        if re.search(pattern, name):
            return re.search(part, value, re.S).group(1)
    return value


def pieces(secret: str, n: int = 8) -> list[str]:
    """The secret and every run of n of its characters that is not just a word of the file format."""
    core = secret.replace("\\n", "\n")
    runs = {core[i : i + n] for i in range(max(1, len(core) - n + 1))}
    return [r for r in runs if r.strip() and "\n" not in r and not re.fullmatch(r"-*[A-Z ]*-*", r)]


def assert_hidden(out: str, secret: str, where: str, skeleton: str = "") -> None:
    """No piece of the secret in `out`, but for the file's own words (`skeleton`: the file without it)."""
    left = [p for p in pieces(secret) if p in out and p not in skeleton]
    assert not left, f"{where}: {len(left)} piece(s) of the secret remain, e.g. {left[0]!r}"


def yaml_spellings(value: str) -> dict[str, str]:
    """One compose file per YAML spelling of `value` under the harmless name."""
    quoted = json.dumps(value, ensure_ascii=False)
    single = "'" + value.replace("'", "''") + "'"
    block = "\n".join("        " + line for line in value.split("\n"))
    head = "services:\n  api:\n    image: x\n    environment:\n"
    out = {
        "double-quoted": head + f"      X_VALUE: {quoted}\n",
        "single-quoted": head + f"      X_VALUE: {single}\n",
        "literal block": head + f"      X_VALUE: |\n{block}\n      AFTER: kept\n",
        "next line, quoted": head + f"      X_VALUE:\n        {quoted}\n",
        "tagged": head + f"      X_VALUE: !!str {quoted}\n",
        "anchored and aliased": head + f"      X_VALUE: &v {quoted}\n      OTHER: *v\n",
        "flow mapping": "services:\n  api: {image: x, environment: {X_VALUE: " + quoted + ", B: c}}\n",
        "list entry": head + "      - " + json.dumps("X_VALUE=" + value, ensure_ascii=False) + "\n",
        "command item": "services:\n  api:\n    image: x\n    command: [\"serve\", " + quoted + "]\n",
    }
    if "\n" not in value and not re.search(r"^[-?:,\[\]{}#&*!|>'\"%@`]|: | #|:$", value):
        out["plain"] = head + f"      X_VALUE: {value}\n"
    return out


def other_kinds(value: str) -> dict[tuple[str, str], str]:
    one_line = "\n" not in value
    env_value = json.dumps(value)  # a .env double-quoted value spells escapes as compose reads them
    out = {("dotenv", "quoted"): f"LOG_LEVEL=info\nX_VALUE={env_value}\nAFTER=kept\n",
           ("dotenv", "export"): f"export X_VALUE={env_value}\n"}
    if one_line and " " not in value and "#" not in value:
        out[("dotenv", "plain")] = f"X_VALUE={value}\n"
    if one_line:
        out[("dockerfile", "ENV")] = f"FROM x\nENV X_VALUE={json.dumps(value)}\nRUN true\n"
        out[("dockerfile", "RUN")] = f"FROM x\nRUN echo {json.dumps(value)} > /etc/x\n"
        out[("caddyfile", "header")] = f":80 {{\n\theader X-Value {json.dumps(value)}\n\trespond {json.dumps(value)}\n}}\n"
        out[("text", "line")] = f"note: {value}\n"
    return out


SHAPE_IDS = [s.name for s in SHAPES]


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_every_shape_is_hidden_in_every_yaml_spelling_and_the_file_still_reads(shape):
    secret = secret_of(shape.name, shape.value)
    for spelling, text in yaml_spellings(shape.value).items():
        if shape.name in NAME_ONLY and spelling == "command item":
            continue
        text = placed(shape.name, text)
        done = redact(text, "compose")
        assert_hidden(done.text, secret, f"compose, {spelling}")
        assert done.text.count("\n") == text.count("\n"), spelling
        before, after = load_yaml(text), load_yaml(done.text)
        assert before.keys() == after.keys() and json.dumps(after).count("<redacted") >= 1, spelling


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_every_shape_is_hidden_in_every_other_file_kind(shape):
    secret = secret_of(shape.name, shape.value)
    for (kind, form), text in other_kinds(shape.value).items():
        if (shape.name in HEX and form in ("RUN", "header", "line")) or (shape.name in NAME_ONLY and kind in ("caddyfile", "text")) \
                or (shape.name in NAME_ONLY and form == "RUN"):
            continue
        text = placed(shape.name, text)
        done = redact(text, kind)
        assert_hidden(done.text, secret, f"{kind}, {form}")
        assert done.text.count("\n") == text.count("\n"), (kind, form)
        if kind == "dotenv":
            assert parse_dotenv(done.text).keys() == parse_dotenv(text).keys()


@pytest.mark.parametrize("negative", NEGATIVES, ids=[n.name for n in NEGATIVES])
def test_what_fills_a_voice_stack_passes_untouched(negative):
    value = negative.value
    for spelling, text in yaml_spellings(value).items():
        assert redact(text, "compose").text == text, spelling
    for (kind, form), text in other_kinds(value).items():
        assert redact(text, kind).text == text, (kind, form)


# --- generated values under secret names, in every spelling -----------------------------

_SECRET_NAMES = ["DB_PASSWORD", "LIVEKIT_API_SECRET", "HF_TOKEN", "api_key", "SMTP_PASS", "client-secret"]
# What YAML lets a file hold (its printable characters); a file with others is not YAML at all, and
# is hidden line by line (test_secrets_redact covers that).
_values = st.text(alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\ufeff\ufffe\uffff\x85"),
                  min_size=8, max_size=40).filter(lambda v: v.strip() == v and not v.startswith(("$", "<")))


@settings(max_examples=150, deadline=None)
@given(value=_values, name=st.sampled_from(_SECRET_NAMES))
def test_any_value_under_a_secret_name_is_hidden_in_every_yaml_spelling(value, name):
    for spelling, text in yaml_spellings(value).items():
        if spelling in ("command item",):
            continue  # a bare list item has no name to be judged by
        text = text.replace("X_VALUE", name)
        done = redact(text, "compose")
        assert_hidden(done.text, value, f"{spelling} under {name}", skeleton=text.replace(value, ""))
        assert load_yaml(done.text).keys() == load_yaml(text).keys()


@settings(max_examples=150, deadline=None)
@given(value=_values.filter(lambda v: "\\" not in v), name=st.sampled_from(_SECRET_NAMES[:5]))
def test_any_value_under_a_secret_name_is_hidden_in_a_dotenv_and_a_dockerfile(value, name):
    for (kind, form), text in other_kinds(value).items():
        if kind not in ("dotenv", "dockerfile") or form == "RUN":
            continue
        text = text.replace("X_VALUE", name)
        assert_hidden(redact(text, kind).text, value, f"{kind}, {form} under {name}", skeleton=text.replace(value, ""))


@settings(max_examples=100, deadline=None)
@given(value=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/@:%#!'\"-éü", min_size=8, max_size=30),
       flag=st.sampled_from(["--api-key", "--token", "--password", "--client-secret"]))
def test_any_value_after_a_secret_flag_is_hidden_in_a_command(value, flag):
    # A value spelt like the document's own words (`services`) would take them with it.
    assume(value not in f"services:\n  a:\n    command: serve {flag}" and not value.startswith("--"))
    for text in (f"services:\n  a:\n    command: {json.dumps(['serve', flag, value])}\n",
                 f"services:\n  a:\n    command: {json.dumps(['serve', flag + '=' + value])}\n"):
        done = redact(text, "compose")
        assert_hidden(done.text, value, text, skeleton=text.replace(value, ""))
        assert len(load_yaml(done.text)["services"]["a"]["command"]) == len(load_yaml(text)["services"]["a"]["command"])


def test_the_look_before_detect_secrets_lets_every_string_its_rules_find_through():
    # The probe is ours, the rules are the library's: a rule the probe would hide fails here.
    from bot.secrets.shapes import LIBRARY_PROBE, _library

    combined, patterns = _library()
    strings = [s.value for s in SHAPES] + [line for s in SHAPES for line in s.value.split("\n")]
    strings += [f"{s.name}={s.value}" for s in SHAPES]
    found = [v for v in strings if any(p.search(v) for p in patterns)]
    assert len(found) > 40
    assert [v for v in found if not LIBRARY_PROBE.search(v)] == []
