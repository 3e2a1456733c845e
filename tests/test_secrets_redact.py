"""bot/secrets: secret values are replaced before a capture is stored or compared anywhere.

A secret is caught by the name it is stored under, by the flag before it, or by the shape of the
value, in every way the tracked files spell an assignment, each file read as its own reader reads
it. What is not a secret (model names, digests, references, counts, ordinary words) comes out
exactly as it went in, and the redacted file keeps its lines and still parses.
"""
from __future__ import annotations

import re

import pytest

from bot.compare.dotenv import parse_dotenv
from bot.compare.yamlload import load_yaml
from bot.secrets import PLACEHOLDER_RE, Redactor, is_reference, is_secret_name, redact, secret_spans

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
    ".env": ("dotenv", "SOME_SETTING={v}"),
    ".env export": ("dotenv", "export SOME_SETTING={v}"),
    ".env quoted": ("dotenv", 'SOME_SETTING="{v}"'),
    "compose map": ("compose", "      SOME_SETTING: {v}"),
    "compose map quoted": ("compose", "      SOME_SETTING: '{v}'"),
    "compose list": ("compose", "      - SOME_SETTING={v}"),
    "compose list quoted": ("compose", '      - "SOME_SETTING={v}"'),
    "Dockerfile ENV": ("dockerfile", "ENV SOME_SETTING={v}"),
    "Dockerfile ENV legacy": ("dockerfile", "ENV SOME_SETTING {v}"),
    "Dockerfile ARG": ("dockerfile", "ARG SOME_SETTING={v}"),
    "Caddyfile bearer": ("caddyfile", '\theader Authorization "Bearer {v}"'),
}


def redacted(text: str, kind: str) -> str:
    return redact(text, kind).text


# --- secrets by shape, in every form ---------------------------------------------------

@pytest.mark.parametrize("kind, form", FORMS.values(), ids=list(FORMS))
@pytest.mark.parametrize("secret", SHAPED.values(), ids=list(SHAPED))
def test_a_secret_shaped_value_is_gone_in_every_form(kind, form, secret):
    out = redacted(form.format(v=secret) + "\n", kind)
    assert secret not in out
    assert PLACEHOLDER_RE.search(out)


def test_a_private_key_block_is_gone_whole():
    block = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
             "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
             "QyNTUxOQAAACDk2bQ1S0u6uYzE8mH2mJj0\n"
             "-----END OPENSSH PRIVATE KEY-----")
    text = f'DEPLOY_KEY_CONTENT="{block}"\nLOG_LEVEL=info\n'
    out = redacted(text, "dotenv")
    assert "b3BlbnNzaC1rZXkt" not in out and "QyNTUxOQ" not in out
    assert out.endswith("LOG_LEVEL=info\n") and out.count("\n") == text.count("\n")
    assert parse_dotenv(out)["LOG_LEVEL"].line == 5


@pytest.mark.parametrize("kind, form", [
    ("dotenv", "DATABASE_URL=postgres://voice:{pw}@db:5432/voice"),
    ("compose", "      DATABASE_URL: postgres://voice:{pw}@db:5432/voice"),
    ("compose", "      - REDIS_URL=redis://default:{pw}@redis:6379/0"),
    ("dockerfile", "ENV BROKER=amqp://agent:{pw}@rabbit/"),
])
def test_a_password_in_a_url_is_gone_and_the_rest_of_the_url_stays(kind, form):
    pw = "hunter2-plain"
    out = redacted(form.format(pw=pw) + "\n", kind)
    assert pw not in out
    assert "@" in out and out.split("@", 1)[1] == form.format(pw=pw).split("@", 1)[1] + "\n"


