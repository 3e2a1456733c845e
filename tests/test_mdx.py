"""MDX escaping, held against the real compiler (@mdx-js/mdx, pinned in tests/mdx/package.json).

Every page goes through `tests/mdx/compile.mjs`, many pages per node process (starting node
costs more than compiling a page). Without node or the installed package the tests skip with
the reason, and fail under CI=true: `bash scripts/setup-node.sh` installs both.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.mdx import WORD_JOINER, mdx, mdx_code, mdx_heading, mdx_prose, yaml_str

MDX_DIR = Path(__file__).parent / "mdx"
SCRIPT = MDX_DIR / "compile.mjs"
PACKAGE = MDX_DIR / "node_modules" / "@mdx-js" / "mdx" / "package.json"
PINNED = json.loads((MDX_DIR / "package.json").read_text())["dependencies"]["@mdx-js/mdx"]

# What a hostile value may hold: MDX syntax, Markdown syntax, HTML, ESM, unicode.
NASTY = ["{", "}", "{x}", "<div>", "</div>", "<!-- c -->", "`", "``", "```", "|", "#", "# h", "import x from \"y\"",
         "export const a = 1", "*", "**", "_", "~~", "[a](b)", "![i](u)", "&amp;", "&#123;", "\\", "\\|", "<", ">",
         "> q", "- ", "1. ", "---", "===", "$x$", "é", "日本", "🎙️", "\u00a0", "\t", "\n", "a\nb", ":::", "{/* */}",
         "<br/>", "http://x.io/<a>", "www.example.com", "<https://x>", "  ", "|a|b|", "\\`"]
hostile = st.lists(
    st.one_of(st.sampled_from(NASTY),
              st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), max_size=6)),
    min_size=1, max_size=6,
).map("".join).filter(lambda s: bool(s.strip()) and len(s) <= 40)


def node_binary() -> str | None:
    """`DRIFT_NODE` (a path or a name on PATH) when set, else `node` on PATH."""
    return shutil.which(os.environ.get("DRIFT_NODE") or "node")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must compile the pages: run `bash scripts/setup-node.sh`")
    pytest.skip(f"{reason} (run `bash scripts/setup-node.sh` to install it)")


def require_compiler() -> str:
    """The node binary, once node and the pinned package are known to be there (else skip/fail)."""
    node = node_binary()
    if node is None:
        _unavailable(f"node is not installed ({os.environ.get('DRIFT_NODE') or 'node'} not found)")
    if not PACKAGE.exists():
        _unavailable(f"@mdx-js/mdx is not installed in {MDX_DIR} (`npm ci` there)")
    return node  # type: ignore[return-value]


@pytest.fixture(scope="session")
def mdx_compiler() -> str:
    """For property tests: decide skip or fail before any example runs (no shrinking a missing node)."""
    return require_compiler()


def compile_pages(pages: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """name -> {ok, error, frontmatter, text, mdx_nodes, headings} from the real MDX compiler."""
    node = require_compiler()
    payload = json.dumps({"pages": [{"name": k, "source": v} for k, v in pages.items()]})
    done = subprocess.run([node, str(SCRIPT)], input=payload, capture_output=True, text=True, cwd=MDX_DIR, timeout=120)
    assert done.returncode == 0, f"the MDX compile script failed: {done.stderr[-2000:]}"
    out = json.loads(done.stdout)
    assert out["mdx"] == PINNED, f"tests/mdx has @mdx-js/mdx {out['mdx']}, package.json pins {PINNED}: run `npm ci` there"
    return {r["name"]: r for r in out["results"]}


# Fumadocs' default page schema (fumadocs-core/source/schema: pageSchema): these keys, these types.
PAGE_SCHEMA = {"title": str, "description": str, "icon": str, "full": bool}


def assert_site_page(result: Mapping[str, Any], page: str) -> None:
    """A page as the docs site wants it: frontmatter that fits the default page schema (a title,
    a description, an icon where given, nothing else), and headings of plain text only (the site
    turns each heading and its "On this page" entry into a link: a link inside one would nest)."""
    meta = assert_valid(result, page)
    assert set(meta) <= set(PAGE_SCHEMA), f"{result['name']}: frontmatter keys {sorted(meta)} beyond the page schema"
    for key, kind in PAGE_SCHEMA.items():
        assert key not in meta or isinstance(meta[key], kind), f"{result['name']}: frontmatter {key} is not a {kind.__name__}"
    for h in result["headings"]:
        assert h["markup"] == [], f"{result['name']}: heading {h['text']!r} holds {h['markup']}\n---\n{page}"
        assert h["depth"] > 1, f"{result['name']}: a `#` heading {h['text']!r} would be a second <h1> beside the title"


def flat(text: str) -> str:
    """Whitespace-insensitive form: Markdown may fold or trim runs of spaces."""
    return re.sub(r"\s+", " ", text).strip()


def assert_valid(result: Mapping[str, Any], page: str, *, expect_frontmatter: bool = True) -> dict[str, Any]:
    """Compiles, holds no JSX/expression/ESM, and (when expected) has YAML frontmatter that parses."""
    assert result["ok"], f"{result['name']} does not compile: {result['error']}\n---\n{page}"
    assert result["mdx_nodes"] == [], f"{result['name']}: a value became MDX code ({result['mdx_nodes']})\n---\n{page}"
    if not expect_frontmatter:
        return {}
    assert result["frontmatter"] is not None, f"{result['name']} has no frontmatter"
    meta = yaml.safe_load(result["frontmatter"])
    assert isinstance(meta, dict) and isinstance(meta.get("title"), str) and isinstance(meta.get("description"), str)
    return meta


def test_the_pinned_compiler_tells_mdx_from_markdown() -> None:
    """The harness itself: an HTML comment is an MDX error, braces are code, escapes are text."""
    out = compile_pages({
        "comment": "Hello <!-- not MDX -->\n",
        "expression": "Hello {1 + 1}\n",
        "escaped": "---\ntitle: t\n---\n\nHello \\{1 + 1\\} \\<div>\n",
    })
    assert not out["comment"]["ok"]
    assert out["expression"]["ok"] and out["expression"]["mdx_nodes"] == ["mdxTextExpression"]
    assert out["escaped"]["ok"] and out["escaped"]["mdx_nodes"] == [] and "Hello {1 + 1} <div>" in out["escaped"]["text"]
    assert out["escaped"]["frontmatter"] == "title: t"


def prose_text(value: str) -> str:
    """What a reader sees of `mdx_prose(value)`: the value without the backticks of its code spans."""
    flat_value = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\r\n\t]", " ", value)
    return re.sub(r"`([^`\n]+)`", r"\1", flat_value)


def test_the_harness_sees_markup_in_headings() -> None:
    out = compile_pages({"h": "## R-3 ([#663](https://example.com/663)) · `x`\n\n### plain \\[a\\](b)\n"})
    linked, plain = out["h"]["headings"]
    assert set(linked["markup"]) == {"link", "inlineCode"} and linked["depth"] == 2
    assert plain == {"depth": 3, "text": "plain [a](b)", "markup": []}


def test_prose_shows_code_spans_as_code_and_the_rest_as_text() -> None:
    message = 'add `:8080 { respond /healthz "ok" 200 }` to voice/caddy/Caddyfile'
    assert mdx_prose(message) == 'add `:8080 { respond /healthz "ok" 200 }` to voice/caddy/Caddyfile'
    assert mdx_prose("a `lone backtick") == "a \\`lone backtick"
    assert mdx_prose("{x} `<y>` *z*") == "\\{x\\} `<y>` \\*z\\*"
    out = compile_pages({"p": mdx_prose(message) + "\n"})
    assert_valid(out["p"], "", expect_frontmatter=False)
    assert flat(out["p"]["text"]) == prose_text(message)


def test_filters_on_known_cases() -> None:
    assert mdx("a{b}<c>") == "a\\{b\\}\\<c\\>"
    assert mdx("# x") == "\\# x"
    assert mdx("import x from 'y'").startswith("&#x69;mport")
    assert mdx("a\nb") == "a b"
    assert mdx_code("a`b") == "``a`b``"
    assert mdx_code("`x`") == "`` `x` ``"
    assert mdx_code("a|b", table=True) == "`a\\|b`"
    tricky = 'a: "b" # c'
    assert yaml.safe_load("t: " + yaml_str(tricky))["t"] == tricky


@settings(max_examples=int(os.environ.get("MDX_EXAMPLES", "4")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(hostile, min_size=12, max_size=12))
def test_hostile_strings_compile_and_round_trip_in_every_filter(mdx_compiler: str, values: list[str]) -> None:
    pages = {}
    for i, v in enumerate(values):
        pages[f"p{i}"] = (
            f"---\ntitle: {yaml_str(v)}\ndescription: {yaml_str(v)}\n---\n\n"
            f"{mdx(v)}\n\n"
            f"- item {mdx(v)} and {mdx_code(v)}\n\n"
            f"## {mdx_heading(v)}\n\n"
            f"| a | b |\n| --- | --- |\n| {mdx(v)} | {mdx_code(v, table=True)} |\n\n"
            f"prose {mdx_prose(v)}\n"
        )
    out = compile_pages(pages)
    for i, v in enumerate(values):
        name = f"p{i}"
        meta = assert_valid(out[name], pages[name])
        assert meta["title"] == re.sub(r"\r\n|\r|\n|\t", " ", v)
        seen = flat(out[name]["text"])
        expected = flat(re.sub(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]", " ", v))
        assert seen.replace(WORD_JOINER, "").count(expected) >= 4, f"{v!r} does not come out as text 4 times: {seen!r}"
        # a heading stays plain text, whatever the value: no link (a bare URL included), no code
        [heading] = out[name]["headings"]
        assert heading["markup"] == [] and flat(heading["text"].replace(WORD_JOINER, "")) == expected, heading
        # prose: the same text, but for the backticks around each code span
        assert flat(prose_text(v)) in seen, f"{v!r} does not come out as prose: {seen!r}"
