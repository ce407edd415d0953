"""The offline advisor: advice tied to what was measured, checked against the engine's own numbers."""
from __future__ import annotations

import ast
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qualitygate.gate.rules import Thresholds, evaluate
from qualitygate.metrics.analyze import MetricOptions, measure_source
from qualitygate.models import FunctionMetrics, GateResult, Suggestion, SuggestionKind, Violation
from qualitygate.outputs import ReportContext, get_reporter
from qualitygate.serialize import from_dict, to_dict
from qualitygate.suggestions.breakdown import (
    boolean_operators,
    cognitive_of,
    decisions_of,
    here_cost,
    statement_costs,
)
from qualitygate.suggestions.breakdowns import parse_function
from qualitygate.suggestions.rules import brief_advice, rule_suggestions

from .conftest import SCHEMAS, CliResult, stdlib_files


@pytest.fixture(autouse=True)
def detailed_for_every_offender(monkeypatch: pytest.MonkeyPatch) -> None:
    """These cases use small thresholds; give every offender the statement breakdown under test."""
    from qualitygate.suggestions import rules as advisor

    monkeypatch.setattr(advisor, "DETAILED_LIMIT", 10_000)

# Cognitive complexity 10: for +1, if +2, for +3, if +4 (each +1 plus its nesting).
PROCESS = """\
def process(rows, limit):
    total = 0
    for row in rows:
        if row.ok:
            for cell in row:
                if cell > limit:
                    total += 1
    return total
"""
# The same code after the extraction the advisor names (the `for` at line 5).
EXTRACTED = """\
def process(rows, limit):
    total = 0
    for row in rows:
        if row.ok:
            total += count_over(row, limit)
    return total


def count_over(row, limit):
    total = 0
    for cell in row:
        if cell > limit:
            total += 1
    return total
"""

DISPATCH = """\
def dispatch(kind, value):
    if kind == "a":
        return value
    elif kind == "b":
        return value * 2
    elif kind == "c":
        return value * 3
    elif kind == "d":
        return value * 4
    else:
        return 0
"""

MANY = """\
def configure(host, port, user, password, timeout, retries, verbose):
    if host and port or user and password:
        if timeout:
            if retries:
                if verbose:
                    return 1
    return 0
"""


def measure(source: str, path: str = "mod.py") -> GateResult:
    file = measure_source(source, path, MetricOptions(enable_dependency_analysis=False))
    thresholds = Thresholds(complexity_threshold=3, cognitive_complexity_threshold=5,
                            maintainability_threshold=90)  # fmt: skip
    return GateResult((file,), tuple(evaluate(file, thresholds)), ())


def advice(source: str, rule: str) -> str:
    result = measure(source)
    found = rule_suggestions(result, lambda path: source)
    return next(s.text for s in found if s.rule == rule)


def cognitive(source: str) -> dict[str, int]:
    file = measure_source(source, "x.py", MetricOptions(enable_dependency_analysis=False))
    return {f.name: f.cognitive_complexity for f in file.functions}


def test_cognitive_advice_names_the_block_and_its_numbers() -> None:
    text = advice(PROCESS, "QG002")
    assert text == (
        "cognitive complexity 10 > 5: the `for` at line 5 contributes 7 where it sits, 4 of it "
        "only from nesting; extracting it into a function leaves 3 here and 3 in the new function; "
        "nesting depth 4: return or `continue` early (guard clauses) to flatten it"
    )


def test_the_advised_extraction_scores_what_the_advice_says() -> None:
    assert cognitive(PROCESS) == {"process": 10}
    assert cognitive(EXTRACTED) == {"process": 3, "count_over": 3}


def test_cyclomatic_advice_replaces_a_long_elif_chain() -> None:
    text = advice(DISPATCH, "QG001")
    assert text.startswith("cyclomatic complexity 5 > 3: the `if`/`elif` chain at line 2 has 5 "
                           "branches; replace it with a dict")  # fmt: skip


def test_shape_advice_counts_parameters_nesting_and_operators() -> None:
    text = advice(MANY, "QG001")
    assert "7 parameters: group related ones into a dataclass" in text
    assert "nesting depth 4: return or `continue` early" in text
    assert "3 decision points are `and`/`or` operators" in text


def test_file_advice_lists_the_most_complex_functions() -> None:
    text = advice(PROCESS + "\n\n" + DISPATCH, "QG003")
    assert "the most complex functions are `process` (5), `dispatch` (5)" in text


def _function(result: GateResult, v: Violation) -> FunctionMetrics:
    return next(f for file in result.files for f in file.functions if (f.qualname, f.lineno) == (v.symbol, v.line))


@pytest.mark.parametrize("source", ["x = 1\n", None], ids=["changed", "unreadable"])
def test_a_file_changed_since_measuring_gets_only_the_short_advice(source: str | None) -> None:
    """No statement breakdown from source that is not what was measured (it would name the wrong
    lines); the short advice rests on the measured metrics alone, so every violation keeps one."""
    result = measure(PROCESS)
    found = rule_suggestions(result, lambda path: source)
    assert len(found) == len(result.violations)
    function_advice = [s for s in found if s.rule != "QG003"]
    assert function_advice and not any("at line" in s.text for s in function_advice)
    assert all(s.text == brief_advice(v, _function(result, v)) for s, v in
               zip(function_advice, [v for v in result.violations if v.rule != "QG003"], strict=True))  # fmt: skip


