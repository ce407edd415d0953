"""GitLab: the merge request's notes through the REST API (v4), with a project access token.

List the notes (``X-Next-Page`` pagination), then ``PUT`` the marked one or ``POST`` a new one
(docs: REST API, "Notes", merge requests). The job token cannot write notes, so the token is a
project access token with the ``api`` scope, kept in a masked CI/CD variable.
"""
from __future__ import annotations

import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from qualitygate import __version__
from qualitygate.paths import one_line
from qualitygate.publish import answer_object, listed, required, token
from qualitygate.publish.http import Deadline, JsonClient, NotPosted, Reply, Skipped

TOKEN_ENV = "QUALITYGATE_GITLAB_TOKEN"
DENIED = f"{TOKEN_ENV} must be a project access token with the api scope and the Reporter role or higher"
QUERY = {"per_page": 100, "sort": "asc", "order_by": "created_at"}  # oldest first: the first marked note


@dataclass(frozen=True)
class Target:
    """The merge request to comment on, and the token to do it with (kept out of repr)."""

    api: str
    project: str
    iid: int
    token: str = field(repr=False)


def target(env: Mapping[str, str], token_env: str | None) -> Target:
    """The merge request of this pipeline; Skipped outside merge request pipelines, NotPosted
    when a variable is missing."""
    iid = env.get("CI_MERGE_REQUEST_IID", "")
    if not iid:
        raise Skipped(
            "CI_MERGE_REQUEST_IID is not set: this is not a merge request pipeline "
            "(run the job with rules: - if: $CI_PIPELINE_SOURCE == 'merge_request_event')"
        )
    if not iid.isdigit():
        raise NotPosted(f"CI_MERGE_REQUEST_IID is not a number: {one_line(iid)}")
    api = required(env, "CI_API_V4_URL")
    # A fork's merge request pipeline runs in the fork; the merge request lives in its target.
    project = env.get("CI_MERGE_REQUEST_PROJECT_ID") or required(env, "CI_PROJECT_ID")
    return Target(api, project, int(iid), token(env, token_env or TOKEN_ENV))


class MergeRequestNotes:
    """The notes of one merge request: the ``Thread`` that ``publish.upsert`` works on."""

    def __init__(self, request: Target, deadline: Deadline) -> None:
        headers = {"PRIVATE-TOKEN": request.token, "Accept": "application/json",
                   "User-Agent": f"qualitygate/{__version__}"}  # fmt: skip
        self.client = JsonClient(request.api, headers, deadline, request.token, DENIED)
        project = urllib.parse.quote(request.project, safe="")
        self.notes = f"/projects/{project}/merge_requests/{request.iid}/notes"

    def comments(self) -> Iterator[Mapping[str, Any]]:
        """Every note, oldest first, page by page while ``X-Next-Page`` names one."""
        return listed(self.client, self.client.url(self.notes, QUERY), self._next_page)

    def _next_page(self, reply: Reply) -> str | None:
        page = (reply.headers.get("X-Next-Page") or "").strip()
        if not page:
            return None
        if not page.isdigit():
            raise NotPosted(f"X-Next-Page is not a page number: {one_line(page)[:40]}")
        return self.client.url(self.notes, {**QUERY, "page": int(page)})

    def create(self, body: str) -> Mapping[str, Any]:
        return answer_object(self.client.call("POST", self.client.url(self.notes), {"body": body}))

    def update(self, comment_id: int, body: str) -> Mapping[str, Any]:
        url = self.client.url(f"{self.notes}/{comment_id}")
        return answer_object(self.client.call("PUT", url, {"body": body}))


def thread(request: Target, timeout: float) -> MergeRequestNotes:
    """The merge request's notes, every request done within ``timeout`` seconds."""
    return MergeRequestNotes(request, Deadline(timeout))
