"""Raw line counts equal to radon 6.0.1's ``raw.analyze``, in one linear pass without tokenize."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress, product, repeat
from operator import not_

from radon.raw import _generate, _logical

from qualitygate.metrics.raw_scan import (
    CLOSE,
    INSIDE,
    OPEN,
    Marks,
    group_at,
    line_groups,
    mask,
    raise_like_radon,
    read_marks,
)
from qualitygate.models import RawMetrics

# What radon does (radon/raw.py, with the pure-Python tokenize of Python 3.10 and 3.11): it
# strips every line of ``source.splitlines()``; from each line on it takes the fewest lines
# whose "\n".join tokenizes without TokenError or ERRORTOKEN, a "group", which ends where the
# brackets balance, no string is open and no backslash continues the line. Per group it counts
# the COMMENT tokens; a group of one COMMENT, or of one STRING on one line, is one single-comment
# line; a group of one STRING over several lines is ``multi`` (its empty lines blank); any
# other group is sloc (its empty lines blank); and ``_logical(tokens)`` is added to lloc.
# radon re-tokenizes a growing buffer for each line of a group, which is quadratic. Here one
# regular expression finds only the strings and comments; they are masked, and grouping
# (raw_scan) and counting (here) run on the masked text with C-speed str and bytes methods.

_PREFIXES = ("", "b", "r", "u", "f", "br", "rb", "fr", "rf")
_STRING_TOKENS = frozenset(
    "".join(cased) + quote
    for prefix in _PREFIXES
    for cased in product(*({c, c.upper()} for c in prefix))
    for quote in "'\""
)
_SINGLE_HEADS = _STRING_TOKENS | {"", "#"}  # how a group of one token can start
_NO_TOKEN = " \t\n#\\" + INSIDE + OPEN + CLOSE  # what may follow a line's last token
_NOT_TOKEN_OR_COMMENT = re.compile("[" + re.escape(_NO_TOKEN.replace("#", "")) + "]+")

# Each line's kind, one byte per line; the prefix sums are taken per kind.
_SLOC, _BLANK, _COMMENT, _STRING, _MULTI, _UNCOUNTED = range(6)
_KIND = {"": _BLANK, "#": _COMMENT} | dict.fromkeys(_STRING_TOKENS, _STRING)


def _table(*kinds: int) -> bytes:
    return bytes(1 if k in kinds else 0 for k in range(256))


_IS_SLOC, _IS_BLANK = _table(_SLOC), _table(_BLANK)
_IS_MULTI, _IS_SINGLE = _table(_MULTI), _table(_COMMENT, _STRING)
_LLOC_BASE = _table(_SLOC, _STRING)  # one logical line, unless a ':' or ';' says otherwise
_DEMOTE = bytes(_SLOC if k in (_COMMENT, _STRING) else k for k in range(256))
_TO_MULTI = bytes(_MULTI if k == _SLOC else k for k in range(256))
_EXTRA_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"  # splitlines() breaks that ast does not


@dataclass(frozen=True)
class RawAnalysis:
    """radon's raw totals for a file, plus prefix sums that count any span of its lines."""

    totals: RawMetrics
    # sloc, blank, multi, single_comments, comments, lloc: totals of physical lines 1..i at [i].
    prefix_sums: tuple[Sequence[int], ...] = field(repr=False, compare=False)

    def span(self, first: int, last: int) -> RawMetrics:
        """Counts on physical lines ``first..last`` (1-based, inclusive, as ``ast`` numbers them).

        A group's lloc counts on its first line, a comment on the line of its '#', everything
        else on its own line, so the spans of a partition of the file add up to the totals.
        """
        size = len(self.prefix_sums[0])
        if not 1 <= first <= last + 1 <= size:
            raise ValueError(f"lines {first}..{last} are not within 1..{size - 1}")
        return _metrics(*(sums[last] - sums[first - 1] for sums in self.prefix_sums))


