"""Hostile file names read by the real consumers of qualitygate's output (issue 12, items 5-6).

Every line of stdout and stderr is read with the GitHub Actions runner's workflow-command grammar
(src/Runner.Common/ActionCommand.cs: ``::name props::data`` after leading white space, ``##[name]``
anywhere; lines end at CR, LF or CRLF), and the job summary is rendered by markdown-it-py with
CommonMark's rules (and with GFM tables, as GitHub renders it). A name must come out as a name,
escaped and whole, never as a command, a line break, a heading, a link or an image.
"""
from __future__ import annotations

import html
import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stderr
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import pytest
from markdown_it import MarkdownIt

from qualitygate.models import Suggestion, SuggestionKind
from qualitygate.outputs import ReportContext
from qualitygate.outputs.github import log_stderr
from qualitygate.outputs.markdown import summary
from qualitygate.paths import printable

from . import reporter_fixtures as fx
from .conftest import subprocess_env

# Cyclomatic complexity 11, over the default 10; the comment names no metric, so every file also
# gets a warning on stderr that names it.
CC11 = ("def g(x):  # qualitygate: ignore[nonsense]\n"
        + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(10)) + "    return -1\n")  # fmt: skip

# Names relative to the project, as str (bytes that are not UTF-8 as surrogates, as os gives them).
HOSTILE = [
    "cr\rname.py",
    "lf\nname.py",
    "crlf\r\n::error file=README.md::crlf.py",
    "\n::error file=README.md::forged.py",
    "::error file=README.md::x.py",
    "::stop-commands::tok.py",
    "next\n::stop-commands::tok2.py",
    "  ::warning::spaced.py",
    "##[error]old syntax.py",
    "pct %25 colon: comma, done.py",
    "two``backticks.py",
    "`lead and trail`.py",
    "[x](http:%2F%2Fevil).py",
    "![i](http:e.png).py",
    "lone\r# h1 ![i](http:e.png).py",
    "pipe | cell.py",
    "esc \x1b[31mred.py",
    "separators \u2028 \u2029 \x85 .py",
    "<img src=x onerror=alert(1)>.py",
    "lit\\x0d.py",  # a literal backslash-x-0-d: must not print like the CR below
    "lit\r.py",
    "[x](http:/evil).py",  # a folder "[x](http:" holding "evil).py": a link with a slash
]
SYNTAX_ERROR = "syntax\n::error file=README.md::s.py"
UNDECODABLE = os.fsdecode(b"undecodable\xff\r.py")
NAMES = {*HOSTILE, SYNTAX_ERROR, UNDECODABLE}
SOURCE_URL = "https://github.com/o/r/blob/abc/"
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # every one but the LF ending a line


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose every file name tries to break out of the report that names it."""
    root = tmp_path_factory.mktemp("hostile")
    for name in HOSTILE:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(CC11, encoding="utf-8")
    (root / SYNTAX_ERROR).write_text("def f(:\n", encoding="utf-8")
    (root / UNDECODABLE).write_bytes(b"x = '\xff'\n")
    return root


class Run(NamedTuple):
    code: int
    out: str
    err: str


def qualitygate(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """``python -m qualitygate ARGS`` as CI runs it: a subprocess, stdout and stderr pipes."""
    environment = {k: v for k, v in subprocess_env().items() if not k.startswith("GITHUB_")}
    environment.update(env or {})
    done = subprocess.run([sys.executable, "-m", "qualitygate", *args], cwd=cwd, env=environment,
                          capture_output=True, timeout=120, check=False)  # fmt: skip
    # Strict UTF-8: a lone surrogate (a name's byte that is not UTF-8) must never reach a stream.
    return Run(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


# --- the runner's grammar --------------------------------------------------------------------


class Command(NamedTuple):
    name: str
    properties: dict[str, str]
    data: str


def runner_lines(text: str) -> list[str]:
    """Lines as the runner reads them (.NET ReadLine): CR, LF and CRLF each end one."""
    return re.split(r"\r\n|\r|\n", text)


def _unescape(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for escaped, raw in pairs:
        text = text.replace(escaped, raw)
    return text


def unescape_property(text: str) -> str:
    return _unescape(text, (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")))


def unescape_data(text: str) -> str:
    return _unescape(text, (("%0D", "\r"), ("%0A", "\n"), ("%25", "%")))


def parse_v2(line: str) -> Command | None:
    """ActionCommand.TryParseV2, for every command name (not only the registered ones)."""
    message = line.lstrip()
    end = message.find("::", 2)
    if not message.startswith("::") or end < 0:
        return None
    name, _, props = message[2:end].partition(" ")
    properties = {}
    for pair in filter(None, props.strip().split(",")):
        key, _, value = pair.partition("=")
        if key and value:
            properties[key] = unescape_property(value)
    return Command(name, properties, unescape_data(message[end + 2 :]))


def parse_v1(line: str) -> str | None:
    """ActionCommand.TryParse (``##[name props]data`` anywhere in a line): the command name."""
    start = line.find("##[")
    end = line.find("]", start)
    return None if start < 0 or end < 0 else line[start + 3 : end].split(" ")[0]


def unspell(shown: str) -> str:
    """Read back a name as ``paths.printable`` spells it: ``\\\\`` is a backslash, ``\\xNN`` a
    character (a byte that is not UTF-8 from 0x80), ``\\uNNNN`` a character, any other ``\\``
    itself. Written from the documented rules, not from the code."""
    out, i = [], 0
    while i < len(shown):
        escape = re.match(r"\\(?:(\\)|x([0-9a-f]{2})|u([0-9a-f]{4}))", shown[i:])
        if escape is None:
            out.append(shown[i])
            i += 1
            continue
        backslash, byte, char = escape.groups()
        if backslash:
            out.append("\\")
        elif byte:
            out.append(chr(int(byte, 16) + (0xDC00 if int(byte, 16) >= 0x80 else 0)))
        else:
            out.append(chr(int(char, 16)))
        i += len(escape.group())
    return "".join(out)


INTENDED = {"error", "warning", "notice"}
PROPERTIES = {"file", "line", "endLine", "title"}


def commands(text: str, files: set[str] = NAMES) -> list[Command]:
    """Every command the runner would run from ``text``; each must be one qualitygate means,
    about one of ``files`` when it names a file."""
    found = []
    for line in runner_lines(text):
        assert parse_v1(line) is None, f"an old-syntax command: {line!r}"
        command = parse_v2(line)
        if command is None:
            continue
        assert command.name in INTENDED, f"a command qualitygate never writes: {line!r}"
        assert set(command.properties) <= PROPERTIES, line
        assert line.startswith(f"::{command.name}"), f"a command after white space: {line!r}"
        if "file" in command.properties:
            assert unspell(command.properties["file"]) in files, f"a forged file: {line!r}"
        assert all(command.properties.get(k, "1").isdigit() for k in ("line", "endLine")), line
        found.append(command)
    return found


def assert_one_line_each(text: str) -> None:
    """No control character at all: each name and message stays on its one line."""
    assert not CONTROL.findall(text), sorted(set(CONTROL.findall(text)))


def test_the_grammar_model_catches_what_the_issue_reports() -> None:
    """The model is strict enough: the issue's forged lines are caught."""
    with pytest.raises(AssertionError, match="forged file"):
        commands("x.py\r::error file=README.md::forged\n")
    with pytest.raises(AssertionError, match="never writes"):
        commands("a\n::stop-commands::tok\n")
    with pytest.raises(AssertionError, match="old-syntax"):
        commands("a.py:1: ##[error]forged\n")
    assert commands("::error file=cr\\x0dname.py,line=1::m\n")[0].properties["line"] == "1"


# --- names -----------------------------------------------------------------------------------


def test_printable_names_are_one_line_and_read_back() -> None:
    for name in NAMES:
        shown = printable(name)
        assert_one_line_each(shown)
        assert parse_v2(shown) is None and parse_v1(shown) is None
        assert unspell(shown) == name
    assert len({printable(name) for name in NAMES}) == len(NAMES)
    assert printable("lit\r.py") == "lit\\x0d.py" and printable("lit\\x0d.py") == "lit\\\\x0d.py"
    assert printable("a\x85\u2028.py") == "a\\u0085\\u2028.py"


# --- the line formats and stderr -------------------------------------------------------------


def _annotated_or_logged(out: str) -> set[str]:
    """The names in ``--format github`` output: annotation files, then the log lines past them."""
    names = {unspell(c.properties["file"]) for c in commands(out) if "file" in c.properties}
    for line in out.splitlines():
        logged = re.match(r"(?:error|warning): (.*):\d+: ", line)
        if logged:
            names.add(unspell(logged.group(1)))
    return names


def test_github_format_only_writes_intended_commands(hostile: Path) -> None:
    run = qualitygate(hostile, "check", ".", "--no-cache", "--format", "github")
    assert run.code == 1, run.err
    assert_one_line_each(run.out + run.err)
    assert _annotated_or_logged(run.out) == NAMES
    # Every warning on stderr is a ::warning command naming its file; no other line is written.
    warnings = commands(run.err)
    assert len(warnings) == len(run.err.splitlines()) == len(HOSTILE)
    assert {c.name for c in warnings} == {"warning"}
    assert {unspell(c.properties["file"]) for c in warnings} == set(HOSTILE)
    assert all("unknown metric or rule 'nonsense'" in c.data for c in warnings)


def test_text_format_lines_are_not_commands(hostile: Path) -> None:
    run = qualitygate(hostile, "check", ".", "--no-cache", "--format", "text")
    assert run.code == 1, run.err
    assert_one_line_each(run.out + run.err)
    assert commands(run.out) == [] and commands(run.err) == []
    # path:line:col: for violations, path:line: for errors (issue 16).
    named = {unspell(m.group(1)) for m in re.finditer(r"^(.*?):\d+(?::\d+)?: (?:QG\d{3}|error) ", run.out, re.M)}
    assert named == NAMES
    warned = {unspell(m.group(1)) for m in re.finditer(r"^(.*):\d+: warning: ", run.err, re.M)}
    assert warned == set(HOSTILE)


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab", "junit"])
def test_document_formats_on_stdout_start_no_command(hostile: Path, fmt: str) -> None:
    run = qualitygate(hostile, "check", ".", "--no-cache", "--format", fmt)
    assert run.code == 1, run.err
    assert commands(run.out) == [] and commands(run.err) == []


def test_error_messages_name_things_on_one_line(hostile: Path, tmp_path: Path) -> None:
    """Usage and config errors quote what they were given: a path, an option, a TOML key."""
    missing = qualitygate(hostile, "check", "gone\n::error file=README.md::x.py", "--format", "github")
    bad_option = qualitygate(hostile, "check", "--no\r::stop-commands::tok")
    bad_format = qualitygate(hostile, "check", "--format", "nope\n::error file=README.md::x")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.qualitygate]\n"key\\r\\n::error file=README.md::x ##[error]y" = 1\n', encoding="utf-8"
    )
    bad_key = qualitygate(tmp_path, "check", ".", "--format", "github")
    for run in (missing, bad_option, bad_format, bad_key):
        assert run.code == 2
        assert_one_line_each(run.out + run.err)
        assert commands(run.out) == [] and commands(run.err) == [], run.err
    assert "gone\\x0a::error file=README.md::x.py: no such file" in missing.err
    assert "key" in bad_key.err and "##\\x5berror]y" in bad_key.err


