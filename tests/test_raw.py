"""Raw counts equal radon 6.0.1's ``raw.analyze`` (the peer): every expected number is radon's,
computed here at test time, never written by hand. Spans are ours; they are checked against
the totals and against radon run on each function's own lines."""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import pytest
from radon.raw import analyze

from qualitygate.metrics.raw import RawAnalysis, analyze_raw
from qualitygate.metrics.source import SourceError, decode
from qualitygate.models import RawMetrics

from .conftest import STDLIB, TimeUp, stdlib_files, time_limit

pytestmark = pytest.mark.crossversion  # also run on every other supported Python (.ci/run)

# Every stdlib file (tests excluded) up to 30 kB: ~620 files of real code, ~10 s of radon on
# this 2-core machine. radon is quadratic in a statement's length (24 s on html/entities.py), so
# of the bigger files only some chosen for what they hold are compared here; all 1,790 stdlib
# files are compared by benchmarks/verify_raw.py.
SMALL_FILES = stdlib_files(limit_bytes=30_000)
FEATURED = {
    "test/test_grammar.py": "semicolons, walrus, backslashes, every statement form",
    "test/test_fstring.py": "f-strings with nested quotes, braces and colons",
    "test/test_string_literals.py": "bytes, raw and unicode prefixes, escapes",
    "test/test_re.py": "raw strings ending in backslashes",
    "test/test_tokenize.py": "backslash continuations, source inside strings",
    "test/test_patma.py": "match statements: colons everywhere",
    "test/test_named_expressions.py": "':=' next to ':'",
    "test/tokenizedata/coding20731.py": "CRLF line endings",
    "test/test_unicode_identifiers.py": "a name tokenize rejects: radon raises, and so do we",
}
RADON_SECONDS = 3.0  # per call; a file radon does not finish in time is skipped


def radon_counts(source: str) -> tuple[object, ...]:
    """radon's seven numbers, or its SyntaxError message; skips the test if radon is too slow."""
    try:
        with time_limit(RADON_SECONDS):
            return tuple(analyze(source))
    except SyntaxError as error:
        return ("SyntaxError", error.msg)
    except TimeUp:
        pytest.skip(f"radon took over {RADON_SECONDS:g} s")


def our_counts(source: str) -> tuple[object, ...]:
    """Ours in radon's order (loc, lloc, sloc, comments, multi, blank, single_comments)."""
    try:
        return tuple(analyze_raw(source).totals)
    except SyntaxError as error:
        return ("SyntaxError", error.msg)


def read(path: Path) -> str | None:
    """The file as the gate reads it, or None if it does not decode or parse."""
    try:
        source = decode(path.read_bytes())
        ast.parse(source)
    except (SourceError, SyntaxError, ValueError):
        return None
    return source


