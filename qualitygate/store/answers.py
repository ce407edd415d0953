"""AI answers on disk, keyed by a hash of the request, so a re-run sends nothing twice."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from qualitygate.store.buckets import Buckets, Warn, store_folder

FORMAT = "answers-1"  # the store's key: answers do not depend on what qualitygate measures


def request_key(identity: str, payload: Any) -> str:
    """A hash of who answers (provider, server, model) and exactly what is asked; never the key."""
    text = json.dumps([identity, payload], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AnswerCache:
    """``{request hash: answer text}`` in the cache folder's buckets; None: no cache (--no-cache)."""

    def __init__(self, folder: Path | None, warn: Warn) -> None:
        self.store = Buckets(store_folder(folder, "answers", FORMAT), FORMAT, warn) if folder else None

    def get(self, key: str) -> str | None:
        """The cached answer to a request, if any."""
        answer = self.store.get(key) if self.store is not None else None
        return answer if isinstance(answer, str) else None

    def put(self, key: str, answer: str) -> None:
        """Remember an answer (kept in memory until ``save``)."""
        if self.store is not None:
            self.store.put(key, answer)

    def save(self) -> None:
        """Write atomically; a failure is a warning, never an error."""
        if self.store is not None:
            self.store.save()
