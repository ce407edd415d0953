"""Measure one file: read once, parse once, hand the one tree to every metric."""
from __future__ import annotations

import ast
import dataclasses
import re
import warnings
from collections.abc import Callable
from pathlib import Path

from radon.metrics import mi_compute

from qualitygate.discovery.files import NOTEBOOK_SUFFIX
from qualitygate.metrics.classes import class_metrics
from qualitygate.metrics.cognitive import cognitive_complexities
from qualitygate.metrics.complete_halstead import function_maintainability
from qualitygate.metrics.deep import NoDeepStack, call_with_deep_stack
from qualitygate.metrics.dependencies import classify
from qualitygate.metrics.notebook import read_notebook
from qualitygate.metrics.notebook import syntax_error as notebook_syntax_error
from qualitygate.metrics.options import MetricOptions  # re-exported: defined apart for the cache
from qualitygate.metrics.radon_walk import RadonMetrics, radon_metrics
from qualitygate.metrics.raw import RawAnalysis, analyze_raw
from qualitygate.metrics.source import SourceError, decode, read_bytes, read_source
from qualitygate.metrics.structure import FunctionInfo, walk_structure
from qualitygate.metrics.suppressions import scan as scan_suppressions
from qualitygate.models import (
    AnalysisError,
    Dependencies,
    FileMetrics,
    FunctionMetrics,
    Halstead,
    RawMetrics,
    function_ids,
)


def maintainability(volume: float, complexity: int, raw: RawMetrics) -> float:
    """The file's MI: radon's, with multi-line strings counted as comments (``mi_visit(code, multi=True)``)."""
    comment_lines = raw.comments + raw.multi
    percent = comment_lines / float(raw.sloc) * 100 if raw.sloc else 0
    return float(mi_compute(volume, complexity, raw.lloc, percent))


# Characters radon's tokenizer cannot place (e.g. U+E0100 in an identifier, U+2028 in a string).
_UNTOKENIZABLE = re.compile(r"[^\w\n\r\t !-~]")


def _raw_counts(source: str) -> RawAnalysis:
    """Raw counts as radon gives them; for the rare valid file radon rejects, count it anyway.

    radon raises on some files that Python parses; failing the gate on them would report a
    file as broken that is not, so neutralise the characters its tokenizer rejects.
    """
    try:
        return analyze_raw(source)
    except SyntaxError:
        return analyze_raw(_UNTOKENIZABLE.sub("x", source))


def _function_metrics(
    info: FunctionInfo,
    radon: RadonMetrics,
    cognitive: int,
    raw: RawAnalysis,
    function_id: str,
) -> FunctionMetrics:
    node = info.node
    end = node.end_lineno or node.lineno
    complexity, volume = radon.complexity[node], radon.volume[node]
    complete = radon.complete_volume[node]
    return FunctionMetrics(
        name=node.name,
        qualname=info.qualname,
        lineno=node.lineno,
        end_lineno=end,
        cyclomatic_complexity=complexity,
        cognitive_complexity=cognitive,
        # Ours, not radon's (radon has no per-function MI): complete_halstead.py, issue 15.
        maintainability_index=function_maintainability(
            complete, complexity, raw.span(node.lineno, end), radon.docstrings[node]
        ),
        # A float even when whole (radon gives the int 0 for an empty body): the cache's table
        # stores it as one, and a warm run must report what a cold one does (issue 5).
        halstead_volume=float(volume),
        halstead_volume_complete=complete,
        asserts=radon.asserts[node],
        length=end - node.lineno + 1,
        parameters=info.parameters,
        max_nesting=info.max_nesting,
        first_lineno=min([d.lineno for d in node.decorator_list], default=node.lineno),
        id=function_id,
        column=node.col_offset + 1,
    )