CASES = {
    "empty": "",
    "only newlines": "\n\n\n",
    "only comments": "# one\n# two\n\n#\n",
    "one-line docstring": '"""Doc."""\n',
    "multi-line docstring": 'def f():\n    """Doc.\n\n    More.\n    """\n    return 1\n',
    "raw docstring": "r'''Doc\nmore'''\n",
    "if with body on one line": "if x: return 0\n",
    "semicolons": "x = 1; y = 2\n",
    "else with semicolons": "else: x; y\n",
    "trailing semicolon": "x = 1;\n;\n",
    "colon then one token then semicolon": "if a: b; c\na[1:]; b\n",
    "dict and slice colons": "d = {a: b}\nx = y[1:]\nz = y[:]\n",
    "annotation": "x: int = 0\ny: 'Foo'\n",
    "lambda": "f = lambda: 'x'\n",
    "walrus": "if (n := f()):\n    pass\nprint(y := 2)\nz[a:(b := 1)]\n",
    "backslash continuation": "x = 1 + \\\n    2\nif a and \\\n   b:\n    pass\n",
    "backslash then empty line": "x = 1 \\\n\ny = 2\n",
    "backslash before a comment": "\\\n# c\n\\\n\n# d\n",
    "string then comment": "'s'  # c\n",
    "string then backslash and empty lines": "'x' \\\n\n\n",
    "implicit concatenation": "x = ('a'\n     'b')\n'a' 'b'\n'a''b'\n",
    "nested quotes": "x = f\"{d['k']!r:>{w}}\" + '\"' + \"'\"\n",
    "bytes and raw": "x = rb'\\\\' + br\"x\" + Rb'''y''' + b'\\''\n",
    "string continued by backslash": "s = 'abc\\\ndef'\n",
    "continued string, line ending in an escaped backslash": "s = 'a\\\nx\\\\\ny'\n",
    "continued string, then an empty line": "s = 'a\\\n\ny'\n",
    "backslash lines before a string": "\\\n\\\n'x'\n\\\n'''a\nb'''\n",
    "unbalanced closing bracket": ")\n(\n",
    "brackets inside strings": "x = ')' + (\n')'\n)\n",
    "line separator in code": "x = 1\u2028y = (\n)\n",
    "line separator in a triple-quoted string": "x = '''\u2028'''\n",
    "triple quotes inside": "x = '''a\"\"\"b''' + \"\"\"c'''d\"\"\"\nx = ''''''\n",
    "comment inside brackets": "x = [\n    1,  # one\n    # alone\n    2,\n]\n",
    "string alone inside brackets": "x = (\n    'a'\n    'b'\n)\n",
    "CRLF": "def f():\r\n    # c\r\n    return 1\r\n\r\n",
    "lone CR": "def f():\r    '''D.\r\r    '''\r    return 1\r",
    "form feeds": "import os\n\x0c\ndef f():\n    pass\n\x0c\n# end\n",
    "form feed inside a line": "x = 1\x0cy = 2\n#\x0cz = 3\n",
    "no final newline": "x = 1\ny = (2,\n     3)",
    "class with comments": "class A:  # c\n    x = 1  # d\n    def f(self): pass\n",
    "decorators and defaults": "@d(a=1)\ndef f(x=1, *, y: int = 2) -> None: ...\n",
    "one-line def": "def f(): return 1\nclass C: pass\n",
    "unclosed bracket at EOF": "x = (\n",
    "unclosed triple quote": "x = '''\nabc\n",
    "backslash at EOF": "x = 1 \\",
    "form feed inside a one-line string": "x = 'a\x0cb'\n",
    "form feed in a comment, then an error token": "x = 1 # \x0c $\n",
    "no-break space in code": "x\xa0= 1\n",
    "control characters in strings": "x = '\x01\x02'\ny = '''\x03\n\x01'''\n# \x02\n",
    "control character in code": "x = 1\x02\ny = 2\n",
    "error token": "x = $\n",
    "four quotes": "x = '''a''''\n",
}


@pytest.mark.parametrize("source", CASES.values(), ids=CASES.keys())
def test_small_cases_equal_radon(source: str) -> None:
    """Each case's expected numbers (or SyntaxError) are radon 6.0.1's, computed here."""
    assert our_counts(source) == radon_counts(source)


@pytest.mark.parametrize("path", SMALL_FILES, ids=lambda p: str(p.relative_to(STDLIB)))
def test_stdlib_file_equals_radon(path: Path) -> None:
    """A real stdlib file: the seven numbers equal radon 6.0.1's on the same text."""
    source = read(path)
    if source is None:
        pytest.skip("does not parse")
    assert our_counts(source) == radon_counts(source)


@pytest.mark.parametrize("relative", FEATURED)
def test_featured_file_equals_radon(relative: str) -> None:
    """Test-suite files chosen for the syntax they hold (see FEATURED); expected numbers are
    radon 6.0.1's."""
    source = read(STDLIB / relative)
    assert source is not None
    assert our_counts(source) == radon_counts(source)


def _page_breaks(source: str) -> str:
    """Insert a form feed line before every top-level def/class, as old stdlib files had."""
    return re.sub(r"^(?=(?:def|class) )", "\x0c\n", source, flags=re.MULTILINE)


TRANSFORMS = {
    "CRLF": lambda s: s.replace("\n", "\r\n"),
    "CR": lambda s: s.replace("\n", "\r"),
    "form feed lines": _page_breaks,
    "form feed before defs": lambda s: re.sub(r"^(?=def )", "\x0c", s, flags=re.MULTILINE),
}
TRANSFORMED = ["textwrap.py", "quopri.py", "tokenize.py", "json/decoder.py"]


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("relative", TRANSFORMED)
def test_line_endings_and_form_feeds_equal_radon(relative: str, name: str) -> None:
    """Real files rewritten with CRLF, CR or form feeds (the 3.11 stdlib has no form feed and
    one 4-line CRLF file); radon 6.0.1 gives the expected numbers."""
    source = read(STDLIB / relative)
    assert source is not None
    changed = TRANSFORMS[name](source)
    assert our_counts(changed) == radon_counts(changed)


def _physical_lines(source: str) -> list[str]:
    """Lines as ``ast`` counts them (ended by \\n, \\r\\n or \\r), with their endings."""
    return [line for line in re.split(r"(?<=\n)|(?<=\r)(?!\n)", source) if line]


SPAN_FILES = ["textwrap.py", "quopri.py", "json/decoder.py", "test/test_grammar.py"]


