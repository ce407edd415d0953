"""``qualitygate hotspots``: find the repository, measure, rank by churn × complexity, print."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TextIO

from qualitygate.churn.gitlog import open_repository
from qualitygate.churn.hotspots import DEFAULT_DAYS, DEFAULT_TOP, Window, find_hotspots
from qualitygate.config import Settings
from qualitygate.models import GateResult


class HotspotOptions(NamedTuple):
    """The command's choices that are not configuration keys."""

    days: int = DEFAULT_DAYS  # 0: the whole history
    top: int = DEFAULT_TOP
    fmt: str = "text"  # or "json"
    use_cache: bool = True


def run_hotspots(
    settings: Settings,
    options: HotspotOptions,
    measured: Callable[[], GateResult],
    streams: tuple[TextIO, TextIO],
) -> int:
    """Exit 0 with the table or JSON on stdout; a ChurnError (exit 2) before measuring anything
    when there is no git or no work tree."""
    from qualitygate.site.hotspots_text import render_hotspots
    from qualitygate.store.cache import cache_dir

    stdout, stderr = streams

    def warn(text: str) -> None:
        print(f"qualitygate: warning: {text}", file=stderr)

    repo = open_repository(settings.root)  # fails fast, as --diff does
    if repo.head is None:
        warn(f"{repo.top} has no commit yet: no function has a history")
    elif repo.shallow:
        warn("this clone is shallow: commits before its depth are not counted "
             "(fetch them with 'git fetch --unshallow', or 'fetch-depth: 0' in actions/checkout)")  # fmt: skip
    result = measured()
    for error in result.errors:
        warn(f"{error.path}: not analysed ({error.message})")
    cache = cache_dir(settings.root) if options.use_cache else None
    found = find_hotspots(result, repo, Window(options.days, options.top), cache, warn)
    if found.head is not None:
        source = "from the cache" if found.cached else "from git"
        print(f"qualitygate: hotspots: the history of {found.head[:12]} came {source}", file=stderr)
    render_hotspots(found, options.fmt, stdout)
    return 0