def measure_source(source: str, path: str, options: MetricOptions) -> FileMetrics:
    """All metrics of one source text; raises SyntaxError (and friends) when it does not parse."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences etc. are not our verdict
        tree = ast.parse(source, filename=path)
    raw = _raw_counts(source)
    radon = radon_metrics(tree, options.count_asserts)
    cognitive = cognitive_complexities(tree)
    structure = walk_structure(tree)
    ids = function_ids(info.qualname for info in structure.functions)
    functions = [
        _function_metrics(info, radon, cognitive[info.node], raw, function_id)
        # The walk meets defs in source order, so the n-th def of a qualname gets ``#n``.
        for info, function_id in zip(structure.functions, ids, strict=True)
    ]
    deps = (
        classify(structure.imports, options.local_roots)
        if options.enable_dependency_analysis
        else Dependencies()
    )
    return FileMetrics(
        path=path,
        raw=raw.totals,
        cyclomatic_complexity=radon.total_complexity,
        maintainability_index=maintainability(
            radon.halstead.volume, radon.total_complexity, raw.totals
        ),
        halstead=Halstead(
            vocabulary=int(radon.halstead.vocabulary),
            length=int(radon.halstead.length),
            volume=float(radon.halstead.volume),
            difficulty=float(radon.halstead.difficulty),
            effort=float(radon.halstead.effort),
            time=float(radon.halstead.time),
            bugs=float(radon.halstead.bugs),
        ),
        dependencies=deps,
        functions=tuple(sorted(functions, key=lambda f: (f.lineno, f.qualname))),
        # Comments are not in the tree, and only this worker holds the source (issue 4).
        # A class's line takes a comment too, for QG006/QG007 (a class has a header as a def has).
        suppressions=scan_suppressions(source, tree, [*(i.node for i in structure.functions),
                                                      *(c.node for c in structure.classes)]),  # type: ignore[list-item]
        imports=tuple(structure.import_records),  # the local import graph's (issue 15)
        classes=class_metrics(structure.classes, radon.complexity, source),  # issue 15
    )


def _syntax_error(path: str, exc: SyntaxError) -> AnalysisError:
    return AnalysisError(path, exc.lineno, f"syntax error: {exc.msg}")


def measure_file(file: Path, path: str, options: MetricOptions) -> FileMetrics | AnalysisError:
    """Measure one file; every expected problem becomes an AnalysisError naming the path."""
    if file.name.endswith(NOTEBOOK_SUFFIX):
        return _guarded(lambda: _measure_notebook(read_bytes(file, options.max_file_bytes), path, options), path)
    return _guarded(lambda: _measure_any_depth(read_source(file, options.max_file_bytes), path, options), path)


def measure_bytes(data: bytes, path: str, options: MetricOptions) -> FileMetrics | AnalysisError:
    """Measure source bytes that are not a file here (a git blob: issue 14) as ``measure_file``
    measures a file, ``path`` naming them."""
    if len(data) > options.max_file_bytes:
        return AnalysisError(path, None, f"file is larger than max_file_bytes ({options.max_file_bytes} bytes); skipped")
    if path.endswith(NOTEBOOK_SUFFIX):
        return _guarded(lambda: _measure_notebook(data, path, options), path)
    return _guarded(lambda: _measure_any_depth(decode(data), path, options), path)


def _measure_notebook(data: bytes, path: str, options: MetricOptions) -> FileMetrics:
    """A notebook's code cells measured as one source, with the map back to its cells (issue 15)."""
    notebook = read_notebook(data)
    try:
        measured = _measure_any_depth(notebook.source, path, options)
    except SyntaxError as exc:
        raise notebook_syntax_error(notebook, exc) from None
    return dataclasses.replace(measured, cells=notebook.cells)


def _guarded(measure: Callable[[], FileMetrics], path: str) -> FileMetrics | AnalysisError:
    """``measure()``, with every expected problem as an AnalysisError naming ``path``."""
    try:
        return measure()
    except SourceError as exc:
        return AnalysisError(path, exc.line, exc.message)
    except SyntaxError as exc:
        return _syntax_error(path, exc)
    except (ValueError, TypeError) as exc:  # e.g. ast.parse's "source code string cannot contain null bytes"
        return AnalysisError(path, None, f"cannot parse: {exc}")
    except (RecursionError, MemoryError, NoDeepStack) as exc:
        return _too_deep_or_too_big(path, exc)


def _measure_any_depth(source: str, path: str, options: MetricOptions) -> FileMetrics:
    """``measure_source``, again on a big stack when the tree is deeper than this thread allows.

    Whatever Python's own parser accepts is measured (issue 12): only the rare file that hits
    the recursion limit pays for the second run. What the parser itself refuses stays refused.
    """
    try:
        return measure_source(source, path, options)
    except RecursionError as exc:
        if _raised_by_parser(exc):
            raise
    # Outside the handler: the first attempt's thousand-frame traceback is freed by now.
    return call_with_deep_stack(measure_source, source, path, options)


def _raised_by_parser(exc: BaseException) -> bool:
    """Whether ``exc`` came from Python's parser (``ast.parse``) rather than from a metric."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code is ast.parse.__code__


def _too_deep_or_too_big(path: str, exc: RecursionError | MemoryError | NoDeepStack) -> AnalysisError:
    """Name what gave up: Python's own parser (it cannot compile the file either), or the metrics."""
    if _raised_by_parser(exc):
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return AnalysisError(path, None, f"too deeply nested for Python's own parser ({detail})")
    if isinstance(exc, MemoryError):
        return AnalysisError(path, None, "out of memory while analysing this file")
    return AnalysisError(path, None, f"too deeply nested to analyse ({str(exc) or 'recursion limit'})")