def analyze_raw(source: str) -> RawAnalysis:
    """radon's ``raw.analyze(source)`` counts, and the data for :meth:`RawAnalysis.span`.

    Raises SyntaxError where radon does: when a group of lines never tokenizes cleanly, for
    example a one-line string holding a form feed or U+2028, which ``splitlines`` cuts in two.
    """
    stripped = list(map(str.strip, source.splitlines()))
    masked = mask("\n".join(stripped))
    lines = masked.split("\n") if stripped else []
    encoded = masked.encode("utf-8", "surrogatepass")
    marks = read_marks(encoded, lines)
    groups, open_start = line_groups(marks.state, lines)
    raise_like_radon(masked, encoded, groups, open_start)
    kinds, lloc = _count_lines(lines, stripped, marks, groups)
    sums = _line_sums(source, kinds, marks.comments, lloc)
    return RawAnalysis(_metrics(*(s[-1] for s in sums)), sums)


def _count_lines(
    lines: list[str], stripped: list[str], marks: Marks, groups: list[tuple[int, int]]
) -> tuple[bytearray, list[int]]:
    """Each line's kind and the lloc counted on it: one-line groups first, then the others."""
    kinds = bytearray(map(_KIND.get, lines, repeat(_SLOC)))
    lloc = _one_line_lloc(lines, stripped, kinds, marks, groups)
    for first, last in groups:
        _count_group(first, last, lines, stripped, kinds, lloc, marks)
    return kinds, lloc


def _line_sums(
    source: str, kinds: bytearray, comments: bytes, lloc: list[int]
) -> tuple[list[int], ...]:
    """Prefix sums per physical line of sloc, blank, multi, single_comments, comments, lloc."""
    physical = _physical_ends(source, len(kinds))
    per_line: tuple[Sequence[int], ...] = (
        *(kinds.translate(table) for table in (_IS_SLOC, _IS_BLANK, _IS_MULTI, _IS_SINGLE)),
        comments,
        lloc,
    )
    return tuple(_prefix_sums(values, physical) for values in per_line)


def _metrics(
    sloc: int, blank: int, multi: int, single: int, comments: int, lloc: int
) -> RawMetrics:
    return RawMetrics(
        loc=sloc + blank + multi + single,
        lloc=lloc,
        sloc=sloc,
        comments=comments,
        multi=multi,
        blank=blank,
        single_comments=single,
    )


def _any_within(sorted_lines: list[int], first: int, last: int) -> bool:
    """Whether one of ``sorted_lines`` is in ``first..last``."""
    index = bisect_left(sorted_lines, first)
    return index < len(sorted_lines) and sorted_lines[index] <= last


def _one_line_lloc(
    lines: list[str],
    stripped: list[str],
    kinds: bytearray,
    marks: Marks,
    groups: list[tuple[int, int]],
) -> list[int]:
    """radon's ``_logical`` of every line as a group of its own (multi-line groups come later).

    One logical line per line with a token; a ':' token that is not the last token (``if x:
    return``, ``{a: b}``, ``x[1:]``, ``x: int = 0``) makes it two.
    """
    lloc = list(kinds.translate(_LLOC_BASE))
    code = map(str.rstrip, map(lines.__getitem__, marks.colons), repeat(_NO_TOKEN))
    for line in compress(marks.colons, map(not_, map(str.endswith, code, repeat(":")))):
        lloc[line] = 2 if ":=" not in lines[line] else _masked_lloc(lines[line])
    for line in marks.semicolons:
        if not group_at(groups, line):
            lloc[line] = _radon_lloc(stripped[line : line + 1])
    return lloc


def _masked_lloc(text: str) -> int:
    """``_logical`` of a group without ';': 0 with no token, 2 if a ':' is not last, else 1."""
    rest = text.rstrip(_NO_TOKEN)
    if not rest:
        return 0
    if text.count(":") == text.count(":="):
        return 1
    return 1 if rest.endswith(":") else 2


