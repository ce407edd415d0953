"""``qualitygate suggest``: the rewrites of a run as one patch, or applied to the files (only the
verified ones, unless ``--apply-unverified``)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path
from typing import TextIO

from qualitygate.errors import UsageError
from qualitygate.metrics.analyze import measure_source
from qualitygate.models import GateResult, Suggestion
from qualitygate.store.atomic import write_atomic
from qualitygate.suggestions.ai import Accepted
from qualitygate.suggestions.ai_client import AIUnavailable
from qualitygate.suggestions.deterministic import (
    FileExtractions,
    Outcome,
    extractions,
    offered,
    with_tests,
)
from qualitygate.suggestions.evidence import describe
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
    count: int  # AI rewrites
    extracted: int = 0  # deterministic extractions (issue 13)

    def counted(self) -> str:
        """``2 rewrites``, ``1 extraction``, or both."""
        parts = [(self.extracted, "extraction"), (self.count, "rewrite")]
        return " and ".join(f"{n} {word}{'s' * (n != 1)}" for n, word in parts if n)


def _rebase(accepted: Accepted, current: str, context: SuggestContext) -> Accepted:
    """The same target in the file as earlier rewrites left it (lines moved, metrics did not)."""
    target = accepted.target
    file = measure_source(current, target.path, target.options)
    same = [f for f in file.functions if f.qualname == target.function.qualname]
    if len(same) <= target.index:
        raise Rejected("the function is gone after an earlier rewrite")
    moved = replace(target, source=current, file=file, function=same[target.index])
    return replace(accepted, target=moved)


def combine(
    accepted: Sequence[Accepted], context: SuggestContext, out: Console,
    start: Mapping[str, FileExtractions] | None = None,
) -> Iterator[FileRewrite]:
    """Apply each file's rewrites one after another, verifying each again on the new text; a
    file with deterministic extractions (``start``) starts from their text."""
    start = dict(start or {})
    ordered = sorted(accepted, key=lambda a: (a.target.path, a.target.function.lineno))
    for path, group in groupby(ordered, key=lambda a: a.target.path):
        items = list(group)
        extracted = start.pop(path, None)
        current = extracted.source if extracted else items[0].target.source
        count = 0
        for item in items:
            try:
                rebased = _rebase(item, current, context)
                current = checked(rebased.target, item.code, context.thresholds(path)).source
                count += 1
            except Rejected as exc:
                out.note(f"left out the rewrite of {path} `{item.target.function.qualname}`: "
                         f"it no longer verifies next to the others ({exc})")  # fmt: skip
        made = len(extracted.offered) if extracted else 0
        if count or made:
            yield FileRewrite(path, items[0].target.source, current, count, made)
    for extracted in start.values():  # files with extractions and no AI rewrite
        yield FileRewrite(extracted.path, extracted.original, extracted.source, 0, len(extracted.offered))


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
        out.note(f"applied {rewrite.counted()} to {rewrite.path}")
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


def _applicable(accepted: Sequence[Accepted], unverified: bool, out: Console) -> list[Accepted]:
    """What ``--apply`` writes: the verified rewrites, or all of them with --apply-unverified."""
    kept = []
    for item in accepted:
        evidence = item.verified.evidence
        if evidence.verified or unverified:
            kept.append(item)
            continue
        out.note(f"not applied to {item.target.path} `{item.target.function.qualname}`: "
                 f"{describe(evidence.pairs())} (--apply-unverified applies it)")  # fmt: skip
    return kept


def _deterministic(result: GateResult, context: SuggestContext, files: SourceFiles, out: Console) -> Outcome:
    """The extractions the advice names (issue 13): no AI, and the project's tests when it has them."""
    from qualitygate.config import metric_options

    outcome = with_tests(extractions(result, files.editable_text, metric_options(context.settings)),
                         context.settings, out.note)  # fmt: skip
    for item in offered(outcome):
        out.note(item.describe(describe(item.evidence.pairs())))
    made = sum(len(f.offered) for f in outcome.files)
    skipped = sum(outcome.skipped.values())
    reasons = "; ".join(f"{n} {why}" for why, n in outcome.skipped.most_common(5))
    out.note(f"extractions: {made} offered, {skipped} skipped" + (f" ({reasons})" if reasons else ""))
    return outcome


def _ai(result: GateResult, advice: Sequence[Suggestion], files: SourceFiles, context: SuggestContext,
        out: Console) -> list[Accepted]:  # fmt: skip
    """The AI rewrites when AI is configured; without it, the extractions stand alone."""
    try:
        return ai_rewrites(result, advice, files, context, out)
    except AIUnavailable as exc:
        out.note(f"{exc}; only the deterministic extractions are offered")
        return []


def _extracted_files(outcome: Outcome, unverified: bool, out: Console) -> dict[str, FileExtractions]:
    """The files whose extractions ``--apply`` writes: verified ones (the tests ran and passed),
    or all with --apply-unverified."""
    kept = {}
    for item in outcome.files:
        weak = [o for o in item.offered if not o.evidence.verified]
        if unverified or not weak:
            kept[item.path] = item
        else:  # tested together, so applied together
            out.note(f"extractions not applied to {item.path}: `{weak[0].qualname}` is "
                     f"{describe(weak[0].evidence.pairs())} (--apply-unverified applies them)")  # fmt: skip
    return kept


def run_suggest(
    result: GateResult,
    context: SuggestContext,
    apply: bool,
    output: Path | None,
    streams: tuple[TextIO, TextIO],
    apply_unverified: bool = False,
    extract: bool = True,
) -> int:
    """Rule advice to stderr, then every extraction's and rewrite's patch to stdout (or --output),
    or the verified ones (all with ``apply_unverified``) applied."""
    stdout, stderr = streams
    out = console(stderr, context.settings.ai, context.env)
    files = SourceFiles(context.settings.max_file_bytes)
    advice = rule_suggestions(result, files.text, count_asserts=context.settings.count_asserts)
    for s in advice:
        stderr.write(f"{s.path}:{s.line}: {s.rule} {s.qualname or '(file)'}: {s.text}\n")
    if not result.violations:
        out.note("no violations, nothing to rewrite")
        return 0
    outcome = _deterministic(result, context, files, out) if extract else Outcome([], Counter())
    accepted = _ai(_not_extracted(result, outcome), advice, files, context, out)
    if apply or apply_unverified:
        start = _extracted_files(outcome, apply_unverified, out)
        rewrites = list(combine(_applicable(accepted, apply_unverified, out), context, out, start))
        written = apply_rewrites(rewrites, out)
        out.note(f"rewrote {written} file{'s' * (written != 1)}")
        return 0
    for item in accepted:
        out.note(f"{item.target.path} `{item.target.function.qualname}`: "
                 f"{describe(item.verified.evidence.pairs())}")  # fmt: skip
    rewrites = list(combine(accepted, context, out, {f.path: f for f in outcome.files}))
    patch = "".join(unified_diff(repository_path(r.path), r.original, r.source) for r in rewrites)
    _write_patch(patch, output, stdout)
    return 0


def _not_extracted(result: GateResult, outcome: Outcome) -> GateResult:
    """The violations left for the AI: a function with an extraction is not also rewritten, since
    the AI's new def would orphan the helper."""
    done = {(o.path, o.symbol) for o in offered(outcome)}
    return replace(result, violations=tuple(v for v in result.violations if (v.path, v.symbol) not in done))
