"""AI answers on disk, keyed by a hash of the request, so a re-run sends nothing twice."""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from qualitygate.store.buckets import Buckets, Warn, store_folder

FORMAT = "answers-1"  # the store's key: answers do not depend on what qualitygate measures
# A rejected answer is reused for a week, then asked for again (issue 13): the checks, the
# model or the code around the function may have changed, so a rejection is not kept for ever.
REJECTED_TTL_S = 7 * 24 * 3600


def request_key(identity: str, payload: Any) -> str:
    """A hash of who answers (provider, server, model) and exactly what is asked; never the key."""
    text = json.dumps([identity, payload], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AnswerCache:
    """``{request hash: answer text}`` in the cache folder's buckets; None: no cache (--no-cache)."""

    def __init__(self, folder: Path | None, warn: Warn) -> None:
        self.store = Buckets(store_folder(folder, "answers", FORMAT), FORMAT, warn) if folder else None

    def get(self, key: str, now: float | None = None) -> str | None:
        """The cached answer to a request, if any; a rejected one only within REJECTED_TTL_S."""
        entry = self.store.get(key) if self.store is not None else None
        if isinstance(entry, str):
            return entry
        if isinstance(entry, dict) and isinstance(entry.get("answer"), str):
            since = entry.get("rejected")
            fresh = isinstance(since, (int, float)) and (now or time.time()) - since < REJECTED_TTL_S
            return entry["answer"] if fresh else None
        return None

    def reject(self, key: str, now: float | None = None) -> None:
        """Mark a cached answer as rejected: it expires REJECTED_TTL_S after the first rejection."""
        entry = self.store.get(key) if self.store is not None else None
        if self.store is not None and isinstance(entry, str):
            self.store.put(key, {"answer": entry, "rejected": now or time.time()})

    def put(self, key: str, answer: str) -> None:
        """Remember an answer (kept in memory until ``save``)."""
        if self.store is not None:
            self.store.put(key, answer)

    def save(self) -> None:
        """Write atomically; a failure is a warning, never an error."""
        if self.store is not None:
            self.store.save()