@pytest.mark.parametrize("url, password", [
    ("postgresql://agent:lb/cQ7M/Cd@pg:5432/agent", "lb/cQ7M/Cd"),
    ("mysql://root:uqDE@fGGzRb@mysql:3306/x", "uqDE@fGGzRb"),
    ("amqp://livekit:jQ2r:96AV:Tc@rabbitmq:5672/%2F", "jQ2r:96AV:Tc"),
    ("redis://:04WrBPDTUrv5@redis:6379/0", "04WrBPDTUrv5"),
    ("rediss://default:q9SX%40dA%3AU@cache:6380/1", "q9SX%40dA%3AU"),
])
def test_a_url_password_holding_slashes_colons_and_ats_is_gone_whole(url, password):
    spans = secret_spans(url)
    assert [url[s:e] for s, e in spans] == [password]


# --- secrets by name ------------------------------------------------------------------

@pytest.mark.parametrize("kind, line, value", [
    ("dotenv", "LIVEKIT_API_SECRET=correct-horse-battery", "correct-horse-battery"),
    ("dotenv", "export LIVEKIT_API_KEY=APIkeyplain", "APIkeyplain"),
    ("dotenv", "DB_PASSWORD='hunter2 hunter2'", "hunter2 hunter2"),
    ("compose", "      GITHUB_TOKEN: plainvalue", "plainvalue"),
    ("compose", "      OPENAI_API_KEY: \"plain value\"", "plain value"),
    ("compose", "      - LIVEKIT_API_SECRET=plainvalue", "plainvalue"),
    ("dockerfile", "ENV NPM_TOKEN=plainvalue", "plainvalue"),
    ("dockerfile", "ENV NPM_TOKEN plainvalue", "plainvalue"),
    ("dockerfile", "ARG PIP_INDEX_PASSWORD=plainvalue", "plainvalue"),
    ("caddyfile", '\theader Authorization "Bearer plainvalue"', "plainvalue"),
    ("caddyfile", '\theader Authorization "Bearer 6f1e8a0c2b7d4e9f8a3c5b1d0e2f4a6c8b0d2e4f"', "6f1e8a0c2b7d4e9f8a3c5b1d0e2f4a6c8b0d2e4f"),
    ("caddyfile", "\treverse_proxy tts:8000 {\n\t\theader_up Authorization \"Bearer plainvalue\"\n\t}", "plainvalue"),
    ("caddyfile", "\tbasic_auth /admin/* {\n\t\tops $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG\n\t}",
     "Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT"),
    ("caddyfile", "\tbasicauth {\n\t\tops JDJhJDE0JEg5OXAxOG10eGtoSFVtM2tDcC9kb2xwZm1pYy91NUUzaTQy\n\t}", "JDJhJDE0JEg5OXAx"),
])
def test_a_value_under_a_secret_name_is_gone(kind, line, value):
    out = redacted(line + "\n", kind)
    assert value not in out
    assert PLACEHOLDER_RE.search(out)


def test_a_value_under_a_secret_name_keeps_its_name_and_quotes():
    assert redacted('DB_PASSWORD="hunter2"\n', "dotenv") == 'DB_PASSWORD="<redacted>"\n'
    assert redacted("      GITHUB_TOKEN: plainvalue\n", "compose") == "      GITHUB_TOKEN: <redacted>\n"


def test_an_inline_comment_after_a_secret_survives():
    out = redacted("LIVEKIT_API_SECRET=plainvalue # rotated monthly\n", "dotenv")
    assert "plainvalue" not in out and out.endswith(" # rotated monthly\n")


def test_a_commented_out_secret_assignment_is_gone_too():
    # An old value kept "for reference" in a comment is still a credential.
    out = redacted("# LIVEKIT_API_SECRET=old-plain-value\nLIVEKIT_API_SECRET=new-plain-value\n", "dotenv")
    assert "old-plain-value" not in out and "new-plain-value" not in out


def test_a_commented_out_shaped_secret_is_gone():
    secret = SHAPED["hugging face"]
    for kind in ("dotenv", "compose", "dockerfile", "caddyfile"):
        assert secret not in redacted(f"# HF_TOKEN={secret}\n", kind)


