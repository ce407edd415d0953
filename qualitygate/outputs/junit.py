"""JUnit XML for Jenkins and GitLab: one testcase per (function or file, rule) check."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import TextIO

from qualitygate.gate.rules import WORSE_NAME, WORSE_RULE
from qualitygate.models import (
    AnalysisError,
    FileMetrics,
    GateResult,
    Scope,
    Violation,
    format_number,
)
from qualitygate.outputs import ReportContext
from qualitygate.outputs.common import rule_for, rules_in_force

# XML 1.0 cannot carry most control characters, even escaped; a NUL in a syntax error would.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class _Case:
    """One check: where it ran and, if it failed, the violations or the analysis error."""

    classname: str
    name: str
    violations: list[Violation] = field(default_factory=list)
    error: AnalysisError | None = None


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def classname(path: str) -> str:
    """``pkg/mod.py`` -> ``pkg.mod``, so Jenkins shows package ``pkg`` and class ``mod``."""
    stem = path.removesuffix(".py")
    return stem.replace("\\", "/").strip("/").replace("/", ".")


def _case_name(code: str, symbol: str) -> str:
    rule = rule_for(code)
    name = rule.name if rule else WORSE_NAME if code == WORSE_RULE else "rule"
    return f"{code} {name}: {symbol}"


def _classnames(result: GateResult) -> dict[str, str]:
    """Each path's classname; paths that would share one (``a/b.py`` and ``a.b.py``) keep their
    path instead, so every (classname, name) pair stays unique (GitLab keeps one of a pair)."""
    paths = {item.path for items in (result.files, result.violations, result.errors) for item in items}
    named: dict[str, list[str]] = {}
    for path in sorted(paths):
        named.setdefault(classname(path), []).append(path)
    return {path: name if len(group) == 1 else path for name, group in named.items() for path in group}


def _file_cases(
    file: FileMetrics, context: ReportContext, cls: str, covered: frozenset[tuple[str, str]]
) -> dict[tuple[str, str, int], _Case]:
    """Every check that ran on one file, keyed like the violations that can fail it; QG005 only
    on the functions the coverage file scores (issue 14)."""
    cases = {
        (rule.code, file.path, 1): _Case(cls, _case_name(rule.code, "(file)"))
        for rule in rules_in_force(context, Scope.FILE)
    }
    for func in sorted(file.functions, key=lambda f: (f.lineno, f.qualname)):
        for rule in rules_in_force(context, Scope.FUNCTION):
            if rule.needs_coverage and (file.path, func.id) not in covered:
                continue
            # The id, not the qualname: a getter and its setter are two testcases (issue 12).
            key = (rule.code, func.id, func.lineno)
            cases[key] = _Case(cls, _case_name(rule.code, func.id))
    return cases


def _case_key(v: Violation) -> tuple[tuple[str, str, int], str]:
    """The case a violation fails, and its name: one case per file rule, wherever in the file it
    fails (QG008 at an import line), one per function rule and function."""
    if v.symbol == v.path:
        return (v.rule, v.symbol, 1), "(file)"
    return (v.rule, v.symbol, v.line), v.symbol


def _cases(result: GateResult, context: ReportContext) -> list[_Case]:
    """Passing and failing checks in file order; a violation without a check gets its own case."""
    names = _classnames(result)
    covered = frozenset((c.path, c.symbol) for c in result.coverage if c.crap is not None)
    by_path: dict[str, dict[tuple[str, str, int], _Case]] = {
        f.path: _file_cases(f, context, names[f.path], covered) for f in result.files
    }
    for v in result.violations:
        cases = by_path.setdefault(v.path, {})
        key, symbol = _case_key(v)
        case = cases.setdefault(key, _Case(names[v.path], _case_name(v.rule, symbol)))
        case.violations.append(v)
    for e in result.errors:
        key = ("error", e.message, e.line or 0)
        by_path.setdefault(e.path, {})[key] = _Case(names[e.path], "analysis", error=e)
    return [case for path in sorted(by_path) for case in by_path[path].values()]


def _failure(v: Violation) -> ET.Element:
    value, threshold = format_number(v.value), format_number(v.threshold)
    where = f"{v.path}:{v.line}"
    element = ET.Element(
        "failure",
        type=v.severity.value,
        message=_clean(f"{v.rule} {v.message} at {where}"),
    )
    rule = rule_for(v.rule)
    body = [
        f"{where}: {v.rule} {'(file)' if v.symbol == v.path else v.symbol}",
        f"{v.metric.value}: value {value} {v.comparison} threshold {threshold}",
        f"past the threshold by {v.excess:.0%}",
        f"severity: {v.severity.value}",
    ]
    if rule:
        body.append(rule.help)
    element.text = _clean("\n".join(body))
    return element


def _error(e: AnalysisError) -> ET.Element:
    where = f"{e.path}:{e.line}" if e.line else e.path
    element = ET.Element("error", type="analysis-error", message=_clean(f"{where}: {e.message}"))
    element.text = _clean(f"{where}: {e.message}\nNot analysed, so the gate fails.")
    return element


def _testcase(case: _Case) -> ET.Element:
    element = ET.Element("testcase", classname=_clean(case.classname), name=_clean(case.name))
    # Lists, not generators: C ElementTree turns a Ctrl-C inside a generator into a TypeError (issue 12).
    element.extend([_failure(v) for v in case.violations])
    if case.error is not None:
        element.append(_error(case.error))
    return element


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """One ``testsuites`` root with one ``testsuite``; counts as the Jenkins schema wants them."""
    cases = _cases(result, context)
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(len(c.violations) for c in cases)),
        "errors": str(sum(c.error is not None for c in cases)),
    }
    suite = ET.Element("testsuite", {"name": "qualitygate", **counts, "skipped": "0"})
    suite.extend([_testcase(c) for c in cases])
    root = ET.Element("testsuites", {"name": "qualitygate", **counts})
    root.append(suite)
    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="utf-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")
