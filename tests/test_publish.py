"""qualitygate comment: one sticky PR comment (GitHub) or MR note (GitLab), created once and then
updated, against fake APIs on 127.0.0.1; a failure is a warning and exit 0 (issue 14)."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from qualitygate.publish import BODY_LIMIT, MARKER, prepare_body

from .conftest import subprocess_env
from .fakeapi import TOKEN, GitHub, GitLab, serve

PULL = {"number": 7, "head": {"repo": {"full_name": "octo/demo"}}}
PROXIES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def comment(body: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m qualitygate comment BODY ARGS`` with only ``env`` for CI variables (no proxy:
    the fake API is on loopback); the token must never be printed."""
    clean = {k: v for k, v in subprocess_env().items()
             if not k.startswith(("GITHUB_", "GITLAB_", "CI_", "QUALITYGATE_")) and k.lower() not in PROXIES}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "qualitygate", "comment", str(body), *args],
        env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert TOKEN not in done.stdout + done.stderr
    return done


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def github_env(tmp_path: Path, api: str, pull: dict[str, Any] | None = PULL, **extra: str) -> dict[str, str]:
    event = {"action": "synchronize", "pull_request": pull} if pull is not None else {"ref": "refs/heads/main"}
    path = write(tmp_path / "event.json", json.dumps(event))
    return {"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": api,
            "GITHUB_REPOSITORY": "octo/demo", "GITHUB_EVENT_PATH": str(path),
            "GITHUB_EVENT_NAME": "pull_request" if pull is not None else "push", **extra}  # fmt: skip


def gitlab_env(api: str, **extra: str) -> dict[str, str]:
    return {"GITLAB_CI": "true", "CI_API_V4_URL": f"{api}/api/v4", "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "5", "QUALITYGATE_GITLAB_TOKEN": TOKEN, **extra}  # fmt: skip


# --- the body ----------------------------------------------------------------------------------


def test_the_marker_is_the_first_line_added_when_missing() -> None:
    assert prepare_body("## qualitygate\n") == f"{MARKER}\n## qualitygate\n"
    assert prepare_body(f"{MARKER}\n## qualitygate\n") == f"{MARKER}\n## qualitygate\n"
    assert prepare_body(f"\ufeff{MARKER}\nx\n") == f"{MARKER}\nx\n"


def test_the_poster_looks_for_the_marker_the_format_writes() -> None:
    pr_comment = pytest.importorskip("qualitygate.outputs.pr_comment")
    assert pr_comment.MARKER == MARKER


def test_a_long_body_is_cut_at_a_line_with_a_note() -> None:
    text = MARKER + "\n" + "| row | 1 |\n" * 10_000
    body = prepare_body(text)
    assert len(body) <= BODY_LIMIT and body.startswith(MARKER + "\n")
    kept, _, note = body.rpartition("\n\n")
    assert kept.endswith("| row | 1 |") and "65,536 characters" in note


# --- GitHub ------------------------------------------------------------------------------------


def test_github_creates_one_comment_then_updates_it(tmp_path: Path) -> None:
    """The done-when of issue 14: the first push creates the comment, the next one edits it,
    found on the second page of comments; the pull request ends with exactly one."""
    api = GitHub()
    for n in range(3):  # other people's comments first, so ours is on page 2
        api.add(f"comment {n}; not {MARKER} at the start", user={"login": f"user{n}"})
    with serve(api) as base:
        env = github_env(tmp_path, base)
        first = comment(write(tmp_path / "c1.md", f"{MARKER}\nfirst\n"), env)
        assert first.returncode == 0, first.stderr
        assert "PR comment created: https://github.com/octo/demo/pull/7#issuecomment-1004" in first.stderr
        assert api.calls == [("GET", GitHub.issue)] * 2 + [("POST", GitHub.issue)]
        assert [r.query.get("page") for r in api.requests[:2]] == [None, "2"]
        assert api.requests[-1].body == {"body": f"{MARKER}\nfirst\n"}

        del api.requests[:]
        second = comment(write(tmp_path / "c2.md", "second, without the marker\n"), env)
    assert second.returncode == 0, second.stderr
    assert "PR comment updated: https://github.com/octo/demo/pull/7#issuecomment-1004" in second.stderr
    assert api.calls == [("GET", GitHub.issue)] * 2 + [("PATCH", "/repos/octo/demo/issues/comments/1004")]
    assert api.requests[-1].body == {"body": f"{MARKER}\nsecond, without the marker\n"}
    ours = [c for c in api.comments if c["body"].startswith(MARKER)]
    assert len(api.comments) == 4 and [c["id"] for c in ours] == [1004]
    assert api.problems == []


@pytest.mark.parametrize("status", [403, 500])
def test_an_api_error_is_a_warning_naming_the_status(tmp_path: Path, status: int) -> None:
    api = GitHub(fail_with=status)
    with serve(api) as base:
        done = comment(write(tmp_path / "c.md", "x\n"), github_env(tmp_path, base))
    assert done.returncode == 0
    assert done.stderr.startswith("::warning title=qualitygate::PR comment not posted: ")
    assert f"HTTP {status} for GET /repos/octo/demo/issues/7/comments" in done.stderr
    assert "Resource not accessible by integration (***)" in done.stderr  # the echoed token, masked
    assert ("pull-requests: write" in done.stderr) is (status == 403)
    assert api.calls == [("GET", GitHub.issue)] and api.problems == []


@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "trickling"])
def test_a_hanging_api_is_a_deadline_warning(tmp_path: Path, trickle: bool) -> None:
    """A server that never answers, or answers a byte every 0.1 s (each under the socket
    timeout): the whole posting still ends at --timeout."""
    api = GitHub(hang=threading.Event(), trickle=trickle)
    with serve(api) as base:
        start = time.monotonic()
        done = comment(write(tmp_path / "c.md", "x\n"), github_env(tmp_path, base), "--timeout", "1")
        elapsed = time.monotonic() - start
    assert done.returncode == 0 and elapsed < 10
    assert done.stderr == "::warning title=qualitygate::PR comment not posted: no answer from the API within 1 s\n"


