"""What kind of file a tracked path is, for comparing it and for finding its secrets."""
from __future__ import annotations

import fnmatch


def file_kind(repo_path: str) -> str:
    """compose, dotenv, dockerfile or text, by the file's name."""
    name = repo_path.rsplit("/", 1)[-1].lower()
    if fnmatch.fnmatch(name, "*compose*.y*ml"):
        return "compose"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "dotenv"
    if name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile"):
        return "dockerfile"
    return "text"