def test_a_secret_in_a_flow_mapping_keeps_the_mapping_intact():
    out = redacted("    environment: {API_KEY: plainvalue, LOG_LEVEL: info}\n", "compose")
    assert "plainvalue" not in out
    assert load_yaml(out)["environment"]["LOG_LEVEL"] == "info"


def test_a_secret_last_in_a_flow_mapping_keeps_the_closing_brace():
    out = redacted("    environment: {LOG_LEVEL: info, API_KEY: plainvalue}\n", "compose")
    assert "plainvalue" not in out
    assert set(load_yaml(out)["environment"]) == {"LOG_LEVEL", "API_KEY"}


# (kind, text, what must be gone, what must stay): where a value under a secret name ends.
VALUE_ENDS = {
    "a commented-out YAML secret, beside comment prose": (
        "compose", "      # OPENAI_API_KEY: old-plain-value\n      # set the Authorization header in caddy\n",
        ["old-plain-value"], "      # set the Authorization header in caddy\n"),
    "a comma outside a flow collection is part of the value": (
        "dotenv", "DB_PASSWORD=first,second\n", ["first", "second"], "DB_PASSWORD="),
    "a command-line flag's value is one word": (
        "compose", "    command: serve --api-key plainvalue --port 8000\n", ["plainvalue"], " --port 8000\n"),
    "a command-line flag with `=`": ("compose", "      - --api-key=plainvalue\n", ["plainvalue"], "      - --api-key=<redacted"),
    "a legacy Dockerfile ENV holds the rest of the line": (
        "dockerfile", "ENV LIVEKIT_API_SECRET plain value with spaces\n", ["plain", "spaces"], "ENV LIVEKIT_API_SECRET <redacted"),
}


@pytest.mark.parametrize("kind, text, gone, kept", VALUE_ENDS.values(), ids=list(VALUE_ENDS))
def test_a_value_under_a_secret_name_ends_where_its_format_ends_it(kind, text, gone, kept):
    out = redacted(text, kind)
    assert not [g for g in gone if g in out] and kept in out


def test_a_block_scalar_under_a_secret_name_is_gone_and_the_file_keeps_its_lines():
    text = "environment:\n  DB_PASSWORD: |\n    first-line\n    second-line\n  LOG_LEVEL: info\n"
    out = redacted(text, "compose")
    assert "first-line" not in out and "second-line" not in out
    assert load_yaml(out) == {"environment": {"DB_PASSWORD": "<redacted>", "LOG_LEVEL": "info"}}
    assert len(out.splitlines()) == len(text.splitlines())


def test_a_block_named_like_a_secret_keeps_its_structure():
    # A service or a section named like a secret holds settings, not a value to replace.
    text = "services:\n  livekit-token-server: &svc {image: x}\n  token-proxy: {image: y}\n"
    assert redact(text, "compose").text == text


def test_two_secrets_on_one_line_are_both_gone():
    out = redacted("ENV DB_PASSWORD=first-plain API_KEY=second-plain\n", "dockerfile")
    assert "first-plain" not in out and "second-plain" not in out


# --- the YAML spellings the issue named, one by one ----------------------------------

