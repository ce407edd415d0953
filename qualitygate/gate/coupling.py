"""The local import graph of one run (issue 15): fan-in, fan-out, instability and import cycles.

Built once per run from the import statements the structure walk recorded in each file, so it
costs no extra parse. Fan-in, fan-out and instability are Robert C. Martin's afferent and
efferent couplings and I = Ce / (Ca + Ce) ("OO Design Quality Metrics", 1994; "Agile Software
Development", 2002), counted between modules. Cycles are the strongly connected components of
more than one module (Tarjan, "Depth-first search and linear graph algorithms", 1972).
"""
from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise

from qualitygate.config import Settings, metric_options
from qualitygate.gate.rules import RULES_BY_CODE, Thresholds, severity_of
from qualitygate.models import (
    Coupling,
    FileMetrics,
    ImportRecord,
    ModuleCoupling,
    Severity,
    Violation,
)

CYCLE_RULE = "QG008"
Edges = dict[str, dict[str, int]]  # module -> imported module -> first line of such an import


def module_name(path: str, roots: Sequence[str]) -> str | None:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod`` (``pkg/__init__.py`` -> ``pkg``), from the closest
    source root that holds the file; None for a file outside every root or not a module name."""
    absolute = os.path.abspath(path)
    relative = [os.path.relpath(absolute, root) for root in roots if _inside(absolute, root)]
    if not relative or not absolute.endswith(".py"):
        return None
    parts = min(relative, key=len)[:-3].replace(os.sep, "/").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def _inside(path: str, root: str) -> bool:
    return path.startswith(os.path.join(root, ""))


def _longest(name: str, known: Mapping[str, object]) -> str | None:
    """The longest dotted prefix of ``name`` that is a measured module."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _base(record: ImportRecord, module: str, is_package: bool) -> str | None:
    """What ``from <base> import ...`` names: a relative import resolved from ``module``."""
    if not record.level:
        return record.module
    package = module.split(".") if is_package else module.split(".")[:-1]
    if record.level - 1 >= len(package) + (not package):
        return None  # beyond the top-level package
    kept = package[: len(package) - (record.level - 1)]
    return ".".join([*kept, record.module] if record.module else kept)


def _joined(base: str, name: str) -> str:
    return base if name == "*" else f"{base}.{name}" if base else name


def targets(record: ImportRecord, module: str, is_package: bool, known: Mapping[str, object]) -> set[str]:
    """The measured modules one import statement imports (``from pkg import mod`` -> ``pkg.mod``
    when that is a module, else ``pkg``); never ``module`` itself."""
    if not record.level and not record.module:  # import a.b, c
        found = {_longest(name, known) for name in record.names}
    else:
        base = _base(record, module, is_package)
        if base is None:
            return set()
        found = {_longest(_joined(base, name), known) for name in record.names}
    return {name for name in found if name is not None and name != module}


def build_edges(files: Iterable[FileMetrics], roots: Sequence[str]) -> tuple[dict[str, str], Edges, Edges]:
    """Module -> path, every import edge, and the runtime ones (not under ``TYPE_CHECKING``)."""
    paths: dict[str, str] = {}
    for file in sorted(files, key=lambda f: f.path):
        name = module_name(file.path, roots)
        if name is not None:
            paths.setdefault(name, file.path)  # a.py and a/__init__.py: the first path wins
    every: Edges = {name: {} for name in paths}
    runtime: Edges = {name: {} for name in paths}
    by_path = {file.path: file for file in files}
    for name, path in paths.items():
        is_package = path.endswith("__init__.py")
        for record in by_path[path].imports:
            for target in targets(record, name, is_package, paths):
                _add(every[name], target, record.line)
                if not record.type_checking:
                    _add(runtime[name], target, record.line)
    return paths, every, runtime


def _add(edges: dict[str, int], target: str, line: int) -> None:
    edges[target] = min(edges.get(target, line), line)