def test_a_missing_token_is_a_warning_and_no_request(tmp_path: Path) -> None:
    api = GitHub()
    with serve(api) as base:
        env = {k: v for k, v in github_env(tmp_path, base).items() if k not in ("GITHUB_TOKEN", "GITHUB_ACTIONS")}
        done = comment(write(tmp_path / "c.md", "x\n"), env, "--provider", "github")
    assert done.returncode == 0
    assert done.stderr == (
        "qualitygate: warning: PR comment not posted: the environment variable GITHUB_TOKEN "
        "(the API token) is not set\n"
    )
    assert api.requests == []


def test_a_token_in_another_variable(tmp_path: Path) -> None:
    api = GitHub()
    with serve(api) as base:
        env = {**github_env(tmp_path, base), "GITHUB_TOKEN": "", "MY_PAT": TOKEN}
        done = comment(write(tmp_path / "c.md", "x\n"), env, "--token-env", "MY_PAT")
    assert done.returncode == 0 and "PR comment created" in done.stderr
    assert api.problems == []


def test_a_fork_pull_request_is_skipped_with_a_notice(tmp_path: Path) -> None:
    api = GitHub()
    fork = {**PULL, "head": {"repo": {"full_name": "mallory/demo"}}}
    with serve(api) as base:
        done = comment(write(tmp_path / "c.md", "x\n"), github_env(tmp_path, base, fork))
    assert done.returncode == 0
    assert done.stderr.startswith("::notice title=qualitygate::PR comment not posted: the pull request comes from the fork mallory/demo")
    assert "read-only GITHUB_TOKEN" in done.stderr
    assert api.requests == []


def test_a_fork_pull_request_on_pull_request_target_is_posted(tmp_path: Path) -> None:
    api = GitHub()
    fork = {**PULL, "head": {"repo": {"full_name": "mallory/demo"}}}
    with serve(api) as base:
        env = github_env(tmp_path, base, fork, GITHUB_EVENT_NAME="pull_request_target")
        done = comment(write(tmp_path / "c.md", "x\n"), env)
    assert done.returncode == 0 and "PR comment created" in done.stderr


def test_a_push_has_no_pull_request_to_comment_on(tmp_path: Path) -> None:
    api = GitHub()
    with serve(api) as base:
        done = comment(write(tmp_path / "c.md", "x\n"), github_env(tmp_path, base, None))
    assert done.returncode == 0
    assert done.stderr.startswith("::notice title=qualitygate::PR comment not posted: push is not a pull request event")
    assert api.requests == []


def test_a_next_link_off_the_api_host_is_not_followed(tmp_path: Path) -> None:
    """A ``Link`` header is the server's word: the token goes to the API's own host only."""
    api = GitHub()
    api.add("a")
    api.add("b")
    api.add("c")
    with serve(api) as base:
        api.base = "http://localhost:1"  # the next-page link now points elsewhere
        done = comment(write(tmp_path / "c.md", "x\n"), github_env(tmp_path, base))
    assert done.returncode == 0
    assert "not following a link off the API's host: http://localhost:1/" in done.stderr
    assert api.calls == [("GET", GitHub.issue)]