def test_stderr_messages_become_one_line_each() -> None:
    """A message with a line break inside, written in pieces as print writes it, is one line."""
    stream = io.StringIO()
    with redirect_stderr(stream), log_stderr(commands=True):
        print("qualitygate: warning: cannot read a\n::error file=README.md::x", file=sys.stderr)
        print("a.py:3: warning: odd, 100%", file=sys.stderr)
        print("note\r::stop-commands::tok", file=sys.stderr)
        sys.stderr.write("no newline at the end")
    lines = stream.getvalue().split("\n")
    assert lines == [
        "::warning title=qualitygate::cannot read a\\x0a::error file=README.md::x",
        "::warning file=a.py,line=3,title=qualitygate::odd, 100%25",
        "note\\x0d::stop-commands::tok",
        "no newline at the end",
        "",
    ]
    assert len(commands(stream.getvalue(), {"a.py"})) == 2


# --- the job summary -------------------------------------------------------------------------


class Html(HTMLParser):
    """The tags of rendered Markdown, the text of each <code>, and what each <a> holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.codes: list[str] = []
        self.links: list[tuple[str, list[tuple[str, str]]]] = []  # (href, [(kind, text)])
        self._code: list[str] | None = None
        self._link: list[tuple[str, str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self._link = []
            self.links.append((dict(attrs).get("href") or "", self._link))
        elif tag == "code":
            self._code = []
        elif self._link is not None:
            self._link.append(("tag", tag))

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self._code is not None:
            self.codes.append("".join(self._code))
            if self._link is not None:
                self._link.append(("code", self.codes[-1]))
            self._code = None
        elif tag == "a":
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._code is not None:
            self._code.append(data)
        elif self._link is not None:
            self._link.append(("text", data))


ALLOWED = {"h2", "h3", "p", "strong", "em", "code", "a", "ul", "li", "pre", "details", "summary",
           "table", "thead", "tbody", "tr", "th", "td"}  # fmt: skip


def rendered(markdown: str, tables: bool) -> Html:
    renderer = MarkdownIt("commonmark")
    if tables:
        renderer = renderer.enable("table")  # GitHub's GFM tables
    parsed = Html()
    parsed.feed(renderer.render(markdown))
    return parsed


def location(code: str, tables: bool) -> tuple[str, str] | None:
    """``(name as shown, line)`` from a code span ``name:line``. Without tables, a row is a
    paragraph and each pipe keeps the backslash that escaped it for the table."""
    found = re.fullmatch(r"(.*):(\d+)", code if tables else code.replace("\\|", "|"), re.S)
    return (found.group(1), found.group(2)) if found else None


def assert_summary_is_safe(markdown: str, tables: bool) -> set[str]:
    """Only the markup qualitygate writes, every link its own; returns the names in code spans."""
    assert "\r" not in markdown and not CONTROL.findall(markdown)
    parsed = rendered(markdown, tables)
    assert set(parsed.tags) <= ALLOWED, set(parsed.tags) - ALLOWED  # no <img>, <h1>, raw HTML
    for href, inside in parsed.links:
        assert [kind for kind, _ in inside] == ["code"], f"a link that is not one code span: {href}"
        shown, line = location(inside[0][1], tables) or ("", "")
        assert href == f"{SOURCE_URL}{quote(shown, safe='/')}#L{line}"
    return {unspell(found[0]) for found in map(lambda c: location(c, tables), parsed.codes) if found}


def test_job_summary_renders_names_as_code_only(hostile: Path, tmp_path: Path) -> None:
    summary_file = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary_file), "GITHUB_SERVER_URL": "https://github.com",
           "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "abc", "GITHUB_WORKSPACE": str(hostile)}  # fmt: skip
    run = qualitygate(hostile, "check", ".", "--no-cache", "--format", "github", env=env)
    assert run.code == 1, run.err
    markdown = summary_file.read_text(encoding="utf-8")
    for tables in (False, True):
        assert assert_summary_is_safe(markdown, tables) == NAMES
    direct = qualitygate(hostile, "check", ".", "--no-cache", "--format", "markdown", env=env)
    assert direct.out == markdown


def test_a_patch_cannot_close_its_fence() -> None:
    """A verified AI patch is code: backticks, HTML and a heading in it stay inside the block."""
    base = fx.failing()
    v = base.violations[0]
    patch = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-x = 1\n+x = '''\n````\n# h1\n<img src=x>\n```'''"
    advice = Suggestion(SuggestionKind.AI, v.rule, v.path, v.line, v.symbol, "AI rewrite", patch, True)
    markdown = summary(replace(base, suggestions=(advice,)), ReportContext(source_url=SOURCE_URL))
    parsed = rendered(markdown, tables=True)
    assert "h1" not in parsed.tags and "img" not in parsed.tags
    (block,) = [c for c in parsed.codes if "+++ b/x.py" in c]
    assert block == patch + "\n"
    assert html.escape("<img src=x>") in MarkdownIt("commonmark").render(markdown)
