"""``--diff`` deltas (issue 14): functions paired across the merge-base and the working tree, the
``changes`` list, each violation's ``base_value``, the new-code policy and ``--fail-on-worse``.

Functions pair by id (the qualname, ``#n`` for repeats); what is left pairs by the likeness of
their bodies, so a renamed or moved function is "modified", not "removed" plus "added".
"""
from __future__ import annotations

import difflib
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from qualitygate.gate.base import BaseSide
from qualitygate.gate.diff import ChangedCode, FileChange
from qualitygate.gate.result import violation_key
from qualitygate.gate.rules import RULES, RULES_BY_CODE, WORSE_RULE, Rule, Thresholds
from qualitygate.models import (
    Change,
    ChangeStatus,
    FileMetrics,
    FunctionMetrics,
    GateResult,
    Scope,
    Severity,
    Violation,
    format_number,
)

FUNCTION_METRICS = ("cyclomatic_complexity", "cognitive_complexity", "maintainability_index")
FILE_METRICS = ("cyclomatic_complexity", "maintainability_index")
MATCH_RATIO = 0.6  # bodies at least this alike (difflib's ratio) are one function, renamed or moved
MATCH_LIMIT = 2_500  # unpaired (old x new) candidates compared at most; past it, no body match
BODY_LINES = 400  # lines of a body compared at most (a 3,000-line generated function stays fast)

Pair = tuple[FunctionMetrics | None, FunctionMetrics | None]
ThresholdsOf = Callable[[str], Thresholds]


class DeltaOptions(NamedTuple):
    """How ``--diff`` gates (issue 14)."""

    policy: str = "new-code"  # "new-code": a base offender no worse passes; "touched": every touched offender fails
    fail_on_worse: bool = False  # fail a changed function that got worse, even under its threshold
    tolerance: float = 0.0  # how much worse --fail-on-worse allows



def apply(result: GateResult, changed: ChangedCode, base: BaseSide, thresholds: ThresholdsOf,
          options: DeltaOptions, texts: Callable[[str], str] | None = None) -> GateResult:  # fmt: skip
    """``result`` (already gated by ``gate.diff.apply``) with changes, base values and the policy;
    ``texts`` reads a measured file's text (to pair renamed functions by body)."""
    texts = texts or _text_of
    pairs: dict[str, Pairing] = {}
    changes: list[Change] = []
    for file in result.files:
        change = changed.change_of(file.path)
        old = base.files.get(file.path)
        if change is not None and (old is not None or not change.base_path):  # no base measured: no deltas
            pairs[file.path] = _pairs(old, file, base.sources.get(file.path, ""), texts) if old else Pairing([], set())
            changes.extend(_file_changes(file, old, change, pairs[file.path].pairs))
    for gone in base.removed:
        changes.extend(_removed(gone))
    valued = _with_base_values(result, base, pairs)
    kept, passed = _policy(valued.violations, options.policy)
    worse = _worse(pairs, changed, valued, thresholds, options) if options.fail_on_worse else []
    return replace(valued, violations=tuple(sorted([*kept, *worse], key=violation_key)),
                   preexisting=tuple(passed), changes=tuple(changes))  # fmt: skip


# -- pairing -------------------------------------------------------------------------------------


def _text_of(path: str) -> str:
    """A measured file's text ("" when unreadable: its functions then pair by id only)."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        return ""


class Pairing(NamedTuple):
    """A file's functions across the two sides, and which pairs are one function for sure."""

    pairs: list[Pair]
    sure: set[int]  # id() of each new-side function whose base is known for sure


def _pairs(old: FileMetrics, new: FileMetrics, old_text: str, texts: Callable[[str], str]) -> Pairing:
    """Every function of either side, paired; unpaired ones with None for the other side.

    A qualname that one def holds on each side pairs those two, for sure. The rest (qualnames
    shared by several defs, whose ``#n`` ordinals shift when one is added above; renamed
    functions) pair by the likeness of their bodies, line by line: a best guess for the
    ``changes`` list, sure only when the bodies are the same. Verdicts use only sure pairs.
    """
    pairs, left, lonely = _by_key(old.functions, new.functions, _QUALNAME)
    sure = {id(f) for _, f in pairs}
    if left and lonely:
        old_lines, new_lines = _lines(old_text), _lines(texts(new.path))
        # A name one def holds on each side: moved into or out of a class, most likely.
        guessed, left, lonely = _by_key(left, lonely, _NAME)
        if left and lonely and len(left) * len(lonely) <= MATCH_LIMIT:
            guessed += _by_body(left, lonely, old_lines, new_lines)
        pairs += guessed
        sure |= {id(n) for o, n in guessed if _same_body(o, n, old_lines, new_lines)}
    return Pairing(pairs + _unpaired(pairs, left, lonely), sure)


def _same_body(old: FunctionMetrics | None, new: FunctionMetrics | None, old_lines: list[str], new_lines: list[str]) -> bool:
    """Whether a guessed pair is one function for sure: every line after the def is the same."""
    limit = 1 << 30
    return old is not None and new is not None and _body(old_lines, old, limit) == _body(new_lines, new, limit)


