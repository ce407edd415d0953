"""Deterministic extract-function (issue 13): the block the advice names, moved into a helper.

No AI takes part. The advice's split (``rules.best_split``) picks the block and predicts what
stays and what moves; ``flow`` decides the helper's parameters and return values, or refuses; the
edit is libcst's, so the rest of the file stays byte for byte; the result is measured again with
the engine, and an extraction whose measured numbers differ from the prediction is not offered.
"""
from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterator
from typing import NamedTuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from qualitygate.metrics.analyze import MetricOptions, measure_source
from qualitygate.models import FileMetrics, FunctionMetrics, Metric, Violation, qualname_of
from qualitygate.suggestions.breakdown import CostSummary, StatementCost, statement_costs
from qualitygate.suggestions.flow import Flow, FunctionNode, Unmovable, flow
from qualitygate.suggestions.patch import find_function, parse_module, replace_function
from qualitygate.suggestions.rules import Split, best_split
from qualitygate.suggestions.scope import class_names, module_classes

# How the advice scores a block for each rule: (what leaves the function, what the helper gets).
_SCORES: dict[Metric, tuple[Callable[[CostSummary], int], Callable[[CostSummary], int]]] = {
    Metric.COGNITIVE: (lambda c: c.here, lambda c: c.alone),
    Metric.CYCLOMATIC: (lambda c: c.decisions, lambda c: c.decisions + 1),
}


class Mispredicted(Unmovable):
    """The extraction was made, but its measured numbers differ from the advice's prediction."""


class Extraction(NamedTuple):
    """One extraction, done and re-measured: the new source and what it changes."""

    source: str
    helper: str  # the new function's name
    block_line: int
    flow: Flow
    predicted: tuple[float, int]  # (left in the function, in the helper), from the advice
    measured: tuple[float, int]  # the same, measured on the new source


def extract(source: str, path: str, func: FunctionMetrics, v: Violation, options: MetricOptions) -> Extraction:
    """Extract the block the advice names from ``func``; raises Unmovable with the reason."""
    scores = _SCORES.get(v.metric)
    if scores is None:
        raise Unmovable(f"{v.rule} is not lowered by extracting a block")
    if "<locals>" in func.qualname:
        raise Unmovable("it is a nested function: a helper could not reach its enclosing scope")
    tree = ast.parse(source)
    node, klass = _locate(tree, func)
    costs = statement_costs(node, source.splitlines(keepends=True), options.count_asserts)
    split = best_split([c.summary() for c in costs], v, *scores)
    if split is None:
        raise Unmovable("no block of it lowers the metric")
    block = _block(costs, split)
    if v.metric is Metric.COGNITIVE and _recursive_call(node, block, klass is not None):
        # Cognitive complexity adds 1 for recursion (WP "Recursion"); the advice's block costs
        # leave it out, so with the call moved the function would score 1 less than predicted.
        raise Unmovable("it holds the function's recursive call (the recursion increment would move with it)")
    call = _Call(node, klass)
    interface = _without_receiver(flow(node, block), call.receiver)
    name = _helper_name(tree, node, klass, block)
    new_source = _rewrite(source, func, block, interface, call, name)
    measured = _measured(new_source, path, func, name, v.metric, options)
    predicted = (split.left, split.moved)
    if measured != predicted:
        raise Mispredicted(f"measured {measured[0]:g} and {measured[1]} after extracting, the advice predicted "
                        f"{predicted[0]:g} and {predicted[1]}")  # fmt: skip
    return Extraction(new_source, name, block.lineno, interface, predicted, measured)


def _without_receiver(interface: Flow, receiver: str) -> Flow:
    """A method's helper gets ``self`` (or ``cls``) as its own receiver, not as a parameter."""
    if receiver and receiver in interface.returns:
        raise Unmovable(f"it rebinds `{receiver}`")
    return Flow(tuple(p for p in interface.params if p != receiver), interface.returns)


def _locate(tree: ast.Module, func: FunctionMetrics) -> tuple[FunctionNode, ast.ClassDef | None]:
    """The function's node and the class whose body holds it, under any ``if`` or ``try`` there
    (None for a module function)."""
    found = _search(tree.body, None, func.lineno)
    if found is None:
        raise Unmovable("the function is not where it was measured (the file changed)")
    return found


