"""Post the PR comment: one sticky comment per pull or merge request, found again by its marker
and updated on each push (issue 14). A failure is a warning, never a failed job."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from qualitygate.errors import UsageError
from qualitygate.outputs.pr_comment import MARKER as PR_COMMENT_MARKER
from qualitygate.paths import display_path, one_line, read_regular
from qualitygate.publish.http import JsonClient, NotPosted, Reply, Skipped, within

MARKER = PR_COMMENT_MARKER  # the first line of every comment we post: how we find ours again
# GitHub refuses a comment body over 65,536 characters ("body is too long"); GitLab takes 1,000,000.
BODY_LIMIT = 65_536
TRUNCATED = (
    "\n\n*… cut here: the comment is longer than GitHub's 65,536 characters. "
    "The job's log and reports hold everything.*\n"
)
MAX_PAGES = 100  # pages of 100 comments read at most, so a server that always has more cannot loop
READ_LIMIT = 16 * 1024 * 1024  # bytes of a body file read at most; the part posted is far smaller


class Status(Enum):
    """What became of the comment."""

    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"  # nothing to post here: a notice
    FAILED = "failed"  # it should have been posted and was not: a warning


@dataclass(frozen=True)
class Outcome:
    """The comment's fate and, in words, why or where (safe to print: no token)."""

    status: Status
    message: str


@dataclass(frozen=True)
class CommentOptions:
    """How to post: ``provider`` auto, github or gitlab; ``token_env`` None for the provider's own;
    ``timeout`` seconds for every request in all."""

    provider: str = "auto"
    token_env: str | None = None
    timeout: float = 30.0


class Thread(Protocol):
    """The comments of one pull request (GitHub) or merge request (GitLab)."""

    def comments(self) -> Iterator[Mapping[str, Any]]:
        """Every comment, oldest first, page by page."""
        ...

    def create(self, body: str) -> Mapping[str, Any]: ...

    def update(self, comment_id: int, body: str) -> Mapping[str, Any]: ...


def read_body(path: Path) -> str:
    """The comment in ``path``, marked and cut to fit; UsageError when it cannot be read."""
    try:
        data = read_regular(path, READ_LIMIT)
    except OSError as exc:
        raise UsageError(f"cannot read the comment {display_path(path)}: {exc.strerror or exc}") from None
    return prepare_body(data.decode("utf-8", "replace"))


def prepare_body(text: str) -> str:
    """``text`` with MARKER as its first line (added when missing), within BODY_LIMIT."""
    text = text.removeprefix("\ufeff")
    if text.partition("\n")[0].strip() != MARKER:
        text = f"{MARKER}\n{text}"
    if len(text) <= BODY_LIMIT:
        return text
    # Cut at a line break, so no line (a table row, a link) is left half written.
    room = BODY_LIMIT - len(TRUNCATED)
    cut = text.rfind("\n", 0, room)
    return text[: cut if cut > len(MARKER) else room] + TRUNCATED


def is_ours(comment: Mapping[str, Any]) -> bool:
    """A comment this command wrote: its body starts with the marker (GitLab's system notes,
    such as "changed the description", never are)."""
    body = comment.get("body")
    return isinstance(body, str) and body.startswith(MARKER) and comment.get("system") is not True


def comment_id(comment: Mapping[str, Any]) -> int:
    """The comment's numeric id, checked before it goes into a URL path."""
    value = comment.get("id")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise NotPosted(f"the API listed a comment without a numeric id: {one_line(repr(value))[:80]}")
    return value


def upsert(thread: Thread, body: str) -> Outcome:
    """Update the first marked comment, or create one: one comment, however many pushes."""
    existing = next((c for c in thread.comments() if is_ours(c)), None)
    if existing is None:
        return Outcome(Status.CREATED, f"PR comment created: {_link(thread.create(body))}")
    answer = thread.update(comment_id(existing), body)
    return Outcome(Status.UPDATED, f"PR comment updated: {_link(answer)}")


