"""Stdlib membership is one fixed list, not the running Python's (issue 15, item 5).

``sys.stdlib_module_names`` differs between versions, so one commit gave different reports in a
CI matrix: ``asyncore`` third-party on 3.12, ``annotationlib`` third-party before 3.14.
"""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qualitygate.metrics import dependencies, stdlib_names
from qualitygate.metrics.dependencies import classify
from qualitygate.metrics.stdlib_names import STDLIB

from .conftest import REPO

# Removed in 3.10, 3.12 or 3.13; new in 3.11 or 3.14; always there; never stdlib.
NAMES = ["parser", "asyncore", "distutils", "imp", "telnetlib", "tomllib", "annotationlib", "compression",
         "os", "typing", "requests", "numpy", "attr"]  # fmt: skip
EXPECTED = {"stdlib": sorted(set(NAMES) - {"requests", "numpy", "attr"}), "third_party": ["attr", "numpy", "requests"]}
PROBE = (
    "import json, sys; from qualitygate.metrics.dependencies import classify; "
    "d = classify(sys.argv[1:], ()); print(json.dumps({'stdlib': list(d.stdlib), 'third_party': list(d.third_party)}))"
)
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
INTERPRETERS = sorted(PYENV.glob("3.1[0-9]*/bin/python3")) if PYENV.is_dir() else []


def test_the_list_holds_every_name_of_the_running_python() -> None:
    assert set(sys.stdlib_module_names) <= STDLIB


def test_removed_and_new_modules_are_stdlib_everywhere() -> None:
    deps = classify(NAMES, ())
    assert {"stdlib": list(deps.stdlib), "third_party": list(deps.third_party)} == EXPECTED


def test_classification_ignores_the_running_interpreters_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if run by a Python that knows neither ``asyncore`` (3.12+) nor ``annotationlib`` (<3.14)."""
    monkeypatch.setattr(sys, "stdlib_module_names", frozenset({"os", "typing"}))
    monkeypatch.setattr(sys, "version_info", (3, 12, 0, "final", 0))
    try:
        importlib.reload(stdlib_names)
        importlib.reload(dependencies)
        deps = dependencies.classify(NAMES, ())
        assert {"stdlib": list(deps.stdlib), "third_party": list(deps.third_party)} == EXPECTED
    finally:
        monkeypatch.undo()
        importlib.reload(stdlib_names)
        importlib.reload(dependencies)


@pytest.mark.skipif(len(INTERPRETERS) < 2, reason="needs several Python 3.1x interpreters (pyenv)")
@pytest.mark.parametrize("python", INTERPRETERS, ids=lambda p: p.parents[1].name)
def test_every_python_classifies_alike(python: Path) -> None:
    """The real thing: each installed 3.10-3.13 classifies the same names the same way."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([str(python), "-c", PROBE, *NAMES], capture_output=True, text=True, env=env, check=True,
                         timeout=60).stdout  # fmt: skip
    assert json.loads(out) == EXPECTED


def test_the_cli_reports_removed_modules_as_stdlib(cli, project) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\n", "old.py": "import asyncore\nimport annotationlib\n"})
    result = cli("check", "--format", "json", "--no-cache", cwd=root)
    assert result.json()["files"][0]["dependencies"]["stdlib"] == ["annotationlib", "asyncore"]
