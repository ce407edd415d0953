"""Find pyproject.toml, read [tool.qualitygate], and validate it into a frozen Settings."""
from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from qualitygate.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on old interpreters
    import tomli as tomllib

TABLE = "tool.qualitygate"
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Validated configuration; CLI options are applied on top with ``with_overrides``."""

    complexity_threshold: int = 10
    cognitive_complexity_threshold: int = 15
    maintainability_threshold: float = 65.0
    function_maintainability_threshold: float | None = None
    enable_dependency_analysis: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    warning_rules: tuple[str, ...] = ()
    jobs: int = 0
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    root: Path = field(default_factory=Path.cwd)
    config_path: Path | None = None

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the non-None overrides applied (CLI beats config)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **given)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _non_negative_int(value: object) -> bool:
    return _is_int(value) and value >= 0  # type: ignore[operator]


# key -> (validator, expected-type text). Adding a key means one line here and one Settings field.
KEYS: dict[str, tuple[Callable[[object], bool], str]] = {
    "complexity_threshold": (_non_negative_int, "a non-negative integer"),
    "cognitive_complexity_threshold": (_non_negative_int, "a non-negative integer"),
    "maintainability_threshold": (_is_number, "a number"),
    "function_maintainability_threshold": (_is_number, "a number"),
    "enable_dependency_analysis": (lambda v: isinstance(v, bool), "true or false"),
    "include": (_is_str_list, "a list of glob strings"),
    "exclude": (_is_str_list, "a list of glob strings"),
    "respect_gitignore": (lambda v: isinstance(v, bool), "true or false"),
    "warning_rules": (_is_str_list, "a list of rule codes or metric names"),
    "jobs": (_non_negative_int, "a non-negative integer (0 means one per CPU)"),
    "max_file_bytes": (_non_negative_int, "a non-negative integer"),
}


def find_config(start: Path) -> Path | None:
    """Return the nearest pyproject.toml at or above ``start``, stopping at the repo root."""
    start = start.resolve()
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if (directory / ".git").exists() or (directory / ".hg").exists():
            return None
    return None


def find_root(start: Path) -> Path:
    """The project root: the nearest folder with pyproject.toml or .git, else ``start``."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if any((directory / marker).exists() for marker in ("pyproject.toml", ".git", ".hg")):
            return directory
    return start


def load_settings(config: Path | None = None, start: Path | None = None) -> Settings:
    """Read the explicit ``config`` file, or the nearest pyproject.toml above ``start``."""
    start = start or Path.cwd()
    path = config if config is not None else find_config(start)
    if path is None:
        return Settings(root=find_root(start))
    table = _read_table(path)
    values = validate_table(table, path)
    return Settings(root=path.resolve().parent, config_path=path, **values)


def _read_table(path: Path) -> Mapping[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    # pyproject.toml keeps our keys under [tool.qualitygate]; a dedicated file (--config) may
    # use that table too, or put the keys at its top level.
    tool = data.get("tool", {})
    if path.name == "pyproject.toml" or (isinstance(tool, dict) and "qualitygate" in tool):
        table: Any = tool.get("qualitygate", {}) if isinstance(tool, dict) else {}
    else:
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{TABLE}] must be a table")
    return table


def validate_table(table: Mapping[str, Any], path: Path, prefix: str = TABLE) -> dict[str, Any]:
    """Check every key and type; return Settings keyword arguments."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            raise ConfigError(_unknown_key_message(path, prefix, key, KEYS))
        check, expected = KEYS[key]
        if not check(value):
            raise ConfigError(
                f"{path}: {prefix}.{key}: expected {expected}, got {type(value).__name__} {value!r}"
            )
        values[key] = tuple(value) if isinstance(value, list) else value
    for key in ("include", "exclude"):
        for pattern in values.get(key, ()):
            _check_glob(path, f"{prefix}.{key}", pattern)
    return values


def _unknown_key_message(path: Path, prefix: str, key: str, known: Mapping[str, object]) -> str:
    message = f"{path}: {prefix}.{key}: unknown key"
    close = difflib.get_close_matches(key, list(known), n=1)
    if close:
        return f"{message}; did you mean '{close[0]}'?"
    return f"{message}; known keys: {', '.join(sorted(known))}"


def _check_glob(path: Path, dotted: str, pattern: str) -> None:
    from qualitygate.globs import compile_globs

    try:
        compile_globs([pattern])
    except ValueError as exc:
        raise ConfigError(f"{path}: {dotted}: bad glob {pattern!r}: {exc}") from None


def settings_fields() -> list[str]:
    """Names of every Settings field (used by tests to keep KEYS and Settings in step)."""
    return [f.name for f in fields(Settings)]
