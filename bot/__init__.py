"""drift-bot: keep the live host and the repository in agreement."""
__version__ = "0.1.0"
