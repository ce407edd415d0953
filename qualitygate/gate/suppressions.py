"""Inline suppressions, applied: offenders a ``# qualitygate: ignore`` comment covers are set aside."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from qualitygate.gate.rules import RULES, RULES_BY_CODE, WORSE_NAME, WORSE_RULE
from qualitygate.models import FileMetrics, GateResult, Scope, Suppression, Violation


def _normal(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _name_table() -> dict[str, frozenset[str]]:
    """Every name a suppression may use (metric names, rule codes, rule names) -> rule codes."""
    table: dict[str, set[str]] = {}
    for rule in RULES:
        for name in (rule.code, rule.name, rule.metric.value):
            table.setdefault(_normal(name), set()).add(rule.code)
    for name in (WORSE_RULE, WORSE_NAME):  # --fail-on-worse's findings (issue 14)
        table.setdefault(_normal(name), set()).add(WORSE_RULE)
    return {name: frozenset(codes) for name, codes in table.items()}


_NAMES = _name_table()
_SHOWN = sorted({name for rule in RULES for name in (rule.code, rule.metric.value)} | {WORSE_RULE})


def rule_codes(names: Sequence[str]) -> frozenset[str] | None:
    """The rule codes ``names`` select; None (every rule) when no names are given."""
    if not names:
        return None
    return frozenset(code for name in names for code in _NAMES.get(_normal(name), ()))


def _covers(s: Suppression, v: Violation) -> bool:
    if s.problem:
        return False
    codes = rule_codes(s.names)
    if codes is not None and v.rule not in codes:
        return False
    if s.scope is Scope.FILE:
        return True
    rule = RULES_BY_CODE.get(v.rule)
    function_rule = v.rule == WORSE_RULE or (rule is not None and rule.scope is Scope.FUNCTION)
    return function_rule and v.line == s.target


def apply(result: GateResult) -> GateResult:
    """Move every violation an applicable suppression covers into ``result.suppressed``."""
    by_path = {f.path: f.suppressions for f in result.files if f.suppressions}
    if not by_path:
        return result
    kept: list[Violation] = []
    suppressed: list[Violation] = []
    for v in result.violations:
        covered = any(_covers(s, v) for s in by_path.get(v.path, ()))
        (suppressed if covered else kept).append(v)
    return replace(result, violations=tuple(kept), suppressed=(*result.suppressed, *suppressed))


def warnings(files: Iterable[FileMetrics]) -> list[str]:
    """One line per misplaced suppression and per unknown name, naming the file and line."""
    found = []
    for file in files:
        for s in file.suppressions:
            where = f"{file.path}:{s.line}: warning:"
            if s.problem:
                found.append(f"{where} qualitygate suppression ignored: {s.problem}")
            found.extend(f"{where} {_unknown(name)}" for name in s.names if _normal(name) not in _NAMES)
    return found


def _unknown(name: str) -> str:
    import difflib  # only for an unknown name's did-you-mean

    message = f"unknown metric or rule {name!r} in a qualitygate suppression"
    close = difflib.get_close_matches(name, _SHOWN, n=1, cutoff=0.5)
    return f"{message}; did you mean {close[0]!r}?" if close else message
