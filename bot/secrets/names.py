"""What a name says about the value it holds: a key (`LIVEKIT_API_SECRET`), a flag (`--api-key`).

A name is read word by word (`LIVEKIT_API_SECRET`, `x-api-key`, `accessToken`), so that a count of
tokens (`MAX_TOKENS`, `max-num-batched-tokens`), a tokenizer setting or compose's `secrets:`
section is not taken for a secret, and a last word that says what kind of thing the value is
(`TOKEN_FILE`, `AUTH_MODE`, `KEY_ID`) points away from the secret itself.
"""
from __future__ import annotations

import re
from functools import lru_cache

_NAME_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# Words that hold a secret by themselves, also as the end of a longer word (`APITOKEN`, `DBPASSWORD`).
_STRONG_ENDINGS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "APIKEY", "ACCESSKEY", "PRIVATEKEY", "PASSPHRASE")
_STRONG_WORDS = {"PWD", "PASS", "CREDS", "CREDENTIAL", "CREDENTIALS", "AUTHORIZATION", "COOKIE", "HTPASSWD", "BASICAUTH"}
# Two words that hold a secret together, whatever the value looks like (`API_KEY=/x` is a key).
_STRONG_PAIRS = {("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY"), ("AUTH", "KEY"), ("SESSION", "KEY"),
                 ("SIGNING", "KEY"), ("ENCRYPTION", "KEY"), ("MASTER", "KEY"), ("LICENSE", "KEY"), ("AUTH", "TOKEN")}
# Words that hold a secret only when the value is not a plain setting (a flag, a number, a path):
# `API_KEY` is a key, `AUTH: basic` a choice, `PRIVATE: true` a switch.
_WEAK_WORDS = {"KEY", "AUTH", "PRIVATE", "SIGNATURE", "SALT", "PIN"}
# A last word that says what the value is about, not that it is the secret (`GITHUB_TOKEN_FILE`,
# `TOKEN_TTL`, `AUTH_MODE`, `KEY_ID`): the value is a path, a time, a choice or an identifier.
_POINTER_WORDS = {
    "FILE", "FILES", "PATH", "DIR", "URL", "URI", "ENDPOINT", "NAME", "ID", "HEADER", "ENV", "TTL", "EXPIRY",
    "LENGTH", "LEN", "MODE", "TYPE", "METHOD", "PROVIDER", "ENABLED", "ENABLE", "DISABLED", "DISABLE",
    "REQUIRED", "ALGORITHM", "ALG", "FORMAT", "VERSION", "SIZE", "COUNT", "TIMEOUT", "PORT", "HOST", "USER",
    "USERNAME", "DOMAIN", "REGION", "SCOPE", "SCOPES", "ISSUER", "AUDIENCE", "ROLE", "PREFIX", "KIND", "LEVEL",
    "BITS", "VAR", "FIELD", "PARAM", "LIMIT", "MAX", "MIN", "LIFETIME", "AGE", "STORE", "SERVER", "SERVICE",
}
_SHELL_NAMES = {"PWD", "OLDPWD"}


def _words(name: str) -> list[str]:
    return [w.upper() for w in _NAME_WORDS.findall(name)]


@lru_cache(maxsize=8192)
def name_strength(name: str) -> int:
    """2: the name holds a secret whatever its value; 1: unless the value is a plain setting; 0: no."""
    words = _words(name)
    if not words or words[-1] in _POINTER_WORDS or name.upper() in _SHELL_NAMES:
        return 0
    if any(w in _STRONG_WORDS or w.endswith(_STRONG_ENDINGS) for w in words) or any(
            pair in _STRONG_PAIRS for pair in zip(words, words[1:])):
        return 2
    return 1 if any(w in _WEAK_WORDS for w in words) else 0


def is_secret_name(name: str) -> bool:
    return name_strength(name) > 0


_PLAIN_SETTING = re.compile(
    r"(?i:true|false|yes|no|on|off|none|null|enabled?|disabled?|required|optional|basic|bearer|digest)"
    r"|[-+]?[0-9]{1,6}(?:\.[0-9]+)?"  # a count, a port, a size
    r"|\.{0,2}/[^\s]*"  # a path
)
_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-?+][^}]*)?\}?$")


def is_reference(value: str) -> bool:
    """`${KEY}` and `$KEY` name a secret that lives elsewhere; they are not secrets themselves."""
    return bool(_REFERENCE.match(value.strip()))


def holds_secret(name: str, value: str) -> bool:
    """Whether `value`, held by a key or flag called `name`, is a secret by that name."""
    strength = name_strength(name)
    text = value.strip()
    if not strength or not text or is_reference(text):
        return False
    return strength == 2 or not _PLAIN_SETTING.fullmatch(text)


# Flags that take a secret although their name does not say so, per program (`mysql -pX`,
# `redis-cli -a X`, `curl -u user:pw`); `attached` ones carry the value in the same word.
_PROGRAM_FLAGS = {
    "mysql": {"-p": "attached"}, "mysqldump": {"-p": "attached"}, "mysqladmin": {"-p": "attached"},
    "mariadb": {"-p": "attached"}, "mariadb-dump": {"-p": "attached"}, "mariadb-admin": {"-p": "attached"},
    "redis-cli": {"-a": "next"}, "sshpass": {"-p": "next"},
    "curl": {"-u": "userinfo", "--user": "userinfo", "--proxy-user": "userinfo", "-U": "userinfo"},
    "wget": {"--http-password": "next", "--password": "next"},
}


def program_flags(words: list[str]) -> dict[str, str]:
    """The program-specific secret flags of a command's words (any program named in it)."""
    out: dict[str, str] = {}
    for w in words:
        out.update(_PROGRAM_FLAGS.get(w.rsplit("/", 1)[-1], {}))
    return out


def flag_name(word: str) -> str | None:
    """`--api-key` -> `api-key`; a word that is not a long or short flag -> None."""
    if word.startswith("--") and len(word) > 2:
        return word[2:]
    if word.startswith("-") and len(word) > 1 and not word[1:2].isdigit():
        return word[1:]
    return None
