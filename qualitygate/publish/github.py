"""GitHub: the pull request's comments through the REST API, with the workflow's GITHUB_TOKEN.

A pull request's comments are issue comments: list them (``Link`` pagination), then ``PATCH``
the marked one or ``POST`` a new one (docs: REST API, "Issue comments", version 2022-11-28).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from qualitygate import __version__
from qualitygate.paths import one_line, read_regular
from qualitygate.publish import answer_object, listed, required, token
from qualitygate.publish.http import Deadline, JsonClient, NotPosted, Skipped, next_link

API_VERSION = "2022-11-28"
DEFAULT_API = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"
EVENT_LIMIT = 32 * 1024 * 1024  # bytes: an event payload is a few kilobytes
# owner/name as GitHub spells them; a name may start with a dot (.github) but is never . or ..
_REPOSITORY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*/(?!\.\.?$)[A-Za-z0-9_.-]+")
DENIED = "the job needs `permissions: pull-requests: write` for its GITHUB_TOKEN (see docs/ci.md)"
FORK = (
    "the pull request comes from the fork {head}, and GitHub gives `pull_request` workflows from "
    "forks a read-only GITHUB_TOKEN. The verdict is in the job summary and the annotations."
)


@dataclass(frozen=True)
class Target:
    """The pull request to comment on, and the token to do it with (kept out of repr)."""

    api: str
    repository: str
    number: int
    token: str = field(repr=False)


def target(env: Mapping[str, str], token_env: str | None) -> Target:
    """The pull request of this workflow run; Skipped for another event or a fork's pull request,
    NotPosted when a variable is missing."""
    repository = required(env, "GITHUB_REPOSITORY")
    if not _REPOSITORY.fullmatch(repository):
        raise NotPosted(f"GITHUB_REPOSITORY is not owner/name: {one_line(repository)}")
    event = _event(required(env, "GITHUB_EVENT_PATH"))
    pull = event.get("pull_request")
    if not isinstance(pull, dict):
        name = one_line(env.get("GITHUB_EVENT_NAME") or "this event")
        raise Skipped(f"{name} is not a pull request event, so there is no pull request to comment on")
    _refuse_fork(pull, repository, env.get("GITHUB_EVENT_NAME", ""))
    api = env.get("GITHUB_API_URL") or DEFAULT_API
    return Target(api, repository, _number(pull), token(env, token_env or TOKEN_ENV))


def _event(path: str) -> dict[str, Any]:
    try:
        event = json.loads(read_regular(path, EVENT_LIMIT))
    except (OSError, ValueError) as exc:
        raise NotPosted(f"cannot read the event GITHUB_EVENT_PATH names: {one_line(str(exc))}") from None
    if not isinstance(event, dict):
        raise NotPosted("the event GITHUB_EVENT_PATH names is not a JSON object")
    return event


def _number(pull: Mapping[str, Any]) -> int:
    number = pull.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        raise NotPosted("the event's pull_request has no number")
    return number


def _refuse_fork(pull: Mapping[str, Any], repository: str, event_name: str) -> None:
    """Skipped for a pull request from a fork, unless the workflow runs on
    ``pull_request_target``, whose token can write (and which never runs the fork's workflow)."""
    head = pull.get("head")
    repo = head.get("repo") if isinstance(head, dict) else None
    name = repo.get("full_name") if isinstance(repo, dict) else None
    if name == repository or event_name == "pull_request_target":
        return
    raise Skipped(FORK.format(head=one_line(name) if isinstance(name, str) else "(deleted)"))


class PullRequestComments:
    """The comments of one pull request: the ``Thread`` that ``publish.upsert`` works on."""

    def __init__(self, pull: Target, deadline: Deadline) -> None:
        headers = {
            "Authorization": f"Bearer {pull.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"qualitygate/{__version__}",
        }
        self.client = JsonClient(pull.api, headers, deadline, pull.token, DENIED)
        self.issue = f"/repos/{pull.repository}/issues"
        self.number = pull.number

    def comments(self) -> Iterator[Mapping[str, Any]]:
        """Every comment, oldest first, following ``Link: <...>; rel="next"``."""
        first = self.client.url(f"{self.issue}/{self.number}/comments", {"per_page": 100})
        return listed(self.client, first, lambda reply: next_link(reply.headers))

    def create(self, body: str) -> Mapping[str, Any]:
        url = self.client.url(f"{self.issue}/{self.number}/comments")
        return answer_object(self.client.call("POST", url, {"body": body}))

    def update(self, comment_id: int, body: str) -> Mapping[str, Any]:
        url = self.client.url(f"{self.issue}/comments/{comment_id}")
        return answer_object(self.client.call("PATCH", url, {"body": body}))


def thread(pull: Target, timeout: float) -> PullRequestComments:
    """The pull request's comments, every request done within ``timeout`` seconds."""
    return PullRequestComments(pull, Deadline(timeout))