class _Tarjan:
    """Tarjan's strongly connected components, iterative (a long import chain is no recursion)."""

    def __init__(self, graph: Edges) -> None:
        self.graph = graph
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.stack: list[str] = []
        self.components: list[tuple[str, ...]] = []

    def run(self) -> list[tuple[str, ...]]:
        for node in sorted(self.graph):
            if node not in self.index:
                self.visit(node)
        return sorted(self.components)

    def visit(self, root: str) -> None:
        self.enter(root)
        work = [(root, iter(sorted(self.graph[root])))]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    self.low[parent] = min(self.low[parent], self.low[node])
                self.leave(node)
            elif child not in self.index:
                self.enter(child)
                work.append((child, iter(sorted(self.graph[child]))))
            elif child in self.stack:
                self.low[node] = min(self.low[node], self.index[child])

    def enter(self, node: str) -> None:
        self.index[node] = self.low[node] = len(self.index)
        self.stack.append(node)

    def leave(self, node: str) -> None:
        if self.low[node] != self.index[node]:
            return
        at = self.stack.index(node)
        component, self.stack[at:] = self.stack[at:], []
        if len(component) > 1:  # a module importing itself is harmless: not a cycle
            self.components.append(tuple(sorted(component)))


def cycles(runtime: Edges) -> list[tuple[str, ...]]:
    """Every import cycle: a strongly connected component of more than one module, sorted."""
    return _Tarjan(runtime).run()


def shortest_cycle(start: str, runtime: Edges, members: Iterable[str]) -> list[str]:
    """The shortest cycle from ``start`` back to it inside one component (breadth first)."""
    inside, previous = set(members), {start: start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(runtime[node]):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if target in inside and target not in previous:
                previous[target] = node
                queue.append(target)
    return [start]


def measures(paths: Mapping[str, str], every: Edges) -> tuple[ModuleCoupling, ...]:
    """Fan-in, fan-out and instability of every module, by module name."""
    fan_in = dict.fromkeys(paths, 0)
    for targets_of in every.values():
        for target in targets_of:
            fan_in[target] += 1
    found = []
    for name in sorted(paths):
        out, into = len(every[name]), fan_in[name]
        instability = round(out / (into + out), 2) if out + into else 0.0
        found.append(ModuleCoupling(name, paths[name], into, out, instability))
    return tuple(found)


def _violation(component: tuple[str, ...], paths: Mapping[str, str], runtime: Edges,
               severity_for: Callable[[str], Severity | None]) -> Violation | None:  # fmt: skip
    """QG008 on the file of the cycle that sorts first, at its import that starts the cycle."""
    start = min(component, key=paths.__getitem__)
    path = paths[start]
    severity = severity_for(path)
    if severity is None:
        return None
    loop = shortest_cycle(start, runtime, component)
    lines = ", ".join(f"{paths[a]}:{runtime[a][b]}" for a, b in pairwise(loop))
    message = f"import cycle {' -> '.join(loop)} ({lines})"
    if len(component) > len(loop) - 1:
        message += f"; {len(component)} modules import each other: {', '.join(component)}"
    rule = RULES_BY_CODE[CYCLE_RULE]
    line = runtime[start][loop[1]]
    return Violation(rule.code, rule.metric, path, line, line, path, float(len(component)), 1.0,
                     message, severity)  # fmt: skip


def coupling(
    files: Sequence[FileMetrics],
    roots: Sequence[str],
    thresholds_for: Callable[[str], Thresholds],
    warning_rules: Iterable[str] = (),
) -> tuple[Coupling, list[Violation]]:
    """The graph's figures, and QG008 for each cycle whose reported file has the rule on."""
    paths, every, runtime = build_edges(files, roots)
    found = cycles(runtime)
    severity = severity_of(CYCLE_RULE, warning_rules)

    def severity_for(path: str) -> Severity | None:
        return severity if thresholds_for(path).forbid_import_cycles else None

    violations = [_violation(component, paths, runtime, severity_for) for component in found]
    return Coupling(measures(paths, every), tuple(found)), [v for v in violations if v is not None]


def coupling_stage(
    settings: Settings, files: Sequence[FileMetrics], thresholds_for: Callable[[str], Thresholds]
) -> tuple[Coupling, list[Violation]]:
    """``coupling`` over the run's source roots (the ``src`` key and the declared layout)."""
    return coupling(files, metric_options(settings).local_roots, thresholds_for, settings.warning_rules)