@pytest.mark.parametrize("transform", ["none", *TRANSFORMS])
@pytest.mark.parametrize("relative", SPAN_FILES)
def test_spans_of_every_line_add_up_to_the_totals(relative: str, transform: str) -> None:
    """Every count lands on exactly one physical line, extra splitlines() lines included."""
    source = read(STDLIB / relative)
    assert source is not None
    source = TRANSFORMS[transform](source) if transform != "none" else source
    raw = analyze_raw(source)
    count = len(_physical_lines(source))
    assert raw.span(1, count) == raw.totals
    per_line = [tuple(raw.span(line, line)) for line in range(1, count + 1)]
    assert tuple(map(sum, zip(*per_line, strict=True))) == tuple(raw.totals)


@pytest.mark.parametrize("transform", ["none", *TRANSFORMS])
@pytest.mark.parametrize("relative", SPAN_FILES)
def test_function_span_equals_radon_on_the_function_alone(relative: str, transform: str) -> None:
    """A function's lines are whole statements, so radon 6.0.1 run on just those lines gives
    the expected numbers for the span."""
    source = read(STDLIB / relative)
    assert source is not None
    source = TRANSFORMS[transform](source) if transform != "none" else source
    raw, lines = analyze_raw(source), _physical_lines(source)
    functions = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    assert functions
    for node in functions:
        end = node.end_lineno or node.lineno
        alone = "".join(lines[node.lineno - 1 : end])
        assert tuple(raw.span(node.lineno, end)) == tuple(analyze(alone)), node.name


def test_span_attributes_each_count_to_its_line() -> None:
    """Our attribution (radon has no spans): lloc on a group's first line, a comment on its
    '#' line, everything else on its own line."""
    source = (
        "def f(x):  # why\n"  # 1
        '    """Doc.\n'  # 2
        "\n"  # 3
        '    """\n'  # 4
        "    if x: return 1\n"  # 5
        "    return [\n"  # 6
        "        x,  # one\n"  # 7
        "    ]\n"  # 8
    )
    raw = analyze_raw(source)
    assert raw.span(1, 1) == RawMetrics(loc=1, lloc=1, sloc=1, comments=1)
    assert raw.span(2, 4) == RawMetrics(loc=3, lloc=1, multi=2, blank=1)
    assert raw.span(5, 5) == RawMetrics(loc=1, lloc=2, sloc=1)
    assert raw.span(6, 6) == RawMetrics(loc=1, lloc=1, sloc=1)
    assert raw.span(7, 8) == RawMetrics(loc=2, lloc=0, sloc=2, comments=1)
    assert raw.span(1, 0) == RawMetrics()


def test_syntax_error_names_the_line_of_the_group_radon_gives_up_on() -> None:
    """radon 6.0.1 raises ``SyntaxError at line: 3`` here (the group opened on line 3)."""
    with pytest.raises(SyntaxError, match="SyntaxError at line: 3") as caught:
        analyze_raw("x = 1\n\ny = (1,\n     2\n")
    assert caught.value.lineno == 3
    assert radon_counts("x = 1\n\ny = (1,\n     2\n") == ("SyntaxError", caught.value.msg)


def test_span_rejects_lines_outside_the_file() -> None:
    raw = analyze_raw("x = 1\ny = 2\n")
    assert raw.span(2, 2).sloc == 1
    for first, last in [(0, 1), (1, 3), (3, 1)]:
        with pytest.raises(ValueError, match="not within"):
            raw.span(first, last)


def test_empty_source_has_an_empty_span() -> None:
    raw = analyze_raw("")
    assert raw == RawAnalysis(RawMetrics(), ())  # prefix sums do not take part in equality
    assert raw.span(1, 0) == RawMetrics()


def test_linear_where_radon_is_quadratic() -> None:
    """radon needs minutes for one statement of 20,000 lines; the same shape at 50 lines sets
    the expected numbers (radon 6.0.1's), which must scale with the length and arrive fast."""

    def shaped(entries: int) -> str:
        body = "".join(f"    'key{i}': (1, 2),  # {i}\n" for i in range(entries))
        return f'def table():\n    """Doc.\n\n    """\n    return {{\n{body}    }}\n'

    small = tuple(analyze(shaped(50)))
    started = time.perf_counter()
    big = our_counts(shaped(20_050))
    assert time.perf_counter() - started < 2.0
    growth = (20_000, 0, 20_000, 20_000, 0, 0, 0)  # loc, lloc, sloc, comments: one per entry
    assert big == tuple(s + g for s, g in zip(small, growth, strict=True))
