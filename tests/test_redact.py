"""bot/capture/redact.py: secret values are replaced before a capture is stored anywhere.

A secret is caught by the name it is stored under or by the shape of the value, in every
way the tracked files spell an assignment. What is not a secret (model names, digests,
references, counts, ordinary words) comes out exactly as it went in.
"""
from __future__ import annotations

import re

import pytest

from bot.capture.redact import TOKEN_RE, is_reference, is_secret_name, looks_secret, redact_text, token_for
from bot.compare.yamlload import load_yaml

# Planted values, each the shape a real credential has (none is one). Each is assembled from two
# halves so that the source itself holds no token-shaped literal for a secret scanner to stop.
SHAPED = {
    "github classic": "ghp_" "Q7fT2mXw9LkP4sRz8VbN3cJd6HgY1uEa0oWi",
    "github fine-grained": "github_pat_" "11ABCDEFG0aBcDeFgHiJkL_MnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrSt",
    "hugging face": "hf_" "QwErTyUiOpAsDfGhJkLzXcVbNm012345",
    "openai": "sk-proj-" "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    "aws access key": "AKIA" "IOSFODNN7EXAMPLE",
    "high entropy": "Zq8vLmN3pR7sT1uWx4yA6bC9dE2fG5hJ0kM8nQ3r",
}

# Every way a tracked file spells an assignment; {v} is the value, under an ordinary name.
FORMS = {
    ".env": "SOME_SETTING={v}",
    ".env export": "export SOME_SETTING={v}",
    ".env quoted": 'SOME_SETTING="{v}"',
    "compose map": "      SOME_SETTING: {v}",
    "compose map quoted": "      SOME_SETTING: '{v}'",
    "compose list": "      - SOME_SETTING={v}",
    "compose list quoted": '      - "SOME_SETTING={v}"',
    "Dockerfile ENV": "ENV SOME_SETTING={v}",
    "Dockerfile ENV legacy": "ENV SOME_SETTING {v}",
    "Dockerfile ARG": "ARG SOME_SETTING={v}",
    "Caddyfile bearer": '\theader Authorization "Bearer {v}"',
}


def redacted(text: str) -> str:
    return redact_text(text)[0]


# --- secrets by shape, in every form ---------------------------------------------------

@pytest.mark.parametrize("form", FORMS.values(), ids=list(FORMS))
@pytest.mark.parametrize("secret", SHAPED.values(), ids=list(SHAPED))
def test_a_secret_shaped_value_is_gone_in_every_form(form, secret):
    out = redacted(form.format(v=secret) + "\n")
    assert secret not in out
    assert TOKEN_RE.search(out)


def test_a_private_key_block_is_gone_whole():
    block = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
             "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
             "QyNTUxOQAAACDk2bQ1S0u6uYzE8mH2mJj0\n"
             "-----END OPENSSH PRIVATE KEY-----")
    out = redacted(f'DEPLOY_KEY_CONTENT="{block}"\nLOG_LEVEL=info\n')
    assert "b3BlbnNzaC1rZXkt" not in out and "QyNTUxOQ" not in out
    assert "PRIVATE KEY-----\nb3" not in out
    assert out.endswith("LOG_LEVEL=info\n")


@pytest.mark.parametrize("form", [
    "DATABASE_URL=postgres://voice:{pw}@db:5432/voice",
    "      DATABASE_URL: postgres://voice:{pw}@db:5432/voice",
    "      - REDIS_URL=redis://default:{pw}@redis:6379/0",
    "ENV BROKER=amqp://agent:{pw}@rabbit/",
])
def test_a_password_in_a_url_is_gone_and_the_rest_of_the_url_stays(form):
    pw = "hunter2-plain"
    out = redacted(form.format(pw=pw) + "\n")
    assert pw not in out
    assert "@" in out and out.split("@", 1)[1] == form.format(pw=pw).split("@", 1)[1] + "\n"


# --- secrets by name ------------------------------------------------------------------

@pytest.mark.parametrize("line, value", [
    ("LIVEKIT_API_SECRET=correct-horse-battery", "correct-horse-battery"),
    ("export LIVEKIT_API_KEY=APIkeyplain", "APIkeyplain"),
    ("DB_PASSWORD='hunter2 hunter2'", "hunter2 hunter2"),
    ("      GITHUB_TOKEN: plainvalue", "plainvalue"),
    ("      OPENAI_API_KEY: \"plain value\"", "plain value"),
    ("      - LIVEKIT_API_SECRET=plainvalue", "plainvalue"),
    ("ENV NPM_TOKEN=plainvalue", "plainvalue"),
    ("ENV NPM_TOKEN plainvalue", "plainvalue"),
    ("ARG PIP_INDEX_PASSWORD=plainvalue", "plainvalue"),
    ('\theader Authorization "Bearer plainvalue"', "plainvalue"),
    ('\theader Authorization "Bearer 6f1e8a0c2b7d4e9f8a3c5b1d0e2f4a6c8b0d2e4f"', "6f1e8a0c2b7d4e9f8a3c5b1d0e2f4a6c8b0d2e4f"),
    ("\treverse_proxy tts:8000 {\n\t\theader_up Authorization \"Bearer plainvalue\"\n\t}", "plainvalue"),
])
def test_a_value_under_a_secret_name_is_gone(line, value):
    out = redacted(line + "\n")
    assert value not in out
    assert TOKEN_RE.search(out)


