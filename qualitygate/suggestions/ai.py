"""The AI stage: pick the worst functions, ask in parallel, check every answer, ask again with the
reason when one is rejected (issue 13), keep what passes, labelled with its evidence."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from qualitygate.gate.result import worst_first
from qualitygate.gate.rules import RULES_BY_CODE, Thresholds
from qualitygate.models import (
    FileMetrics,
    FunctionMetrics,
    GateResult,
    Scope,
    Suggestion,
    SuggestionKind,
    Violation,
    format_number,
    qualname_of,
)
from qualitygate.store.answers import AnswerCache, request_key
from qualitygate.suggestions.ai_client import ChatClient, RequestFailed
from qualitygate.suggestions.answer import extract_code
from qualitygate.suggestions.evidence import describe
from qualitygate.suggestions.patch import repository_path, unified_diff
from qualitygate.suggestions.prompt import Request, cache_payload, context_text, messages
from qualitygate.suggestions.rules import Heat, hottest_first
from qualitygate.suggestions.verify import (
    SHOWN,
    Rejected,
    Target,
    Verified,
    checked,
    metric_pairs,
    original_source,
)

Log = Callable[[str], None]
SourceText = Callable[[str], "str | None"]
ThresholdsFor = Callable[[str], Thresholds]  # a report path -> the thresholds in force there
# Rejected answers are asked about again this many times, with the reason (issue 13, item 3).
RETRIES = 1


@dataclass
class Tally:
    """What the AI stage did, for the closing log line (final rejections are counted)."""

    sent: int = 0
    cached: int = 0
    offered: int = 0
    verified: int = 0  # offered with behaviour evidence
    rejected: int = 0
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        """``2 offered (0 verified), 3 rejected, 1 request failed; 5 sent, 4 from the cache``."""
        failed = len(self.failures)
        text = (f"{self.offered} offered ({self.verified} verified), {self.rejected} rejected, "
                f"{failed} request{'s' * (failed != 1)} failed")  # fmt: skip
        return f"{text}; {self.sent} sent, {self.cached} from the cache"


# Target choice (issue 13): a request is worth its tokens when one or two extractions can bring
# the function under its threshold. Each extraction takes a block out, so a value past REACH
# times the threshold, or a function past MONSTER_LINES lines, goes after every other offender.
REACH = 3.0
MONSTER_LINES = 300


def within_reach(v: Violation) -> bool:
    """Whether a rewrite could plausibly fix ``v``: not a monster, not far past a ceiling."""
    if v.end_line - v.line + 1 > MONSTER_LINES:
        return False
    higher_is_worse = RULES_BY_CODE[v.rule].higher_is_worse
    return not higher_is_worse or not v.threshold or v.value <= REACH * v.threshold


def _function_violations(result: GateResult, heat: Heat | None) -> dict[tuple[str, str, int], list[Violation]]:
    """Function violations grouped per function: those within reach first, then the worst
    function (and violation) first, the hottest first with ``hotspot_advice``."""
    groups: dict[tuple[str, str, int], list[Violation]] = {}
    ranked = hottest_first(worst_first(result.violations), heat)
    for v in sorted(ranked, key=lambda v: not within_reach(v)):  # stable: the order above stays
        rule = RULES_BY_CODE[v.rule]
        # A rewrite cannot be verified to raise coverage, so QG005 is never sent (issue 14).
        if rule.scope is Scope.FUNCTION and not rule.needs_coverage:
            groups.setdefault((v.path, v.symbol, v.line), []).append(v)
    return groups


def select_targets(
    result: GateResult, text: SourceText, limit: int, heat: Heat | None = None, count_asserts: bool = True
) -> list[Target]:
    """At most ``limit`` functions, worst first; nested ones that overlap a pick are skipped.
    ``count_asserts`` is the project's setting, which the rewrites are measured with."""
    files = {f.path: f for f in result.files}
    picked: list[Target] = []
    for (path, function_id, line), found in _function_violations(result, heat).items():
        if len(picked) >= limit:
            break
        source, file = text(path), files.get(path)
        if source is None or file is None:
            continue
        located = _locate(file, function_id, line)
        if located is None or _overlaps_any(picked, path, located[0]):
            continue
        picked.append(Target(path, source, file, located[0], located[1], found[0], count_asserts))
    return picked


def _locate(file: FileMetrics, function_id: str, line: int) -> tuple[FunctionMetrics, int] | None:
    """The measured function at ``line`` and its index among the defs sharing its qualname."""
    same = [f for f in file.functions if f.qualname == qualname_of(function_id)]
    function = next((f for f in same if f.id == function_id and f.lineno == line), None)
    return None if function is None else (function, same.index(function))


def _overlaps_any(picked: Iterable[Target], path: str, function: FunctionMetrics) -> bool:
    """True when ``function`` shares lines with a target already picked (a rewrite would clash)."""
    return any(_overlaps(t, path, function.lineno, function.end_lineno) for t in picked)


def _overlaps(target: Target, path: str, start: int, end: int) -> bool:
    f = target.function
    return target.path == path and start <= f.end_lineno and f.lineno <= end


def _request(target: Target, result: GateResult, advice: Sequence[Suggestion]) -> Request:
    f = target.function
    mine = tuple(v for v in worst_first(result.violations)
                 if v.path == target.path and v.symbol == f.id and v.line == f.lineno)  # fmt: skip
    texts = tuple(s.text for s in advice
                  if s.path == target.path and s.qualname == f.id and s.line == f.lineno)  # fmt: skip
    context = context_text(target.source, f.qualname, target.index, target.path)
    return Request(target.path, f, mine, original_source(target), texts, context)


