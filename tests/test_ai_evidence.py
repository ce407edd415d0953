"""Issue 13: every rewrite kind found on rich is rejected, or offered with an honest label, through
the CLI against the chat-completions server on 127.0.0.1 that tests/test_ai.py runs."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from qualitygate.gate.rules import Thresholds
from qualitygate.metrics.analyze import MetricOptions, measure_source
from qualitygate.models import Metric, Violation
from qualitygate.store.answers import REJECTED_TTL_S, AnswerCache
from qualitygate.suggestions.answer import extract_code
from qualitygate.suggestions.verify import Rejected, Target, verify

from .conftest import CliResult
from .test_ai import KEY, ChatServer, ai_suggestions, chat_server, clean_env, openai_table  # noqa: F401

pytest.importorskip("openai")

# The same nested loop in every function: cognitive complexity 7, past the threshold of 4.
LOOP = """\
    total = 0
    for item in items:
        if item is not None:
            if item > limit:
                total += limit
            else:
                total += item
"""
SOURCE = f'''\
"""One function per kind of rewrite seen on rich (issue 13)."""
import sys
from typing import TYPE_CHECKING

try:
    import json
except ImportError:  # pragma: no cover
    json = None

if TYPE_CHECKING:
    from decimal import Decimal

if sys.platform:
    def _clamp_if(item, limit):
        return min(item, limit)


def drops_branch(items, limit):
{LOOP}    return total


def type_checking_only(items, limit):
{LOOP}    return total


def shadows_if(items, limit):
{LOOP}    return total


def decorated(items, limit):
{LOOP}    return total


def named_json(items, limit):
{LOOP}    return total


def uses_match(items, limit):
{LOOP}    return total


def comments_only(items, limit):
{LOOP}    return total


class Base:
    def _sum(self, items, limit):
        return 0


class Box(Base):
    def bare_call(self, items, limit):
{LOOP.replace("    ", "        ", 1).replace(chr(10) + "    ", chr(10) + "        ")}        return total

    def overrides(self, items, limit):
{LOOP.replace("    ", "        ", 1).replace(chr(10) + "    ", chr(10) + "        ")}        return total


class Style:
    def render(self):
        parts = []
        if self.bold:
            if self.italic:
                parts.append("bold italic")
            else:
                parts.append("bold")
        if self.overline:
            if self.dim:
                parts.append("dim overline")
            else:
                parts.append("overline")
        return " ".join(parts)
'''


def block(code: str) -> str:
    return f"Here you go:\n\n```python\n{code}```\n"


SUM = "sum(min(item, limit) for item in items if item is not None)"
ANSWERS = {
    # Passes every static check; only tests or replay could see the missing clamp.
    "drops_branch": block("def drops_branch(items, limit):\n    return sum(item for item in items if item is not None)\n"),
    "type_checking_only": block(f"def type_checking_only(items, limit):\n    return Decimal({SUM})\n"),
    "shadows_if": block("def shadows_if(items, limit):\n    return sum(_clamp_if(i, limit) for i in items if i is not None)\n\n\n"
                        "def _clamp_if(item, limit):\n    return min(item, limit)\n"),
    "decorated": block(f"def decorated(items, limit):\n    return _part(items, limit)\n\n\n"
                       "@__import__('os').system('echo pwned') or (lambda f: f)\n"
                       f"def _part(items, limit):\n    return {SUM}\n"),
    "named_json": block(f"def named_json(items, limit):\n    return json(items, limit)\n\n\n"
                        f"def json(items, limit):\n    return {SUM}\n"),
    "uses_match": block("def uses_match(items, limit):\n    match items:\n        case []:\n            return 0\n"
                        f"        case _:\n            return {SUM}\n"),
    "comments_only": block(f"def comments_only(items, limit):\n    # Add up the items, each clamped to the limit.\n{LOOP}    return total\n"),
    "Box.bare_call": block(f"def bare_call(self, items, limit):\n    return _clamped(items, limit)\n\n\n"
                           f"def _clamped(items, limit):\n    return {SUM}\n"),
    "Box.overrides": block(f"def overrides(self, items, limit):\n    return self._sum(items, limit)\n\n\n"
                           f"def _sum(self, items, limit):\n    return {SUM}\n"),
    # rich's Style.__str__ without `overline`: the static checks notice what it no longer reads.
    "Style.render": block('class Style:\n    def render(self):\n        parts = []\n        if self.bold:\n'
                          '            parts.append("bold italic" if self.italic else "bold")\n'
                          '        if self.dim:\n            parts.append("dim")\n        return " ".join(parts)\n'),
}
CONFIG = """\
[project]
name = "demo"
requires-python = ">=3.8"