SPELLINGS = {
    "the value on the next line": ("      SMTP_PASSWORD:\n        hunter2hunter2\n", "hunter2hunter2"),
    "an explicit tag": ("      API_TOKEN: !!str 9f2cq1w2e3r4\n", "9f2cq1w2e3r4"),
    "an anchor, and its alias elsewhere": ("      DB_PASSWORD: &pw s3cr3tXYZ\n      OTHER: *pw\n", "s3cr3tXYZ"),
    "an alias under a secret name": ("      X_VALUE: &v s3cr3tXYZ\n      DB_PASSWORD: *v\n", "s3cr3tXYZ"),
    "a flag in a command list": ('    command: ["serve", "--api-key", "tok-abc123"]\n', "tok-abc123"),
    "a flag with = in a command list": ('    command: ["serve", "--token=tok-abc123"]\n', "tok-abc123"),
    "a flag in a command string": ("    command: serve --password tok-abc123 --port 80\n", "tok-abc123"),
    "a folded block": ("      API_SECRET: >\n        first part\n        second part\n", "first part"),
    "a double-quoted value over two lines": ('      API_SECRET: "first\n        second"\n', "first"),
    "a plain value over two lines": ("      API_SECRET: first-part\n        second-part\n", "second-part"),
    "a single-quoted value with an escaped quote": ("      API_SECRET: 'it''s-a-secret'\n", "it's-a-secret"),
    "a double-quoted value with an escape": ('      API_SECRET: "a\\"b-secret-value"\n', 'a"b-secret-value'),
    "a flow mapping": ("    environment: {API_SECRET: inline-secret, B: c}\n", "inline-secret"),
    "mysql's attached -p": ('    command: ["sh", "-c", "mysql -uroot -pS3cr3tPw db"]\n', "S3cr3tPw"),
    "curl's -u user:password": ("    healthcheck:\n      test: curl -u admin:pw123456 http://x\n", "pw123456"),
}


@pytest.mark.parametrize("text, secret", SPELLINGS.values(), ids=list(SPELLINGS))
def test_every_yaml_spelling_of_a_secret_is_gone_and_the_file_still_reads(text, secret):
    text = "services:\n  api:\n    image: x\n" + text.replace("      ", "      ", 1)
    if text.count("\n      ") and "environment" not in text and "healthcheck" not in text and "command" not in text:
        text = text.replace("    image: x\n", "    image: x\n    environment:\n", 1)
    out = redacted(text, "compose")
    assert secret not in out and secret.split()[0] not in out
    assert out.count("\n") == text.count("\n")
    before, after = load_yaml(text), load_yaml(out)
    assert _shape(before) == _shape(after)  # the same keys and list lengths, placeholders for values