@pytest.mark.parametrize("path", stdlib_files()[:120], ids=lambda p: p.name)
def test_statement_costs_add_up_to_the_engines_numbers(path: Path) -> None:
    """Top-level shares sum to the function's score (recursion's +1 belongs to no statement)."""
    source = path.read_text(encoding="utf-8", errors="replace")
    try:
        file = measure_source(source, str(path), MetricOptions(enable_dependency_analysis=False))
    except SyntaxError:
        pytest.skip("not this interpreter's grammar")
    lines = source.splitlines(keepends=True)
    for f in file.functions:
        node = parse_function(lines, f)
        assert node is not None and node.lineno == f.lineno, f.qualname
        inner = [n for n in ast.walk(node) if n is not node and isinstance(
            n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))]  # fmt: skip
        calls_itself = any(isinstance(n, ast.Call) and f.name in ast.unparse(n.func)
                           for n in ast.walk(node))  # fmt: skip
        if inner or calls_itself:
            continue
        top = [c for c in statement_costs(node, lines) if c.top]
        assert sum(c.here for c in top) == f.cognitive_complexity, f.qualname
        assert sum(c.decisions for c in top) + 1 == f.cyclomatic_complexity, f.qualname
        assert sum(c.operators for c in top) == boolean_operators(node), f.qualname


@pytest.mark.parametrize("path", stdlib_files()[:40], ids=lambda p: p.name)
def test_bottom_up_costs_equal_scoring_each_statement_alone(path: Path) -> None:
    """The shell-plus-children sums agree with the engine run on each statement's subtree."""
    source = path.read_text(encoding="utf-8", errors="replace")
    file = measure_source(source, str(path), MetricOptions(enable_dependency_analysis=False))
    lines = source.splitlines(keepends=True)
    for f in file.functions:
        node = parse_function(lines, f)
        assert node is not None
        for c in statement_costs(node, lines):
            if c.kind not in ("def", "async def", "class"):
                direct = (here_cost(c.node, c.depth), cognitive_of([c.node]), decisions_of([c.node]))
                assert (c.here, c.alone, c.decisions) == direct, (f.qualname, c.line)


TEXT_SHORTCUTS = """\
def outer(a, b, rows):
    @register(a and b)
    def helper():
        return 1
    @dataclass(frozen=a or b)
    class Row:
        x: int = 0
    squares = [i for i in rows if 1or i]
    ratio = 1if a else 2
    total = sum(r for r in rows)
    return helper, Row, squares, ratio, total
"""


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # 1or and 1if: legal, if frowned upon
def test_the_text_shortcuts_give_what_the_walks_give() -> None:
    """Statements whose lines hold no scoring word skip the walks: a decorator's line is the
    def's or class's own, and a keyword right after a digit (``1or``, ``1if``) is still a word."""
    lines = TEXT_SHORTCUTS.splitlines(keepends=True)
    node = ast.parse(TEXT_SHORTCUTS).body[0]
    assert isinstance(node, ast.FunctionDef)
    with_text, walked = statement_costs(node, lines), statement_costs(node, None)
    assert [c.summary() for c in with_text] == [c.summary() for c in walked]
    assert [c.operators for c in with_text] == [1, 1, 1, 0, 0, 0]
    assert [c.decisions for c in with_text][2:4] == [3, 1]  # for, if, or; the ternary


@pytest.mark.parametrize("path", stdlib_files()[::25], ids=lambda p: p.name)
def test_structures_counted_while_scoring_equal_scoring_one_level_deeper(path: Path) -> None:
    """``cognitive_parts`` reads the structures off the engine's walk; the definition is what one
    more nesting level adds (``here_cost(node, 1)`` minus the score alone), a second walk of a
    different tree. Equal for every statement and block shell of every function (not defs)."""
    from qualitygate.suggestions.breakdown import cognitive_parts, hollow

    source = path.read_text(encoding="utf-8", errors="replace")
    checked = 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
            for statement in (node, hollow(node)):
                alone = cognitive_of([statement])
                assert cognitive_parts([statement]) == (alone, here_cost(statement, 1) - alone), node.lineno
                checked += 1
    assert checked


@pytest.mark.parametrize("path", stdlib_files()[:40:4], ids=lambda p: p.name)
def test_decision_points_equal_radon_metrics_of_the_statements_as_a_function(path: Path) -> None:
    """``decision_points`` skips the Halstead reports: the count must stay ``radon_metrics``'s own
    (the function's complexity minus its 1), for every statement list of every function."""
    from qualitygate.metrics.radon_walk import decision_points, radon_metrics
    from qualitygate.suggestions.breakdown import _as_function  # the advice's own wrapper

    tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    checked = 0
    for node in ast.walk(tree):
        for body in (getattr(node, name, None) for name in ("body", "orelse", "finalbody")):
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                module, func = _as_function(body)
                assert decision_points(body) == radon_metrics(module).complexity[func] - 1, body[0].lineno
                checked += 1
    assert checked  # the module body at least


