"""``qualitygate suggest``: the verified rewrites of a run as one patch, or applied to the files."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path
from typing import TextIO

from qualitygate.errors import UsageError
from qualitygate.metrics.analyze import MetricOptions, measure_source
from qualitygate.models import GateResult
from qualitygate.store.atomic import write_atomic
from qualitygate.suggestions.ai import Accepted
from qualitygate.suggestions.patch import repository_path, unified_diff
from qualitygate.suggestions.pipeline import (
    Console,
    SourceFiles,
    SuggestContext,
    ai_rewrites,
    console,
)
from qualitygate.suggestions.rules import rule_suggestions
from qualitygate.suggestions.verify import Rejected, checked


@dataclass(frozen=True)
class FileRewrite:
    """Every verified rewrite of one file, applied together."""

    path: str
    original: str
    source: str
    count: int


def _rebase(accepted: Accepted, current: str) -> Accepted:
    """The same target in the file as earlier rewrites left it (lines moved, metrics did not)."""
    target = accepted.target
    file = measure_source(current, target.path, MetricOptions(enable_dependency_analysis=False))
    same = [f for f in file.functions if f.qualname == target.function.qualname]
    if len(same) <= target.index:
        raise Rejected("the function is gone after an earlier rewrite")
    moved = replace(target, source=current, file=file, function=same[target.index])
    return replace(accepted, target=moved)


def combine(
    accepted: Sequence[Accepted], context: SuggestContext, out: Console
) -> Iterator[FileRewrite]:
    """Apply each file's rewrites one after another, verifying each again on the new text."""
    ordered = sorted(accepted, key=lambda a: (a.target.path, a.target.function.lineno))
    for path, group in groupby(ordered, key=lambda a: a.target.path):
        items = list(group)
        current, count = items[0].target.source, 0
        for item in items:
            try:
                rebased = _rebase(item, current)
                current = checked(rebased.target, item.code, context.thresholds(path)).source
                count += 1
            except Rejected as exc:
                out.note(f"left out the rewrite of {path} `{item.target.function.qualname}`: "
                         f"it no longer verifies next to the others ({exc})")  # fmt: skip
        if count:
            yield FileRewrite(path, items[0].target.source, current, count)


def apply_rewrites(rewrites: Sequence[FileRewrite], out: Console) -> int:
    """Write each rewritten file unless it changed since it was read; returns how many."""
    written = 0
    for rewrite in rewrites:
        path = Path(rewrite.path)
        try:
            if path.read_bytes().decode("utf-8", "replace") != rewrite.original:
                out.warn(f"{rewrite.path} changed while qualitygate ran; not rewritten")
                continue
            # Keep the file's permissions and its own line endings (newline="": no translation).
            write_atomic(path, rewrite.source, mode=path.stat().st_mode & 0o7777, newline="")
        except OSError as exc:
            out.warn(f"cannot rewrite {rewrite.path}: {exc.strerror or exc}")
            continue
        written += 1
        out.note(f"applied {rewrite.count} rewrite{'s' * (rewrite.count != 1)} to {rewrite.path}")
    return written


def _write_patch(text: str, output: Path | None, stdout: TextIO) -> None:
    if output is None:
        stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"--output {output}: cannot write: {exc.strerror}") from None


def run_suggest(
    result: GateResult,
    context: SuggestContext,
    apply: bool,
    output: Path | None,
    streams: tuple[TextIO, TextIO],
) -> int:
    """Rule advice to stderr, then the verified patch to stdout (or --output), or applied."""
    stdout, stderr = streams
    out = console(stderr, context.settings.ai, context.env)
    files = SourceFiles(context.settings.max_file_bytes)
    advice = rule_suggestions(result, files.text)
    for s in advice:
        stderr.write(f"{s.path}:{s.line}: {s.rule} {s.qualname or '(file)'}: {s.text}\n")
    if not result.violations:
        out.note("no violations, nothing to rewrite")
        return 0
    rewrites = list(combine(ai_rewrites(result, advice, files, context, out), context, out))
    if apply:
        written = apply_rewrites(rewrites, out)
        out.note(f"rewrote {written} file{'s' * (written != 1)}")
        return 0
    patch = "".join(unified_diff(repository_path(r.path), r.original, r.source) for r in rewrites)
    _write_patch(patch, output, stdout)
    return 0