def test_a_value_under_a_secret_name_keeps_its_name_and_quotes():
    assert re.fullmatch(r'DB_PASSWORD="<redacted sha256:[0-9a-f]{8}>"\n', redacted('DB_PASSWORD="hunter2"\n'))
    assert re.fullmatch(r"      GITHUB_TOKEN: <redacted sha256:[0-9a-f]{8}>\n", redacted("      GITHUB_TOKEN: plainvalue\n"))


def test_an_inline_comment_after_a_secret_survives():
    out = redacted("LIVEKIT_API_SECRET=plainvalue # rotated monthly\n")
    assert "plainvalue" not in out and out.endswith(" # rotated monthly\n")


def test_a_commented_out_secret_assignment_is_gone_too():
    # An old value kept "for reference" in a comment is still a credential.
    out = redacted("# LIVEKIT_API_SECRET=old-plain-value\nLIVEKIT_API_SECRET=new-plain-value\n")
    assert "old-plain-value" not in out and "new-plain-value" not in out


def test_a_commented_out_shaped_secret_is_gone():
    secret = SHAPED["hugging face"]
    out = redacted(f"# HF_TOKEN={secret}\n")
    assert secret not in out


def test_a_secret_in_a_flow_mapping_keeps_the_mapping_intact():
    out = redacted("    environment: {API_KEY: plainvalue, LOG_LEVEL: info}\n")
    assert "plainvalue" not in out
    assert load_yaml(out)["environment"]["LOG_LEVEL"] == "info"


def test_a_secret_last_in_a_flow_mapping_keeps_the_closing_brace():
    out = redacted("    environment: {LOG_LEVEL: info, API_KEY: plainvalue}\n")
    assert "plainvalue" not in out
    assert set(load_yaml(out)["environment"]) == {"LOG_LEVEL", "API_KEY"}


# (text, what must be gone, what must stay): where a value under a secret name ends.
VALUE_ENDS = {
    "a commented-out YAML secret, beside comment prose": (
        "      # OPENAI_API_KEY: old-plain-value\n      # set the Authorization header in caddy\n",
        ["old-plain-value"], "      # set the Authorization header in caddy\n"),
    "a comma outside a flow collection is part of the value": ("DB_PASSWORD=first,second\n", ["first", "second"], "DB_PASSWORD="),
    "a command-line flag's value is one word": (
        "    command: serve --api-key plainvalue --port 8000\n", ["plainvalue"], " --port 8000\n"),
    "a command-line flag with `=`": ("      - --api-key=plainvalue\n", ["plainvalue"], "      - --api-key=<redacted sha256:"),
    "a legacy Dockerfile ENV holds the rest of the line": (
        "ENV LIVEKIT_API_SECRET plain value with spaces\n", ["plain", "spaces"], "ENV LIVEKIT_API_SECRET <redacted"),
}


@pytest.mark.parametrize("text, gone, kept", VALUE_ENDS.values(), ids=list(VALUE_ENDS))
def test_a_value_under_a_secret_name_ends_where_its_format_ends_it(text, gone, kept):
    out = redacted(text)
    assert not [g for g in gone if g in out] and kept in out


def test_a_block_scalar_under_a_secret_name_is_gone_line_by_line_and_still_parses():
    text = "environment:\n  DB_PASSWORD: |\n    first-line\n    second-line\n  LOG_LEVEL: info\n"
    out = redacted(text)
    assert "first-line" not in out and "second-line" not in out
    assert load_yaml(out)["environment"]["LOG_LEVEL"] == "info"
    assert len(out.splitlines()) == len(text.splitlines())


def test_a_block_named_like_a_secret_keeps_its_structure():
    # A service or a section named like a secret holds settings, not a value to replace.
    text = "services:\n  livekit-token-server: &svc {image: x}\n  token-proxy: {image: y}\n"
    assert redact_text(text) == (text, 0)


def test_two_secrets_on_one_line_are_both_gone():
    out = redacted("ENV DB_PASSWORD=first-plain API_KEY=second-plain\n")
    assert "first-plain" not in out and "second-plain" not in out


# --- what is not a secret survives unchanged --------------------------------------------

