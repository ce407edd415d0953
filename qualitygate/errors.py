"""Expected failures and the exit codes they map to (one error boundary, in cli.py)."""
from __future__ import annotations

EXIT_PASS = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process it terminated


class QualityGateError(Exception):
    """An expected failure with a message meant for the user."""

    exit_code = EXIT_USAGE


class ConfigError(QualityGateError):
    """The configuration file or a command-line option is wrong."""


class UsageError(QualityGateError):
    """The command was called wrongly (for example, a path that does not exist)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI job cancelled, a caller's timeout): stopped like Ctrl-C, workers included."""
