"""``--exclude``, ``--extend-exclude`` and the ``extend_exclude`` key, as ruff has them (issue 16)."""
from __future__ import annotations

from pathlib import Path

import pytest

from qualitygate.config import Settings, load_settings

CONFIG = "[tool.qualitygate]\nexclude = ['gen/**']\nextend_exclude = ['src/b.py']\n"
FILES = {"pyproject.toml": CONFIG, "gen/g.py": "x = 1\n", "src/a.py": "x = 1\n", "src/b.py": "x = 1\n"}


def _measured(cli, root: Path, *args: str) -> list[str]:
    result = cli("check", "--no-cache", "-f", "json", *args, cwd=root)
    assert result.code == 0, result.out + result.err
    return sorted(f["path"] for f in result.json()["files"])


def test_extend_exclude_key_adds_to_exclude(project) -> None:
    settings = load_settings(start=project(FILES))
    assert settings.exclude == ("gen/**", "src/b.py")
    assert settings.extend_exclude == ("src/b.py",)


def test_config_alone(project, cli) -> None:
    assert _measured(cli, project(FILES)) == ["src/a.py"]


def test_exclude_option_replaces_exclude_but_keeps_extend_exclude(project, cli) -> None:
    assert _measured(cli, project(FILES), "--exclude", "src/a.py") == ["gen/g.py"]


def test_exclude_option_is_repeatable(project, cli) -> None:
    root = project(FILES)
    assert _measured(cli, root, "--exclude", "src/a.py", "--exclude", "gen/") == []


def test_extend_exclude_option_adds(project, cli) -> None:
    root = project(FILES)
    assert _measured(cli, root, "--extend-exclude", "src/a.py") == []
    assert _measured(cli, root, "--exclude", "x.py", "--extend-exclude", "gen/**") == ["src/a.py"]


def test_with_excludes() -> None:
    base = Settings(exclude=("a", "b"), extend_exclude=("b",))
    assert base.with_excludes() is base
    assert base.with_excludes(("c",)).exclude == ("c", "b")
    assert base.with_excludes((), ("d",)).exclude == ("a", "b", "d")
    assert base.with_excludes(("c",), ("d",)).extend_exclude == ("b", "d")


def test_bad_glob_option_is_a_usage_error(project, cli) -> None:
    result = cli("check", "--extend-exclude", "\\", cwd=project(FILES))
    assert result.code == 2
    assert "--extend-exclude: bad glob" in result.err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("extend_exclude = 'x'", "tool.qualitygate.extend_exclude: expected a list of glob strings"),
        ("extend_exclude = ['\\']", "tool.qualitygate.extend_exclude: bad glob"),
    ],
)
def test_bad_extend_exclude_key(project, cli, line: str, message: str) -> None:
    result = cli("check", cwd=project({"pyproject.toml": f"[tool.qualitygate]\n{line}\n", "a.py": ""}))
    assert result.code == 2
    assert message in result.err
