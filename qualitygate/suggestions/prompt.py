"""What the model is asked: one function with its line numbers, its metrics, the advice, and the
module and class context it must fit in (issue 13, item 3)."""
from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qualitygate.models import FunctionMetrics, Violation, format_number
from qualitygate.suggestions import scope, static

# Part of the cache key: a new prompt must not reuse answers to the old one.
PROMPT_VERSION = 2
_DEF = re.compile(r"(async[ \t]+)?def[ \t]")
_MAX_NAMES = 80  # of the module's names listed; a huge module's full list helps no one

SYSTEM = """\
You refactor one Python function at a time to lower the code-quality metrics named in the \
request, without changing what the function does: keep every branch, every attribute it reads \
and every value it returns.
Answer with the complete rewritten function in a single ```python code block and nothing else, \
without the line numbers.
Keep the function's name, parameters (names, order, defaults, annotations), return annotation \
and decorators exactly as they are.
You may add helper functions after it in the same block, with names the module, the class and \
its bases do not use, and without decorators. Do not add imports, classes or other \
module-level code. Use no syntax newer than the Python version given, and no name imported \
only for type checking. Keep the comments that still apply."""


@dataclass(frozen=True)
class Request:
    """One function to rewrite, with what qualitygate measured."""

    path: str
    function: FunctionMetrics
    violations: tuple[Violation, ...]  # the function's violations, worst first
    source: str  # the def as written, decorators and comments included
    advice: tuple[str, ...] = ()  # the rule-based advisor's texts for it
    context: str = ""  # the module and class around it, and where helpers go (no line numbers)
    history: tuple[tuple[str, str], ...] = ()  # earlier (answer, rejection reason) pairs

    def retry(self, answer: str, reason: str) -> Request:
        """The same request, with a rejected answer and its reason to answer again."""
        from dataclasses import replace

        return replace(self, history=(*self.history, (answer, reason)))


def _violation_line(v: Violation) -> str:
    label = v.metric.value.replace("_", " ")
    direction = "must drop" if v.comparison == ">" else "must rise"
    return (f"- {label} {format_number(v.value)}: past the threshold of "
            f"{format_number(v.threshold)}, {direction}")  # fmt: skip


def numbered(source: str, def_line: int) -> str:
    """The def with the file's line numbers (its ``def`` line is ``def_line``)."""
    lines = source.rstrip("\n").split("\n")
    at = next((i for i, line in enumerate(lines) if _DEF.match(line)), 0)
    width = len(str(def_line - at + len(lines)))
    return "\n".join(f"{def_line - at + i:>{width}} | {line}" for i, line in enumerate(lines))


def user_message(request: Request) -> str:
    """The request text: where the function is, its numbers, the advice, the context, then its
    source with line numbers."""
    f = request.function
    lines = [
        f"File: {request.path}",
        f"Function: `{f.qualname}` (line {f.lineno})",
        "Measured by qualitygate:",
        *(_violation_line(v) for v in request.violations),
        f"- cyclomatic complexity {f.cyclomatic_complexity}, cognitive complexity "
        f"{f.cognitive_complexity}, maintainability index {format_number(f.maintainability_index)}",
        f"- {f.length} lines, nesting depth {f.max_nesting}, {f.parameters} parameters",
    ]
    if request.advice:
        lines += ["Advice (the extraction qualitygate measured):", *(f"- {text}" for text in request.advice)]
    if request.context:
        lines.append(request.context.rstrip("\n"))
    lines += ["", "```python", numbered(request.source, f.lineno), "```"]
    return "\n".join(lines) + "\n"


def cache_payload(request: Request) -> list[object]:
    """What an answer depends on: the function's text, what it must fix, its context, and the
    answers already rejected; not where it sits.

    Line numbers (in the advice too) are left out, so moving a function keeps its answer.
    """
    failing = [(v.rule, v.value, v.threshold) for v in request.violations]
    return [PROMPT_VERSION, SYSTEM, request.source, failing, request.context, list(request.history)]


def _feedback(request: Request, reason: str) -> str:
    return (f"Function: `{request.function.qualname}`: qualitygate rejected that rewrite: {reason}. "
            "Answer again with the complete function (and any helpers) in one ```python block, "
            "fixing that.")  # fmt: skip


def messages(request: Request) -> list[dict[str, str]]:
    """The chat-completions ``messages`` list, with each rejected answer and its reason."""
    turns = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": user_message(request)},
    ]
    for answer, reason in request.history:
        turns += [{"role": "assistant", "content": answer},
                  {"role": "user", "content": _feedback(request, reason)}]  # fmt: skip
    return turns


def _imports(tree: ast.Module) -> list[str]:
    found = [n for n in static.top_level(tree.body) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return [ast.unparse(n) for n in found]


def _class_lines(cls: ast.ClassDef, function: static.FunctionNode) -> list[str]:
    bases = ", ".join(ast.unparse(b) for b in cls.bases)
    first = function.args.posonlyargs + function.args.args
    me = first[0].arg if first else "self"
    used = sorted({n.attr for n in ast.walk(function) if isinstance(n, ast.Attribute)
                   and isinstance(n.value, ast.Name) and n.value.id == me})  # fmt: skip
    return [
        f"Class: `{cls.name}({bases})`" if bases else f"Class: `{cls.name}`",
        f"- attributes the method uses: {', '.join(f'{me}.{a}' for a in used) or 'none'}",
        f"- names the class defines: {', '.join(sorted(static.bound_names(cls.body)))}",
        f"Helpers are placed right after the method in the class body: call them through `{me}.`"
        " (or make them @staticmethod), never by bare name.",
    ]  # fmt: skip


def context_text(source: str, qualname: str, index: int, path: str) -> str:
    """The module's imports and names, the class around a method, the Python version, and
    where helpers will be placed: what an answer must fit in."""
    tree = ast.parse(source)
    minor = static.lowest_minor(path)
    names = sorted(static.bound_names(tree.body))
    lines = [f"Python: 3.{minor} or later (requires-python): use no newer syntax" if minor is not None
             else "Python: the project does not declare requires-python"]  # fmt: skip
    lines += ["Module imports:", *(f"- {i}" for i in _imports(tree) or ["(none)"])]
    lines.append(f"Names the module defines: {', '.join(names[:_MAX_NAMES])}"
                 + (f" (and {len(names) - _MAX_NAMES} more)" if len(names) > _MAX_NAMES else ""))  # fmt: skip
    hidden = static.type_checking_only(tree)[0]
    if hidden:
        lines.append(f"Imported only under `if TYPE_CHECKING:` (not usable at run time): {', '.join(sorted(hidden))}")
    located = scope.locate(tree, qualname, index)
    if located is not None and isinstance(located[1], ast.ClassDef):
        lines += _class_lines(located[1], located[0])
    elif located is not None and isinstance(located[1], ast.Module):
        lines.append("Helpers are placed at module level right after the function.")
    else:
        lines.append("Helpers are placed inside the enclosing function, right after this one.")
    return "\n".join(lines) + "\n"


def summarize(texts: Sequence[str], limit: int = 3) -> str:
    """``a; b; c (and 2 more)``: a short list of reasons for a log line."""
    shown = "; ".join(texts[:limit])
    return f"{shown} (and {len(texts) - limit} more)" if len(texts) > limit else shown
