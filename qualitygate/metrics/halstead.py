"""Halstead metrics in one pass: radon's file total plus every function's own report."""
from __future__ import annotations

import ast

from radon.metrics import HalsteadReport, halstead_visitor_report
from radon.visitors import HalsteadVisitor

from qualitygate.models import Halstead


class _PerFunctionHalstead(HalsteadVisitor):  # type: ignore[misc]
    """radon's HalsteadVisitor, counting identically, that also keeps nested functions' visitors.

    radon tracks only the functions its top-level visitor meets; the child visitors it spawns
    for function bodies drop theirs. Keeping them gives every function's report from the one walk.
    """

    def __init__(self, context: str | None = None) -> None:
        super().__init__(context)
        self.by_node: dict[ast.AST, HalsteadVisitor] = {}

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # Same aggregation as radon.visitors.HalsteadVisitor.visit_FunctionDef.
        func_visitor = HalsteadVisitor(context=node.name)
        for child in node.body:
            visitor = _PerFunctionHalstead.from_ast(child, context=node.name)
            for target in (self, func_visitor):
                target.operators += visitor.operators
                target.operands += visitor.operands
                target.operators_seen.update(visitor.operators_seen)
                target.operands_seen.update(visitor.operands_seen)
            self.by_node.update(visitor.by_node)
        self.function_visitors.append(func_visitor)
        self.by_node[node] = func_visitor

    visit_AsyncFunctionDef = visit_FunctionDef


def to_model(report: HalsteadReport) -> Halstead:
    """Keep the seven fields the JSON report carries."""
    return Halstead(
        vocabulary=int(report.vocabulary),
        length=int(report.length),
        volume=float(report.volume),
        difficulty=float(report.difficulty),
        effort=float(report.effort),
        time=float(report.time),
        bugs=float(report.bugs),
    )


def halstead(tree: ast.AST) -> tuple[HalsteadReport, dict[ast.AST, float]]:
    """The file total (equal to radon's ``h_visit_ast(tree).total``) and each function's volume."""
    visitor = _PerFunctionHalstead.from_ast(tree)
    volumes = {
        node: halstead_visitor_report(func).volume for node, func in visitor.by_node.items()
    }
    return halstead_visitor_report(visitor), volumes
