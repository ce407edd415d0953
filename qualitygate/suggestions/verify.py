"""Check an AI rewrite before it is offered: it reads as functions only, keeps the signature, passes
the static checks, and measures better on its code (comments and docstrings left out)."""
from __future__ import annotations

import ast
import copy
import warnings
from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from qualitygate.gate.rules import RULES_BY_CODE, Thresholds, evaluate
from qualitygate.metrics.analyze import MetricOptions, measure_source
from qualitygate.models import FileMetrics, FunctionMetrics, Scope, Violation, format_number
from qualitygate.suggestions import scope, static
from qualitygate.suggestions.answer import definitions, module_imports, parse_answer
from qualitygate.suggestions.evidence import Evidence, Rejected
from qualitygate.suggestions.patch import find_function, function_source, replace_function

# The function metrics shown before and after; also what a reviewer looks at first.
SHOWN = ("cognitive_complexity", "cyclomatic_complexity", "length", "maintainability_index",
         "max_nesting")  # fmt: skip

# An existing violation elsewhere may get this much worse (relative) before the rewrite is vetoed.
TOLERANCE = 0.05


@dataclass(frozen=True)
class Target:
    """The function a rewrite replaces, as it was measured."""

    path: str
    source: str  # the whole file
    file: FileMetrics
    function: FunctionMetrics
    index: int  # which def with this qualname (a property's getter and setter share one)
    violation: Violation  # the failure the rewrite must reduce
    # The project's count_asserts: the rewrite is measured as the file was, or a project that
    # leaves asserts out of CC would see the rewrite's asserts as new decisions (issue 15).
    count_asserts: bool = True

    @property
    def options(self) -> MetricOptions:
        """The metric options to measure the rewritten file with."""
        return MetricOptions(enable_dependency_analysis=False, count_asserts=self.count_asserts)


@dataclass(frozen=True)
class Verified:
    """A rewrite that passed every check: the new file, the function's metrics around it, and
    the evidence (``evidence.verified`` only with behaviour evidence)."""

    source: str
    before: FunctionMetrics
    after: FunctionMetrics
    helpers: tuple[str, ...]
    evidence: Evidence = field(default_factory=Evidence)


def _signature(node: cst.FunctionDef) -> dict[str, str]:
    """The parts of a def that callers see, compared through ``ast.dump`` (formatting ignored)."""
    tree = ast.parse(cst.Module(body=[node.with_changes(leading_lines=())]).code)
    func = tree.body[0]
    assert isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
    return {
        "name": func.name,
        "async": type(func).__name__,
        "parameters": ast.dump(func.args),
        "return annotation": ast.dump(func.returns) if func.returns else "",
        "decorators": repr([ast.dump(d) for d in func.decorator_list]),
    }


def check_signature(original: cst.FunctionDef, rewrite: cst.FunctionDef) -> None:
    """Name, async-ness, parameters, return annotation and decorators must stay the same."""
    before, after = _signature(original), _signature(rewrite)
    changed = [part for part in before if before[part] != after[part]]
    if changed:
        raise Rejected(f"changes the signature: {', '.join(changed)} differ")


def _compile(source: str, path: str) -> None:
    """Compile (never run) the patched file: catches `await` outside async and the like."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise Rejected(f"does not compile in place: {exc.msg} (line {exc.lineno})") from None


def _function_in(file: FileMetrics, target: Target) -> FunctionMetrics:
    same = [f for f in file.functions if f.qualname == target.function.qualname]
    if len(same) <= target.index:  # pragma: no cover - the patch keeps the def and its name
        raise Rejected("the rewritten function cannot be found again")
    return same[target.index]


def _better(rule_code: str, before: float, after: float) -> bool:
    rule = RULES_BY_CODE[rule_code]
    return after < before if rule.higher_is_worse else after > before


def _keyed(violations: list[Violation]) -> dict[tuple[str, str, int], Violation]:
    """Violations by (rule, symbol, n-th repeat): qualnames may repeat, lines move."""
    seen: Counter[tuple[str, str]] = Counter()
    keyed = {}
    for v in violations:
        keyed[(v.rule, v.symbol, seen[(v.rule, v.symbol)])] = v
        seen[(v.rule, v.symbol)] += 1
    return keyed


def _worse_past_tolerance(rule_code: str, was: float, now: float) -> bool:
    return _better(rule_code, now, was) and abs(now - was) > TOLERANCE * max(abs(was), 1.0)


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    """The tree without its docstrings (an emptied body gets ``pass``)."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):  # fmt: skip
            node.body = body[1:] or [ast.Pass()]
    return tree


def code_only(source: str) -> str:
    """The module without comments, docstrings or formatting: what metrics compare on, so that
    words never count as an improvement (issue 13, item 3)."""
    return ast.unparse(_strip_docstrings(ast.parse(source)))


def _value_on_code(target: Target, source: str) -> float:
    file = measure_source(code_only(source), target.path, target.options)
    return float(getattr(_function_in(file, target), target.violation.metric.value))


