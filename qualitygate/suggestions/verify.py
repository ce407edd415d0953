"""Check an AI rewrite before it is offered: it parses, keeps the signature, and measures better."""
from __future__ import annotations

import ast
import warnings
from collections import Counter
from dataclasses import dataclass

import libcst as cst

from qualitygate.gate.rules import RULES_BY_CODE, Thresholds, evaluate
from qualitygate.metrics.analyze import MetricOptions, measure_source
from qualitygate.models import FileMetrics, FunctionMetrics, Violation, format_number
from qualitygate.suggestions.patch import find_function, function_source, replace_function

# The function metrics shown before and after; also what a reviewer looks at first.
SHOWN = ("cognitive_complexity", "cyclomatic_complexity", "length", "maintainability_index",
         "max_nesting")  # fmt: skip


class Rejected(Exception):
    """The rewrite fails verification; the message is the reason, for the log."""


@dataclass(frozen=True)
class Target:
    """The function a rewrite replaces, as it was measured."""

    path: str
    source: str  # the whole file
    file: FileMetrics
    function: FunctionMetrics
    index: int  # which def with this qualname (a property's getter and setter share one)
    violation: Violation  # the failure the rewrite must reduce


@dataclass(frozen=True)
class Verified:
    """A rewrite that passed every check: the new file and the function's metrics around it."""

    source: str
    before: FunctionMetrics
    after: FunctionMetrics
    helpers: tuple[str, ...]


def _parse_answer(code: str) -> cst.Module:
    if not code.strip():
        raise Rejected("the answer holds no code")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(code)  # this interpreter's grammar, which libcst's may not match
        return cst.parse_module(code)
    except SyntaxError as exc:
        raise Rejected(f"does not parse: {exc.msg} (line {exc.lineno})") from None
    except cst.ParserSyntaxError as exc:
        raise Rejected(f"does not parse: {exc.message} (line {exc.raw_line})") from None


def _definitions(module: cst.Module, name: str) -> tuple[cst.FunctionDef, list[cst.FunctionDef]]:
    """The rewritten function and its helpers; anything else at the top level is refused."""
    defs: list[cst.FunctionDef] = []
    for statement in module.body:
        if not isinstance(statement, cst.FunctionDef):
            kind = type(statement).__name__
            raise Rejected(f"the answer holds more than functions (a {kind} at the top level)")
        defs.append(statement)
    main = [d for d in defs if d.name.value == name]
    if len(main) != 1:
        raise Rejected(f"the answer defines `{name}` {len(main)} times, not once")
    return main[0], [d for d in defs if d is not main[0]]


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


def _bound_names(body: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            names.update(_assigned_names(node))
    return names


def _assigned_names(node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> set[str]:
    """Every plain name an assignment's targets bind (tuple unpacking included)."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _scope_body(tree: ast.Module, target: Target) -> list[ast.stmt]:
    """The statements around the target def: its module, class or enclosing function body."""
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and any(
                isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                and s.lineno == target.function.lineno
                for s in body
            ):
                return body
    return tree.body


def check_helpers(target: Target, helpers: list[cst.FunctionDef]) -> tuple[str, ...]:
    """Helpers need fresh names: one that shadows a name in scope would change behaviour."""
    names = [h.name.value for h in helpers]
    taken = _bound_names(_scope_body(ast.parse(target.source), target))
    for name, count in Counter(names).items():
        if count > 1 or name in taken:
            raise Rejected(f"helper `{name}` reuses a name that is already taken")
    return tuple(names)


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


def check_metrics(target: Target, new_file: FileMetrics, thresholds: Thresholds) -> None:
    """The failing metric drops; no metric anywhere in the file gets worse past its threshold."""
    v = target.violation
    after = _function_in(new_file, target)
    value = getattr(after, v.metric.value)
    if not _better(v.rule, v.value, value):
        label = v.metric.value.replace("_", " ")
        verb = "drop" if RULES_BY_CODE[v.rule].higher_is_worse else "rise"
        raise Rejected(f"{label} does not {verb} ({format_number(v.value)} -> "
                       f"{format_number(value)})")  # fmt: skip
    old = _keyed(evaluate(target.file, thresholds))
    primary = (v.rule, v.symbol)
    for key, new in _keyed(evaluate(new_file, thresholds)).items():
        was = old.get(key)
        if key[:2] == primary:
            continue
        if was is None:
            raise Rejected(f"introduces {new.rule} on `{new.symbol}` ({new.message})")
        if _better(new.rule, new.value, was.value):
            raise Rejected(f"makes {new.rule} worse on `{new.symbol}` "
                           f"({format_number(was.value)} -> {format_number(new.value)})")  # fmt: skip


def verify(target: Target, code: str, thresholds: Thresholds) -> Verified:
    """Every check in order; raises Rejected with the first reason a rewrite fails."""
    rewrite, helpers = _definitions(_parse_answer(code), target.function.name)
    module = cst.parse_module(target.source)
    original = find_function(module, target.function.qualname, target.index)
    if original is None:
        raise Rejected("the function is no longer in the file")
    check_signature(original, rewrite)
    names = check_helpers(target, helpers)
    source = replace_function(module, target.function.qualname, target.index, [rewrite, *helpers])
    _compile(source, target.path)
    new_file = measure_source(source, target.path, MetricOptions(enable_dependency_analysis=False))
    check_metrics(target, new_file, thresholds)
    return Verified(source, target.function, _function_in(new_file, target), names)


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