# --- in the reports -------------------------------------------------------------------------


def test_text_prints_the_advice_under_its_violation(
    cli: Callable[..., CliResult], project: Callable[..., Path]
) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\ncognitive_complexity_threshold = 5\n",
                    "proc.py": PROCESS})  # fmt: skip
    result = cli("check", ".", cwd=root)
    lines = result.out.splitlines()
    index = lines.index("proc.py:1:1: QG002 process cognitive_complexity 10 > 5")
    assert lines[index + 1].startswith("    suggestion: cognitive complexity 10 > 5: the `for` at line 5")


def test_json_carries_rule_suggestions_and_the_verdict_is_unchanged(
    cli: Callable[..., CliResult], project: Callable[..., Path]
) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\ncognitive_complexity_threshold = 5\n",
                    "proc.py": PROCESS, "ok.py": "def ok():\n    return 1\n"})  # fmt: skip
    result = cli("check", ".", "-f", "json", cwd=root)
    assert result.code == 1
    report = result.json()
    assert [(s["kind"], s["rule"], s["qualname"], s["line"]) for s in report["suggestions"]] == [
        ("rule", "QG002", "process", 1)]  # fmt: skip
    assert report["suggestions"][0]["patch"] is None and report["suggestions"][0]["verified"] is False
    assert len(report["violations"]) == 1 and report["passed"] is False


def test_no_violations_no_suggestions(cli: Callable[..., CliResult], project: Callable[..., Path]) -> None:
    root = project({"pyproject.toml": "", "ok.py": "def ok():\n    return 1\n"})
    result = cli("check", ".", "-f", "json", cwd=root)
    assert result.code == 0 and result.json()["suggestions"] == []


def with_suggestions() -> GateResult:
    result = measure(PROCESS)
    ai = Suggestion(SuggestionKind.AI, "QG002", "mod.py", 1, "process", "AI rewrite, verified by "
                    "re-measuring: cognitive complexity 10 -> 3", patch="diff --git a/mod.py b/mod.py\n",
                    verified=True, before=(("cognitive_complexity", 10),),
                    after=(("cognitive_complexity", 3),))  # fmt: skip
    rules = rule_suggestions(result, lambda path: PROCESS)
    return GateResult(result.files, result.violations, (), suggestions=(*rules, ai))


def test_suggestions_round_trip_through_json() -> None:
    result = with_suggestions()
    assert from_dict(json.loads(json.dumps(to_dict(result)))) == result


def render(fmt: str, result: GateResult) -> str:
    stream = io.StringIO()
    get_reporter(fmt)(result, stream, ReportContext(version="0"))
    return stream.getvalue()


def test_markdown_lists_advice_and_the_verified_patch() -> None:
    text = render("markdown", with_suggestions())
    assert "### Suggestions" in text
    assert "QG002 `process`: cognitive complexity 10 > 5: the `for` at line 5" in text
    assert "<details><summary>Verified patch</summary>\n\n```diff\ndiff --git a/mod.py b/mod.py\n```" in text


def sarif_log(result: GateResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render("sarif", result))
    return data


def test_sarif_puts_advice_in_the_message_properties_and_rule_help() -> None:
    run = sarif_log(with_suggestions())["runs"][0]
    result = next(r for r in run["results"] if r["ruleId"] == "QG002")
    assert "\nSuggestion: cognitive complexity 10 > 5: the `for` at line 5" in result["message"]["text"]
    kinds = [s["kind"] for s in result["properties"]["suggestions"]]
    assert kinds == ["rule", "ai"]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "QG002")
    assert "Suggestions: qualitygate names the block to extract" in rule["help"]["text"]


def test_sarif_without_suggestions_is_unchanged() -> None:
    plain = measure(PROCESS)
    text = json.dumps(sarif_log(plain))
    assert "Suggestion" not in text


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="published schemas not found")
def test_sarif_with_suggestions_validates() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(sarif_log(with_suggestions())))
    assert not errors, [e.message for e in errors]



def test_offenders_past_the_detailed_limit_get_brief_advice(project, cli, monkeypatch) -> None:
    """Only the worst DETAILED_LIMIT offenders get a statement breakdown; the rest brief advice."""
    from qualitygate.suggestions import rules as advisor

    nested = "def tangled(a, b, c):\n" + "".join(
        f"{'    ' * (i + 1)}if a > {i}:\n{'    ' * (i + 2)}b += c\n" for i in range(6)
    ) + "    return b\n"
    root = project({"t.py": nested})
    monkeypatch.setattr(advisor, "DETAILED_LIMIT", 0)
    report = cli("check", ".", "-f", "json", "--threshold", "0", "--cognitive-threshold", "5", cwd=root).json()
    texts = [s["text"] for s in report["suggestions"] if s["kind"] == "rule"]
    assert texts and any("extract the most deeply nested blocks" in t for t in texts)
    assert all("contributes" not in t for t in texts)
