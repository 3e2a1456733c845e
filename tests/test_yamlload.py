"""bot/compare/yamlload.py: YAML read the way compose (Go, yaml.v3) reads it.

PyYAML alone resolves plain scalars by YAML 1.1; compose does not. Every case here is a
file a person really writes, read to the value compose itself would see.
"""
from __future__ import annotations

import pytest

from bot.compare.yamlload import YamlError, load_yaml


def value_of(plain: str):
    return load_yaml(f"v: {plain}\n")["v"]


# --- YAML 1.1 traps stay what compose reads -------------------------------------------

def test_a_short_port_mapping_is_a_string_not_a_base_60_integer():
    assert load_yaml("ports:\n  - 8080:80\n  - 22:22\n") == {"ports": ["8080:80", "22:22"]}


@pytest.mark.parametrize("plain", ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On"])
def test_yaml_1_1_booleans_stay_strings(plain):
    assert value_of(plain) == plain


def test_a_date_stays_a_string():
    assert value_of("2026-04-24") == "2026-04-24"


def test_a_timestamp_stays_a_string():
    assert value_of("2026-04-24T10:00:00Z") == "2026-04-24T10:00:00Z"


def test_a_version_like_number_with_two_dots_stays_a_string():
    assert value_of("1.2.3") == "1.2.3"


@pytest.mark.parametrize("plain, expected", [("true", True), ("True", True), ("TRUE", True),
                                             ("false", False), ("False", False), ("FALSE", False)])
def test_yaml_1_2_booleans_are_booleans(plain, expected):
    assert value_of(plain) is expected


@pytest.mark.parametrize("plain", ["~", "null", "Null", "NULL", ""])
def test_null_spellings_are_null(plain):
    assert value_of(plain) is None


@pytest.mark.parametrize("plain, expected", [
    ("42", 42),
    ("-7", -7),
    ("+12", 12),
    ("0x1F", 31),
    ("0o17", 15),
])
def test_yaml_1_2_integers_are_integers(plain, expected):
    value = value_of(plain)
    assert value == expected and isinstance(value, int) and not isinstance(value, bool)


@pytest.mark.parametrize("plain, expected", [
    # yaml.v3 keeps these beyond the 1.2 core schema (resolve.go: ParseInt(plain, 0, 64) after
    # removing underscores), so compose reads `UMASK: 0022` as 18 and `1_000` as 1000.
    ("0777", 511),
    ("0022", 18),
    ("1_000", 1000),
    ("0b101", 5),
])
def test_integers_compose_still_reads_from_yaml_1_1(plain, expected):
    assert value_of(plain) == expected


def test_a_leading_zero_number_with_8_or_9_is_a_float_as_in_go():
    value = value_of("08")
    assert value == 8.0 and isinstance(value, float)


@pytest.mark.parametrize("plain", ["0x_", "0b_", "0o_"])
def test_a_base_prefix_without_digits_stays_a_string(plain):
    # Go's ParseInt refuses these, so yaml.v3 keeps the scalar as the string written.
    assert value_of(plain) == plain


@pytest.mark.parametrize("plain, expected", [("0.60", 0.6), ("1e3", 1000.0), (".5", 0.5), ("-1.5", -1.5)])
def test_floats_are_floats(plain, expected):
    value = value_of(plain)
    assert value == expected and isinstance(value, float)


@pytest.mark.parametrize("plain", [".inf", "-.inf", "+.Inf"])
def test_infinities_are_floats(plain):
    assert abs(value_of(plain)) == float("inf")


def test_nan_is_a_float():
    value = value_of(".nan")
    assert isinstance(value, float) and value != value


def test_quoted_scalars_are_always_strings():
    assert load_yaml("a: '8080'\nb: \"true\"\nc: 'null'\n") == {"a": "8080", "b": "true", "c": "null"}


def test_a_merge_key_pulls_in_the_anchored_mapping():
    doc = load_yaml("x: &base\n  a: 1\n  b: 2\ny:\n  <<: *base\n  b: 3\n")
    assert doc["y"] == {"a": 1, "b": 3}


def test_an_empty_document_is_none():
    assert load_yaml("") is None
    assert load_yaml("# only a comment\n") is None


# --- errors name the place ------------------------------------------------------------

def test_malformed_yaml_raises_with_line_and_column():
    with pytest.raises(YamlError) as info:
        load_yaml("services:\n  a:\n    image: [unclosed\n")
    assert info.value.line is not None and info.value.column is not None
    assert f"line {info.value.line}, column {info.value.column}" in str(info.value)


def test_a_bad_indentation_error_points_at_the_offending_line():
    with pytest.raises(YamlError) as info:
        load_yaml("services:\n  a:\n    image: x\n   bad: y\n")
    assert info.value.line == 4


def test_a_tab_used_for_indentation_is_an_error_with_a_place():
    with pytest.raises(YamlError, match=r"line \d+, column \d+"):
        load_yaml("services:\n\ta: 1\n")


def test_a_key_given_twice_in_one_mapping_is_an_error_as_in_compose():
    # yaml.v3 refuses it ("mapping key \"image\" already defined at line 3"), so compose would
    # not start such a file; silently taking the last value would hide that.
    with pytest.raises(YamlError) as info:
        load_yaml("services:\n  a:\n    image: x\n    image: y\n")
    assert info.value.line == 4


def test_a_key_a_merge_brings_in_and_the_mapping_sets_again_is_no_duplicate():
    doc = load_yaml("x: &base\n  a: 1\n  <<: {c: 2}\ny:\n  <<: *base\n  a: 3\n")
    assert doc == {"x": {"a": 1, "c": 2}, "y": {"a": 3, "c": 2}}


def test_a_merge_key_given_twice_is_an_error_as_in_compose():
    # yaml.v3 refuses a second `<<` like any key given twice; several merges go in one list.
    with pytest.raises(YamlError, match="already defined"):
        load_yaml("a: &a {x: 1}\nb: &b {y: 1}\nc:\n  <<: *a\n  <<: *b\n")
    assert load_yaml("a: &a {x: 1}\nb: &b {y: 1}\nc:\n  <<: [*a, *b]\n")["c"] == {"x": 1, "y": 1}


@pytest.mark.parametrize("plain, expected", [
    ("99999999999999999999", 1e20),  # beyond int64 and uint64: Go reads a float
    ("0xFFFFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFFFF"),  # beyond them in hex: Go keeps the string
    ("._", "._"),  # no digit: not a float
    ("1e999", "1e999"),  # beyond float64: Go keeps the string
])
def test_numbers_go_cannot_hold_are_read_as_go_reads_them(plain, expected):
    assert value_of(plain) == expected


def test_an_unknown_tag_is_an_error_not_a_crash():
    with pytest.raises(YamlError):
        load_yaml("a: !!python/object:os.system x\n")


def test_yaml_error_is_a_value_error():
    assert issubclass(YamlError, ValueError)


# --- bounded work: aliases -------------------------------------------------------------

LAUGHS = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
          + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")))


def test_an_alias_bomb_is_refused_at_once_as_compose_refuses_it():
    import time

    assert len(LAUGHS) < 520
    started = time.perf_counter()
    with pytest.raises(YamlError) as caught:
        load_yaml(LAUGHS)
    assert time.perf_counter() - started < 0.5
    assert str(caught.value).startswith("line 1, column 1: document contains excessive aliasing (")
    assert "\n" not in str(caught.value)


def test_ordinary_anchors_and_merges_are_read():
    text = ("x-common: &common {restart: always, environment: {A: '1'}}\n"
            "services:\n" + "".join(f"  s{i}:\n    <<: *common\n    image: img{i}\n" for i in range(200)))
    doc = load_yaml(text)
    assert doc["services"]["s199"] == {"restart": "always", "environment": {"A": "1"}, "image": "img199"}


def test_many_aliases_of_a_small_node_stay_within_the_ratio():
    """yaml.v3 lets a small document be nearly all aliases (99 %): 5,000 `*a` of a mapping are read,
    5,000 of a lone scalar (all but 5 of the nodes aliases) are not."""
    assert len(load_yaml("a: &a {k: v}\nb: [" + ", ".join(["*a"] * 5000) + "]\n")["b"]) == 5000
    with pytest.raises(YamlError, match="excessive aliasing"):
        load_yaml("a: &a x\nb: [" + ", ".join(["*a"] * 5000) + "]\n")


# --- compose's own tags ----------------------------------------------------------------

def test_reset_removes_the_key_also_one_a_merge_brought_in():
    text = ("x-base: &base {image: app, build: ., ports: ['80:80']}\n"
            "services:\n  app:\n    <<: *base\n    build: !reset null\n    ports: !reset []\n")
    assert load_yaml(text)["services"]["app"] == {"image": "app"}


def test_override_stands_as_written():
    text = ("x-base: &base {image: app, ports: ['80:80'], environment: {A: '1', B: '2'}}\n"
            "services:\n  app:\n    <<: *base\n    ports: !override ['8080:80']\n    environment: !override {A: '3'}\n"
            "    user: !override 1000\n")
    app = load_yaml(text)["services"]["app"]
    assert app == {"image": "app", "ports": ["8080:80"], "environment": {"A": "3"}, "user": 1000}


def test_a_compose_file_with_reset_and_override_compares_as_compose_reads_it():
    from bot.compare import compose

    plain = "services:\n  app:\n    image: app\n    ports: ['8080:80']\n"
    tagged = ("x-base: &base {image: app, ports: ['80:80'], build: .}\n"
              "services:\n  app:\n    <<: *base\n    ports: !override ['8080:80']\n    build: !reset null\n")
    assert compose.parsed(tagged)[1]["services"] == compose.parsed(plain)[1]["services"]
