"""Find pyproject.toml, read [tool.qualitygate], and validate it into a frozen Settings."""
from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, NamedTuple

from qualitygate.config_keys import AI_KEYS, KEYS
from qualitygate.discovery.layout import DEFAULT_SRC, source_roots
from qualitygate.errors import ConfigError
from qualitygate.gate.rules import (
    DEFAULT_COGNITIVE_COMPLEXITY,
    DEFAULT_COMPLEXITY,
    DEFAULT_CRAP,
    DEFAULT_FUNCTION_MAINTAINABILITY,
    DEFAULT_MAINTAINABILITY,
    Thresholds,
)
from qualitygate.metrics.options import MetricOptions
from qualitygate.paths import read_regular
from qualitygate.suggestions.commandline import command_words

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on old interpreters
    import tomli as tomllib

TABLE = "tool.qualitygate"
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


class Override(NamedTuple):
    """One ``[[tool.qualitygate.overrides]]`` table: thresholds for the paths it names (issue 4)."""

    paths: tuple[str, ...]  # gitignore-style globs, relative to the project root
    values: tuple[tuple[str, Any], ...]  # (threshold key, value) in order; a number or a bool


class AISettings(NamedTuple):
    """``[tool.qualitygate.ai]``: the chat-completions server that writes suggestions (issue 6).

    The key itself is never configured here, only the name of the variable that holds it.
    """

    provider: str = "openai"  # "openai" (also Ollama, vLLM...) or "azure"
    model: str | None = None
    deployment: str | None = None  # Azure: the deployment name (defaults to model)
    base_url: str | None = None  # OpenAI-compatible servers; else $OPENAI_BASE_URL
    endpoint: str | None = None  # Azure; else $AZURE_OPENAI_ENDPOINT
    api_version: str | None = None  # Azure; else $OPENAI_API_VERSION
    api_key_env: str | None = None  # else OPENAI_API_KEY or AZURE_OPENAI_API_KEY
    timeout: float = 60.0  # seconds per request
    max_retries: int = 2  # on 429, 5xx and timeouts, with exponential backoff
    concurrency: int = 4  # requests in flight at once


@dataclass(frozen=True)
class Settings:
    """Validated configuration; CLI options are applied on top with ``with_overrides``."""

    complexity_threshold: int = DEFAULT_COMPLEXITY
    cognitive_complexity_threshold: int = DEFAULT_COGNITIVE_COMPLEXITY
    maintainability_threshold: float = DEFAULT_MAINTAINABILITY
    function_maintainability_threshold: float | None = DEFAULT_FUNCTION_MAINTAINABILITY
    enable_dependency_analysis: bool = True
    count_asserts: bool = True  # each assert adds 1 to CC, as in radon; false as mccabe (issue 15)
    notebooks: bool = True  # measure .ipynb code cells; false excludes "*.ipynb" (issue 15)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # the effective list: ``exclude`` then ``extend_exclude`` (issue 16)
    extend_exclude: tuple[str, ...] = ()  # kept apart so that --exclude replaces only ``exclude``
    respect_gitignore: bool = True
    warning_rules: tuple[str, ...] = ()
    jobs: int = 0
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    baseline: str = ".qualitygate-baseline.json"  # relative to the project root (issue 4)
    overrides: tuple[Override, ...] = ()  # per-path thresholds, last match wins (issue 4)
    track_history: bool = False  # record every check in SQLite (issue 5)
    history_db: str = ".qualitygate/history.db"  # relative to the project root
    history_retention_days: int = 30  # runs older than this are pruned; 0 keeps every run
    suggest: bool = False  # AI suggestions on every check (issue 6); --suggest/--no-suggest wins
    max_suggestions: int = 10  # AI requests per run at most
    hotspot_advice: bool = False  # order advice and AI targets by hotspot score (issue 14)
    advice: bool = True  # suggestion lines in the text output (issue 16); --no-advice wins
    honor_noqa: bool = True  # a ruff/flake8 noqa naming C901 on a def line exempts QG001 (issue 16)
    ai: AISettings = field(default_factory=AISettings)
    coverage_file: str = ""  # Cobertura XML or coverage.py JSON, relative to the root (issue 14)
    crap_threshold: float | None = DEFAULT_CRAP  # QG005; 0 is off
    forbid_import_cycles: bool = False  # QG008 on the local import graph (issue 15)
    class_wmc_threshold: float | None = None  # QG006 on a class's WMC; off unless set (issue 15)
    class_lcom4_threshold: float | None = None  # QG007 on a class's LCOM4; off unless set (issue 15)
    src: tuple[str, ...] = DEFAULT_SRC  # folders absolute imports resolve in, as ruff's (issue 15)
    verify_command: tuple[str, ...] = ()  # the tests suggestions run (issue 13); () is pytest's default
    verify_timeout: float = 600.0  # seconds per run of verify_command
    root: Path = field(default_factory=Path.cwd)
    config_path: Path | None = None

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the non-None overrides applied (CLI beats config)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **given)

    def with_excludes(self, exclude: tuple[str, ...] = (), extend: tuple[str, ...] = ()) -> Settings:
        """``--exclude`` (replaces the config's ``exclude``) and ``--extend-exclude`` (adds), as ruff.

        The config's ``extend_exclude`` stays in force under ``--exclude``, as in ruff (issue 16).
        """
        if not exclude and not extend:
            return self
        base = (*exclude, *self.extend_exclude) if exclude else self.exclude
        return replace(self, exclude=(*base, *extend), extend_exclude=(*self.extend_exclude, *extend))

    @property
    def thresholds(self) -> Thresholds:
        """The threshold keys, as the rules read them (before per-path overrides)."""
        thresholds = Thresholds(*(getattr(self, key) for key in Thresholds._fields))
        # 0 is off; so is forbid_import_cycles = false (None, as every rule that is off).
        return thresholds._replace(crap_threshold=self.crap_threshold or None,
                                   forbid_import_cycles=self.forbid_import_cycles or None)