def _search(body: list[ast.stmt], klass: ast.ClassDef | None,
            line: int) -> tuple[FunctionNode, ast.ClassDef | None] | None:  # fmt: skip
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if stmt.lineno == line:
                return stmt, klass
            continue  # nested functions are refused before this search
        inner = stmt if isinstance(stmt, ast.ClassDef) else klass
        found = next(filter(None, (_search(part, inner, line) for part in _bodies(stmt))), None)
        if found:
            return found
    return None


def _bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists directly inside ``stmt``: bodies, else and finally, handlers, cases."""
    for field in ("body", "orelse", "finalbody"):
        yield getattr(stmt, field, None) or []
    for part in (*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())):
        yield part.body


def _block(costs: list[StatementCost], split: Split) -> ast.stmt:
    for cost in costs:
        if cost.summary() == split.cost:
            return cost.node
    raise Unmovable("the advice's block is not in the function")  # pragma: no cover - same parse


def _recursive_call(func: FunctionNode, block: ast.stmt, method: bool) -> bool:
    """Whether ``block`` calls the function itself as cognitive.py sees it (``name()``, or
    ``self.name()``/``cls.name()`` in a method)."""
    return any(_calls_itself(node.func, func.name, method) for node in ast.walk(block) if isinstance(node, ast.Call))


def _calls_itself(callee: ast.expr, name: str, method: bool) -> bool:
    if not method:
        return isinstance(callee, ast.Name) and callee.id == name
    if not isinstance(callee, ast.Attribute) or callee.attr != name:
        return False
    return isinstance(callee.value, ast.Name) and callee.value.id in ("self", "cls")


class _Call:
    """How the function calls its helper: ``name(...)``, ``self.name(...)`` or ``cls.name(...)``."""

    def __init__(self, func: FunctionNode, klass: ast.ClassDef | None) -> None:
        self.receiver = ""
        self.decorator = ""
        if klass is None:
            return
        kinds = {d.id for d in func.decorator_list if isinstance(d, ast.Name)}
        if "staticmethod" in kinds:
            raise Unmovable("it is a static method: its helper has no receiver to be called through")
        positional = [*func.args.posonlyargs, *func.args.args]
        if not positional:
            raise Unmovable("the method has no receiver parameter")
        self.receiver = positional[0].arg
        self.decorator = "classmethod" if "classmethod" in kinds else ""


def _module_names(tree: ast.Module) -> set[str]:
    """Every name bound at module level, in any class body, or as an instance attribute, plus
    the builtins: a helper named like any of them could shadow or be shadowed."""
    names = set(dir(builtins))
    for node in ast.walk(tree):
        names.update(_binds(node))
    return names


def _binds(node: ast.AST) -> list[str]:
    """The names ``node`` binds (a def, an assignment target, an import, a global)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    stored = not isinstance(getattr(node, "ctx", ast.Load()), ast.Load)
    if isinstance(node, (ast.Name, ast.Attribute)) and stored:
        return [node.id if isinstance(node, ast.Name) else node.attr]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    return list(node.names) if isinstance(node, (ast.Global, ast.Nonlocal)) else []


def _bases_known(tree: ast.Module, klass: ast.ClassDef) -> None:
    """Refuse a class whose bases (at any depth) are defined outside this module: their names
    cannot be checked, and the helper could override one of them (the AI rewrites' own check)."""
    _, unknown = class_names(klass, module_classes(tree))
    if unknown:
        raise Unmovable(f"{unknown[0]} cannot be checked")


def _hint(block: ast.stmt) -> str:
    """A word from the block for the helper's name: a loop's iterable, a condition's first name."""
    part: ast.AST | None = None
    if isinstance(block, ast.For):
        part = block.iter
    elif isinstance(block, (ast.If, ast.While)):
        part = block.test
    elif isinstance(block, ast.With):
        part = block.items[0].context_expr
    elif isinstance(block, ast.Match):
        part = block.subject
    words = [n.attr if isinstance(n, ast.Attribute) else n.id for n in _named(part)]
    word = words[0] if words else "attempt" if isinstance(block, ast.Try) else "step"
    return word.strip("_").lower() or "step"


