"""Raw line counts equal to radon 6.0.1's ``raw.analyze``, in one linear pass without tokenize."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress, product, repeat
from operator import itemgetter, not_

from radon.raw import _generate, _logical

from qualitygate.models import RawMetrics

# What radon does (radon/raw.py, with the pure-Python tokenize of Python 3.10 and 3.11): it
# strips every line of ``source.splitlines()``; from each line on it takes the fewest lines
# whose "\n".join tokenizes without TokenError or ERRORTOKEN, a "group", which ends where the
# brackets balance, no string is open and no backslash continues the line. Per group it counts
# the COMMENT tokens; a group of one COMMENT, or of one STRING on one line, is one single-comment
# line; a group of one STRING over several lines is ``multi`` (its empty lines blank); any
# other group is sloc (its empty lines blank); and ``_logical(tokens)`` is added to lloc.
# radon re-tokenizes a growing buffer for each line of a group, which is quadratic. Here one
# regular expression finds only the strings and comments; they are masked, and grouping and
# counting run on the masked text with C-speed str and bytes methods.

# The masked text keeps radon's lines one for one. A comment becomes "#"; a string becomes its
# opening quote (any prefix letters stay in front); a string over several lines becomes its
# quote and _OPEN, then _INSIDE for each of its non-empty inner lines, then _CLOSE at the start
# of its last line. A quote that starts no string, or a marker character in the code itself,
# becomes _BAD.
_INSIDE, _OPEN, _CLOSE = "\x01", "\x02", "\x03"
_BAD = "$"  # tokenize's ERRORTOKEN, like a real "$"
_MARKERS_TO_BAD = str.maketrans(dict.fromkeys(_INSIDE + _OPEN + _CLOSE, _BAD))

# tokenize's Single3, Double3 and ContStr: a backslash escapes any character, a newline too,
# in raw strings as well. A one-quote string continued by a backslash-newline ends on the first
# line with a closing quote; tokenize goes on past any other line that ends in a backslash,
# even an escaped one (invalid Python, but that is what radon sees).
_ONE_QUOTE = (
    r"Q(?!QQ)[^Q\\\n]*(?:\\[^\n][^Q\\\n]*)*"  # its first line, as ContStr
    r"(?:Q|\\\n"  # closed there, or continued
    r"(?:(?:[^Q\\\n]|\\[^\n])*(?:\\|(?<=\\))\n)*"  # lines without a closing quote
    r"(?:[^Q\\\n]|\\[^\n])*Q)"  # the line that closes it
)
_STRING_FORMS = (
    r"'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''",
    r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""',
    *(_ONE_QUOTE.replace("Q", quote) for quote in "'\""),
)
_WHOLE_STRING = re.compile("|".join(_STRING_FORMS), re.DOTALL)
# One scan for strings and comments. A match starts at the quote or '#' (prefix letters stay
# outside), so the regex engine skips to the next one at C speed; a lookbehind picks the form.
# A quote that starts no string takes the rest of the text, so no stretch is scanned twice
# (radon gives up there anyway). The one group makes split() return the matches.
_SCAN = re.compile(
    "(['\"#](?:"
    + "|".join(f"(?<={re.escape(form[0])}){form[1:]}" for form in (r"#[^\n]*", *_STRING_FORMS))
    + "|.*))",
    re.DOTALL,
)
_NON_EMPTY = re.compile(r"[^\n]+")
_FIRST_CHAR = itemgetter(0)

# What tokenize accepts outside strings and comments, with the markers; anything else is an
# ERRORTOKEN, and radon then extends that group to the end of the file and raises.
_CODE_CHARS = "!%&()*+,-./:;<=>@[]^{|}~\\ \t\n'\"#" + _INSIDE + _OPEN + _CLOSE
_ASCII_CODE = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_" + _CODE_CHARS
).encode()
_BAD_CODE = re.compile("[^\\w" + re.escape(_CODE_CHARS) + r"]|!(?!=)|\\(?!\n)")

# The few characters that line-level decisions need, and what each decision keeps of them.
_OPEN_BYTE, _CLOSE_BYTE = _OPEN.encode(), _CLOSE.encode()
_MARKS = b"()[]{}\\\n#:;" + _OPEN_BYTE + _CLOSE_BYTE
_NOT_MARKS = bytes(set(range(256)) - set(_MARKS))
_TO_PARENS = bytes.maketrans(b"[]{}", b"()()")  # tokenize counts all brackets as one depth
_NOT_STATE = b"#:;"
_NOT_COMMENTS = b"()[]{}\\:;" + _OPEN_BYTE + _CLOSE_BYTE
_NOT_COLONS = b"()[]{}\\#;" + _OPEN_BYTE + _CLOSE_BYTE
_ZERO_ONE = bytes.maketrans(b"\n\x01", b"\x00\x01")
_PAIR_PASSES = 4  # cancels ordinary nesting; a deeper line just stays a (harmless) event

_PREFIXES = ("", "b", "r", "u", "f", "br", "rb", "fr", "rf")
_STRING_TOKENS = frozenset(
    "".join(cased) + quote
    for prefix in _PREFIXES
    for cased in product(*({c, c.upper()} for c in prefix))
    for quote in "'\""
)
_SINGLE_HEADS = _STRING_TOKENS | {"", "#"}  # how a group of one token can start
_NO_TOKEN = " \t\n#\\" + _INSIDE + _OPEN + _CLOSE  # what may follow a line's last token
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


@dataclass(frozen=True)
class _Marks:
    """Per-line facts read off the masked text in a few bytes passes."""

    state: dict[int, bytes]  # line -> what on it changes tokenize's state at its end
    comments: bytes  # 1 where the line holds a comment
    colons: list[int]  # lines holding a ':' (or a ':=')
    semicolons: list[int]  # lines holding a ';'


def analyze_raw(source: str) -> RawAnalysis:
    """radon's ``raw.analyze(source)`` counts, and the data for :meth:`RawAnalysis.span`.

    Raises SyntaxError where radon does: when a group of lines never tokenizes cleanly, for
    example a one-line string holding a form feed or U+2028, which ``splitlines`` cuts in two.
    """
    stripped = list(map(str.strip, source.splitlines()))
    masked = _mask("\n".join(stripped))
    lines = masked.split("\n") if stripped else []
    encoded = masked.encode("utf-8", "surrogatepass")
    marks = _read_marks(encoded, lines)
    groups, open_start = _groups(marks.state, lines)
    _raise_like_radon(masked, encoded, groups, open_start)
    kinds, lloc = _count_lines(lines, stripped, marks, groups)
    sums = _line_sums(source, kinds, marks.comments, lloc)
    return RawAnalysis(_metrics(*(s[-1] for s in sums)), sums)


def _count_lines(
    lines: list[str], stripped: list[str], marks: _Marks, groups: list[tuple[int, int]]
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


def _mask(text: str) -> str:
    """``text`` with every string and comment replaced by its marker (see _INSIDE above)."""
    parts = _SCAN.split(text)
    tokens = parts[1::2]
    markers = list(map(_FIRST_CHAR, tokens))  # '#' or the opening quote
    several_lines = bytes(map(str.__contains__, tokens, repeat("\n")))
    index = several_lines.find(1)
    while index >= 0:
        markers[index] = _multi_line_marker(tokens[index])
        index = several_lines.find(1, index + 1)
    if (
        tokens
        and not parts[-1]
        and tokens[-1][0] != "#"
        and not _WHOLE_STRING.fullmatch(tokens[-1])
    ):
        markers[-1] = _BAD + "\n" * tokens[-1].count("\n")  # it took the rest of the text
    parts[1::2] = markers
    if any(marker in text for marker in _INSIDE + _OPEN + _CLOSE):  # rare: control characters
        parts[::2] = [code.translate(_MARKERS_TO_BAD) for code in parts[::2]]
    return "".join(parts)


def _multi_line_marker(token: str) -> str:
    inner = _NON_EMPTY.sub(_INSIDE, token[token.index("\n") : token.rindex("\n")])
    return token[0] + _OPEN + inner + "\n" + _CLOSE


def _read_marks(encoded: bytes, lines: list[str]) -> _Marks:
    """Brackets, backslashes, string ends, comments, colons and semicolons, line by line."""
    marks = encoded.translate(None, _NOT_MARKS)
    comments = (marks.translate(None, _NOT_COMMENTS) + b"\n").replace(b"#\n", b"\x01")
    colon_rows = marks.translate(None, _NOT_COLONS).split(b"\n")
    semicolons = map(str.__contains__, lines, repeat(";")) if b";" in marks else ()
    return _Marks(
        state=_state_lines(marks.translate(_TO_PARENS, _NOT_STATE)),
        comments=comments.translate(_ZERO_ONE)[: len(lines)],
        colons=list(compress(range(len(colon_rows)), colon_rows)),
        semicolons=list(compress(range(len(lines)), semicolons)),
    )


def _state_lines(state: bytes) -> dict[int, bytes]:
    """Lines whose end changes tokenize's state, with the brackets, backslash or string marks.

    Bracket pairs within a line cancel out first, so what remains are lines that open or close
    brackets across lines, end in a backslash, or start or end a multi-line string.
    """
    for _ in range(_PAIR_PASSES):
        if b"()" not in state:
            break
        state = state.replace(b"()", b"")
    rows = state.split(b"\n")
    return {line: rows[line] for line in compress(range(len(rows)), rows)}


def _with_backslash_followers(events: dict[int, bytes]) -> dict[int, bytes]:
    """The events plus the two lines after each backslash: they decide where its group ends."""
    continued = [line for line, what in events.items() if what.endswith(b"\\")]
    if not continued:
        return events
    events = dict(events)
    for line in continued:
        events.setdefault(line + 1, b"")
        events.setdefault(line + 2, b"")
    return dict(sorted(events.items()))


def _closed(depth: int, backslash: bool, in_string: bool) -> bool:
    """tokenize would end the statement here: brackets balanced, no backslash, no open string."""
    return depth == 0 and not backslash and not in_string


def _groups(events: dict[int, bytes], lines: list[str]) -> tuple[list[tuple[int, int]], int]:
    """radon's multi-line groups (first, last), and the first line of a group open at EOF.

    Follows tokenize's state: the bracket depth (which may go negative), a pending backslash
    and an open string. A group ends on a line after which that state is closed, except that an
    empty line is invisible at the end of a buffer, so an empty line ends a group only if the
    state was closed before it (as after a backslash followed by an empty line).
    """
    events = _with_backslash_followers(events)
    groups: list[tuple[int, int]] = []
    start, depth, backslash, in_string = -1, 0, False, False
    for line, what in events.items():
        if line >= len(lines):
            break
        if in_string and not what.startswith(_CLOSE_BYTE):
            continue  # a line inside a multi-line string
        closed_before = _closed(depth, backslash, in_string)
        if start < 0:
            start = line
        depth += what.count(b"(") - what.count(b")")
        backslash = what.endswith(b"\\")
        in_string = what.endswith(_OPEN_BYTE)
        closed = _closed(depth, backslash, in_string)
        if closed if lines[line] else closed_before:
            if line > start:
                groups.append((start, line))
            start = -1
    return groups, start


def _raise_like_radon(
    masked: str, encoded: bytes, groups: list[tuple[int, int]], open_start: int
) -> None:
    """Raise radon's SyntaxError if a group never closes: an ERRORTOKEN, or open at EOF."""
    bad = _first_bad_code(masked, encoded)
    if bad < 0 and open_start < 0:
        return
    line = open_start
    if bad >= 0:  # radon extends the group holding the bad character to EOF, then gives up
        line = masked.count("\n", 0, bad)
        group = _group_at(groups, line)
        if group:
            line = group[0]
        elif 0 <= open_start <= line:  # a group left open runs to EOF, over this line too
            line = open_start
    error = SyntaxError(f"SyntaxError at line: {line + 1}")  # radon's message
    error.lineno = line + 1
    raise error


