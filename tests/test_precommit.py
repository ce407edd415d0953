"""The pre-commit hook, run for real with ``pre-commit try-repo``, and verdicts that never flap."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from qualitygate.gate.rules import RULES
from qualitygate.models import Scope

from .conftest import CliResult

REPO = Path(__file__).resolve().parents[1]
NEEDS_GIT = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
GIT = ("git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "qualitygate tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "qualitygate tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}
OFFLINE = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable")

# Cyclomatic complexity 12 (radon: 1 + eleven `if`s): over the default threshold of 10.
TANGLED = "def tangled(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(11)) + "    return -1\n"
CLEAN = "def add(a, b):\n    return a + b\n"


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [*GIT, *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
    )
    return done.stdout


def _is_clean_checkout(repo: Path) -> bool:
    """A clone with a HEAD and nothing uncommitted, as in CI: try-repo can use it as it is."""
    try:
        git("rev-parse", "--verify", "HEAD", cwd=repo)
        return git("status", "--porcelain", cwd=repo) == ""
    except subprocess.CalledProcessError:
        return False


def _snapshot(repo: Path, target: Path) -> Path:
    """Commit the working tree (tracked and untracked, minus ignored files) into a new repo.

    ``try-repo`` on a checkout with local changes copies only tracked files (``git add -u``),
    and needs a HEAD; a developer's checkout may have neither for files just written.
    """
    listing = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=repo)
    for name in filter(None, listing.split("\0")):
        source = repo / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git("init", "-q", cwd=target)
    git("add", "-A", cwd=target)
    git("commit", "-q", "-m", "snapshot of the working tree", cwd=target)
    return target


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository as pre-commit will clone it."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: pre-commit try-repo needs one")
    if _is_clean_checkout(REPO):
        return REPO
    return _snapshot(REPO, tmp_path_factory.mktemp("hook-repo"))


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A fresh git repository with one tangled and two clean files, all staged."""
    repo = tmp_path / "user"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    (repo / "tangled.py").write_text(TANGLED, encoding="utf-8")
    (repo / "clean.py").write_text(CLEAN, encoding="utf-8")
    (repo / "also_clean.py").write_text(CLEAN.replace("add", "sub").replace("+", "-"), encoding="utf-8")
    git("add", "-A", cwd=repo)
    return repo


def try_repo(hook_repo: Path, user_repo: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo HOOK_REPO qualitygate --files ...``, hermetic, timed."""
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(user_repo.parent / "pre-commit-home")}
    env.pop("PRE_COMMIT", None)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "qualitygate",
         "--verbose", "--color", "never", "--files", *files],
        cwd=user_repo, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    print(f"pre-commit try-repo took {time.monotonic() - started:.1f}s")
    if done.returncode != 0 and any(mark in done.stdout + done.stderr for mark in OFFLINE):
        pytest.skip("PyPI unreachable: pre-commit cannot install the hook's dependencies")
    return done


@NEEDS_GIT
def test_hook_fails_on_a_tangled_file(hook_repo: Path, user_repo: Path) -> None:
    done = try_repo(hook_repo, user_repo, "tangled.py", "clean.py")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "qualitygate" in out and "Failed" in out
    assert "tangled.py:1:1: QG001" in out
    assert "clean.py:" not in out.replace("tangled.py", "")


@NEEDS_GIT
def test_hook_fails_on_a_tangled_notebook(hook_repo: Path, user_repo: Path) -> None:
    """pre-commit hands notebooks to the hook (types_or: jupyter), located by cell (issue 15)."""
    from tests.test_notebooks import notebook

    (user_repo / "nb.ipynb").write_text(notebook(), encoding="utf-8")
    git("add", "-A", cwd=user_repo)
    done = try_repo(hook_repo, user_repo, "nb.ipynb", "clean.py")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "nb.ipynb:cell 3:line 4:1: QG001" in out


@NEEDS_GIT
def test_hook_passes_on_clean_files(hook_repo: Path, user_repo: Path) -> None:
    done = try_repo(hook_repo, user_repo, "clean.py", "also_clean.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_manifest_declares_the_hook_pre_commit_expects() -> None:
    from pre_commit.clientlib import load_manifest

    (hook, *_) = load_manifest(str(REPO / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "qualitygate" and hook["entry"] == "qualitygate check --pre-commit"
    assert hook["args"] == ["--"]  # file names come after it, never read as options (issue 12)
    assert hook["require_serial"] is True and hook["types_or"] == ["python", "jupyter"]
    assert hook["pass_filenames"] is True
    text = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert 'minimum_pre_commit_version: "' in text  # quoted: YAML would read 3.0 as a float


# --- file names are never options (issue 12, item 2) -------------------------------------------

# Valid Python and valid TOML: read as a config it would switch the complexity rule off.
EVIL_CONFIG = "complexity_threshold = 1000000\n"


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook install shared by the tests below (pre-commit keys it by repository and rev)."""
    return tmp_path_factory.mktemp("pre-commit-home")


def run_hook(hook_repo: Path, user_repo: Path, home: Path, args: list[str] | None) -> subprocess.CompletedProcess[str]:
    """``pre-commit run --all-files`` with a .pre-commit-config.yaml naming the hook's repository."""
    rev = git("rev-parse", "HEAD", cwd=hook_repo).strip()
    hook = {"id": "qualitygate", **({"args": args} if args is not None else {})}
    config = {"repos": [{"repo": str(hook_repo), "rev": rev, "hooks": [hook]}]}
    (user_repo / ".pre-commit-config.yaml").write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    git("add", "-A", cwd=user_repo)
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home)}
    env.pop("PRE_COMMIT", None)
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--verbose", "--color", "never"],
        cwd=user_repo, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if done.returncode != 0 and any(mark in done.stdout + done.stderr for mark in OFFLINE):
        pytest.skip("PyPI unreachable: pre-commit cannot install the hook's dependencies")
    return done


