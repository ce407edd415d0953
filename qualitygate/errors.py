"""Expected failures and the exit codes they map to (one error boundary, in cli.py)."""
from __future__ import annotations

EXIT_PASS = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class QualityGateError(Exception):
    """An expected failure with a message meant for the user."""

    exit_code = EXIT_USAGE


class ConfigError(QualityGateError):
    """The configuration file or a command-line option is wrong."""


class UsageError(QualityGateError):
    """The command was called wrongly (for example, a path that does not exist)."""
