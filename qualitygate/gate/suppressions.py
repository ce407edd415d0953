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


NOQA_RULE = "QG001"  # what a noqa comment naming C901 covers: mccabe's C901 is cyclomatic complexity


def _covers(s: Suppression, v: Violation) -> bool:
    if s.problem:
        return False
    if s.kind == "noqa":
        return v.rule == NOQA_RULE and v.line == s.target
    codes = rule_codes(s.names)
    if codes is not None and v.rule not in codes:
        return False
    if s.scope is Scope.FILE:
        return True
    rule = RULES_BY_CODE.get(v.rule)
    # A class rule (QG006, QG007: issue 15) is covered on the class line as a function rule on the def line.
    function_rule = v.rule == WORSE_RULE or (rule is not None and rule.scope in (Scope.FUNCTION, Scope.CLASS))
    return function_rule and v.line == s.target


def _honored(files: Iterable[FileMetrics], honor_noqa: bool) -> dict[str, tuple[Suppression, ...]]:
    """Per path, the suppressions that apply: ``# noqa`` ones only while ``honor_noqa`` is on."""
    found = {}
    for f in files:
        kept = f.suppressions if honor_noqa else tuple(s for s in f.suppressions if s.kind != "noqa")
        if kept:
            found[f.path] = kept
    return found


def apply(result: GateResult, honor_noqa: bool = True) -> GateResult:
    """Move every violation an applicable suppression covers into ``result.suppressed``."""
    by_path = _honored(result.files, honor_noqa)
    if not by_path:
        return result
    kept: list[Violation] = []
    suppressed: list[Violation] = []
    for v in result.violations:
        covered = any(_covers(s, v) for s in by_path.get(v.path, ()))
        (suppressed if covered else kept).append(v)
    return replace(result, violations=tuple(kept), suppressed=(*result.suppressed, *suppressed))


def unused(files: Iterable[FileMetrics], suppressed: Iterable[Violation], checked: frozenset[str]) -> list[str]:
    """One warning per ``# qualitygate:`` comment that exempts none of ``suppressed`` (the
    offenders set aside in this run), as complexipy lists them: it can go. Only comments whose
    rules were all ``checked`` in this run are judged (a QG005 one needs the coverage file, a
    QG010 one --fail-on-worse); ``# noqa`` comments may serve other linters, so they are not."""
    by_path: dict[str, list[Violation]] = {}
    for v in suppressed:
        by_path.setdefault(v.path, []).append(v)
    found = []
    for file in files:
        offenders = by_path.get(file.path, ())
        for s in file.suppressions:
            if s.kind != "qualitygate" or s.problem or not _judged(s, checked):
                continue
            if not any(_covers(s, v) for v in offenders):
                what = "ignore-file" if s.scope is Scope.FILE else "ignore"
                found.append(f"{file.path}:{s.line}: warning: qualitygate {what} suppresses nothing: "
                             "no offender it names is over its threshold; remove the comment")  # fmt: skip
    return found


def _judged(s: Suppression, checked: frozenset[str]) -> bool:
    """Whether this run checked what ``s`` names: every rule it names (none when all names are
    unknown, which ``warnings`` reports), or for a bare ``ignore`` the threshold rules."""
    codes = rule_codes(s.names)
    return bool(checked) if codes is None else bool(codes) and codes <= checked


def warnings(files: Iterable[FileMetrics]) -> list[str]:
    """One line per misplaced suppression and per unknown name, naming the file and line."""
    found = []
    for file in files:
        for s in file.suppressions:
            if s.kind == "noqa":  # read only for its C901; the rest of the comment is not ours
                continue
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