def _named(part: ast.AST | None) -> Iterator[ast.Name | ast.Attribute]:
    if part is None:
        return
    for node in ast.walk(part):
        if isinstance(node, ast.Attribute) or (isinstance(node, ast.Name) and node.id not in ("self", "cls")):
            yield node


def _helper_name(tree: ast.Module, func: FunctionNode, klass: ast.ClassDef | None, block: ast.stmt) -> str:
    """``_<function>_<word>``, numbered when taken; never a name the module, its classes or the
    builtins already use."""
    if klass is not None:
        _bases_known(tree, klass)
    taken = _module_names(tree)
    base = f"_{func.name.strip('_')}_{_hint(block)}"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


class _Swap(cst.CSTTransformer):
    """Replace the statement that starts at (line, column) with ``replacement``; keep the old one."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int, column: int, replacement: cst.BaseStatement) -> None:
        self.where = (line, column)
        self.replacement = replacement
        self.moved: cst.BaseStatement | None = None

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
        if isinstance(original_node, cst.BaseCompoundStatement) and self.moved is None:
            start = self.get_metadata(PositionProvider, original_node).start
            if (start.line, start.column) == self.where:
                self.moved = updated_node  # type: ignore[assignment]
                return self.replacement.with_changes(leading_lines=original_node.leading_lines)
        return updated_node


def _rewrite(source: str, func: FunctionMetrics, block: ast.stmt, interface: Flow, call: _Call, name: str) -> str:
    args = ", ".join(interface.params)
    target = f"{call.receiver}.{name}" if call.receiver else name
    invoke = f"{target}({args})"
    if interface.returns:
        invoke = f"{', '.join(interface.returns)} = {invoke}"
    wrapper = MetadataWrapper(parse_module(source))
    swap = _Swap(block.lineno, block.col_offset, cst.parse_statement(invoke + "\n"))
    module = wrapper.visit(swap)
    if swap.moved is None:
        raise Unmovable("the block could not be found in the source")  # pragma: no cover
    index = int(func.id.partition("#")[2] or 1) - 1
    new_func = find_function(module, qualname_of(func.id), index)
    if new_func is None:  # pragma: no cover - the swap kept every def
        raise Unmovable("the function could not be found in the source")
    helper = _helper(name, call, interface, swap.moved)
    return replace_function(module, qualname_of(func.id), index, [new_func, helper])


def _helper(name: str, call: _Call, interface: Flow, moved: cst.BaseStatement) -> cst.FunctionDef:
    params = ([call.receiver] if call.receiver else []) + list(interface.params)
    header = f"def {name}({', '.join(params)}):\n    pass\n"
    if call.decorator:
        header = f"@{call.decorator}\n" + header
    template = cst.ensure_type(cst.parse_statement(header), cst.FunctionDef)
    body: list[cst.BaseStatement] = [moved.with_changes(leading_lines=())]
    if interface.returns:
        body.append(cst.parse_statement(f"return {', '.join(interface.returns)}\n"))
    return template.with_changes(body=cst.IndentedBlock(body=body))


def _measured(source: str, path: str, func: FunctionMetrics, helper: str, metric: Metric,
              options: MetricOptions) -> tuple[float, int]:  # fmt: skip
    """The metric of the function and of the helper, measured on the new source."""
    try:
        compile(source, path, "exec", dont_inherit=True)  # what ast.parse lets by: duplicate names...
        file: FileMetrics = measure_source(source, path, options)
    except SyntaxError as exc:  # pragma: no cover - libcst round-trips what Python parsed
        raise Unmovable(f"the new source does not parse: {exc.msg}") from None
    by_id = {f.id: f for f in file.functions}
    after = by_id.get(func.id)
    moved = next((f for f in file.functions if f.name == helper), None)
    if after is None or moved is None:
        raise Unmovable("the function or its helper is missing after the edit")  # pragma: no cover
    return getattr(after, metric.value), int(getattr(moved, metric.value))
