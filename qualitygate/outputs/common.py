"""Helpers the CI formats share: rule lookup, stable fingerprints, links."""
from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path

from qualitygate.gate.rules import RULES, RULES_BY_CODE, Rule
from qualitygate.models import Scope, Violation
from qualitygate.outputs import ReportContext

FINGERPRINT_KEY = "qualitygate/v1"


def rule_for(code: str) -> Rule | None:
    """The registered rule behind a violation code, or None for a code we do not know."""
    return RULES_BY_CODE.get(code)


def rules_in_force(context: ReportContext, scope: Scope) -> tuple[Rule, ...]:
    """The rules of one scope that ran (when the context does not say, every registered rule but
    QG008, which only runs when configured)."""
    codes = context.rules if context.rules is not None else tuple(r.code for r in RULES if not r.needs_graph)
    return tuple(r for r in RULES if r.code in codes and r.scope is scope)


def fingerprints(violations: Sequence[Violation]) -> list[str]:
    """One stable id per violation, from path, symbol (qualname) and rule, never the line.

    Two definitions can share a qualname (a property's getter and setter), so the n-th
    repeat of the same (path, symbol, rule) adds n to keep every id unique.
    """
    import hashlib  # SARIF and GitLab only: the other formats never load OpenSSL

    seen: dict[tuple[str, str, str], int] = {}
    found = []
    for v in violations:
        key = (v.path, v.symbol, v.rule)
        repeat = seen.get(key, 0)
        seen[key] = repeat + 1
        text = "\0".join((*key, str(repeat))) if repeat else "\0".join(key)
        found.append(hashlib.sha256(text.encode("utf-8")).hexdigest())
    return found


def github_blob_url(env: Mapping[str, str], cwd: Path | None = None) -> str:
    """``https://github.com/OWNER/REPO/blob/SHA/DIR/`` inside GitHub Actions, else ""."""
    keys = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")
    server, repo, sha = (env.get(k, "") for k in keys)
    if not (server and repo and sha):
        return ""
    base = f"{server.rstrip('/')}/{repo}/blob/{sha}/"
    workspace = env.get("GITHUB_WORKSPACE")
    if not workspace:
        return base
    # Report paths are relative to the working directory; links are relative to the repo root.
    try:
        below = Path(os.path.realpath(cwd or Path.cwd())).relative_to(os.path.realpath(workspace))
    except ValueError:
        return base
    return base if str(below) == "." else f"{base}{below.as_posix()}/"


def action_docs_url(env: Mapping[str, str]) -> str:
    """The rules page of the qualitygate the running GitHub Action was taken from, else "".

    The project writes no repository URL it does not own (issue 16): the action's own
    repository comes from the runner, ``GITHUB_ACTION_REPOSITORY`` at ``GITHUB_ACTION_REF``.
    """
    server, repo = env.get("GITHUB_SERVER_URL", ""), env.get("GITHUB_ACTION_REPOSITORY", "")
    if not (server.startswith("https://") and repo.count("/") == 1):
        return ""
    ref = env.get("GITHUB_ACTION_REF") or "HEAD"
    return f"{server.rstrip('/')}/{repo}/blob/{ref}/docs/rules.md"


def project_url(docs_url: str) -> str:
    """The repository a ``…/blob/REF/…`` docs URL points into ("" when it is not one)."""
    head, found, _ = docs_url.partition("/blob/")
    return head if found and head.startswith("https://") else ""


def git_top(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` with a ``.git`` entry (a folder, or the file of a
    worktree or submodule), else None. A walk up, not ``git rev-parse``: no process per run."""
    for folder in (start, *start.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return None


def below(cwd: Path, root: Path) -> str:
    """``cwd`` relative to ``root`` as a "/"-terminated prefix; "" at the root or outside it."""
    try:
        part = Path(os.path.realpath(cwd)).relative_to(os.path.realpath(root))
    except ValueError:
        return ""
    return "" if str(part) == "." else part.as_posix() + "/"


def repo_path(path: str, context: ReportContext) -> str:
    """A report path (relative to the working directory) relative to the repository root, for
    the CI formats (issue 16: a job with ``working-directory: src``). An absolute path (outside
    the working directory) stays as it is; ``../x`` is folded into the prefix."""
    if not context.path_prefix or path.startswith("/"):
        return path
    joined = posixpath.normpath(context.path_prefix + path)
    return path if joined.startswith("../") or joined == ".." else joined