[tool.qualitygate]
cognitive_complexity_threshold = 4
complexity_threshold = 50
maintainability_threshold = 0
"""
REJECTED = {
    "drops_branch": None,
    "Style.render": None,
    "type_checking_only": "uses `Decimal` at run time, but it is imported only under `if TYPE_CHECKING:`",
    "shadows_if": "helper `_clamp_if` reuses a name already defined in the module",
    "decorated": "helper `_part` has the decorator `@__import__('os').system('echo pwned') or (lambda f: f)`, "
                 "code that would run on import",
    "named_json": "helper `json` reuses a name already defined in the module",
    "uses_match": "uses syntax that Python 3.8 (requires-python) does not have: Pattern matching is only "
                  "supported in Python 3.10 and greater",
    "comments_only": "no change to the code: only comments, docstrings or formatting differ",
    "Box.bare_call": "pyflakes finds new problems: undefined name '_clamped'",
    "Box.overrides": "helper `_sum` reuses a name already defined in the class or its bases",
}


@pytest.fixture
def evidence_project(
    project: Callable[..., Path], chat_server: ChatServer, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> Path:
    monkeypatch.setenv("QG_TEST_KEY", KEY)
    chat_server.script = {name: ("answer", answer) for name, answer in ANSWERS.items()}
    config = CONFIG + "max_suggestions = 20\n" + openai_table(chat_server.url)
    return project({"pyproject.toml": config, "mod.py": SOURCE})


def _rejections(err: str) -> dict[str, str]:
    """The final reason per function (the line without "asking again")."""
    found = {}
    for name, reason in re.findall(r"rejected the AI rewrite of mod\.py:\d+ `([^`]+)` \(QG002\): (.*)", err):
        if not reason.endswith("asking again with the reason"):
            found[name] = reason
    return found


def test_each_rewrite_kind_is_rejected_or_labelled(
    cli: Callable[..., CliResult], evidence_project: Path, chat_server: ChatServer  # noqa: F811
) -> None:
    result = cli("check", ".", "-f", "json", "--suggest", cwd=evidence_project)
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    rejected = _rejections(result.err)
    offered = ai_suggestions(result.json())
    for name, reason in REJECTED.items():
        if reason is None:
            assert name in offered and name not in rejected, result.err
        else:
            assert rejected.get(name, "").startswith(reason), (name, rejected.get(name))
            assert name not in offered
    # Offered, but honestly labelled: nothing ran the code.
    for name in ("drops_branch", "Style.render"):
        s = offered[name]
        assert s["verified"] is False
        assert s["evidence"]["static"] == "ok" and s["evidence"]["tests"] == "not run"
        assert "behaviour unchecked (no tests were run)" in s["text"]
    style = offered["Style.render"]
    assert style["evidence"]["warnings"] == ("no longer reads `.overline`; no longer uses the string "
                                             "'dim overline'; no longer uses the string 'overline'")
    assert "look closely: no longer reads `.overline`" in style["text"]
    # Each rejected answer was asked about again, with the reason.
    retry = next(s for s in chat_server.seen if s.function == "named_json" and len(s.body["messages"]) == 4)
    assert retry.body["messages"][2]["role"] == "assistant"
    assert REJECTED["named_json"] in retry.body["messages"][3]["content"]  # type: ignore[operator]


def test_text_and_markdown_say_what_was_not_checked(
    cli: Callable[..., CliResult], evidence_project: Path, chat_server: ChatServer  # noqa: F811
) -> None:
    chat_server.script = {"drops_branch": ("answer", ANSWERS["drops_branch"])}
    out = evidence_project / "out.md"
    result = cli("check", "mod.py", "--suggest", "-f", "text", "-f", f"markdown:{out}", cwd=evidence_project)
    line = next(x for x in result.out.splitlines() if "AI rewrite" in x)
    assert "unverified: metrics re-measured, static checks passed; behaviour unchecked (no tests were run)" in line
    markdown = out.read_text(encoding="utf-8")
    assert "behaviour unchecked (no tests were run)" in markdown
    assert "<summary>Patch (unverified: behaviour unchecked)</summary>" in markdown


def test_suggest_applies_only_verified_rewrites_unless_told(
    cli: Callable[..., CliResult], evidence_project: Path, chat_server: ChatServer  # noqa: F811
) -> None:
    chat_server.script = {"drops_branch": ("answer", ANSWERS["drops_branch"])}
    printed = cli("suggest", "mod.py", "--no-extract", cwd=evidence_project)
    assert "+    return sum(item for item in items if item is not None)" in printed.out
    assert "mod.py `drops_branch`: unverified: metrics re-measured" in printed.err
    refused = cli("suggest", "mod.py", "--no-extract", "--apply", cwd=evidence_project)
    assert "not applied to mod.py `drops_branch`" in refused.err and "rewrote 0 files" in refused.err
    assert (evidence_project / "mod.py").read_text(encoding="utf-8") == SOURCE
    applied = cli("suggest", "mod.py", "--no-extract", "--apply-unverified", cwd=evidence_project)
    assert "applied 1 rewrite to mod.py" in applied.err


# --- the same checks without a server -----------------------------------------------------------


def target(source: str, name: str, rule: str = "QG002", metric: Metric = Metric.COGNITIVE) -> Target:
    file = measure_source(source, "m.py", MetricOptions(enable_dependency_analysis=False))
    function = next(f for f in file.functions if f.qualname == name)
    value = getattr(function, metric.value)
    violation = Violation(rule, metric, "m.py", function.lineno, function.end_lineno, name, value, 4, "x")
    return Target("m.py", source, file, function, 0, violation)


PLAIN = f"import os\n\n\ndef f(items, limit):\n{LOOP}    return total\n"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (f"def f(items, limit):\n    return _g(items)\n\n\ndef _g(items, n=os.getcwd()):\n    return {SUM}\n",
         "helper `_g` has a default value or annotation that calls code on import"),
        ("def f(items, limit):\n    for item in items:\n        print(item)\n",
         "`f` no longer returns a value (the original did)"),
        (f"def f(items, limit):\n    return _g(items, limit)\n\n\ndef _g(items, limit) -> int:\n    print({SUM})\n",
         "`_g` is annotated `-> int` but never returns a value"),
        ("import re\n\n\ndef f(items, limit):\n    return len(re.findall('x', str(items)))\n",
         "added an import (`import re`)"),
        (f"def f(items, limit):\n    return {SUM}\n\n\nclass Helper:\n    pass\n", "added a class `Helper`"),
        (f"def f(items, limit):\n    unused = 1\n    return {SUM}\n",
         "pyflakes finds new problems: local variable 'unused' is assigned to but never used"),
        (f"def f(items, limit):\n    return _len(items)\n\n\ndef _len(items):\n    return {SUM}\n\n\ndef _len(x):\n    return 0\n",
         "helper `_len` is defined 2 times"),
        (f"def f(items, limit):\n    return len(items)\n\n\ndef len(items):\n    return {SUM}\n",
         "helper `len` shadows the builtin `len`"),
    ],
)
def test_static_checks_reject(answer: str, reason: str) -> None:
    with pytest.raises(Rejected, match=re.escape(reason)):
        verify(target(PLAIN, "f"), answer, Thresholds(cognitive_complexity_threshold=4))


def test_answers_are_read_tolerantly() -> None:
    """Indented code, a class wrapper, two blocks, and an import the module already has."""
    source = f"import os\n\n\nclass C:\n    def f(self, items, limit):\n{LOOP.replace(chr(10) + '    ', chr(10) + '        ').replace('    total = 0', '        total = 0', 1)}        return total\n"
    answer = ("```python\n    import os\n\n    class C:\n        def f(self, items, limit):\n"
              "            return self._g(items, limit)\n```\nand the helper:\n```python\n"
              f"def _g(self, items, limit):\n    return {SUM}\n```\n")  # fmt: skip
    verified = verify(target(source, "C.f"), extract_code(answer), Thresholds(cognitive_complexity_threshold=4))
    assert verified.helpers == ("_g",)
    assert "        return self._g(items, limit)\n\n    def _g(self, items, limit):\n" in verified.source


def test_a_base_from_another_module_is_reported_as_not_checked() -> None:
    source = "from collections import UserList\n\n\nclass C(UserList):\n    def f(self, items, limit):\n" + \
        LOOP.replace("\n    ", "\n        ").replace("    total = 0", "        total = 0", 1) + "        return total\n"
    answer = f"def f(self, items, limit):\n    return self._g(items, limit)\n\n\ndef _g(self, items, limit):\n    return {SUM}\n"
    verified = verify(target(source, "C.f"), answer, Thresholds(cognitive_complexity_threshold=4))
    assert dict(verified.evidence.pairs())["not_checked"] == "the names inherited from `UserList` (defined elsewhere)"


def test_comments_never_count_as_an_improvement() -> None:
    """MI rises with comments; only the code counts (issue 13: 44.96 -> 66.62 on rich)."""
    source = f"def f(items, limit):\n{LOOP}    return total\n"
    base = target(source, "f", "QG004", Metric.MAINTAINABILITY)
    commented = f"def f(items, limit):\n{LOOP}" + "    # the total, clamped\n" * 12 + "    return total\n"
    renamed = commented.replace("total", "result")
    with pytest.raises(Rejected, match="no change to the code"):
        verify(base, commented, Thresholds(function_maintainability_threshold=99))
    with pytest.raises(Rejected, match="does not rise once comments and docstrings are left out"):
        verify(base, renamed, Thresholds(function_maintainability_threshold=99))


def test_a_file_mi_that_already_fails_never_vetoes() -> None:
    source = f"def f(items, limit):\n{LOOP}    return total\n"
    answer = f"def f(items, limit):\n    return _g(items, limit)\n\n\ndef _g(items, limit):\n    return {SUM}\n"
    thresholds = Thresholds(cognitive_complexity_threshold=4, maintainability_threshold=99.9)
    assert verify(target(source, "f"), answer, thresholds).helpers == ("_g",)


def test_a_rejected_answer_is_not_cached_for_ever(tmp_path: Path) -> None:
    warnings: list[str] = []
    cache = AnswerCache(tmp_path, warnings.append)
    cache.put("k", "answer")
    cache.reject("k", now=1000.0)
    cache.reject("k", now=5000.0)  # a second rejection does not extend its life
    assert cache.get("k", now=1000.0 + REJECTED_TTL_S - 1) == "answer"
    assert cache.get("k", now=1000.0 + REJECTED_TTL_S + 1) is None
    assert not warnings



# --- behaviour evidence: the project's tests on a patched copy ---------------------------------

TESTED = f"def clamp_sum(items, limit):\n{LOOP}    return total\n"
TEST_FILE = """\
from mod import clamp_sum


