"""A real git repository in tmp_path for the adoption tests (baseline, --diff, suppressions)."""
from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

# Independent of the machine's git config: no signing, no hooks, a fixed identity.
_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def branchy(name: str, branches: int, base: int = 0) -> str:
    """A function whose cyclomatic complexity is ``branches + 1`` (radon counts each ``if``)."""
    body = "".join(f"    if x == {base + i}:\n        return {i}\n" for i in range(branches))
    return f"def {name}(x):\n{body}    return -1\n"


def nested(name: str, depth: int) -> str:
    """A function whose cognitive complexity is ``1 + 2 + ... + depth`` and cyclomatic ``depth + 1``."""
    lines = [f"def {name}(x):"]
    lines += [f"{'    ' * (level + 1)}if x > {level}:" for level in range(depth)]
    lines += [f"{'    ' * (depth + 1)}return x", "    return 0"]
    return "\n".join(lines) + "\n"


# Only function rules by default: the file maintainability rule (QG003) is off unless a test sets it.
CONFIG = "[tool.qualitygate]\nmaintainability_threshold = 0\n"


class GitRepo:
    """``write`` files, ``commit`` them, run ``git``; the folder is the project root."""

    def __init__(self, root: Path, branch: str | None = "main") -> None:
        """A new repository on ``branch``; ``branch=None`` wraps an existing one (a clone)."""
        self.root = root
        if branch is not None:
            root.mkdir(parents=True, exist_ok=True)
            self.git("init", "-q", "-b", branch)

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=cwd or self.root, env={**os.environ, **_ENV},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def write(self, files: dict[str, str]) -> GitRepo:
        for name, content in files.items():
            target = self.root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(content), encoding="utf-8")
        return self

    def commit(self, message: str = "change") -> GitRepo:
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "-m", message)
        return self
