"""Gitignore-style glob matching for include/exclude patterns, overrides and .gitignore files.

The rules are those of pathspec 1.x's "gitignore" patterns read through ``PathSpec`` (which
tests/test_globs.py checks against it); this module exists because importing pathspec costs
more than a warm run can spare. Each pattern becomes one regular expression anchored at the
start of the path, and one combined expression decides a path in a single ``match`` call.
"""
from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Iterable
from typing import NamedTuple

_WILDCARDS = {"*": "[^/]*", "?": "[^/]"}
_ANY_DEPTH = "(?:.+/)?"  # a leading '**/': no folder, or any folders
_ANY_PATH = "."  # DOTALL: any non-empty path
_BELOW_A_FOLDER = "[^/]*/"  # any path with a '/': a folder, or anything in one


class GlobSet(NamedTuple):
    """Compiled gitignore-style patterns: the last pattern that matches a path decides."""

    patterns: tuple[str, ...]
    # One alternative per run of patterns of one kind ('!' or not), the last run first, so the
    # first alternative that matches decides. A run of '!' patterns ends in an empty group:
    # ``lastindex`` is set only when one of those matched. None for only blanks and comments.
    regex: re.Pattern[str] | None

    def match_file(self, path: str) -> bool:
        """True when the last pattern matching ``path`` (a folder: with a '/' last) is no '!'."""
        if self.regex is None:
            return False
        # As pathspec's normalize_file: a path outside the root keeps its form, minus one '/'.
        if path.startswith("/"):
            path = path[1:]
        elif path.startswith("./"):
            path = path[2:]
        found = self.regex.match(path)
        return found is not None and found.lastindex is None


def compile_globs(patterns: Iterable[str], *, skip_malformed: bool = False) -> GlobSet:
    """Compile gitignore-style patterns; raise ValueError naming a malformed one, or, with
    ``skip_malformed`` (a .gitignore file: git matches nothing with such a line), leave it out."""
    patterns = tuple(patterns)
    translated = []
    for pattern in reversed(patterns):
        try:
            translation = _named_translation(pattern)
        except ValueError:
            if skip_malformed:
                continue
            raise
        if translation is not None:
            translated.append(translation)
    return GlobSet(patterns, re.compile(_combined(translated), re.DOTALL) if translated else None)


def check_glob(pattern: str) -> None:
    """ValueError naming ``pattern`` when it is malformed (without compiling it)."""
    _named_translation(pattern)


def _named_translation(pattern: str) -> tuple[str, bool] | None:
    """``_translate``, with the pattern named in its ValueError."""
    try:
        return _translate(pattern)
    except ValueError as exc:
        raise ValueError(f"{pattern!r}: {exc}") from None


def _combined(translated: list[tuple[str, bool]]) -> str:
    """One regex for (regex, is a '!' pattern) pairs, last pattern first. The order within a run
    of one kind does not matter, so there the patterns that match at any depth share one prefix:
    the path's folders are scanned once, not once per pattern (4x faster on our .gitignore)."""
    runs = []
    for negated, run in itertools.groupby(translated, key=operator.itemgetter(1)):
        regexes = [regex for regex, _ in run]
        deep = [r.removeprefix(_ANY_DEPTH) for r in regexes if r.startswith(_ANY_DEPTH)]
        alternatives = [r for r in regexes if not r.startswith(_ANY_DEPTH)]
        if deep:
            alternatives.append(f"{_ANY_DEPTH}(?:{'|'.join(deep)})")
        runs.append(f"(?:{'|'.join(alternatives)})" + ("()" if negated else ""))
    return "|".join(runs)


def _translate(pattern: str) -> tuple[str, bool] | None:
    """(regex matching from a path's start, is a '!' pattern), or None for a blank or a comment."""
    if not pattern.endswith("\\ "):  # a trailing space escaped with a backslash is kept
        pattern = pattern.rstrip()
    if not pattern or pattern.startswith("#"):
        return None
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    if not body:
        raise ValueError("'!' with no pattern after it")
    return _whole_path(body), negated


