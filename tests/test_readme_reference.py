"""The README's `.drift.yml` reference is the schema's: the table of top-level keys is generated
from schema/drift.schema.json, so the two cannot drift apart; the bundled config names its schema."""
from __future__ import annotations

import re
from pathlib import Path

from bot.config import load_config
from bot.schema_check import load_schema, reference_table

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_shows_the_table_the_schema_makes():
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"<!-- drift-yml-reference -->\n(.*?)<!-- /drift-yml-reference -->", readme, re.S)
    assert shown is not None, "README.md has no drift-yml-reference section"
    assert shown.group(1) == reference_table(), "regenerate it: python -c 'from bot.schema_check import reference_table; print(reference_table())'"


def test_every_top_level_key_of_the_schema_is_in_the_table_once():
    rows = [r for r in reference_table().splitlines()[2:]]
    keys = [re.match(r"\| `([^`]+)`", r).group(1) for r in rows]
    assert keys == list(load_schema("drift")["properties"])


def test_the_bundled_config_names_its_schema_and_is_valid():
    text = (ROOT / ".drift.yml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=schema/drift.schema.json"
    assert load_config(ROOT).files