class Asker:
    """Answers from the cache, else from the server, several requests in flight at once."""

    def __init__(self, client: ChatClient, cache: AnswerCache, concurrency: int) -> None:
        self.client = client
        self.cache = cache
        self.concurrency = concurrency

    def ask_all(self, requests: Sequence[Request], tally: Tally) -> list[str | RequestFailed]:
        """One answer (or failure) per request, in request order."""
        payloads = [messages(r) for r in requests]
        identity = self.client.endpoint.identity
        keys = [request_key(identity, cache_payload(r)) for r in requests]
        answers: list[str | RequestFailed | None] = [self.cache.get(k) for k in keys]
        missing = [i for i, a in enumerate(answers) if a is None]
        tally.cached += len(requests) - len(missing)
        tally.sent += len(missing)
        if missing:
            self._ask_missing(missing, payloads, keys, answers)
        return [a for a in answers if a is not None]

    def _ask_missing(
        self,
        missing: Sequence[int],
        payloads: Sequence[list[dict[str, str]]],
        keys: Sequence[str],
        answers: list[str | RequestFailed | None],
    ) -> None:
        """Fill ``answers`` at the ``missing`` indexes from the server, caching each text answer."""
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(missing))) as pool:
            for i, answer in zip(missing, pool.map(self._ask, [payloads[i] for i in missing]),
                                 strict=True):  # fmt: skip
                answers[i] = answer
                if isinstance(answer, str):  # garbage is cached too: re-runs cost nothing
                    self.cache.put(keys[i], answer)

    def rejected(self, request: Request) -> None:
        """The answer to ``request`` failed the checks: keep it only for REJECTED_TTL_S."""
        self.cache.reject(request_key(self.client.endpoint.identity, cache_payload(request)))

    def _ask(self, payload: list[dict[str, str]]) -> str | RequestFailed:
        try:
            return self.client.complete(payload)
        except RequestFailed as exc:
            return exc


def _changes(verified: Verified) -> str:
    before, after = dict(metric_pairs(verified.before)), dict(metric_pairs(verified.after))
    changed = [f"{name.replace('_', ' ')} {format_number(before[name])} -> "
               f"{format_number(after[name])}" for name in SHOWN if before[name] != after[name]]  # fmt: skip
    helpers = ", ".join(f"`{h}`" for h in verified.helpers)
    return ", ".join(changed) + (f"; adds {helpers}" if helpers else "")


def to_suggestion(target: Target, verified: Verified) -> Suggestion:
    """An offered rewrite: the patch, the metrics around it, and in words what was checked."""
    v = target.violation
    evidence = verified.evidence.pairs()
    return Suggestion(
        kind=SuggestionKind.AI,
        rule=v.rule,
        path=v.path,
        line=v.line,
        qualname=v.symbol,
        text=f"AI rewrite ({_changes(verified)}), {describe(evidence)}",
        patch=unified_diff(repository_path(target.path), target.source, verified.source),
        verified=verified.evidence.verified,
        before=metric_pairs(verified.before),
        after=metric_pairs(verified.after),
        evidence=evidence,
    )


def _label(target: Target) -> str:
    return f"{target.path}:{target.function.lineno} `{target.function.qualname}` ({target.violation.rule})"


@dataclass(frozen=True)
class Accepted:
    """A target with its verified rewrite and the code that produced it (kept for combining)."""

    target: Target
    verified: Verified
    code: str


def run_ai(
    result: GateResult,
    advice: Sequence[Suggestion],
    text: SourceText,
    asker: Asker,
    limits: tuple[int, ThresholdsFor],
    log: Log,
    heat: Heat | None = None,
    count_asserts: bool = True,
) -> tuple[list[Accepted], Tally]:
    """Ask about the worst functions (the hottest first, given ``heat``), ask again about each
    rejected answer with its reason, and keep the answers that pass the checks."""
    limit, thresholds = limits
    tally = Tally()
    pending: list[tuple[Target, Request]] = []
    for target in select_targets(result, text, limit, heat, count_asserts):
        try:
            pending.append((target, _request(target, result, advice)))
        except Rejected as exc:
            log(f"skipped {_label(target)}: {exc}")
    accepted: list[Accepted] = []
    for attempt in range(RETRIES + 1):
        answers = asker.ask_all([r for _, r in pending], tally)
        last = attempt == RETRIES
        rejected = list(_check_all(pending, answers, thresholds, tally, accepted))
        pending = []
        for target, request, answer, reason in rejected:
            asker.rejected(request)
            log(f"rejected the AI rewrite of {_label(target)}: {reason}"
                + ("" if last else "; asking again with the reason"))  # fmt: skip
            pending.append((target, request.retry(answer, reason)))
        if last:
            tally.rejected += len(rejected)
        if not pending:
            break
    accepted.sort(key=lambda a: (a.target.path, a.target.function.lineno))
    return accepted, tally


def _check_all(
    pending: Iterable[tuple[Target, Request]],
    answers: Iterable[str | RequestFailed],
    thresholds: ThresholdsFor,
    tally: Tally,
    accepted: list[Accepted],
) -> Iterable[tuple[Target, Request, str, str]]:
    """Check each answer: keep the good ones in ``accepted``; yield each rejected one with its
    request, the answer and the reason."""
    for (target, request), answer in zip(pending, answers, strict=True):
        if isinstance(answer, RequestFailed):
            tally.failures.append(str(answer))
            continue
        code = extract_code(answer)
        try:
            verified = checked(target, code, thresholds(target.path))
        except Rejected as exc:
            yield target, request, answer, str(exc)
            continue
        tally.offered += 1
        tally.verified += verified.evidence.verified
        accepted.append(Accepted(target, verified, code))