def _radon_lloc(group: list[str]) -> int:
    """``_logical`` of a group holding ';', by radon itself (a few dozen in the whole stdlib).

    Before a ';' radon counts a colon as the last token when exactly one token follows it, so
    there the tokens after a colon would have to be counted; tokenizing these few is simpler.
    """
    return int(_logical(_generate("\n".join(group))))


def _count_group(
    first: int,
    last: int,
    lines: list[str],
    stripped: list[str],
    kinds: bytearray,
    lloc: list[int],
    marks: Marks,
) -> None:
    """Kinds and lloc of the lines of one multi-line group, as radon counts that group."""
    lloc[first : last + 1] = repeat(0, last - first + 1)
    single = _single_token(first, last, lines)
    if single is None:
        kinds[first : last + 1] = kinds[first : last + 1].translate(_DEMOTE)
        lloc[first] = _group_lloc(first, last, lines, stripped, marks)
        return
    line, token = single
    if token == "#" or not lines[line].endswith(OPEN):  # one line of the group counts
        kinds[first : last + 1] = repeat(_UNCOUNTED, last - first + 1)
        kinds[line] = _COMMENT if token == "#" else _STRING
        lloc[first] = 0 if token == "#" else 1
        return
    kinds[first : last + 1] = kinds[first : last + 1].translate(_TO_MULTI)  # blank stays blank
    lloc[first] = 1


def _group_lloc(first: int, last: int, lines: list[str], stripped: list[str], marks: Marks) -> int:
    """``_logical`` of a multi-line group that is not a single token."""
    if _any_within(marks.semicolons, first, last):
        return _radon_lloc(stripped[first : last + 1])
    colons = marks.colons[bisect_left(marks.colons, first) : bisect_right(marks.colons, last)]
    if lines[first] == "\\" or any(":=" in lines[line] for line in colons):
        return _masked_lloc("\n".join(lines[first : last + 1]))
    if not colons:
        return 1  # its first line holds a token: it is neither empty nor a comment
    end = last
    while not lines[end].rstrip(_NO_TOKEN):
        end -= 1
    return 1 if lines[end].rstrip(_NO_TOKEN).endswith(":") else 2


def _single_token(first: int, last: int, lines: list[str]) -> tuple[int, str] | None:
    """(line, token) if the group is one COMMENT or STRING token, as radon's is_single_token.

    The usual case is a docstring. Otherwise only a group that starts with the token or with a
    backslash can be one, and the token must come first: an empty line before it (possible
    only after a backslash) is a NEWLINE token, and then radon counts the group as code.
    """
    head = lines[first]
    if (
        head[:-1] in _STRING_TOKENS
        and head.endswith(OPEN)
        and lines[last] == CLOSE
        and not any(map(str.startswith, lines[first + 1 : last], repeat(CLOSE)))
    ):
        return first, head[:-1]
    if head.rstrip(" \t\\" + OPEN) not in _SINGLE_HEADS:
        return None
    core = _NOT_TOKEN_OR_COMMENT.sub("", "\n".join(lines[first : last + 1]))
    if core != "#" and core not in _STRING_TOKENS:
        return None
    line = first
    while not _NOT_TOKEN_OR_COMMENT.sub("", lines[line]):
        if not lines[line]:
            return None
        line += 1
    return line, core


def _physical_ends(source: str, count: int) -> list[int] | None:
    """For each physical line (ended by \\n, \\r\\n or \\r), the index after its last radon line.

    ``splitlines`` also breaks at \\v, \\f, \\x1c-\\x1e, \\x85, U+2028 and U+2029; such extra
    lines belong to the physical line they are on. None when there are none, as usual.
    """
    if not any(char in source for char in _EXTRA_BREAKS):
        return None
    ends = [0]
    for index, line in enumerate(source.splitlines(keepends=True)):
        if line.endswith(("\n", "\r")):
            ends.append(index + 1)
    if ends[-1] != count:
        ends.append(count)
    return ends


def _prefix_sums(values: Sequence[int], physical: list[int] | None) -> list[int]:
    sums = list(accumulate(values, initial=0))
    return sums if physical is None else [sums[i] for i in physical]
