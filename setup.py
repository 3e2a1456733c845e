"""Packages are found, not listed: a new subpackage of bot/ is installed without anyone having to
remember to name it (a missing one only shows in a non-editable install, such as the action's).
templates/ lives at the repository root, where teams read and fork it, and installs as bot.templates;
schema/ (the JSON Schemas of .drift.yml and manifest.json, which editors read from there) as bot.schema."""
from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["bot", "bot.*"]), "bot.templates", "bot.schema"],
      package_dir={"bot.templates": "templates", "bot.schema": "schema"})
