"""Local imports in lib/ and other declared layouts (issue 15, item 4), through the CLI on real files.

SQLAlchemy keeps its package in lib/sqlalchemy/, and 396 of its 675 files listed ``sqlalchemy``
as a third-party dependency of itself. The ``src`` key (as ruff's) and the package folders a
pyproject.toml (or setup.cfg) declares are where absolute imports resolve to local modules.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qualitygate.config import load_settings, metric_options
from qualitygate.discovery.layout import source_roots
from qualitygate.store.cache import cache_key

from .conftest import CliResult

# A package importing itself absolutely, the stdlib and a real third party.
MODULE = "import os\nimport requests\nimport mypkg.util\nfrom mypkg import core\n"
GATE = "[tool.qualitygate]\nmaintainability_threshold = 0\n"


def _dependencies(cli: Callable[..., CliResult], root: Path, path: str) -> dict[str, Any]:
    result = cli("check", "--format", "json", "--no-cache", cwd=root)
    assert result.code == 0, result.err
    return next(f["dependencies"] for f in result.json()["files"] if f["path"] == path)


def _lib_project(project: Callable[..., Path], pyproject: str, folder: str = "lib") -> Path:
    return project({"pyproject.toml": GATE + pyproject, f"{folder}/mypkg/__init__.py": "",
                    f"{folder}/mypkg/util.py": "x = 1\n", f"{folder}/mypkg/core.py": MODULE})  # fmt: skip


LAYOUTS = {
    "undeclared": ("", ["mypkg", "requests"]),
    "setuptools-package-dir": ('[tool.setuptools]\npackage-dir = {"" = "lib"}\n', ["requests"]),
    "setuptools-named-package-dir": ('[tool.setuptools.package-dir]\nmypkg = "lib/mypkg"\n', ["requests"]),
    "setuptools-find-where": ('[tool.setuptools.packages.find]\nwhere = ["lib"]\n', ["requests"]),
    "hatch": ('[tool.hatch.build.targets.wheel]\npackages = ["lib/mypkg"]\n', ["requests"]),
    "poetry": ('[tool.poetry]\npackages = [{include = "mypkg", from = "lib"}]\n', ["requests"]),
    "uv": ('[tool.uv.build-backend]\nmodule-root = "lib"\n', ["requests"]),
    "src-key": ('src = ["lib"]\n', ["requests"]),
}


@pytest.mark.parametrize(("pyproject", "third_party"), LAYOUTS.values(), ids=LAYOUTS.keys())
def test_a_declared_layout_makes_the_package_local(cli, project, pyproject: str, third_party: list[str]) -> None:
    # ``src`` belongs to [tool.qualitygate]: GATE's table is still open when it is appended.
    root = _lib_project(project, pyproject)
    deps = _dependencies(cli, root, "lib/mypkg/core.py")
    assert deps["stdlib"] == ["os"]
    assert deps["third_party"] == third_party
    assert deps["local"] == sorted({"mypkg"} - set(third_party))


def test_setup_cfg_package_dir_as_sqlalchemy_had_it(cli, project) -> None:
    root = _lib_project(project, "")
    (root / "setup.cfg").write_text("[metadata]\nname = mypkg\n\n[options]\npackage_dir =\n    =lib\n")
    assert _dependencies(cli, root, "lib/mypkg/core.py")["local"] == ["mypkg"]


def test_the_default_src_is_the_root_and_src(cli, project) -> None:
    root = project({"pyproject.toml": GATE, "top.py": "import helper\nimport mypkg\n", "helper.py": "",
                    "src/mypkg/__init__.py": ""})  # fmt: skip
    assert _dependencies(cli, root, "top.py")["local"] == ["helper", "mypkg"]


def test_a_src_key_replaces_the_default(cli, project) -> None:
    """As ruff: ``src = ["code"]`` leaves the root and src/ out, the declared layout still counts."""
    root = project({"pyproject.toml": GATE + 'src = ["code"]\n' + '[tool.setuptools.packages.find]\nwhere = ["lib"]\n',
                    "top.py": "import helper\nimport mypkg\nimport app\n", "helper.py": "",
                    "lib/mypkg/__init__.py": "", "code/app.py": ""})  # fmt: skip
    deps = _dependencies(cli, root, "top.py")
    assert deps["local"] == ["app", "mypkg"] and deps["third_party"] == ["helper"]


def test_changing_src_changes_the_cache_key_and_the_report(cli, project) -> None:
    root = _lib_project(project, "")
    before = cache_key(metric_options(load_settings(start=root)))
    first = cli("check", "--format", "json", cwd=root).json()
    (root / "pyproject.toml").write_text(GATE + 'src = [".", "lib"]\n')
    assert cache_key(metric_options(load_settings(start=root))) != before
    second = cli("check", "--format", "json", cwd=root).json()
    core = [next(f for f in report["files"] if f["path"] == "lib/mypkg/core.py") for report in (first, second)]
    assert [c["dependencies"]["local"] for c in core] == [[], ["mypkg"]]


def test_source_roots_are_absolute_ordered_and_unique(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.setuptools.packages.find]\nwhere = ["lib", "src"]\n')
    roots = source_roots(tmp_path, (".", "src", "./lib/"))
    assert roots == (str(tmp_path), str(tmp_path / "src"), str(tmp_path / "lib"))


@pytest.mark.parametrize("text", ['[tool.setuptools]\npackage-dir = "lib"\n', "[tool.poetry]\npackages = 3\n",
                                  '[tool.poetry]\npackages = [{include = "x", from = 1}]\n', "not toml ["])  # fmt: skip
def test_a_malformed_build_table_is_not_ours_to_fail_on(tmp_path: Path, text: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    assert source_roots(tmp_path) == (str(tmp_path), str(tmp_path / "src"))


@pytest.mark.parametrize("value", ['"lib"', '[""]', "[1]"])
def test_a_bad_src_says_where_and_what(cli, project, value: str) -> None:
    root = project({"pyproject.toml": GATE + f"src = {value}\n", "a.py": ""})
    result = cli("check", cwd=root)
    assert result.code == 2
    assert "tool.qualitygate.src: expected a list of folders relative to the project root" in result.err