def _whole_path(body: str) -> str:
    """The regex for a pattern without its '!'; '**' parts stand for any number of folders."""
    parts = _normalized(body.split("/"))
    is_dir = body.endswith("/") and body != "/"  # pathspec reads a lone '/' as '**'
    # Shapes that pathspec special-cases; the general translation would differ for them.
    if parts == ["**"]:  # '**/' or '**'
        return _BELOW_A_FOLDER if is_dir else _ANY_PATH
    if parts == ["**", "*"]:  # '*'
        return _ANY_PATH
    if parts == ["**", "*", "**"]:  # '*/'
        return _BELOW_A_FOLDER
    return "".join(_part(parts, i) for i in range(len(parts)))


def _normalized(parts: list[str]) -> list[str]:
    """Anchor the parts: a leading '/' anchors at the root, a bare name (with or without a
    trailing '/') matches at any depth, a trailing '/' means "and all below", '**/**' is '**'."""
    if parts[0] == "":
        parts = parts[1:]
    elif len(parts) == 1 or parts[1:] == [""]:
        parts = parts if parts[0] == "**" else ["**", *parts]
    if parts[-1] == "":
        parts[-1] = "**"
    return [part for i, part in enumerate(parts) if part != "**" or i == 0 or parts[i - 1] != "**"]


def _part(parts: list[str], i: int) -> str:
    """The regex for ``parts[i]``, with the '/' before it and, for the last part, the path's end."""
    part, last = parts[i], len(parts) - 1
    if part == "**":
        return _ANY_DEPTH if i == 0 else "/" if i == last else "(?:/.+)?"
    slash = "/" if i > 1 or (i == 1 and parts[0] != "**") else ""  # the leading '**' ends in '/'
    regex = "[^/]+" if part == "*" else _segment(part)
    if i < last:
        return slash + regex
    # A last '*' names the entries of a folder, not what is below them; any other last part
    # matches a file, or a folder and everything under it.
    return slash + regex + (r"/?\Z" if part == "*" else r"(?:/|\Z)")


def _segment(glob: str) -> str:
    """The regex for one '/'-free part: ``*``, ``?``, ``[...]``, and backslash escapes."""
    out = []
    i = 0
    while i < len(glob):
        char = glob[i]
        i += 1
        if char == "\\":
            if i == len(glob):
                raise ValueError("a trailing backslash escapes nothing (write '\\\\' for one)")
            out.append(re.escape(glob[i]))
            i += 1
        elif char == "[" and (end := _bracket_end(glob, i)) >= 0:
            out.append(_bracket(glob[i:end]))
            i = end + 1
        else:
            out.append(_WILDCARDS.get(char) or re.escape(char))
    return "".join(out)


def _bracket_end(glob: str, start: int) -> int:
    """Where the ']' closing a '[' just before ``start`` is, or -1: then the '[' is literal.
    A ']' right after the '[' (or '[!', '[^') is a member, not the end, as in fnmatch(3)."""
    start += glob.startswith(("!", "^"), start)
    start += glob.startswith("]", start)
    return glob.find("]", start)


def _bracket(members: str) -> str:
    """A character class: '!' or '^' first negates, 'a-z' is a range, a backslash is literal."""
    negated = members.startswith(("!", "^"))
    chars = members[1:] if negated else members
    out = ["[^" if negated else "["]
    i = 0
    while i < len(chars):
        if i + 2 < len(chars) and chars[i + 1] == "-":  # a '-' last in the class is a member
            low, high = chars[i], chars[i + 2]
            if high < low:
                raise ValueError(f"bad character range {low}-{high}: {low!r} comes after {high!r}")
            out.append(f"{re.escape(low)}-{re.escape(high)}")
            i += 3
        else:
            out.append(re.escape(chars[i]))
            i += 1
    return "".join(out) + "]"