def _check_primary(target: Target, new_file: FileMetrics, source: str) -> FunctionMetrics:
    """The failing metric improves, and still does once comments and docstrings are left out."""
    v = target.violation
    after = _function_in(new_file, target)
    value = getattr(after, v.metric.value)
    label = v.metric.value.replace("_", " ")
    verb = "drop" if RULES_BY_CODE[v.rule].higher_is_worse else "rise"
    if not _better(v.rule, v.value, value):
        raise Rejected(f"{label} does not {verb} ({format_number(v.value)} -> "
                       f"{format_number(value)})")  # fmt: skip
    before_code, after_code = _value_on_code(target, target.source), _value_on_code(target, source)
    if not _better(v.rule, before_code, after_code):
        raise Rejected(f"{label} does not {verb} once comments and docstrings are left out "
                       f"({format_number(before_code)} -> {format_number(after_code)})")  # fmt: skip
    return after


def check_metrics(target: Target, new_file: FileMetrics, thresholds: Thresholds, source: str) -> FunctionMetrics:
    """The failing metric improves on the code itself; no new violation anywhere in the file,
    and no existing one worse past ``TOLERANCE``. A file MI that already fails never vetoes:
    an extraction lowers it (issue 13, item 3)."""
    after = _check_primary(target, new_file, source)
    v = target.violation
    old = _keyed(evaluate(target.file, thresholds))
    for key, new in _keyed(evaluate(new_file, thresholds)).items():
        was = old.get(key)
        if key[:2] == (v.rule, v.symbol):
            continue
        if was is None:
            raise Rejected(f"introduces {new.rule} on `{new.symbol}` ({new.message})")
        if RULES_BY_CODE[new.rule].scope is Scope.FILE:
            continue
        if _worse_past_tolerance(new.rule, was.value, new.value):
            raise Rejected(f"makes {new.rule} worse on `{new.symbol}` "
                           f"({format_number(was.value)} -> {format_number(new.value)})")  # fmt: skip
    return after


def _as_ast(node: cst.FunctionDef) -> static.FunctionNode:
    tree = ast.parse(cst.Module(body=[node.with_changes(leading_lines=())]).code)
    function = tree.body[0]
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    return function


def _lazy_annotations(tree: ast.Module) -> bool:
    return any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
               and any(a.name == "annotations" for a in n.names) for n in tree.body)  # fmt: skip


def _check_changed(old: static.FunctionNode, new: static.FunctionNode, helpers: list[static.FunctionNode]) -> None:
    stripped = [ast.dump(_strip_docstrings(copy.deepcopy(f))) for f in (old, new)]
    if not helpers and stripped[0] == stripped[1]:
        raise Rejected("no change to the code: only comments, docstrings or formatting differ")


def check_static(target: Target, tree: ast.Module, nodes: list[cst.FunctionDef], source: str) -> Evidence:
    """Every static check on the patched module ``source``, counting only new findings.

    ``nodes`` are the rewritten def and its helpers. Raises Rejected with the first failure.
    """
    located = scope.locate(tree, target.function.qualname, target.index)
    if located is None:  # pragma: no cover - libcst found it in the same text
        raise Rejected("the function is no longer in the file")
    old, where = located
    new, helpers = _as_ast(nodes[0]), [_as_ast(n) for n in nodes[1:]]
    _check_changed(old, new, helpers)
    scope.check_import_time(helpers, _lazy_annotations(tree))
    not_checked = scope.check_shadowing(tree, where, helpers)
    static.check_grammar(target.source, source, static.lowest_minor(target.path))
    _compile(source, target.path)
    patched = ast.parse(source)
    static.check_type_checking(tree, patched)
    static.check_pyflakes(tree, patched, target.path)
    static.check_returns(old, [new, *helpers])
    return Evidence(warnings=static.dropped_reads(old, [new, *helpers]), not_checked=not_checked)


def verify(target: Target, code: str, thresholds: Thresholds) -> Verified:
    """Every check in order; raises Rejected with the first reason a rewrite fails."""
    module = cst.parse_module(target.source)
    tree = ast.parse(target.source)
    rewrite, helpers = definitions(parse_answer(code), target.function.name, module_imports(tree))
    original = find_function(module, target.function.qualname, target.index)
    if original is None:
        raise Rejected("the function is no longer in the file")
    check_signature(original, rewrite)
    source = replace_function(module, target.function.qualname, target.index, [rewrite, *helpers])
    evidence = check_static(target, tree, [rewrite, *helpers], source)
    new_file = measure_source(source, target.path, target.options)
    after = check_metrics(target, new_file, thresholds, source)
    return Verified(source, target.function, after, tuple(h.name.value for h in helpers), evidence)


def checked(target: Target, code: str, thresholds: Thresholds) -> Verified:
    """``verify``, with any failure of the checks themselves turned into a rejection.

    An answer is untrusted input: whatever it makes libcst or the engine raise, it is dropped
    with the reason, and the other answers are still verified.
    """
    try:
        return verify(target, code, thresholds)
    except Rejected:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError on absurdly nested code
        raise Rejected(f"could not be verified ({type(exc).__name__}: {exc})") from None


def original_source(target: Target) -> str:
    """The target def as written, for the prompt."""
    module = cst.parse_module(target.source)
    node = find_function(module, target.function.qualname, target.index)
    if node is None:
        raise Rejected("the function is no longer in the file")
    return function_source(module, node)


def metric_pairs(function: FunctionMetrics) -> tuple[tuple[str, float], ...]:
    """The shown metrics of a function as sorted (name, value) pairs."""
    return tuple((name, getattr(function, name)) for name in SHOWN)
