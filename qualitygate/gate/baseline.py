"""The baseline (ratchet): today's offenders, recorded so that only new or worse ones fail."""
from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeGuard

from qualitygate.errors import QualityGateError
from qualitygate.gate.rules import COVERAGE_RULES, RULES_BY_CODE, Rule
from qualitygate.models import (
    FileMetrics,
    FixedOffender,
    GateResult,
    Scope,
    Severity,
    Violation,
    qualname_of,
)
from qualitygate.paths import read_regular, root_relative
from qualitygate.store.atomic import write_atomic

FORMAT_VERSION = 1
FILE_SYMBOL = "<module>"  # the symbol of file rules: Python's own name for module-level code
Key = tuple[str, str, str]  # (path from the project root, function id or FILE_SYMBOL, rule code)


class BaselineError(QualityGateError):
    """The baseline file cannot be read, parsed or written."""


@dataclass(frozen=True, order=True)
class Entry:
    """One recorded offender; matched by path, function id and rule, never by line."""

    path: str  # relative to the project root, '/'-separated, so it works from any cwd
    symbol: str
    rule: str
    value: float

    @property
    def key(self) -> Key:
        """What a current violation must share to match this entry."""
        return (self.path, self.symbol, self.rule)


@dataclass(frozen=True)
class Baseline:
    """Every recorded offender, sorted."""

    entries: tuple[Entry, ...] = ()


def baseline_path(root: Path, setting: str) -> Path:
    """The ``baseline`` key, relative to the project root."""
    return root / setting


# -- the file ------------------------------------------------------------------------------------


def load(path: Path) -> Baseline | None:
    """The baseline at ``path``; None when there is none. A broken one is an error, not empty:
    treating it as empty would fail every recorded offender at once."""
    try:
        text = read_regular(path).decode("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{path}:{exc.lineno}: the baseline is not valid JSON ({exc.msg}); resolve the "
            "merge conflict, or record it again with 'qualitygate baseline'"
        ) from None
    return Baseline(tuple(_parse(data, path)))


def _parse(data: Any, path: Path) -> list[Entry]:
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise BaselineError(f"{path}: not a version {FORMAT_VERSION} qualitygate baseline")
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: entries: expected a list")
    return [_entry(item, path, index) for index, item in enumerate(entries)]


def _entry(item: Any, path: Path, index: int) -> Entry:
    fields = ("path", "symbol", "rule")
    ok = isinstance(item, dict) and all(isinstance(item.get(f), str) for f in fields)
    value = item.get("value") if isinstance(item, dict) else None
    if not ok or not _finite_number(value):
        raise BaselineError(
            f"{path}: entries[{index}]: expected {{path, symbol, rule: strings, value: a finite number}}"
        )
    return Entry(item["path"], item["symbol"], item["rule"], value)


def _finite_number(value: Any) -> TypeGuard[float]:
    """A number a threshold can be compared with: NaN would compare false and baseline every
    offender, and 10**400 cannot be a float (issue 12)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def dumps(baseline: Baseline) -> str:
    """Sorted keys and one entry per line, so a change to one offender is a one-line diff."""
    lines = [json.dumps(vars(e), sort_keys=True, ensure_ascii=False) for e in sorted(baseline.entries)]
    body = "[\n" + ",\n".join(f"    {line}" for line in lines) + "\n  ]" if lines else "[]"
    return f'{{\n  "entries": {body},\n  "version": {FORMAT_VERSION}\n}}\n'


def write(path: Path, baseline: Baseline) -> None:
    """Write atomically: a temporary file in the same folder, then ``os.replace``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, dumps(baseline))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write the baseline: {exc.strerror or exc}") from None


# -- matching offenders to entries ---------------------------------------------------------------


def _rule(code: str) -> Rule | None:
    return RULES_BY_CODE.get(code)


def _recorded_value(value: float) -> float:
    """What the file stores: integers as they are, maintainability to two decimals."""
    return value if float(value).is_integer() else round(value, 2)


def _worse(rule: Rule | None, value: float, recorded: float) -> bool:
    return rule is not None and rule.fails(_recorded_value(value), recorded)


def _badness(rule: Rule | None, value: float) -> float:
    """Sort key: the worst value first (highest complexity, lowest maintainability)."""
    return -value if rule is None or rule.higher_is_worse else value