def test_a_redirect_is_not_followed(tmp_path: Path) -> None:
    """urllib would follow a redirect with the Authorization header: none is followed."""
    elsewhere, api = GitHub(), GitHub()
    with serve(elsewhere) as other, serve(api) as base:
        api.redirect = f"{other}{GitHub.issue}"
        done = comment(write(tmp_path / "c.md", "x\n"), github_env(tmp_path, base))
    assert done.returncode == 0
    assert "PR comment not posted: HTTP 302 for GET /repos/octo/demo/issues/7/comments" in done.stderr
    assert elsewhere.requests == [] and len(api.requests) == 1


def test_a_token_with_a_line_break_is_never_sent(tmp_path: Path) -> None:
    api = GitHub()
    with serve(api) as base:
        env = {**github_env(tmp_path, base), "GITHUB_TOKEN": "ghs_abc\nX-Injected: 1"}
        done = comment(write(tmp_path / "c.md", "x\n"), env)
    assert done.returncode == 0
    assert "the token in GITHUB_TOKEN holds characters no token has" in done.stderr
    assert "ghs_abc" not in done.stderr and api.requests == []


def test_an_unreachable_api_is_a_warning(tmp_path: Path) -> None:
    with serve(GitHub()) as base:
        pass  # closed again: nothing listens on that port now
    done = comment(write(tmp_path / "c.md", "x\n"), github_env(tmp_path, base))
    assert done.returncode == 0
    assert "PR comment not posted: GET /repos/octo/demo/issues/7/comments failed: ConnectionRefusedError" in done.stderr


def test_a_missing_body_file_is_a_usage_error(tmp_path: Path) -> None:
    done = comment(tmp_path / "nowhere.md", {"GITHUB_ACTIONS": "true"})
    assert done.returncode == 2
    assert "cannot read the comment" in done.stderr and "nowhere.md" in done.stderr


def test_outside_ci_the_provider_must_be_named(tmp_path: Path) -> None:
    done = comment(write(tmp_path / "c.md", "x\n"), {})
    assert done.returncode == 0
    assert done.stderr == (
        "qualitygate: warning: PR comment not posted: cannot tell GitHub Actions from GitLab CI "
        "here; pass --provider github or gitlab\n"
    )


# --- GitLab ------------------------------------------------------------------------------------


def test_gitlab_creates_one_note_then_updates_it(tmp_path: Path) -> None:
    api = GitLab()
    api.add(f"{MARKER} in a system note", system=True)  # GitLab writes these; never ours
    api.add("LGTM", system=False)
    api.add(f"quoting > {MARKER}", system=False)
    with serve(api) as base:
        first = comment(write(tmp_path / "c1.md", "first\n"), gitlab_env(base))
        assert first.returncode == 0, first.stderr
        assert first.stderr == "qualitygate: PR comment created: id 1004\n"
        assert api.calls == [("GET", GitLab.notes)] * 2 + [("POST", GitLab.notes)]
        assert [r.query.get("page") for r in api.requests[:2]] == [None, "2"]
        assert api.requests[-1].body == {"body": f"{MARKER}\nfirst\n"}

        del api.requests[:]
        second = comment(write(tmp_path / "c2.md", f"{MARKER}\nsecond\n"), gitlab_env(base))
    assert second.returncode == 0, second.stderr
    assert second.stderr == "qualitygate: PR comment updated: id 1004\n"
    assert api.calls == [("GET", GitLab.notes)] * 2 + [("PUT", f"{GitLab.notes}/1004")]
    assert [c["body"] for c in api.comments if c["id"] == 1004] == [f"{MARKER}\nsecond\n"]
    assert len(api.comments) == 4 and api.problems == []


def test_gitlab_outside_a_merge_request_pipeline_is_skipped(tmp_path: Path) -> None:
    api = GitLab()
    with serve(api) as base:
        env = {**gitlab_env(base), "CI_MERGE_REQUEST_IID": ""}
        done = comment(write(tmp_path / "c.md", "x\n"), env)
    assert done.returncode == 0
    assert done.stderr.startswith("qualitygate: note: PR comment not posted: CI_MERGE_REQUEST_IID is not set")
    assert api.requests == []


def test_gitlab_without_a_token_or_with_a_refused_one_is_a_warning(tmp_path: Path) -> None:
    api = GitLab()
    with serve(api) as base:
        missing = comment(write(tmp_path / "c.md", "x\n"), {**gitlab_env(base), "QUALITYGATE_GITLAB_TOKEN": ""})
        assert api.requests == []
        api.fail_with = 401
        refused = comment(tmp_path / "c.md", gitlab_env(base))
    assert missing.returncode == refused.returncode == 0
    assert "QUALITYGATE_GITLAB_TOKEN (the API token) is not set" in missing.stderr
    assert "HTTP 401 for GET /api/v4/projects/42/merge_requests/5/notes" in refused.stderr
    assert "project access token with the api scope" in refused.stderr
