"""Fake GitHub and GitLab comment APIs on 127.0.0.1: real HTTP servers that record every request
and check its method, path, query, auth header and JSON body (issue 14)."""
from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "ghs_s3cr3t-T0KEN-never-printed"
PAGE = 2  # comments per page, whatever per_page asks: so a few comments already span pages


@dataclass(frozen=True)
class Seen:
    """One request as the server read it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Forge:
    """The state of a fake API: its comments, what it was asked, what it found wrong."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fail_with: int | None = None  # answer every request with this status
    hang: threading.Event | None = None  # hold every request until this is set
    trickle: bool = False  # while holding, send the answer one byte at a time
    redirect: str = ""  # answer every request with a 302 to this URL
    base: str = ""
    next_id: int = 1000

    @property
    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    def add(self, body: str, **extra: Any) -> dict[str, Any]:
        self.next_id += 1
        self.comments.append({"id": self.next_id, "body": body, **extra})
        return self.comments[-1]

    def page(self, number: int) -> tuple[list[dict[str, Any]], bool]:
        """The comments on page ``number`` (1-based) and whether another page follows."""
        start = (number - 1) * PAGE
        return self.comments[start : start + PAGE], start + PAGE < len(self.comments)


class GitHub(Forge):
    """``/repos/octo/demo/issues/7/comments`` and ``/repos/octo/demo/issues/comments/{id}``."""

    issue = "/repos/octo/demo/issues/7/comments"
    one = re.compile(r"/repos/octo/demo/issues/comments/([0-9]+)")

    def check_headers(self, seen: Seen) -> None:
        expected = {"authorization": f"Bearer {TOKEN}", "accept": "application/vnd.github+json",
                    "x-github-api-version": "2022-11-28"}  # fmt: skip
        for name, value in expected.items():
            if seen.headers.get(name) != value:
                self.problems.append(f"{seen.method} {seen.path}: {name} is {seen.headers.get(name)!r}")
        if not seen.headers.get("user-agent", "").startswith("qualitygate/"):
            self.problems.append(f"{seen.method} {seen.path}: user-agent {seen.headers.get('user-agent')!r}")

    def route(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        if seen.path == self.issue and seen.method == "GET":
            if seen.query.get("per_page") != "100":
                self.problems.append(f"list without per_page=100: {seen.query}")
            number = int(seen.query.get("page", "1"))
            items, more = self.page(number)
            link = f'<{self.base}{self.issue}?per_page=100&page={number + 1}>; rel="next"' if more else ""
            return 200, items, {"Link": link} if link else {}
        if seen.path == self.issue and seen.method == "POST":
            made = self.add(seen.body["body"], user={"login": "github-actions[bot]"})
            return 201, {**made, "html_url": f"https://github.com/octo/demo/pull/7#issuecomment-{made['id']}"}, {}
        found = self.one.fullmatch(seen.path)
        if found and seen.method == "PATCH":
            return self.edit(int(found.group(1)), seen.body["body"])
        self.problems.append(f"unexpected {seen.method} {seen.path}")
        return 404, {"message": "Not Found"}, {}

    def edit(self, comment_id: int, body: str) -> tuple[int, Any, dict[str, str]]:
        for item in self.comments:
            if item["id"] == comment_id:
                item["body"] = body
                return 200, {**item, "html_url": f"https://github.com/octo/demo/pull/7#issuecomment-{comment_id}"}, {}
        self.problems.append(f"edit of a comment that does not exist: {comment_id}")
        return 404, {"message": "Not Found"}, {}


class GitLab(Forge):
    """``/api/v4/projects/42/merge_requests/5/notes`` and ``.../notes/{id}``."""

    notes = "/api/v4/projects/42/merge_requests/5/notes"
    one = re.compile(r"/api/v4/projects/42/merge_requests/5/notes/([0-9]+)")

    def check_headers(self, seen: Seen) -> None:
        if seen.headers.get("private-token") != TOKEN:
            self.problems.append(f"{seen.method} {seen.path}: PRIVATE-TOKEN {seen.headers.get('private-token')!r}")
        if "authorization" in seen.headers:
            self.problems.append("GitLab got an Authorization header")

    def route(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        if seen.path == self.notes and seen.method == "GET":
            if seen.query.get("per_page") != "100" or seen.query.get("sort") != "asc":
                self.problems.append(f"list without per_page=100&sort=asc: {seen.query}")
            number = int(seen.query.get("page", "1"))
            items, more = self.page(number)
            return 200, items, {"X-Next-Page": str(number + 1) if more else ""}
        if seen.path == self.notes and seen.method == "POST":
            return 201, self.add(seen.body["body"], system=False), {}
        found = self.one.fullmatch(seen.path)
        if found and seen.method == "PUT":
            for item in self.comments:
                if item["id"] == int(found.group(1)):
                    item["body"] = seen.body["body"]
                    return 200, item, {}
        self.problems.append(f"unexpected {seen.method} {seen.path}")
        return 404, {"message": "404 Not found"}, {}


def _handler(forge: GitHub | GitLab) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            seen = self._read()
            forge.requests.append(seen)
            forge.check_headers(seen)
            if forge.hang is not None:
                self._hold(forge.hang)
                return
            if forge.redirect:
                self._send(302, {"message": "Moved"}, {"Location": forge.redirect})
                return
            if forge.fail_with is not None:
                # A server may echo what it was sent: the token must still never be printed.
                self._send(forge.fail_with, {"message": f"Resource not accessible by integration ({TOKEN})"}, {})
                return
            self._send(*forge.route(seen))

        def _read(self) -> Seen:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body: Any = None
            if raw:
                if self.headers.get("Content-Type") != "application/json":
                    forge.problems.append(f"{self.command} {url.path}: Content-Type {self.headers.get('Content-Type')!r}")
                body = json.loads(raw)
                if not (isinstance(body, dict) and set(body) == {"body"} and isinstance(body["body"], str)):
                    forge.problems.append(f"{self.command} {url.path}: body {body!r}")
            elif self.command in ("POST", "PATCH", "PUT"):
                forge.problems.append(f"{self.command} {url.path} without a body")
            query = dict(urllib.parse.parse_qsl(url.query))
            headers = {k.lower(): v for k, v in self.headers.items()}
            return Seen(self.command, url.path, query, headers, body)

        def _hold(self, release: threading.Event) -> None:
            """Say nothing, or (``trickle``) start an answer and add a byte every 0.1 s."""
            if not forge.trickle:
                release.wait(30)
                return
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            while not release.wait(0.1):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return

        def _send(self, status: int, data: Any, headers: dict[str, str]) -> None:
            payload = json.dumps(data).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = _serve

    return Handler


@contextmanager
def serve(forge: GitHub | GitLab) -> Iterator[str]:
    """Run ``forge`` on 127.0.0.1 on a free port; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(forge))
    server.daemon_threads = True  # a hanging handler must not hold the test at shutdown
    forge.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield forge.base
    finally:
        if forge.hang is not None:
            forge.hang.set()
        server.shutdown()
        server.server_close()