def _shape(doc):
    if isinstance(doc, dict):
        return {k: _shape(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_shape(v) for v in doc]
    return type(doc).__name__ if not isinstance(doc, str) else "str"


def test_an_escaped_quote_in_a_healthcheck_is_read_not_eaten():
    text = 'services:\n  a:\n    healthcheck:\n      test: ["CMD-SHELL", "curl -H \\"X-Check: 1\\" http://x || exit 1"]\n'
    assert redact(text, "compose").text == text
    assert load_yaml(text)["services"]["a"]["healthcheck"]["test"][1] == 'curl -H "X-Check: 1" http://x || exit 1'


def test_a_secret_repeated_in_a_comment_is_gone_there_too():
    out = redacted("x:\n  DB_PASSWORD: s3cr3tXYZ   # was s3cr3tXYZ before the rotation\n", "compose")
    assert "s3cr3tXYZ" not in out and out.endswith("before the rotation\n")


def test_an_alias_bomb_is_read_without_expanding_it():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    assert redact(bomb, "compose").text == bomb


# --- what is not a secret survives unchanged --------------------------------------------

@pytest.mark.parametrize("kind, text", [
    ("dotenv", "TTS_MODEL=mistralai/Voxtral-Mini-3B-2507\n"),
    ("compose", "      - mistralai/Voxtral-Mini-3B-2507\n"),
    ("dotenv", "STT_MODEL=openai/whisper-large-v3-turbo\n"),
    ("compose", "    image: vllm/vllm-omni@sha256:" + "3f9a" * 16 + "\n"),
    ("dockerfile", "FROM python:3.11-slim@sha256:" + "0123456789abcdef" * 4 + "\n"),
    ("compose", "      HF_TOKEN: ${HF_TOKEN}\n"),
    ("compose", "      - HF_TOKEN=${HF_TOKEN:-}\n"),
    ("compose", "      LIVEKIT_API_SECRET: $LIVEKIT_API_SECRET\n"),
    ("dotenv", "TOKEN_TTL=3600\n"),
    ("dotenv", "GITHUB_TOKEN_FILE=/run/secrets/github_token\n"),
    ("dotenv", "LOG_LEVEL=info\n"),
    ("dotenv", "AUTH_MODE=basic\n"),
    ("dotenv", "PRIVATE_NETWORK=true\n"),
    ("dotenv", "LIVEKIT_URL=wss://voice.example.com/livekit\n"),
    ("dotenv", "AGENT_INSTRUCTIONS=You are a concise voice assistant; answer in one or two sentences.\n"),
    ("compose", "      test: [\"CMD\", \"curl\", \"-fsS\", \"http://127.0.0.1:8000/health\"]\n"),
    ("caddyfile", "\treverse_proxy vllm-voxtral:8000\n"),
    ("dockerfile", "RUN pip install --no-cache-dir -r requirements.txt livekit-agents==1.2.6\n"),
    ("dotenv", "HF_HOME=/models/hf\n"),
    ("compose", "      - --gpu-memory-utilization\n      - \"0.55\"\n"),
    ("compose", "secrets:\n  db_password:\n    file: ./secrets/db_password.txt\n"),
    ("compose", "    secrets: [db_password]\n"),
    ("compose", "    command: [\"docker\", \"run\", \"-p\", \"8080:80\", \"-u\", \"1000\", \"x\"]\n"),
    # Prose (a README, a handover page) names secrets without holding them.
    ("text", "Read the [credentials checklist](CREDENTIALS-CHECKLIST.md) first.\n"),
    ("text", "- [ ] `HF_TOKEN`: a read-only Hugging Face token (the models are gated)\n"),
    ("text", "Authorization is set by Caddy, the token never leaves the host.\n"),
    ("dotenv", "LIVEKIT_API_SECRET=\n"),
    ("dotenv", "HF_TOKEN=\n"),
])
def test_non_secrets_survive_unchanged(kind, text):
    assert redact(text, kind).text == text


@pytest.mark.parametrize("kind, text", [
    ("dotenv", "MAX_TOKENS=512\n"),
    ("dotenv", "TOKENIZERS_PARALLELISM=false\n"),
    ("compose", "      VLLM_MAX_NUM_BATCHED_TOKENS: \"8192\"\n"),
    ("compose", "    command: vllm serve openai/whisper-large-v3-turbo --max-num-batched-tokens 8192\n"),
])
def test_token_counts_and_tokenizer_settings_are_not_secrets(kind, text):
    assert redact(text, kind).count == 0


# --- the placeholder --------------------------------------------------------------------

def test_without_a_key_a_placeholder_says_nothing_of_the_value():
    out = redacted("A_SECRET=first-plain\nB_SECRET=hunter2\n", "dotenv")
    assert PLACEHOLDER_RE.findall(out) == ["<redacted>", "<redacted>"]


def test_with_the_hosts_key_the_same_secret_gets_the_same_placeholder_everywhere():
    key = Redactor(b"kept on the host")
    secret = SHAPED["hugging face"]
    tokens = [redact(text, kind, key).text for kind, text in
              [("dotenv", f"HF_TOKEN={secret}\n"), ("compose", f"      - HF_TOKEN={secret}\n"), ("dockerfile", f"ENV HF_TOKEN {secret}\n")]]
    found = [PLACEHOLDER_RE.search(t).group() for t in tokens]
    assert len(set(found)) == 1 and found[0].startswith("<redacted hmac:")
    assert key.same(found[0], secret) is True and key.same(found[0], "another") is False
    assert Redactor().same(found[0], secret) is None


def test_a_keyed_placeholder_cannot_be_reversed_without_the_key():
    # An unsalted digest of a weak password is found by hashing a word list; a keyed one is not.
    weak = "hunter2"
    assert Redactor(b"one host").placeholder(weak) != Redactor(b"another host").placeholder(weak)
    for secret in [*SHAPED.values(), "abc", weak]:
        token = Redactor(b"k").placeholder(secret)
        assert PLACEHOLDER_RE.fullmatch(token) and secret not in token


def test_an_old_unsalted_placeholder_becomes_a_plain_one():
    assert redacted("HF_TOKEN=<redacted sha256:0b9e20fd>\n", "dotenv") == "HF_TOKEN=<redacted>\n"


def test_the_count_says_how_many_values_were_replaced():
    assert redact("A_SECRET=x1\nB_TOKEN=x2\nLOG_LEVEL=info\n" + f"C={SHAPED['openai']}\n", "dotenv").count == 3


@pytest.mark.parametrize("kind", ["dotenv", "compose", "dockerfile", "caddyfile"])
def test_redacting_twice_changes_nothing_more(kind):
    text = "".join(form.format(v=secret) + "\n" for k, form in FORMS.values() if k == kind for secret in SHAPED.values())
    if kind == "compose":
        text = "x:\n" + re.sub(r"^      - ", "  y", text, flags=re.M).replace("      ", "  ")
        text = "".join(f"  k{i}{line[line.index(':'):] if ':' in line else ': ' + line.strip()}\n"
                       for i, line in enumerate(text.splitlines()[1:]))
        text = "x:\n" + text
    once = redact(text, kind)
    assert once.count and redact(once.text, kind).text == once.text


# --- the predicates -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["LIVEKIT_API_SECRET", "GITHUB_TOKEN", "HF_TOKEN", "OPENAI_API_KEY", "DB_PASSWORD",
                                  "Authorization", "AWS_SECRET_ACCESS_KEY", "client_secret", "PASSWD",
                                  "LIVEKIT_API_KEY", "MYSQL_PWD", "apiKey", "X-Api-Key", "accessToken", "Set-Cookie",
                                  "--api-key", "DBPASSWORD", "SMTP_PASS", "auth", "PRIVATE_KEY", "SIGNING_KEY"])
