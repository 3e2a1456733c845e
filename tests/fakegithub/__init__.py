"""A faithful fake GitHub (REST API + git smart HTTP) for the tests; see README.md."""

from .contract import ContractViolation, Violation
from .server import FakeGitHub, LogEntry, default_retry, live_fakes

__all__ = ["FakeGitHub", "ContractViolation", "Violation", "LogEntry", "default_retry",
           "live_fakes"]
