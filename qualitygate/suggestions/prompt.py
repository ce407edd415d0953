"""What the model is asked (one function and its metrics) and how the code is read from its answer."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qualitygate.models import FunctionMetrics, Violation, format_number

# Part of the cache key: a new prompt must not reuse answers to the old one.
PROMPT_VERSION = 1

SYSTEM = """\
You refactor one Python function at a time to lower the code-quality metrics named in the \
request, without changing what the function does.
Answer with the complete rewritten function in a single ```python code block and nothing else.
Keep the function's name, parameters (names, order, defaults, annotations), return annotation \
and decorators exactly as they are.
You may add helper functions after it in the same block, with new names. Do not add imports, \
classes or other module-level code. Keep the comments that still apply."""

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Request:
    """One function to rewrite, with what qualitygate measured."""

    path: str
    function: FunctionMetrics
    violations: tuple[Violation, ...]  # the function's violations, worst first
    source: str  # the def as written, decorators and comments included
    advice: tuple[str, ...] = ()  # the rule-based advisor's texts for it


def _violation_line(v: Violation) -> str:
    label = v.metric.value.replace("_", " ")
    direction = "must drop" if v.comparison == ">" else "must rise"
    return (f"- {label} {format_number(v.value)}: past the threshold of "
            f"{format_number(v.threshold)}, {direction}")  # fmt: skip


def user_message(request: Request) -> str:
    """The request text: where the function is, its numbers, the advice, then its source."""
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
        lines += ["Advice:", *(f"- {text}" for text in request.advice)]
    lines += ["", "```python", request.source.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def cache_payload(request: Request) -> list[object]:
    """What an answer depends on: the function's text and what it must fix, not where it sits.

    Line numbers (in the advice too) are left out, so moving a function keeps its answer.
    """
    failing = [(v.rule, v.value, v.threshold) for v in request.violations]
    return [PROMPT_VERSION, SYSTEM, request.source, failing]


def messages(request: Request) -> list[dict[str, str]]:
    """The chat-completions ``messages`` list."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": user_message(request)},
    ]


def extract_code(answer: str) -> str:
    """The code of the answer: its first ``python`` fenced block, else its first block, else all."""
    blocks = _FENCE.findall(answer)
    for language, code in blocks:
        if language.lower() in ("python", "py", "python3"):
            return code
    if blocks:
        return str(blocks[0][1])
    return answer.strip() + "\n" if answer.strip() else ""


def summarize(texts: Sequence[str], limit: int = 3) -> str:
    """``a; b; c (and 2 more)``: a short list of reasons for a log line."""
    shown = "; ".join(texts[:limit])
    return f"{shown} (and {len(texts) - limit} more)" if len(texts) > limit else shown