@pytest.mark.parametrize("text", [
    "TTS_MODEL=mistralai/Voxtral-Mini-3B-2507\n",
    "      - mistralai/Voxtral-Mini-3B-2507\n",
    "STT_MODEL=openai/whisper-large-v3-turbo\n",
    "    image: vllm/vllm-omni@sha256:" + "3f9a" * 16 + "\n",
    "FROM python:3.11-slim@sha256:" + "0123456789abcdef" * 4 + "\n",
    "      HF_TOKEN: ${HF_TOKEN}\n",
    "      - HF_TOKEN=${HF_TOKEN:-}\n",
    "      LIVEKIT_API_SECRET: $LIVEKIT_API_SECRET\n",
    "TOKEN_TTL=3600\n",
    "GITHUB_TOKEN_FILE=/run/secrets/github_token\n",
    "LOG_LEVEL=info\n",
    "LIVEKIT_URL=wss://voice.example.com/livekit\n",
    "AGENT_INSTRUCTIONS=You are a concise voice assistant; answer in one or two sentences.\n",
    "      test: [\"CMD\", \"curl\", \"-fsS\", \"http://127.0.0.1:8000/health\"]\n",
    "\treverse_proxy vllm-voxtral:8000\n",
    "RUN pip install --no-cache-dir -r requirements.txt livekit-agents==1.2.6\n",
    "HF_HOME=/models/hf\n",
    "      - --gpu-memory-utilization\n      - \"0.55\"\n",
    "secrets:\n  db_password:\n    file: ./secrets/db_password.txt\n",
    "    secrets: [db_password]\n",
    # Prose (a README, a handover page) names secrets without holding them.
    "Read the [credentials checklist](CREDENTIALS-CHECKLIST.md) first.\n",
    "- [ ] `HF_TOKEN`: a read-only Hugging Face token (the models are gated)\n",
    "Authorization is set by Caddy, the token never leaves the host.\n",
    "LIVEKIT_API_SECRET=\n",
    "HF_TOKEN=\n",
])
def test_non_secrets_survive_unchanged(text):
    assert redact_text(text) == (text, 0)


@pytest.mark.parametrize("text", [
    "MAX_TOKENS=512\n",
    "TOKENIZERS_PARALLELISM=false\n",
    "      VLLM_MAX_NUM_BATCHED_TOKENS: \"8192\"\n",
    "    command: vllm serve openai/whisper-large-v3-turbo --max-num-batched-tokens 8192\n",
])
def test_token_counts_and_tokenizer_settings_are_not_secrets(text):
    assert redact_text(text) == (text, 0)


# --- the token --------------------------------------------------------------------------

def test_the_same_secret_gets_the_same_token_everywhere():
    secret = SHAPED["hugging face"]
    out = redacted(f"HF_TOKEN={secret}\n      - HF_TOKEN={secret}\nENV HF_TOKEN {secret}\n")
    tokens = TOKEN_RE.findall(out)
    assert len(tokens) == 3 and len(set(tokens)) == 1


def test_different_secrets_get_different_tokens():
    out = redacted("A_SECRET=first-plain\nB_SECRET=second-plain\n")
    assert len(set(TOKEN_RE.findall(out))) == 2


def test_the_token_is_a_short_hash_that_never_contains_the_value():
    for secret in [*SHAPED.values(), "abc", "hunter2"]:
        token = token_for(secret)
        assert TOKEN_RE.fullmatch(token)
        assert secret not in token


def test_the_count_says_how_many_values_were_replaced():
    assert redact_text("A_SECRET=x1\nB_TOKEN=x2\nLOG_LEVEL=info\n" + f"C={SHAPED['openai']}\n")[1] == 3


def test_redacting_twice_changes_nothing_more():
    text = "".join(form.format(v=secret) + "\n" for form in FORMS.values() for secret in SHAPED.values())
    once, _ = redact_text(text)
    assert redact_text(once) == (once, 0)


# --- the predicates -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["LIVEKIT_API_SECRET", "GITHUB_TOKEN", "HF_TOKEN", "OPENAI_API_KEY", "DB_PASSWORD",
                                  "Authorization", "AWS_SECRET_ACCESS_KEY", "client_secret", "PASSWD",
                                  "LIVEKIT_API_KEY", "MYSQL_PWD", "apiKey", "X-Api-Key", "accessToken", "Set-Cookie",
                                  "--api-key", "DBPASSWORD"])
def test_secret_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["TOKEN_TTL", "GITHUB_TOKEN_FILE", "DB_PASSWORD_FILE", "LOG_LEVEL", "HF_HOME",
                                  "SECRETS_DIR", "TTS_MODEL", "MAX_TOKENS", "TOKENIZERS_PARALLELISM",
                                  "secrets", "max-num-batched-tokens", "PWD", "OLDPWD", "AWS_ACCESS_KEY_ID",
                                  "livekit_tokenizer", "tokens"])
def test_names_that_hold_no_secret(name):
    assert not is_secret_name(name)


@pytest.mark.parametrize("value", ["${HF_TOKEN}", "$HF_TOKEN", "${HF_TOKEN:-}", "${HF_TOKEN:?set it}"])
def test_references_are_not_secrets(value):
    assert is_reference(value)
    assert not looks_secret(value)


@pytest.mark.parametrize("value", list(SHAPED.values()) + ["postgres://u:pw@db/x"])
def test_looks_secret_knows_the_shapes(value):
    assert looks_secret(value)


@pytest.mark.parametrize("value", ["mistralai/Voxtral-Mini-3B-2507", "sha256:" + "ab" * 32, "info",
                                   token_for("x"), "", "http://127.0.0.1:8000/health"])
def test_looks_secret_lets_ordinary_values_pass(value):
    assert not looks_secret(value)
