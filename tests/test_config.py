"""Config discovery and validation: every bad config exits 2 naming the file and dotted key."""
from __future__ import annotations

from pathlib import Path

import pytest

from qualitygate.config import KEYS, Settings, find_config, load_settings, settings_fields
from qualitygate.errors import ConfigError

pytestmark = pytest.mark.crossversion  # also run on every other supported Python (.ci/run)


def test_every_key_is_a_settings_field() -> None:
    assert set(KEYS) <= set(settings_fields())


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    settings = load_settings(start=tmp_path)
    assert settings == Settings(root=tmp_path.resolve())
    assert settings.complexity_threshold == 10
    assert settings.cognitive_complexity_threshold == 15
    assert settings.maintainability_threshold == 65.0
    assert settings.function_maintainability_threshold is None
    assert settings.enable_dependency_analysis is True


def test_nearest_pyproject_walking_up(project) -> None:
    root = project(
        {
            "pyproject.toml": "[tool.qualitygate]\ncomplexity_threshold = 7\nexclude = ['gen/**']\n",
            "pkg/sub/mod.py": "x = 1\n",
        }
    )
    settings = load_settings(start=root / "pkg" / "sub")
    assert settings.complexity_threshold == 7
    assert settings.exclude == ("gen/**",)
    assert settings.root == root.resolve()


def test_walk_stops_at_repo_root(project) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\ncomplexity_threshold = 7\n", "repo/a.py": ""})
    (root / "repo" / ".git").mkdir()
    assert find_config(root / "repo") is None


def test_explicit_config_file_top_level_keys(project) -> None:
    root = project({"qg.toml": "cognitive_complexity_threshold = 3\n"})
    assert load_settings(root / "qg.toml").cognitive_complexity_threshold == 3


def test_overrides_beat_config(project) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\nmaintainability_threshold = 50\n"})
    settings = load_settings(start=root).with_overrides(maintainability_threshold=80.0, jobs=None)
    assert settings.maintainability_threshold == 80.0
    assert settings.jobs == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("complexity_treshold = 3", "tool.qualitygate.complexity_treshold: unknown key; did you mean 'complexity_threshold'?"),
        ("complexity_threshold = 'ten'", "tool.qualitygate.complexity_threshold: expected a non-negative integer, got str 'ten'"),
        ("complexity_threshold = true", "tool.qualitygate.complexity_threshold: expected a non-negative integer, got bool True"),
        ("maintainability_threshold = [1]", "tool.qualitygate.maintainability_threshold: expected a finite number"),
        ("exclude = 'x'", "tool.qualitygate.exclude: expected a list of glob strings"),
        ("exclude = ['\\']", "tool.qualitygate.exclude: bad glob"),
        ("enable_dependency_analysis = 1", "tool.qualitygate.enable_dependency_analysis: expected true or false"),
        # A NUL cannot be in a path; it once surfaced as an internal error (issue 12).
        ('baseline = "a\\u0000b"', "tool.qualitygate.baseline: expected a file path"),
        ('history_db = "x\\u0000y"', "tool.qualitygate.history_db: expected a file path"),
        ("exclude = " + "[" * 5000 + "]" * 5000, "invalid TOML: nested too deeply to read"),
    ],
)
def test_bad_config_names_file_and_key(project, body: str, expected: str) -> None:
    root = project({"pyproject.toml": f"[tool.qualitygate]\n{body}\n"})
    with pytest.raises(ConfigError) as info:
        load_settings(start=root)
    assert str(info.value).startswith(str(root / "pyproject.toml"))
    assert expected in str(info.value)


def test_broken_toml_names_line(project) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\ncomplexity_threshold = 3\nexclude = [\n"})
    with pytest.raises(ConfigError) as info:
        load_settings(start=root)
    assert "invalid TOML" in str(info.value)
    assert "line" in str(info.value)


def test_cli_config_errors_exit_2(project, cli) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\ncomplexity_treshold = 3\n", "a.py": "x = 1\n"})
    result = cli("check", ".", cwd=root)
    assert result.code == 2
    assert "did you mean 'complexity_threshold'" in result.err
    assert "Traceback" not in result.err


def test_missing_config_file_exit_2(tmp_path: Path, cli) -> None:
    result = cli("check", "--config", str(tmp_path / "nope.toml"), str(tmp_path), cwd=tmp_path)
    assert result.code == 2
    assert "nope.toml" in result.err


def test_nan_threshold_in_config_is_refused(project) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\nmaintainability_threshold = nan\n"})
    with pytest.raises(ConfigError, match="maintainability_threshold: expected a finite number"):
        load_settings(start=root)


def test_pyproject_that_is_a_folder_is_an_error(project) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\ncomplexity_threshold = 0\n", "sub/a.py": ""})
    (root / "sub" / "pyproject.toml").mkdir()
    with pytest.raises(ConfigError, match="is not a file"):
        load_settings(start=root / "sub")


def test_unknown_warning_rule_is_refused(project) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\nwarning_rules = ['QG002', 'QG999']\n"})
    with pytest.raises(ConfigError, match="warning_rules: expected a list of rule codes"):
        load_settings(start=root)


def test_flag_name_as_key_points_to_the_real_key(project) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\nthreshold = 60\n"})
    with pytest.raises(ConfigError, match="did you mean 'maintainability_threshold'"):
        load_settings(start=root)
