"""Gitignore-style globs: each rule by hand, then every generated case against pathspec.

The reference is pathspec 1.x's "gitignore" patterns read through ``pathspec.PathSpec`` (not
``GitIgnoreSpec``): qualitygate used it until its import cost mattered, and it stays a test
dependency so that ``qualitygate.discovery.globs`` can be checked against it case by case.
"""
from __future__ import annotations

import random
import re
import subprocess
import sys
import warnings

import pathspec
import pytest

from qualitygate.discovery.globs import GlobSet, check_glob, compile_globs

from .conftest import subprocess_env

# (patterns, path, matched?): paths are relative, '/'-separated, folders end in '/'.
CASES = [
    # Blank lines and comments are no patterns; a '#' that does not start the line is literal.
    ([""], "a", False),
    (["   "], "a", False),
    (["# a"], "# a", False),
    (["#a"], "#a", False),
    (["\\#a"], "#a", True),
    (["a#"], "a#", True),
    # Trailing spaces are dropped unless escaped; leading spaces are kept.
    (["a.py   "], "a.py", True),
    (["a\\ "], "a ", True),
    (["a\\ "], "a", False),
    ([" a"], " a", True),
    ([" a"], "a", False),
    # A name without a '/' matches at any depth, files and folders, and everything below.
    (["a.py"], "a.py", True),
    (["a.py"], "src/deep/a.py", True),
    (["a.py"], "xa.py", False),
    (["gen"], "gen/", True),
    (["gen"], "src/gen/m.py", True),
    (["gen"], "generated/m.py", False),
    # A leading '/' or a '/' in the middle anchors at the root.
    (["/a.py"], "a.py", True),
    (["/a.py"], "src/a.py", False),
    (["src/a.py"], "src/a.py", True),
    (["src/a.py"], "lib/src/a.py", False),
    (["src/legacy"], "src/legacy/old.py", True),
    # A trailing '/' matches folders only: paths given with a '/', or anything below them.
    (["gen/"], "gen", False),
    (["gen/"], "gen/", True),
    (["gen/"], "src/gen/g.py", True),
    (["/gen/"], "src/gen/g.py", False),
    # '*' and '?' stay within one part of the path.
    (["*.py"], "src/m.py", True),
    (["*.py"], "m.pyi", False),
    (["src/*.py"], "src/m.py", True),
    (["src/*.py"], "src/sub/m.py", False),
    (["a?.py"], "ab.py", True),
    (["a?.py"], "a/.py", False),
    (["a?.py"], "a.py", False),
    (["**.py"], "src/m.py", True),  # '**' inside a part is two '*'
    # A last '*' names a folder's entries (files and folders) but not what lies below them.
    (["src/*"], "src/m.py", True),
    (["src/*"], "src/sub/", True),
    (["src/*"], "src/sub/m.py", False),
    (["src/*/m.py"], "src/sub/m.py", True),
    (["src/*/m.py"], "src/m.py", False),
    # Character classes: sets, ranges, '!' or '^' negation, ']' first is a member.
    (["[ab].py"], "b.py", True),
    (["[ab].py"], "c.py", False),
    (["[a-c].py"], "c.py", True),
    (["[!a].py"], "a.py", False),
    (["[!a].py"], "b.py", True),
    (["[^a].py"], "b.py", True),
    (["[]a].py"], "].py", True),
    (["[!]a].py"], "].py", False),
    (["[a-]"], "-", True),  # a '-' last in a class is a member
    (["[a-"], "[a-", True),  # no closing ']': the '[' is literal
    (["[\\]"], "\\", True),  # a backslash inside a class is literal
    # Escapes make wildcards literal.
    (["\\*.py"], "*.py", True),
    (["\\*.py"], "m.py", False),
    (["\\?"], "?", True),
    (["\\[ab]"], "[ab]", True),
    (["\\[ab]"], "a", False),
    # '**/' first: any depth; '/**' last: everything below; '/**/' inside: zero or more folders.
    (["**/gen"], "gen/g.py", True),
    (["**/gen"], "a/b/gen", True),
    (["gen/**"], "gen/g.py", True),
    (["gen/**"], "gen", False),
    (["src/**/m.py"], "src/m.py", True),
    (["src/**/m.py"], "src/a/b/m.py", True),
    (["src/**/m.py"], "lib/m.py", False),
    (["**"], "a/b.py", True),
    (["**/"], "a.py", False),
    (["**/"], "a/", True),
    (["*/"], "a/b.py", True),
    (["*/"], "a.py", False),
    (["/"], "a.py", True),  # pathspec reads a lone '/' as '**' (git ignores the line)
    # Negation: the last matching pattern wins; a '\\!' is a literal '!'.
    (["*.py", "!keep.py"], "keep.py", False),
    (["*.py", "!keep.py"], "drop.py", True),
    (["!keep.py", "*.py"], "keep.py", True),
    (["!keep.py"], "keep.py", False),
    (["\\!keep.py"], "!keep.py", True),
    (["!#a"], "#a", False),
    # Paths are normalised as pathspec does: one leading '/' or './' is dropped.
    (["/src/"], "/src/m.py", True),
    (["src/m.py"], "./src/m.py", True),
]