@NEEDS_GIT
def test_a_file_named_like_an_option_is_measured_not_obeyed(hook_repo: Path, user_repo: Path, pre_commit_home: Path) -> None:
    (user_repo / "--config=qg.py").write_text(EVIL_CONFIG, encoding="utf-8")
    (user_repo / "--format=json:bad.py").write_text(CLEAN, encoding="utf-8")
    done = run_hook(hook_repo, user_repo, pre_commit_home, None)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "tangled.py:1:1: QG001" in out  # the fake config did not switch the rule off
    assert (user_repo / "--format=json:bad.py").read_text(encoding="utf-8") == CLEAN  # not a report
    assert not (user_repo / "bad.py").exists()


@NEEDS_GIT
def test_hook_args_must_end_with_a_double_dash(hook_repo: Path, user_repo: Path, pre_commit_home: Path) -> None:
    done = run_hook(hook_repo, user_repo, pre_commit_home, ["--complexity-threshold", "12"])
    assert done.returncode == 1  # pre-commit's own code for a hook that failed
    assert "args must end with '--'" in done.stdout + done.stderr
    args = ["--complexity-threshold", "12", "--threshold", "0", "--"]
    passing = run_hook(hook_repo, user_repo, pre_commit_home, args)
    assert passing.returncode == 0, passing.stdout + passing.stderr  # tangled.py is CC 12


# --- verdicts that do not depend on which files are staged -------------------------------------


def test_no_rule_aggregates_over_files() -> None:
    """A gate on an average over all files would flap with pre-commit's partial file lists."""
    assert {rule.scope for rule in RULES} <= {Scope.FUNCTION, Scope.CLASS, Scope.FILE}, (
        "an aggregate rule must be informational when run on a partial file list (PRE_COMMIT=1)"
    )
    # The one rule over several files, QG008 (import cycles), does not run in the hook.
    assert [rule.code for rule in RULES if rule.needs_graph] == ["QG008"]


def test_the_hook_does_not_judge_import_cycles_on_the_staged_files(
    cli: Callable[..., CliResult], project: Callable[..., Path]
) -> None:
    """Staging a.py alone or a.py with b.py must give one verdict: cycles need every file."""
    root = project({"pyproject.toml": "[tool.qualitygate]\nforbid_import_cycles = true\n",
                    "pkg/__init__.py": "", "pkg/a.py": "from pkg import b\n", "pkg/b.py": "from pkg import a\n"})  # fmt: skip
    assert cli("check", "--no-cache", cwd=root).code == 1  # a whole run sees the cycle
    both = cli("check", "--pre-commit", "--no-cache", "--", "pkg/a.py", "pkg/b.py", cwd=root)
    one = cli("check", "--pre-commit", "--no-cache", "--", "pkg/a.py", cwd=root)
    assert both.code == one.code == 0, both.out + one.out


def test_verdict_per_file_is_the_same_for_any_file_list(
    cli: Callable[..., CliResult], project: Callable[..., Path]
) -> None:
    root = project({"pyproject.toml": "", "tangled.py": TANGLED, "clean.py": CLEAN, "also_clean.py": CLEAN})

    def violations(*files: str) -> tuple[int, list[tuple[str, str, str]]]:
        result = cli("check", *files, "--format", "json", cwd=root)
        found = json.loads(result.out)["violations"]
        return result.code, sorted((v["path"], v["symbol"], v["rule"]) for v in found)

    code_all, everything = violations("tangled.py", "clean.py", "also_clean.py")
    assert code_all == 1 and ("tangled.py", "tangled", "QG001") in everything
    assert {path for path, _, _ in everything} == {"tangled.py"}
    assert violations("tangled.py") == (1, everything)
    assert violations("clean.py") == (0, [])
    assert violations("also_clean.py", "clean.py") == (0, [])
