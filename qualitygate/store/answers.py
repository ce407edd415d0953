"""AI answers on disk, keyed by a hash of the request, so a re-run sends nothing twice."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qualitygate.store.atomic import write_atomic

FILE_NAME = "ai-suggestions.json"
FORMAT_VERSION = 1
MAX_ENTRIES = 2000  # oldest answers go first; one answer is a function's worth of text

Warn = Callable[[str], None]


def request_key(identity: str, payload: Any) -> str:
    """A hash of who answers (provider, server, model) and exactly what is asked; never the key."""
    text = json.dumps([identity, payload], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AnswerCache:
    """A JSON file of ``{request hash: answer text}``; unreadable counts as empty, with a warning."""

    def __init__(self, folder: Path | None, warn: Warn) -> None:
        # The metrics cache's folder (qualitygate/cache.py), beside its files; None: no cache.
        self.path = folder / FILE_NAME if folder is not None else None
        self.warn = warn
        self.answers: dict[str, str] = self._load()
        self.dirty = False

    def _load(self) -> dict[str, str]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self.warn(f"cannot read {self.path} ({exc}); starting an empty AI cache")
            return {}
        answers = data.get("answers") if isinstance(data, dict) else None
        if not isinstance(answers, dict) or data.get("version") != FORMAT_VERSION:
            self.warn(f"{self.path} has an unknown format; starting an empty AI cache")
            return {}
        return {k: v for k, v in answers.items() if isinstance(k, str) and isinstance(v, str)}

    def get(self, key: str) -> str | None:
        """The cached answer to a request, if any."""
        return self.answers.get(key)

    def put(self, key: str, answer: str) -> None:
        """Remember an answer (kept in memory until ``save``)."""
        self.answers.pop(key, None)
        self.answers[key] = answer  # most recent last, so trimming drops the oldest
        self.dirty = True

    def save(self) -> None:
        """Write atomically (temp file, then rename); a failure is a warning, never an error."""
        if self.path is None or not self.dirty:
            return
        keep = dict(list(self.answers.items())[-MAX_ENTRIES:])
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps({"version": FORMAT_VERSION, "answers": keep}))
        except OSError as exc:
            self.warn(f"cannot write {self.path} ({exc.strerror or exc}); AI answers not cached")
