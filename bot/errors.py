"""The one error family a user sees: a sentence that names what to fix."""


class DriftError(Exception):
    """A problem the user can act on; rendered as one line by the CLI, never as a traceback."""


class ConfigError(DriftError):
    """`.drift.yml` is missing, malformed or names something that does not exist."""


class SourceError(DriftError):
    """The live side (a folder, an engine, a host) could not be read."""


class SnapshotError(DriftError):
    """A saved snapshot is incomplete, tampered with or of an unknown format."""


class BaseRefError(DriftError):
    """The base side (a git ref in the checkout) could not be read."""