def _by_key(old: Sequence[FunctionMetrics], new: Sequence[FunctionMetrics],
            key: Callable[[FunctionMetrics], str]) -> tuple[list[Pair], list[FunctionMetrics], list[FunctionMetrics]]:  # fmt: skip
    """Pairs of the keys one def holds on each side; the old and new functions left over."""
    before, after = Counter(map(key, old)), Counter(map(key, new))
    unique = {name for name, n in before.items() if n == 1 and after[name] == 1}
    once = {key(f): f for f in old if key(f) in unique}
    pairs: list[Pair] = [(once[key(f)], f) for f in new if key(f) in unique]
    return pairs, _others(old, key, unique), _others(new, key, unique)


def _others(functions: Sequence[FunctionMetrics], key: Callable[[FunctionMetrics], str], taken: set[str]) -> list[FunctionMetrics]:
    return [f for f in functions if key(f) not in taken]


_QUALNAME = operator.attrgetter("qualname")
_NAME = operator.attrgetter("name")  # moved into or out of a class: the qualname changed, not the name


def _unpaired(pairs: list[Pair], left: list[FunctionMetrics], lonely: list[FunctionMetrics]) -> list[Pair]:
    """The functions of either side that no pair holds, each with None for the other side."""
    paired = {id(f) for pair in pairs for f in pair if f is not None}
    return [(f, None) for f in left if id(f) not in paired] + [(None, f) for f in lonely if id(f) not in paired]


_LINE_BREAK = re.compile("\r\n|\r|\n")  # what Python's tokenizer counts as a line, nothing else


def _lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)


def _body(lines: list[str], function: FunctionMetrics, limit: int = BODY_LINES) -> list[str]:
    """The lines after the def line, without indentation (a move into a class changes it), at
    most ``limit`` of them: what a rename or a move leaves as it was."""
    return [line.strip() for line in lines[function.lineno : min(function.end_lineno, function.lineno + limit)]]


Score = tuple[float, int, int, FunctionMetrics, FunctionMetrics]


def _scores(new: FunctionMetrics, after: list[str], old: Sequence[FunctionMetrics],
            befores: dict[int, list[str]]) -> Iterator[Score]:  # fmt: skip
    """(-likeness, lines, the pair) of ``new`` with each old function alike enough to pair."""
    if not after:
        return
    matcher = difflib.SequenceMatcher(None, b=after, autojunk=False)  # b is indexed once
    for o in old:
        matcher.set_seq1(befores[id(o)])
        if befores[id(o)] and min(matcher.real_quick_ratio(), matcher.quick_ratio()) >= MATCH_RATIO:
            yield (-matcher.ratio(), o.lineno, new.lineno, o, new)


def _by_body(old: Sequence[FunctionMetrics], new: Sequence[FunctionMetrics], old_lines: list[str],
             new_lines: list[str]) -> list[Pair]:  # fmt: skip
    """The most alike bodies first (difflib's ratio over lines), each function in one pair at most."""
    befores = {id(o): _body(old_lines, o) for o in old}
    scored = [score for n in new for score in _scores(n, _body(new_lines, n), old, befores)]
    pairs: list[Pair] = []
    used: set[int] = set()
    for score, _, _, o, n in sorted(scored, key=lambda s: s[:3]):
        if -score >= MATCH_RATIO and id(o) not in used and id(n) not in used:
            used.update((id(o), id(n)))
            pairs.append((o, n))
    return pairs


# -- the changes list ----------------------------------------------------------------------------


def _metrics(names: Sequence[str], old: object | None, new: object | None) -> tuple[tuple[str, tuple[float | None, float | None]], ...]:
    return tuple((name, (getattr(old, name, None), getattr(new, name, None))) for name in names)


def _file_changes(file: FileMetrics, old: FileMetrics | None, change: FileChange, pairs: list[Pair]) -> Iterator[Change]:
    """The file's own change, then each function's, in line order."""
    status = ChangeStatus.MODIFIED if old is not None else ChangeStatus.ADDED
    yield Change(file.path, file.path, status, 1, max(file.raw.loc, 1), _metrics(FILE_METRICS, old, file))
    if old is None:
        pairs = [(None, f) for f in file.functions]
    for before, after in sorted(pairs, key=lambda p: (p[1] or p[0]).lineno):  # type: ignore[union-attr]
        found = _function_change(file.path, before, after, change)
        if found is not None:
            yield found


def _function_change(path: str, before: FunctionMetrics | None, after: FunctionMetrics | None,
                     change: FileChange) -> Change | None:  # fmt: skip
    if after is None:
        assert before is not None
        return Change(path, before.id, ChangeStatus.REMOVED, before.lineno, before.end_lineno,
                      _metrics(FUNCTION_METRICS, before, None))  # fmt: skip
    metrics = _metrics(FUNCTION_METRICS, before, after)
    if before is None:
        return Change(path, after.id, ChangeStatus.ADDED, after.lineno, after.end_lineno, metrics)
    moved = before.id != after.id or any(old != new for _, (old, new) in metrics)
    if moved or change.touches(after.first_lineno or after.lineno, after.end_lineno):
        return Change(path, after.id, ChangeStatus.MODIFIED, after.lineno, after.end_lineno, metrics)
    return None