def test_clamps_and_skips_none():
    assert clamp_sum([1, None, 9], 5) == 6
"""


@pytest.mark.parametrize(
    ("answer", "verified"),
    [(f"def clamp_sum(items, limit):\n    return {SUM}\n", True),
     ("def clamp_sum(items, limit):\n    return sum(item for item in items if item is not None)\n", False)],
)
def test_the_projects_tests_verify_or_reject_a_rewrite(
    cli: Callable[..., CliResult], project: Callable[..., Path], chat_server: ChatServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, answer: str, verified: bool,
) -> None:
    monkeypatch.setenv("QG_TEST_KEY", KEY)
    chat_server.script = {"clamp_sum": ("answer", block(answer))}
    root = project({"pyproject.toml": CONFIG + openai_table(chat_server.url), "mod.py": TESTED,
                    "tests/test_mod.py": TEST_FILE})  # fmt: skip
    result = cli("check", "mod.py", "-f", "json", "--suggest", cwd=root)
    assert "running the project's tests on a patched copy for 1 rewrite" in result.err
    offered = ai_suggestions(result.json())
    if verified:
        s = offered["clamp_sum"]
        assert s["verified"] is True
        assert s["evidence"] == {"static": "ok", "tests": "passed", "tests_ran": 1,
                                 "tests_selected": "1 module that imports it", "replayed_calls": 1,
                                 "differences": 0}  # fmt: skip
        assert ("verified: metrics re-measured, static checks passed, 1 test from 1 module that "
                "imports it passed on a patched copy; 1 recorded call equal") in s["text"]  # fmt: skip
        applied = cli("suggest", "mod.py", "--no-extract", "--apply", cwd=root)
        assert "applied 1 rewrite to mod.py" in applied.err
    else:
        assert offered == {}
        assert "`clamp_sum`: the project's tests fail with it (1 failed;" in result.err
        assert "0 offered (0 verified), 1 rejected" in result.err
    assert (root / "tests" / "test_mod.py").read_text(encoding="utf-8") == TEST_FILE


def test_targets_within_reach_of_one_or_two_extractions_go_first() -> None:
    """Issue 13, target choice: a 300-line monster, or a value three times its threshold, waits
    behind every offender a rewrite could plausibly fix, whatever their excess."""
    from qualitygate.gate.rules import Thresholds, evaluate
    from qualitygate.metrics.analyze import measure_source
    from qualitygate.metrics.options import MetricOptions
    from qualitygate.models import GateResult
    from qualitygate.suggestions.ai import select_targets

    def branchy(name: str, branches: int, padding: int = 0) -> str:
        body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(branches))
        return f"def {name}(x):\n{body}" + "    y = 0\n" * padding + "    return -1\n\n\n"

    source = branchy("monster", 14, padding=300) + branchy("far", 40) + branchy("near", 12)
    file = measure_source(source, "m.py", MetricOptions())
    violations = evaluate(file, Thresholds(complexity_threshold=10, cognitive_complexity_threshold=1000))
    result = GateResult(files=(file,), violations=tuple(violations), errors=())
    picked = [t.function.name for t in select_targets(result, lambda path: source, limit=3)]
    assert picked == ["near", "monster", "far"] or picked == ["near", "far", "monster"]
    assert picked[0] == "near"  # CC 13 <= 3 x 10 and 27 lines: the only one within reach