def test_secret_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["TOKEN_TTL", "GITHUB_TOKEN_FILE", "DB_PASSWORD_FILE", "LOG_LEVEL", "HF_HOME",
                                  "SECRETS_DIR", "TTS_MODEL", "MAX_TOKENS", "TOKENIZERS_PARALLELISM",
                                  "secrets", "max-num-batched-tokens", "PWD", "OLDPWD", "AWS_ACCESS_KEY_ID",
                                  "livekit_tokenizer", "tokens", "AUTH_MODE", "KEY_ID"])
def test_names_that_hold_no_secret(name):
    assert not is_secret_name(name)


@pytest.mark.parametrize("value", ["${HF_TOKEN}", "$HF_TOKEN", "${HF_TOKEN:-}", "${HF_TOKEN:?set it}"])
def test_references_are_not_secrets(value):
    assert is_reference(value)
    assert not secret_spans(value)


@pytest.mark.parametrize("value", list(SHAPED.values()) + ["postgres://u:pw@db/x"])
def test_the_shapes_are_known(value):
    assert secret_spans(value)


@pytest.mark.parametrize("value", ["mistralai/Voxtral-Mini-3B-2507", "sha256:" + "ab" * 32, "info",
                                   "<redacted hmac:0123abcd>", "", "http://127.0.0.1:8000/health"])
def test_ordinary_values_pass(value):
    assert not secret_spans(value)


def test_a_file_declared_a_caddyfile_is_read_as_one_for_its_secrets():
    from bot.kinds import declare
    from bot.secrets import redaction_kind

    try:
        declare({"voice/proxy.conf": "text"}, {"voice/proxy.conf": "caddyfile"})
        assert redaction_kind("voice/proxy.conf") == "caddyfile"
        text = "\tbasic_auth {\n\t\tops s3cr3t-hash-of-ops\n\t}\n"
        assert "s3cr3t-hash-of-ops" not in redact(text, redaction_kind("voice/proxy.conf")).text
    finally:
        declare({})
    assert redaction_kind("voice/proxy.conf") == "text"