def _first_bad_code(masked: str, encoded: bytes) -> int:
    """Offset of the first character tokenize would call an ERRORTOKEN, or -1."""
    if masked.isascii() and not encoded.translate(None, _ASCII_CODE):
        lone_bang = "!" in masked and masked.count("!") != masked.count("!=")
        if not lone_bang and ("\\" not in masked or masked.count("\\") == masked.count("\\\n")):
            return -1
    match = _BAD_CODE.search(masked)
    return match.start() if match else -1


def _group_at(groups: list[tuple[int, int]], line: int) -> tuple[int, int] | None:
    """The multi-line group holding ``line``, if any (``groups`` is sorted)."""
    index = bisect_left(groups, (line + 1,)) - 1  # the last group starting at or before line
    if index >= 0 and groups[index][1] >= line:
        return groups[index]
    return None


def _any_within(sorted_lines: list[int], first: int, last: int) -> bool:
    """Whether one of ``sorted_lines`` is in ``first..last``."""
    index = bisect_left(sorted_lines, first)
    return index < len(sorted_lines) and sorted_lines[index] <= last


def _one_line_lloc(
    lines: list[str],
    stripped: list[str],
    kinds: bytearray,
    marks: _Marks,
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
        if not _group_at(groups, line):
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
    marks: _Marks,
) -> None:
    """Kinds and lloc of the lines of one multi-line group, as radon counts that group."""
    lloc[first : last + 1] = repeat(0, last - first + 1)
    single = _single_token(first, last, lines)
    if single is None:
        kinds[first : last + 1] = kinds[first : last + 1].translate(_DEMOTE)
        lloc[first] = _group_lloc(first, last, lines, stripped, marks)
        return
    line, token = single
    if token == "#" or not lines[line].endswith(_OPEN):  # one line of the group counts
        kinds[first : last + 1] = repeat(_UNCOUNTED, last - first + 1)
        kinds[line] = _COMMENT if token == "#" else _STRING
        lloc[first] = 0 if token == "#" else 1
        return
    kinds[first : last + 1] = kinds[first : last + 1].translate(_TO_MULTI)  # blank stays blank
    lloc[first] = 1


def _group_lloc(first: int, last: int, lines: list[str], stripped: list[str], marks: _Marks) -> int:
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
        and head.endswith(_OPEN)
        and lines[last] == _CLOSE
        and not any(map(str.startswith, lines[first + 1 : last], repeat(_CLOSE)))
    ):
        return first, head[:-1]
    if head.rstrip(" \t\\" + _OPEN) not in _SINGLE_HEADS:
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
