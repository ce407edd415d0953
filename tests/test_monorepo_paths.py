"""Issue 16 (monorepos): CI formats name files from the repository root, text from the cwd."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qualitygate.outputs import ReportContext
from qualitygate.outputs.common import below, git_top, repo_path
from tests.conftest import SCHEMAS, subprocess_env

TANGLED = "def tangled(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(11)) + "    return -1\n"


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)
    else:
        (root / ".git").mkdir()  # what the walk up looks for
    (root / "src" / "pkg" / "mod.py").write_text(TANGLED, encoding="utf-8")
    return root


def _check(cwd: Path, *formats: str) -> subprocess.CompletedProcess[str]:
    env = subprocess_env()
    for key in ("GITHUB_ACTIONS", "GITHUB_WORKSPACE", "GITHUB_STEP_SUMMARY", "GITHUB_SHA"):
        env.pop(key, None)
    args = [sys.executable, "-m", "qualitygate", "check", ".", "--no-cache", "--complexity-threshold", "5"]
    for name in formats:
        args += ["-f", name]
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", check=False)


def test_ci_formats_name_files_from_the_repository_root(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    done = _check(root / "src", "sarif:out.sarif", "gitlab:out.json", "github", "markdown:summary.md")
    assert done.returncode == 1, done.stderr
    sarif = json.loads((root / "src" / "out.sarif").read_text(encoding="utf-8"))
    run = sarif["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "src/pkg/mod.py", "uriBaseId": "%SRCROOT%"}
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file:///") and base.endswith("/")
    assert base == root.resolve().as_uri() + "/"
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    gitlab = json.loads((root / "src" / "out.json").read_text(encoding="utf-8"))
    assert {issue["location"]["path"] for issue in gitlab} == {"src/pkg/mod.py"}
    assert "::error file=src/pkg/mod.py,line=1," in done.stdout
    assert "`src/pkg/mod.py:1`" in (root / "src" / "summary.md").read_text(encoding="utf-8")
    text = _check(root / "src", "text")
    assert "pkg/mod.py:1" in text.stdout and "src/pkg/mod.py" not in text.stdout


def test_from_the_repository_root_paths_do_not_change(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    done = _check(root, "sarif:out.sarif", "gitlab:out.json", "github")
    sarif = json.loads((root / "out.sarif").read_text(encoding="utf-8"))
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "src/pkg/mod.py"
    gitlab = json.loads((root / "out.json").read_text(encoding="utf-8"))
    assert gitlab[0]["location"]["path"] == "src/pkg/mod.py"
    assert "::error file=src/pkg/mod.py,line=1," in done.stdout


def test_repo_path_joins_the_prefix_and_folds_parent_steps(tmp_path: Path) -> None:
    context = ReportContext(path_prefix="src/")
    assert repo_path("pkg/mod.py", context) == "src/pkg/mod.py"
    assert repo_path("../tools/x.py", context) == "tools/x.py"
    assert repo_path("/elsewhere/x.py", context) == "/elsewhere/x.py"
    assert repo_path("pkg/mod.py", ReportContext()) == "pkg/mod.py"
    root = _repo(tmp_path)
    assert git_top(root / "src" / "pkg") == root
    assert below(root / "src", root) == "src/"
    assert below(root, root) == ""
    assert below(tmp_path, root) == ""