def _removed(file: FileMetrics) -> Iterator[Change]:
    yield Change(file.path, file.path, ChangeStatus.REMOVED, 1, max(file.raw.loc, 1), _metrics(FILE_METRICS, file, None))
    for f in file.functions:
        yield Change(file.path, f.id, ChangeStatus.REMOVED, f.lineno, f.end_lineno, _metrics(FUNCTION_METRICS, f, None))


# -- base values and the policies ----------------------------------------------------------------


def _with_base_values(result: GateResult, base: BaseSide, pairs: dict[str, Pairing]) -> GateResult:
    """Each offender's value at the base, where that is known for sure: a file git lists as
    changed whose base was measured, a function paired for sure (never a guess by body)."""
    before = {(path, after.id): old for path, found in pairs.items() for old, after in found.pairs
              if old and after and id(after) in found.sure}  # fmt: skip

    def valued(v: Violation) -> Violation:
        rule = RULES_BY_CODE.get(v.rule)
        if rule is None or v.path not in pairs:
            return v
        old: object | None = base.files.get(v.path) if rule.scope is Scope.FILE else before.get((v.path, v.symbol))
        value = getattr(old, rule.metric.value, None)
        return v._replace(base_value=value)

    return replace(result, violations=tuple(map(valued, result.violations)),
                   informational=tuple(map(valued, result.informational)))  # fmt: skip


def _got_worse(rule: Rule, before: float, after: float) -> float:
    """How much worse ``after`` is than ``before`` (negative when better)."""
    return after - before if rule.higher_is_worse else before - after


def _policy(violations: Sequence[Violation], policy: str) -> tuple[list[Violation], list[Violation]]:
    """(failing, passed): under "new-code", an offender that already failed at the base and got
    no worse passes (SonarQube's new-code gate, from git alone)."""
    if policy != "new-code":
        return list(violations), []
    kept: list[Violation] = []
    passed: list[Violation] = []
    for v in violations:
        rule = RULES_BY_CODE.get(v.rule)
        old = v.base_value
        legacy = rule is not None and old is not None and rule.fails(old, v.threshold)
        if legacy and rule is not None and old is not None and _got_worse(rule, old, v.value) <= 0:
            passed.append(v)
        else:
            kept.append(v)
    return kept, passed


def _worse(pairs: dict[str, Pairing], changed: ChangedCode, result: GateResult, thresholds: ThresholdsOf,
           options: DeltaOptions) -> list[Violation]:  # fmt: skip
    """--fail-on-worse: a function the change touched, worse than at the base (paired for sure)
    by more than the tolerance on a metric some rule gates, even under its threshold
    (CodeScene's declining code health)."""
    failing = {(v.path, v.symbol, v.metric.value) for v in result.violations}
    found: list[Violation] = []
    for path, pairing in pairs.items():
        rules = [r for r in RULES if _gated(r, thresholds(path))]
        for old, new in _touched_sure_pairs(pairing, changed.change_of(path)):
            found += _worse_of(path, old, new, rules, failing, options.tolerance)
    return found


def _touched_sure_pairs(pairing: Pairing, change: FileChange | None) -> Iterator[tuple[FunctionMetrics, FunctionMetrics]]:
    """The pairs known for sure whose new side the change touched."""
    for old, new in pairing.pairs:
        if old and new and id(new) in pairing.sure and change and change.touches(new.first_lineno or new.lineno, new.end_lineno):
            yield old, new


def _worse_of(path: str, old: FunctionMetrics, new: FunctionMetrics, rules: Sequence[Rule],
              failing: set[tuple[str, str, str]], tolerance: float) -> list[Violation]:  # fmt: skip
    """One function's worse-than-base findings, one per metric a threshold violation does not
    already fail."""
    found = []
    for rule in rules:
        key = (path, new.id, rule.metric.value)
        before, after = getattr(old, key[2]), getattr(new, key[2])
        if key not in failing and _got_worse(rule, before, after) > tolerance:
            failing.add(key)
            found.append(_worse_violation(rule, path, new, before, after, tolerance))
    return found


def _gated(rule: Rule, thresholds: Thresholds) -> bool:
    """A function rule on a measured metric whose threshold can fail something (MI 0 cannot)."""
    threshold = getattr(thresholds, rule.setting, None)
    if rule.scope is not Scope.FUNCTION or rule.metric.value not in FUNCTION_METRICS or threshold is None:
        return False
    return rule.higher_is_worse or threshold > 0


def _worse_violation(rule: Rule, path: str, new: FunctionMetrics, before: float, after: float,
                     tolerance: float) -> Violation:  # fmt: skip
    limit = before + tolerance if rule.higher_is_worse else before - tolerance
    label = rule.metric.value.replace("_", " ")
    message = f"{label} {format_number(after)}, was {format_number(before)} at the merge-base"
    return Violation(WORSE_RULE, rule.metric, path, new.lineno, new.end_lineno, new.id, after, limit,
                     message, Severity.ERROR, base_value=before, column=new.column or 1)  # fmt: skip