def metric_options(settings: Settings) -> MetricOptions:
    """The settings that change what is measured (and so key the metrics cache)."""
    return MetricOptions(
        enable_dependency_analysis=settings.enable_dependency_analysis,
        local_roots=source_roots(settings.root, settings.src),
        max_file_bytes=settings.max_file_bytes,
        count_asserts=settings.count_asserts,
    )


def find_config(start: Path) -> Path | None:
    """Return the nearest pyproject.toml at or above ``start``, stopping at the repo root."""
    start = start.resolve()
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if candidate.exists():  # a folder or a socket by that name: say so, do not skip upwards
            raise ConfigError(f"{candidate}: is not a file")
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
    if values.get("notebooks") is False:  # discovery skips them, under --exclude too (issue 15)
        values["extend_exclude"] = (*values.get("extend_exclude", ()), "*.ipynb")
    if "extend_exclude" in values:  # Settings.exclude is the effective list (issue 16)
        values["exclude"] = (*values.get("exclude", ()), *values["extend_exclude"])
    return Settings(root=path.resolve().parent, config_path=path, **values)


def _read_toml(path: Path) -> dict[str, Any]:
    """The whole TOML document; every way it can fail is a ConfigError naming the file."""
    try:
        return tomllib.loads(read_regular(path).decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # arrays nested thousands deep: valid TOML no config needs
        raise ConfigError(f"{path}: invalid TOML: nested too deeply to read") from None


def _read_table(path: Path) -> Mapping[str, Any]:
    data = _read_toml(path)
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
    for key in ("include", "exclude", "extend_exclude"):
        for pattern in values.get(key, ()):
            _check_glob(path, f"{prefix}.{key}", pattern)
    if "verify_command" in values:
        values["verify_command"] = command_words(values["verify_command"])
    if "ai" in values:
        values["ai"] = _validate_ai(values["ai"], path, f"{prefix}.ai")
    if "overrides" in values:
        values["overrides"] = parse_overrides(values["overrides"], path, f"{prefix}.overrides")
    return values


def parse_overrides(tables: Any, path: Path, prefix: str) -> tuple[Override, ...]:
    """Validate every override table like the rest of the config; ``prefix`` is the dotted key."""
    return tuple(_parse_override(table, path, f"{prefix}[{index}]") for index, table in enumerate(tables))


def _parse_override(table: Mapping[str, Any], path: Path, prefix: str) -> Override:
    # Besides ``paths``, an override sets thresholds only, nothing that changes what is measured
    # (a per-path ``exclude`` would make discovery depend on overrides).
    allowed = dict.fromkeys(("paths", *Thresholds._fields))
    for key, value in table.items():
        if key not in allowed:
            raise ConfigError(_unknown_key_message(path, prefix, key, allowed))
        check, expected = KEYS[key] if key != "paths" else (_is_glob_list, "a non-empty list of globs")
        if not check(value):
            raise ConfigError(
                f"{path}: {prefix}.{key}: expected {expected}, got {type(value).__name__} {value!r}"
            )
    if "paths" not in table:
        raise ConfigError(f'{path}: {prefix}.paths: missing; each override needs paths = ["glob", ...]')
    for pattern in table["paths"]:
        _check_override_glob(path, f"{prefix}.paths", pattern)
    values = tuple((key, table[key]) for key in table if key != "paths")
    return Override(tuple(table["paths"]), values)


def _is_glob_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _check_override_glob(path: Path, dotted: str, pattern: str) -> None:
    # gitignore syntax reads these as "no pattern", so the override would silently match nothing.
    if not pattern.strip() or pattern.lstrip().startswith("#"):
        raise ConfigError(f"{path}: {dotted}: bad glob {pattern!r}: it matches no path")
    _check_glob(path, dotted, pattern)


def _validate_ai(table: Mapping[str, Any], path: Path, prefix: str) -> AISettings:
    """The ``ai`` sub-table; a bad value is described, not echoed (it might be a pasted key)."""
    for key, value in table.items():
        if key not in AI_KEYS:
            raise ConfigError(_unknown_key_message(path, prefix, key, AI_KEYS))
        check, expected = AI_KEYS[key]
        if not check(value):
            shown = f"a string of {len(value)} characters" if isinstance(value, str) else repr(value)
            raise ConfigError(f"{path}: {prefix}.{key}: expected {expected}, got {shown}")
    return AISettings(**table)


# Names users write from memory of the CLI flags, and the key each one means.
_ALIASES = {
    "threshold": "maintainability_threshold",
    "cognitive_threshold": "cognitive_complexity_threshold",
    "max_complexity": "complexity_threshold",
}


def _unknown_key_message(path: Path, prefix: str, key: str, known: Mapping[str, object]) -> str:
    import difflib  # only for an unknown key's did-you-mean

    message = f"{path}: {prefix}.{key}: unknown key"
    alias = _ALIASES.get(key)
    close = [alias] if alias in known else difflib.get_close_matches(key, list(known), n=1)
    if close:
        return f"{message}; did you mean '{close[0]}'?"
    return f"{message}; known keys: {', '.join(sorted(known))}"


def _check_glob(path: Path, dotted: str, pattern: str) -> None:
    from qualitygate.discovery.globs import check_glob

    try:
        check_glob(pattern)
    except ValueError as exc:
        raise ConfigError(f"{path}: {dotted}: bad glob {exc}") from None  # exc names the pattern


def settings_fields() -> list[str]:
    """Names of every Settings field (used by tests to keep KEYS and Settings in step)."""
    return [f.name for f in fields(Settings)]