def listed(client: JsonClient, url: str, following: Callable[[Reply], str | None]) -> Iterator[Mapping[str, Any]]:
    """The comments on every page from ``url`` on; ``following`` reads the next page's URL from a
    reply (None on the last). A list too long to read is an error, not a reason for a new comment."""
    for _ in range(MAX_PAGES):
        reply = client.call("GET", url)
        if not isinstance(reply.data, list):
            raise NotPosted("the API's list of comments is not a JSON list")
        yield from (c for c in reply.data if isinstance(c, dict))
        next_url = following(reply)
        if next_url is None:
            return
        url = next_url
    raise NotPosted(f"more than {MAX_PAGES} pages of comments; not posting another")


def answer_object(reply: Reply) -> Mapping[str, Any]:
    """The JSON object a create or update answers with ({} for anything else: it is only shown)."""
    return reply.data if isinstance(reply.data, dict) else {}


def _link(answer: Mapping[str, Any]) -> str:
    """Where the comment is: its page on GitHub, else its id."""
    url = answer.get("html_url")
    if isinstance(url, str) and url.startswith("https://"):
        return one_line(url)
    number = answer.get("id")
    return f"id {number}" if isinstance(number, int) else "done"


def post_comment(body: str, options: CommentOptions, env: Mapping[str, str]) -> Outcome:
    """Post ``body`` as the sticky comment; every failure becomes an Outcome, never an error."""
    secret = ""
    try:
        forge = _forge(_provider(options.provider, env))
        target = forge.target(env, options.token_env)
        secret = target.token
        thread = forge.thread(target, options.timeout)
        return within(options.timeout, lambda: upsert(thread, body))
    except Skipped as exc:
        return Outcome(Status.SKIPPED, _safe(str(exc), secret))
    except NotPosted as exc:
        return Outcome(Status.FAILED, _safe(str(exc), secret))


def _forge(provider: str) -> ModuleType:
    """The provider's module: ``target(env, token_env)`` and ``thread(target, timeout)``."""
    if provider == "github":
        from qualitygate.publish import github

        return github
    from qualitygate.publish import gitlab

    return gitlab


def _provider(name: str, env: Mapping[str, str]) -> str:
    if name != "auto":
        return name
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    raise NotPosted("cannot tell GitHub Actions from GitLab CI here; pass --provider github or gitlab")


def _safe(message: str, secret: str) -> str:
    return one_line(message.replace(secret, "***") if secret else message)


def outcome_line(outcome: Outcome, github_actions: bool) -> str:
    """The line to print: a ``::warning`` or ``::notice`` command on GitHub Actions (it shows on
    the run's page), else ``qualitygate: warning: ...``, ``qualitygate: note: ...`` or the result."""
    if outcome.status in (Status.CREATED, Status.UPDATED):
        return f"qualitygate: {outcome.message}"
    failed = outcome.status is Status.FAILED
    message = f"PR comment not posted: {outcome.message}"
    if github_actions:
        from qualitygate.outputs.github import command

        return command("warning" if failed else "notice", message, {"title": "qualitygate"})
    return f"qualitygate: {'warning' if failed else 'note'}: {message}"


def token(env: Mapping[str, str], name: str) -> str:
    """The token in the variable ``name``; NotPosted when it is unset or empty."""
    value = env.get(name, "").strip()
    if not value:
        raise NotPosted(f"the environment variable {one_line(name)} (the API token) is not set")
    if not (value.isascii() and value.isprintable()):  # an error quoting a header would show it
        raise NotPosted(f"the token in {one_line(name)} holds characters no token has")
    return value


def required(env: Mapping[str, str], name: str) -> str:
    """A variable the CI system sets; NotPosted when it is missing."""
    value = env.get(name, "")
    if not value:
        raise NotPosted(f"the environment variable {name} is not set; is this a {_system(name)} job?")
    return value


def _system(name: str) -> str:
    return "GitHub Actions" if name.startswith("GITHUB_") else "GitLab CI"

