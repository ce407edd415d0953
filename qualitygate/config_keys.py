"""The keys of [tool.qualitygate] and [tool.qualitygate.ai]: what each accepts, in words for the
error message when it does not."""
from __future__ import annotations

import math
from collections.abc import Callable

from qualitygate.gate.rules import WARNING_NAMES
from qualitygate.suggestions.commandline import command_words


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value: object) -> bool:
    # nan compares false with everything: a nan threshold would silently switch its rule off.
    return _is_number(value) and math.isfinite(value)  # type: ignore[arg-type]


def _rule_names(value: object) -> bool:
    return _is_str_list(value) and all(name in WARNING_NAMES for name in value)  # type: ignore[attr-defined]


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _path_text(value: object) -> bool:
    """A path the OS can open: not blank, and no NUL character (issue 12)."""
    return isinstance(value, str) and bool(value.strip()) and "\0" not in value


def _non_negative_int(value: object) -> bool:
    return _is_int(value) and value >= 0  # type: ignore[operator]


def _non_negative(value: object) -> bool:
    return _finite(value) and value >= 0  # type: ignore[operator]


def _optional_path(value: object) -> bool:
    """A path, or "" for none (issue 14: the coverage file)."""
    return value == "" or _path_text(value)


# key -> (validator, expected-type text). Adding a key means one line here and one Settings field.
KEYS: dict[str, tuple[Callable[[object], bool], str]] = {
    "complexity_threshold": (_non_negative_int, "a non-negative integer"),
    "cognitive_complexity_threshold": (_non_negative_int, "a non-negative integer"),
    "maintainability_threshold": (_finite, "a finite number"),
    "function_maintainability_threshold": (_finite, "a finite number"),
    "enable_dependency_analysis": (lambda v: isinstance(v, bool), "true or false"),
    "count_asserts": (lambda v: isinstance(v, bool), "true or false"),
    "notebooks": (lambda v: isinstance(v, bool), "true or false"),
    "include": (_is_str_list, "a list of glob strings"),
    "exclude": (_is_str_list, "a list of glob strings"),
    "extend_exclude": (_is_str_list, "a list of glob strings"),
    "respect_gitignore": (lambda v: isinstance(v, bool), "true or false"),
    "warning_rules": (_rule_names, "a list of rule codes (QG001-QG005), rule names or metric names"),
    "jobs": (_non_negative_int, "a non-negative integer (0 means one per CPU)"),
    "max_file_bytes": (_non_negative_int, "a non-negative integer"),
    "baseline": (_path_text, "a file path relative to the project root"),
    "overrides": (
        lambda v: isinstance(v, list) and all(isinstance(t, dict) for t in v),
        "an array of tables ([[tool.qualitygate.overrides]])",
    ),
    "track_history": (lambda v: isinstance(v, bool), "true or false"),
    "hotspot_advice": (lambda v: isinstance(v, bool), "true or false"),
    "advice": (lambda v: isinstance(v, bool), "true or false"),
    "honor_noqa": (lambda v: isinstance(v, bool), "true or false"),
    "history_db": (_path_text, "a file path"),
    "history_retention_days": (_non_negative_int, "a non-negative integer (0 keeps every run)"),
    "suggest": (lambda v: isinstance(v, bool), "true or false"),
    "max_suggestions": (_non_negative_int, "a non-negative integer"),
    "ai": (lambda v: isinstance(v, dict), "a table ([tool.qualitygate.ai])"),
    "coverage_file": (_optional_path, "a file path relative to the project root (\"\" is off)"),
    "crap_threshold": (_non_negative, "a non-negative number (0 is off; 30 is the usual value)"),
    "forbid_import_cycles": (lambda v: isinstance(v, bool), "true or false"),
    "class_wmc_threshold": (_non_negative, "a non-negative number"),
    "class_lcom4_threshold": (_non_negative, "a non-negative number"),
    "src": (lambda v: isinstance(v, list) and all(map(_path_text, v)), "a list of folders relative to the project root"),
    "verify_command": (lambda v: command_words(v) is not None, "a command: a list of strings, or one string split as a shell would"),
    "verify_timeout": (lambda v: _finite(v) and v > 0, "a positive number of seconds"),  # type: ignore[operator]
}


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _env_name(value: object) -> bool:
    return isinstance(value, str) and value.isidentifier()


# [tool.qualitygate.ai]: key -> (validator, expected-type text), like KEYS (issue 6).
AI_KEYS: dict[str, tuple[Callable[[object], bool], str]] = {
    "provider": (lambda v: v in ("openai", "azure"), '"openai" or "azure"'),
    "model": (_is_text, "a model name"),
    "deployment": (_is_text, "an Azure deployment name"),
    "base_url": (_is_text, "a URL"),
    "endpoint": (_is_text, "an Azure endpoint URL"),
    "api_version": (_is_text, "an API version string"),
    "api_key_env": (_env_name, "the NAME of an environment variable (never the key itself)"),
    "timeout": (lambda v: _is_number(v) and v > 0, "a positive number of seconds"),  # type: ignore[operator]
    "max_retries": (_non_negative_int, "a non-negative integer"),
    "concurrency": (lambda v: _is_int(v) and v >= 1, "a positive integer"),  # type: ignore[operator]
}
