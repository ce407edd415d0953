"""Markdown documentation, one page per module: overview, quality metrics, classes and functions."""
from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualitygate.gate.rules import Thresholds
from qualitygate.models import ClassMetrics, FileMetrics, FunctionMetrics, Violation, format_number
from qualitygate.site.data import mi_status

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
METRIC_HEADER = (
    "| cyclomatic | cognitive | maintainability | lines | parameters | nesting |\n"
    "|---:|---:|---:|---:|---:|---:|"
)


@dataclass(frozen=True)
class Page:
    """One Markdown file: its name under the docs folder and its text."""

    name: str
    module: str
    text: str


@dataclass(frozen=True)
class Context:
    """What every page needs besides its own file."""

    thresholds: Thresholds
    violations: dict[str, list[Violation]]


def module_name(relative: str) -> str:
    """``src/pkg/mod.py`` -> ``pkg.mod``; a package's ``__init__.py`` is the package."""
    parts = list(Path(relative).with_suffix("").parts)
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if len(parts) > 1 and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(p for p in parts if p not in ("..", ".")) or relative


MAX_BASE = 120  # characters (ASCII): far below the 255-byte name limit, even with "-N.md" added
_HEAD = 40  # a long name keeps its start and its end (the module itself) around a digest


def _short(base: str, module: str) -> str:
    """A long name cut in the middle, where a digest of the whole module name keeps it unique and
    the same from run to run (issue 12: past 255 bytes the page could not be written)."""
    if len(base) <= MAX_BASE:
        return base
    digest = hashlib.blake2b(module.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    tail = base[-(MAX_BASE - _HEAD - len(digest) - 2) :]
    return f"{base[:_HEAD]}-{digest}-{tail}"


def page_name(module: str, taken: set[str]) -> str:
    """A portable file name for a module (paths may hold anything, even markup), at most
    ``MAX_BASE`` characters before its ``.md``, however deep the module."""
    base = _short(re.sub(r"[^A-Za-z0-9._-]+", "_", module).strip("._") or "module", module)
    name, number = f"{base}.md", 2
    while name in taken:
        name, number = f"{base}-{number}.md", number + 1
    taken.add(name)
    return name


def text(value: str) -> str:
    """Prose from the code (docstrings): no raw HTML, so nothing in it can become markup."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(value: str) -> str:
    """An inline code span that survives backticks and table pipes in ``value``."""
    value = " ".join(value.split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def signature(node: FunctionNode) -> str:
    """``async def name(args) -> returns``, as written (unparsed from the tree)."""
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{prefix} {node.name}({ast.unparse(node.args)}){returns}"


def class_signature(node: ast.ClassDef) -> str:
    """``class Name(Base, metaclass=M)``."""
    bases = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
    return f"class {node.name}({', '.join(bases)})" if bases else f"class {node.name}"


def _docstring(node: ast.AST) -> str:
    documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    doc = ast.get_docstring(node) if isinstance(node, documented) else None
    return text(doc) if doc else "_No docstring._"


def _metric_row(func: FunctionMetrics | None) -> str:
    if func is None:
        return ""
    cells = (func.cyclomatic_complexity, func.cognitive_complexity, format_number(round(func.maintainability_index, 2)),
             func.length, func.parameters, func.max_nesting)  # fmt: skip
    return f"{METRIC_HEADER}\n| {' | '.join(str(c) for c in cells)} |\n"


def _where(node: FunctionNode | ast.ClassDef) -> str:
    """``line N``, and the decorators, which the signature does not show."""
    decorators = ", ".join(code(f"@{ast.unparse(d)}") for d in node.decorator_list)
    return f"line {node.lineno}" + (f" · decorated with {decorators}" if decorators else "")


def _function_section(node: FunctionNode, qualname: str, metrics: dict[tuple[str, int], FunctionMetrics], level: int) -> str:
    func = metrics.get((qualname, node.lineno))
    heading = "#" * min(level, 6)
    return f"{heading} {code(signature(node))}\n\n{_where(node)}\n\n{_docstring(node)}\n\n{_metric_row(func)}"


CLASS_HEADER = "| methods | WMC | lines | attributes | LCOM4 |\n|---:|---:|---:|---:|---:|"


def _class_row(found: ClassMetrics | None) -> str:
    """Issue 15's class metrics (docs/metrics.md, "Classes")."""
    if found is None:
        return ""
    cells = (found.methods, found.wmc, found.lines, found.attributes, found.lcom4)
    return f"\n{CLASS_HEADER}\n| {' | '.join(map(str, cells))} |\n"


def _class_section(node: ast.ClassDef, prefix: str, metrics: dict[tuple[str, int], FunctionMetrics], level: int,
                   classes: Mapping[tuple[str, int], ClassMetrics] | None = None) -> str:  # fmt: skip
    qualname = f"{prefix}{node.name}"
    heading = "#" * min(level, 6)
    row = _class_row((classes or {}).get((qualname, node.lineno)))
    parts = [f"{heading} {code(class_signature(node))}\n\n{_where(node)}\n\n{_docstring(node)}\n{row}"]
    for child in node.body:
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parts.append(_function_section(child, f"{qualname}.{child.name}", metrics, level + 1))
        elif isinstance(child, ast.ClassDef):
            parts.append(_class_section(child, f"{qualname}.", metrics, level + 1, classes))
    return "\n".join(parts)


def _dependencies(file: FileMetrics) -> str:
    kinds = (("standard library", file.dependencies.stdlib), ("third-party", file.dependencies.third_party),
             ("local", file.dependencies.local))  # fmt: skip
    lines = [f"- {label}: {', '.join(code(n) for n in names) if names else 'none'}" for label, names in kinds]
    return "**Dependencies**\n\n" + "\n".join(lines) + "\n"


def _worst(functions: Sequence[FunctionMetrics], metric: str) -> str:
    if not functions:
        return "-"
    worst = max(functions, key=lambda f: (getattr(f, metric), -f.lineno))
    return f"{getattr(worst, metric)} ({code(worst.qualname)})"


def _limit_status(value: int, limit: float | None) -> str:
    if limit is None or not value:
        return ""
    return f"over {format_number(limit)}" if value > limit else "ok"


def quality_section(file: FileMetrics, context: Context) -> str:
    """The "Code Quality Metrics" section: maintainability with a status word, complexity, Halstead, dependencies."""
    t = context.thresholds
    funcs = file.functions
    average = sum(f.cyclomatic_complexity for f in funcs) / len(funcs) if funcs else 0.0
    top_cc = max((f.cyclomatic_complexity for f in funcs), default=0)
    top_cog = max((f.cognitive_complexity for f in funcs), default=0)
    rows = [
        ("Maintainability index", format_number(round(file.maintainability_index, 2)),
         mi_status(file.maintainability_index, t.maintainability_threshold)),
        ("Cyclomatic complexity (module total)", str(file.cyclomatic_complexity), ""),
        ("Average cyclomatic complexity per function", format_number(round(average, 2)), ""),
        ("Highest cyclomatic complexity", _worst(funcs, "cyclomatic_complexity"), _limit_status(top_cc, t.complexity_threshold)),
        ("Highest cognitive complexity", _worst(funcs, "cognitive_complexity"),
         _limit_status(top_cog, t.cognitive_complexity_threshold)),
        ("Halstead volume", format_number(round(file.halstead.volume, 2)), ""),
        ("Violations", str(len(context.violations.get(file.path, []))), ""),
    ]  # fmt: skip
    table = "\n".join(f"| {name} | {value} | {status} |" for name, value, status in rows)
    return f"## Code Quality Metrics\n\n| metric | value | status |\n|---|---:|---|\n{table}\n\n{_dependencies(file)}"


def _members(tree: ast.Module, metrics: dict[tuple[str, int], FunctionMetrics],
             by_class: Mapping[tuple[str, int], ClassMetrics] | None = None) -> tuple[list[str], list[str]]:  # fmt: skip
    classes = [_class_section(n, "", metrics, 3, by_class) for n in tree.body if isinstance(n, ast.ClassDef)]
    functions = [
        _function_section(n, n.name, metrics, 3)
        for n in tree.body
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    return classes, functions


def module_page(file: FileMetrics, relative: str, tree: ast.Module | None, context: Context) -> str:
    """One module's page; ``tree`` is None when the source could not be read again."""
    module = module_name(relative)
    metrics = {(f.qualname, f.lineno): f for f in file.functions}
    by_class = {(c.qualname, c.line): c for c in file.classes}
    classes, functions = _members(tree, metrics, by_class) if tree else ([], [])
    overview = _docstring(tree) if tree else "_The source could not be read when the report was written._"
    header = (
        f"# Module {code(module)}\n\n**File:** {code(relative)} · **Lines:** {file.raw.loc} "
        f"({file.raw.sloc} source) · **Classes:** {len(classes)} · **Functions:** {len(functions)}\n"
    )
    parts = [header, f"## Overview\n\n{overview}\n", quality_section(file, context)]
    parts.append("## Classes\n\n" + ("\n".join(classes) if classes else "_None._\n"))
    parts.append("## Functions\n\n" + ("\n".join(functions) if functions else "_None._\n"))
    return "\n".join(parts)


def parse(path: str) -> ast.Module | None:
    """The file's tree for its names and docstrings; None if it no longer reads or parses."""
    from qualitygate.metrics.source import SourceError, read_source

    try:
        return ast.parse(read_source(Path(path), 0), filename=path)
    except (SourceError, SyntaxError, ValueError, RecursionError):
        return None


def index_page(pages: Iterable[tuple[Page, FileMetrics]], errors: Iterable[str]) -> str:
    """The table of every module with its maintainability and a link to its page."""
    rows = [
        f"| [{code(page.module)}]({page.name}) | {format_number(round(f.maintainability_index, 2))} | "
        f"{len(f.functions)} | {f.raw.sloc} |"
        for page, f in pages
    ]
    body = "\n".join(rows) or "| _none_ | | | |"
    missing = "".join(f"- {code(path)}\n" for path in errors)
    tail = f"\n## Not analysed\n\n{missing}" if missing else ""
    return f"# Module documentation\n\n| module | maintainability | functions | source lines |\n|---|---:|---:|---:|\n{body}\n{tail}"