@pytest.mark.parametrize(("patterns", "path", "expected"), CASES)
def test_each_rule(patterns: list[str], path: str, expected: bool) -> None:
    assert compile_globs(patterns).match_file(path) is expected


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("!", "'!' with no pattern after it"),
        ("! ", "'!' with no pattern after it"),
        ("a\\", "a trailing backslash escapes nothing"),
        ("a\\  ", "a trailing backslash escapes nothing"),  # only the last space can be escaped
        ("src\\/a", "a trailing backslash escapes nothing"),
        ("[z-a]", "bad character range z-a"),
    ],
)
def test_a_malformed_pattern_is_refused_by_name(pattern: str, problem: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(f"{pattern!r}: {problem}")):
        compile_globs(["ok.py", pattern])
    with pytest.raises(ValueError, match="^" + re.escape(f"{pattern!r}: {problem}")):
        check_glob(pattern)  # what the configuration check uses: the same verdict, no regex


def test_newlines_in_names_are_ordinary_characters() -> None:
    """Here we part from pathspec on purpose: its '.' and '$' stop at a newline, so its "*.py"
    misses ``a\\nb/c.py`` and its "a" matches a file ``a\\n``. Git treats '\\n' as any byte."""
    assert compile_globs(["*.py"]).match_file("a\nb/c.py")
    assert not compile_globs(["a"]).match_file("a\n")
    assert not pathspec.PathSpec.from_lines("gitignore", ["*.py"]).match_file("a\nb/c.py")
    assert pathspec.PathSpec.from_lines("gitignore", ["a"]).match_file("a\n")


def test_nothing_but_blanks_and_comments_matches_nothing() -> None:
    assert compile_globs(["", "# a comment", "  "]).regex is None
    assert not compile_globs([]).match_file("a.py")


def test_importing_the_matcher_does_not_import_pathspec() -> None:
    modules = "qualitygate.discovery.files, qualitygate.config, qualitygate.gate.thresholds"
    code = f"import sys, {modules}; print('pathspec' in sys.modules)"
    env = subprocess_env()
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert (run.returncode, run.stdout) == (0, "False\n"), run.stderr


# The differential test: random pattern lists from these pieces, against paths from NAMES.
PARTS = [
    "", "a", "b", "b.py", "ab", "a b", "*", "**", "?", "*.py", "a*", "**.py", "?b",
    "[ab]", "[!a]", "[^b]", "[a-c]", "[a-]", "[*-b]", "[+--]", "[]a]", "[!]b]", "[[a]", "[a-",
    "\\*", "\\?", "\\[ab]", "\\ ", "\\", "[b-a]",
]  # fmt: skip
PREFIXES = ["", "", "", "/", "!", "!/", "\\!", "#", "\\#", " "]
SUFFIXES = ["", "", "", "/", "/**", "/*", " ", "\\ ", "  "]
NAMES = ["a", "b", "b.py", "ab", "a b", "a ", "*", "?", "[ab]", "!a", "#a", "]", "-", "+", "\\",
         ".py", "A"]  # fmt: skip
SEED = 20250611


def _pattern(rng: random.Random) -> str:
    parts = [rng.choice(PARTS) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
    # A lone backslash or a reversed range would make most lists malformed: keep them rare.
    if any(p in ("\\", "[b-a]") for p in parts) and rng.random() < 0.8:
        parts = [p for p in parts if p not in ("\\", "[b-a]")] or ["a"]
    return rng.choice(PREFIXES) + "/".join(parts) + rng.choice(SUFFIXES)


def _paths(rng: random.Random, count: int) -> list[str]:
    paths = {"a", "a/", "a/b.py", "b/a/", "./a/b", "/a/b.py"}
    while len(paths) < count:
        path = "/".join(rng.choice(NAMES) for _ in range(rng.randint(1, 4)))
        paths.add(path + "/" if rng.random() < 0.3 else path)
    return sorted(paths)


def _oracle(patterns: list[str]) -> pathspec.PathSpec | None:
    """pathspec's spec, or None when it refuses a pattern (a GitIgnorePatternError or re.error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # its raw '[[' and '--' classes warn
        try:
            return pathspec.PathSpec.from_lines("gitignore", patterns)
        except Exception:  # noqa: BLE001 - any refusal counts; which type is pathspec's business
            return None


def _ours(patterns: list[str]) -> GlobSet | None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # our classes are escaped: never a FutureWarning
        try:
            return compile_globs(patterns)
        except ValueError:
            return None


def test_every_generated_case_matches_as_pathspec_does() -> None:
    rng = random.Random(SEED)
    paths = _paths(rng, 400)
    compared = refused = matched = 0
    for _ in range(2500):
        patterns = [_pattern(rng) for _ in range(rng.randint(1, 4))]
        oracle, ours = _oracle(patterns), _ours(patterns)
        assert (ours is None) == (oracle is None), patterns
        if oracle is None or ours is None:
            refused += 1
            continue
        for path in paths:
            expected = oracle.match_file(path)
            assert ours.match_file(path) == expected, (patterns, path)
            matched += expected
        compared += len(paths)
    # The generator must reach both answers and both outcomes of compiling, many times over.
    assert compared > 900_000 and 100_000 < matched < compared - 100_000 and refused > 100


def test_every_generated_pattern_is_refused_exactly_when_pathspec_refuses_it() -> None:
    rng = random.Random(SEED + 1)
    patterns = [_pattern(rng) for _ in range(5000)]
    refused = [pattern for pattern in patterns if _oracle([pattern]) is None]
    assert [pattern for pattern in patterns if _ours([pattern]) is None] == refused
    assert len(refused) > 100 and "!" in refused
    assert [pattern for pattern in patterns if not _checks(pattern)] == refused


def _checks(pattern: str) -> bool:
    try:
        check_glob(pattern)
    except ValueError:
        return False
    return True
