"""The `drift` command (`bot.cli:main`, also `python -m bot`): options parsed, the stages
called, the result rendered, errors mapped to exit codes. It only wires: every decision is in
the stages it calls."""
from bot.cli import github, local
from bot.cli.app import main

COMMANDS = (github, local)  # each registers its commands on `main` when imported
__all__ = ["COMMANDS", "main"]