class _Paths:
    """Report paths -> paths from the project root, computed once per file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        if path not in self.cache:
            self.cache[path] = root_relative(path, self.root)
        return self.cache[path]

    def key(self, v: Violation) -> Key:
        rule = _rule(v.rule)
        symbol = FILE_SYMBOL if rule is not None and rule.scope is Scope.FILE else v.symbol
        return (self(v.path), symbol, v.rule)


def _match(
    entries: Iterable[Entry], present: Sequence[Violation], paths: _Paths
) -> tuple[list[Entry | None], list[Entry]]:
    """Pair entries with offenders of the same key; return each offender's entry and the entries
    left without one.

    A key recorded once pairs by key. The rest pair by qualname, worst with worst: a baseline
    written before function ids (issue 12) names a property's getter and setter both ``prop``,
    and a baseline listing an entry twice (two files concatenated) must not lend the copy out.
    """
    pairing: list[Entry | None] = [None] * len(present)
    once, rest = _by_count(entries)
    leftover = _pair(once, present, pairing, paths.key, lambda e: e.key)
    leftover = _pair(leftover + rest, present, pairing, lambda v: _legacy(paths.key(v)), lambda e: _legacy(e.key))
    return pairing, leftover


def _by_count(entries: Iterable[Entry]) -> tuple[list[Entry], list[Entry]]:
    """The entries whose key is recorded once (an exact copy counts once), and all the others."""
    copies = Counter(entries)  # in first-seen order
    keys = Counter(e.key for e in copies)
    once = [e for e in copies if keys[e.key] == 1]
    rest = [e for e in copies if keys[e.key] > 1] + [e for e, n in copies.items() for _ in range(n - 1)]
    return once, rest


def _legacy(key: Key) -> Key:
    return (key[0], qualname_of(key[1]), key[2])


def _pair(entries: list[Entry], present: Sequence[Violation], pairing: list[Entry | None],
          key_of: Callable[[Violation], Key], entry_key: Callable[[Entry], Key]) -> list[Entry]:  # fmt: skip
    """Fill the unpaired slots of ``pairing`` from ``entries``, worst with worst; the rest."""
    recorded: dict[Key, list[Entry]] = defaultdict(list)
    for entry in entries:
        recorded[entry_key(entry)].append(entry)
    offenders: dict[Key, list[int]] = defaultdict(list)
    for index, v in enumerate(present):
        if pairing[index] is None:
            offenders[key_of(v)].append(index)
    leftover: list[Entry] = []
    for key, group in recorded.items():
        rule = _rule(key[2])
        group.sort(key=lambda e: _badness(rule, e.value))
        indices = sorted(offenders.get(key, []), key=lambda i: _badness(rule, present[i].value))
        for index, entry in zip(indices, group, strict=False):  # the extra entries are the leftover
            pairing[index] = entry
        leftover.extend(group[len(indices) :])
    return leftover


def _present(result: GateResult) -> list[Violation]:
    """Every offender still there, whether it fails, is suppressed or is outside --diff."""
    return [*result.violations, *result.suppressed, *result.informational, *result.preexisting]


def _measured(result: GateResult, paths: _Paths) -> set[str]:
    return {paths(f.path) for f in result.files}


# -- check: set recorded offenders aside ---------------------------------------------------------


def apply(result: GateResult, baseline: Baseline, root: Path) -> GateResult:
    """Recorded offenders no worse than recorded become ``baselined``; worse ones keep failing
    with the recorded value; entries whose offender is gone become ``fixed``."""
    paths = _Paths(root)
    measured = {paths(f.path): f for f in result.files}
    present = _present(result)
    pairing, leftover = _match((e for e in baseline.entries if e.path in measured), present, paths)
    kept: list[Violation] = []
    baselined: list[Violation] = []
    for v, entry in zip(result.violations, pairing, strict=False):  # ``present`` starts with them
        if entry is None or v.severity is not Severity.ERROR:
            kept.append(v)
        elif _worse(_rule(v.rule), v.value, entry.value):
            kept.append(v._replace(baseline_value=entry.value))
        else:
            baselined.append(v)
    fixed = _crap_now(_fixed_offenders(leftover, present, measured, paths), result)
    return replace(result, violations=tuple(kept), baselined=tuple(baselined), fixed=tuple(fixed))


def _fixed_offenders(leftover: Iterable[Entry], present: Sequence[Violation],
                     measured: dict[str, FileMetrics], paths: _Paths) -> list[FixedOffender]:  # fmt: skip
    """The unpaired entries whose offender is gone or passes: an entry listed twice is not
    fixed while its offender is still there."""
    still = {paths.key(v) for v in present} | {_legacy(paths.key(v)) for v in present}
    gone = (e for e in leftover if e.key not in still)
    return sorted((_fixed(e, measured[e.path]) for e in gone), key=lambda f: (f.path, f.symbol, f.rule))


def _crap_now(fixed: list[FixedOffender], result: GateResult) -> list[FixedOffender]:
    """A fixed QG005 entry's score now: it is read from the coverage file, not from the function
    (issue 14); None when the coverage has none for it."""
    if not any(f.rule in COVERAGE_RULES for f in fixed):
        return fixed
    scores = {(c.path, c.symbol): c.crap for c in result.coverage}
    return [f._replace(value=scores.get((f.path, f.symbol))) if f.rule in COVERAGE_RULES else f for f in fixed]


def _fixed(entry: Entry, file: FileMetrics) -> FixedOffender:
    """The entry with the value its function or file has now (None when it is gone)."""
    rule = _rule(entry.rule)
    metric = rule.metric.value if rule else ""
    if entry.symbol == FILE_SYMBOL:
        return FixedOffender(entry.rule, file.path, file.path, entry.value, getattr(file, metric, None))
    values = _values_now(entry, rule, file, metric)
    return FixedOffender(entry.rule, file.path, entry.symbol, entry.value, values[0] if values else None)


def _values_now(entry: Entry, rule: Rule | None, file: FileMetrics, metric: str) -> list[float | None]:
    """The entry's function, or its class for QG006 and QG007 (issue 15: by the class's qualname)."""
    if rule is not None and rule.scope is Scope.CLASS:
        return [getattr(c, metric) for c in file.classes if c.qualname == entry.symbol]
    return [getattr(fn, metric, None) for fn in file.functions if entry.symbol in (fn.id, fn.qualname)]


# -- baseline: record or tighten -----------------------------------------------------------------


def record(result: GateResult, root: Path) -> list[Entry]:
    """An entry for every offender that fails today (suppressed ones need none)."""
    paths = _Paths(root)
    return [
        Entry(*paths.key(v), _recorded_value(v.value))
        for v in result.violations
        if v.severity is Severity.ERROR
    ]


def _tightened(old: Iterable[Entry], result: GateResult, paths: _Paths) -> list[Entry]:
    """``--prune``: drop entries whose offender is gone, lower those that improved, add none."""
    pairing, _ = _match(old, _present(result), paths)
    tightened = []
    for v, entry in zip(_present(result), pairing, strict=True):
        if entry is not None:
            worse = _worse(_rule(v.rule), v.value, entry.value)
            tightened.append(entry if worse else replace(entry, value=_recorded_value(v.value)))
    return tightened


def update(old: Baseline | None, result: GateResult, root: Path, prune: bool) -> Baseline:
    """The new baseline: the files measured now are recorded afresh (or only tightened with
    ``prune``); entries of other files stay while those files exist."""
    paths = _Paths(root)
    measured = _measured(result, paths)
    previous = old.entries if old else ()
    others = [e for e in previous if e.path not in measured and (root / e.path).exists()]
    if prune:
        fresh = _tightened((e for e in previous if e.path in measured), result, paths)
    else:
        fresh = record(result, root)
    return Baseline(tuple(sorted(others + fresh)))


def describe(old: Baseline | None, new: Baseline) -> str:
    """``N offenders in M files (A added, R removed, C changed)`` for the command's last line."""
    before = {e.key: e.value for e in (old.entries if old else ())}
    after = {e.key: e.value for e in new.entries}
    added = sum(key not in before for key in after)
    removed = sum(key not in after for key in before)
    lowered = sum(key in before and before[key] != value for key, value in after.items())
    files = len({e.path for e in new.entries})
    count = len(new.entries)
    return (
        f"{count} offender{'s' * (count != 1)} in {files} file{'s' * (files != 1)} "
        f"({added} added, {removed} removed, {lowered} changed)"
    )
