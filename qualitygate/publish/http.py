"""A small JSON-over-HTTPS client on urllib: one timeout for all the requests of a posting, no
redirects, bounded answers, and a token that never reaches a message."""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from email.message import Message
from http.client import HTTPException
from typing import Any, NamedTuple, TypeVar

from qualitygate.paths import one_line

ANSWER_LIMIT = 16 * 1024 * 1024  # bytes: a page of 100 comments of 65,536 characters is ~7 MiB
REASON_LIMIT = 300  # characters of a server's error message kept in a warning
DENIED = (401, 403, 404)  # a bad token, a missing permission, or a repository the token cannot see
_NEXT_LINK = re.compile(r'<([^<>]*)>\s*;\s*rel="?next"?', re.IGNORECASE)

T = TypeVar("T")


class NotPosted(Exception):
    """The comment was not posted; the message says why and is safe to print (a warning)."""


class Skipped(NotPosted):
    """Nothing to post here, as designed (not a pull request, a fork's read-only token): a notice."""


class HTTPFailed(NotPosted):
    """The server answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Reply(NamedTuple):
    """A decoded answer: the status, its headers and the JSON value of its body."""

    status: int
    headers: Message
    data: Any


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: urllib would send the token on to wherever it points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


class Deadline:
    """The moment every request of one posting must be done by."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; NotPosted once there are none."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise too_slow(self.seconds)
        return left


def too_slow(seconds: float) -> NotPosted:
    """The one message for a posting out of time, whichever clock noticed first."""
    return NotPosted(f"no answer from the API within {seconds:g} s")


class JsonClient:
    """Requests to one API (``base``: scheme, host and path prefix) with fixed headers.

    Only URLs on the API's own scheme and host are requested, so a ``Link`` header cannot send
    the token elsewhere; the token is masked in every message, in case a server echoes it.
    """

    def __init__(
        self, base: str, headers: Mapping[str, str], deadline: Deadline, secret: str, denied: str = ""
    ) -> None:
        self.origin = _origin(base)
        if self.origin[0] not in ("https", "http") or not self.origin[1]:
            raise NotPosted(f"the API URL is not an http(s) URL: {one_line(base)}")
        self.base = base.rstrip("/")
        self.headers = dict(headers)
        self.deadline = deadline
        self.secret = secret
        self.denied = denied  # what to check when the API says 401, 403 or 404

    def url(self, path: str, query: Mapping[str, object] | None = None) -> str:
        """The API's URL for ``path`` (quoted by the caller) and ``query``."""
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return f"{self.base}{path}{suffix}"

    def call(self, method: str, url: str, payload: Mapping[str, object] | None = None) -> Reply:
        """Send one request and decode its JSON answer; NotPosted for any failure."""
        if _origin(url) != self.origin:
            raise NotPosted(f"not following a link off the API's host: {self.redact(url)}")
        where = f"{method} {self.redact(urllib.parse.urlsplit(url).path)}"
        try:
            return self._send(method, url, payload, where)
        except urllib.error.HTTPError as exc:
            raise self._refused(exc, where) from None
        except (OSError, HTTPException) as exc:
            if _timed_out(exc):  # each wait is bounded by the time left, so time is up
                raise too_slow(self.deadline.seconds) from None
            raise NotPosted(f"{where} failed: {self.redact(_reason(exc))}") from None

    def _send(self, method: str, url: str, payload: Mapping[str, object] | None, where: str) -> Reply:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        headers = {**self.headers, **({"Content-Type": "application/json"} if data else {})}
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        with _OPENER.open(request, timeout=self.deadline.remaining()) as answer:
            return Reply(answer.status, answer.headers, _decode(answer.read(ANSWER_LIMIT + 1), where))

    def _refused(self, exc: urllib.error.HTTPError, where: str) -> HTTPFailed:
        """The error status as a warning: the server's own words, and what to check."""
        try:
            says = self._server_says(exc)
        finally:
            exc.close()
        hint = f"; {self.denied}" if exc.code in DENIED and self.denied else ""
        return HTTPFailed(f"HTTP {exc.code} for {where}{says}{hint}", exc.code)

    def redact(self, text: str) -> str:
        """``text`` on one line, with the token masked."""
        return one_line(text.replace(self.secret, "***") if self.secret else text)

    def _server_says(self, exc: urllib.error.HTTPError) -> str:
        """``: <the error's message>`` from a JSON error body, or nothing."""
        try:
            data = json.loads(exc.read(64 * 1024) or b"null")
        except (OSError, HTTPException, ValueError):
            return ""
        message = data.get("message") if isinstance(data, dict) else None
        if not isinstance(message, str) or not message:
            return ""
        return f": {self.redact(message)[:REASON_LIMIT]}"


def _origin(url: str) -> tuple[str, str]:
    """Scheme and host of ``url``; ("", "") for what is no URL (an unclosed IPv6 bracket)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return ("", "")
    return (parts.scheme.lower(), parts.netloc.lower())


def next_link(headers: Message) -> str | None:
    """The ``rel="next"`` URL of an RFC 8288 ``Link`` header (GitHub's pagination), if any."""
    found = _NEXT_LINK.search(headers.get("Link") or "")
    return found.group(1) if found else None


def _decode(body: bytes, where: str) -> Any:
    if len(body) > ANSWER_LIMIT:
        raise NotPosted(f"the answer to {where} is larger than {ANSWER_LIMIT} bytes")
    try:
        return json.loads(body) if body.strip() else None
    except ValueError:
        raise NotPosted(f"the answer to {where} is not JSON") from None


def _cause(exc: BaseException) -> BaseException:
    """What urllib wrapped in a URLError: the refused connection, the timeout."""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        return exc.reason
    return exc


def _timed_out(exc: BaseException) -> bool:
    return isinstance(_cause(exc), TimeoutError)


def _reason(exc: BaseException) -> str:
    """Why a request failed, in words: a refused connection, a broken answer."""
    cause = _cause(exc)
    return f"{type(cause).__name__}: {cause}"


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``'s value, or NotPosted when it is not done in ``seconds``.

    The socket timeout bounds each wait for a byte, not a whole answer: a server that trickles
    one byte at a time would hold the job for ever (as in issue 12). So the work runs in a daemon
    thread that is given up on at the deadline; the process exits soon after, and the thread
    with it.
    """
    outcome: list[T | BaseException] = []

    def attempt() -> None:
        try:
            outcome.append(work())
        except Exception as exc:  # noqa: BLE001 - a comment must never fail the job
            outcome.append(exc)

    worker = threading.Thread(target=attempt, name="qualitygate-comment", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise too_slow(seconds)
    if isinstance(outcome[0], NotPosted):
        raise outcome[0]
    if isinstance(outcome[0], BaseException):
        raise NotPosted(f"{type(outcome[0]).__name__}: {outcome[0]}")
    return outcome[0]
