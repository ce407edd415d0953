"""Raw line counts equal to radon 6.0.1's ``raw.analyze``, in one linear pass without tokenize."""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress, product, repeat
from operator import not_

from qualitygate.models import RawMetrics

# How radon works, and so what we reproduce (radon/raw.py, on Python 3.10/3.11's pure-Python
# tokenize): it strips every line of ``source.splitlines()``, then from each line on takes the
# fewest lines whose "\n".join tokenizes without TokenError or ERRORTOKEN -- a "group": it ends
# where brackets balance, no string is open and no backslash continues the line. Per group it
# counts COMMENT tokens, calls a group of one COMMENT (or one one-line STRING) a single comment
# line, a group of one multi-line STRING ``multi`` lines, and every other line sloc (or blank),
# and adds ``_logical(tokens)`` to lloc. Re-tokenizing a growing buffer makes radon quadratic, so
# instead one regular expression finds only strings and comments, they are masked, and the
# grouping and counting run on the masked text with C-speed string methods.

# The masked text: a string becomes one marker token ('"', after any prefix letters, which stay
# as they are), a comment becomes '#'. A string spanning lines keeps its line breaks: its first
# line ends in _OPEN, every later non-empty line becomes _INSIDE and its last line starts with
# _CLOSE, so each masked line still matches one stripped source line.
_INSIDE, _OPEN, _CLOSE = "\x01", "\x02", "\x03"
_UNCLOSED = "$"  # a quote that starts no string: tokenize's ERRORTOKEN, like any other "$"

# The same string grammar as tokenize's ContStr, Single3 and Double3 (a backslash escapes any
# character, a newline too, in raw strings as well). The match starts at the quote so that the
# regex engine can skip ahead to the next quote or '#' at C speed; prefix letters stay outside.
_SCAN = re.compile(
    r"""['"#](?:"""
    r"""(?<=')''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"""
    r"""|(?<=")""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*\"\"\""""
    r"""|(?<=')(?!'')[^'\\\n]*(?:\\.[^'\\\n]*)*'"""
    r"""|(?<=")(?!"")[^"\\\n]*(?:\\.[^"\\\n]*)*\""""
    r"""|(?<=\#)[^\n]*"""
    r"""|)""",
    re.DOTALL,
)
_NON_EMPTY = re.compile(r"[^\n]+")

# Characters tokenize accepts outside strings and comments (with the markers above). Anything
# else is an ERRORTOKEN, so radon extends that group to the end of the file and raises.
_CODE_PUNCTUATION = "!%&()*+,-./:;<=>@[]^{|}~\\ \t\n\"#" + _INSIDE + _OPEN + _CLOSE
_ALLOWED_ASCII = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_" + _CODE_PUNCTUATION
).encode()
_BAD_CODE = re.compile(
    "[^\\w" + re.escape(_CODE_PUNCTUATION) + r"]|!(?!=)|\\(?!\n)",
)

# Bytes that can change the tokenizer's state at the end of a line: brackets (tokenize counts
# all kinds together), the continuation backslash and the multi-line string markers.
_TO_PARENS = bytes.maketrans(b"[]{}", b"()()")
_NOT_STATE = bytes(set(range(256)) - set(b"()[]{}\\\n" + _OPEN.encode() + _CLOSE.encode()))
_STATE_LINE = re.compile(rb"[^\n]+")
_PAIR_PASSES = 4  # enough for ordinary nesting; deeper lines are simply counted, not reduced

_PREFIXES = ("", "b", "r", "u", "f", "br", "rb", "fr", "rf")
_STRING_TOKENS = frozenset(
    "".join(cased) + '"'
    for prefix in _PREFIXES
    for cased in product(*({c, c.upper()} for c in prefix))
)

# Kind of each line, one byte per line; the prefix sums are taken per kind.
_SLOC, _BLANK, _COMMENT, _STRING, _MULTI, _UNCOUNTED = range(6)
_KIND = {"": _BLANK, "#": _COMMENT} | dict.fromkeys(_STRING_TOKENS, _STRING)


def _table(*kinds: int) -> bytes:
    return bytes(1 if k in kinds else 0 for k in range(256))


_IS_SLOC, _IS_BLANK = _table(_SLOC), _table(_BLANK)
_IS_SINGLE, _IS_MULTI = _table(_COMMENT, _STRING), _table(_MULTI)
_LLOC_BASE = _table(_SLOC, _STRING)  # one logical line unless a colon or ';' says otherwise
_DEMOTE = bytes(_SLOC if k in (_COMMENT, _STRING) else k for k in range(256))
_TO_MULTI = bytes(_MULTI if k == _SLOC else k for k in range(256))
_NO_TOKEN = " \t\n#\\" + _INSIDE + _OPEN + _CLOSE  # what can follow a group's last token
_NOT_TOKEN_OR_COMMENT = re.compile("[" + re.escape(_NO_TOKEN.replace("#", "")) + "]+")


@dataclass(frozen=True)
class RawAnalysis:
    """radon's raw totals for a file, plus per-physical-line prefix sums for any line span."""

    totals: RawMetrics
    # sloc, blank, multi, single_comments, comments, lloc: counts of physical lines 1..i at [i].
    prefix_sums: tuple[Sequence[int], ...] = field(repr=False, compare=False)

    def span(self, first: int, last: int) -> RawMetrics:
        """Counts on physical lines ``first..last`` (1-based, inclusive, as ``ast`` numbers them).

        A group's lloc counts on its first line, a comment on the line of its '#', everything
        else on its own line. Spans of a partition add up to the totals.
        """
        size = len(self.prefix_sums[0])
        if not 1 <= first <= last + 1 <= size:
            raise ValueError(f"lines {first}..{last} outside 1..{size - 1}")
        sloc, blank, multi, single, comments, lloc = (p[last] - p[first - 1] for p in self.prefix_sums)
        return RawMetrics(
            loc=sloc + blank + multi + single,
            lloc=lloc,
            sloc=sloc,
            comments=comments,
            multi=multi,
            blank=blank,
            single_comments=single,
        )


def analyze_raw(source: str) -> RawAnalysis:
    """radon's ``raw.analyze(source)`` counts, and the data for :meth:`RawAnalysis.span`.

    Raises SyntaxError where radon does: when some line group never tokenizes cleanly (for
    example a form feed or U+2028 inside a one-line string, which ``splitlines`` cuts in two).
    """
    stripped = list(map(str.strip, source.splitlines()))
    masked = _SCAN.sub(_mask, "\n".join(stripped))
    lines = masked.split("\n") if stripped else []
    groups, open_start = _groups(masked, stripped)
    _raise_like_radon(masked, groups, open_start)
    kinds = bytearray(map(_KIND.get, lines, repeat(_SLOC)))
    lloc = _one_line_lloc(lines, kinds)
    if ";" in masked:
        for line in compress(range(len(lines)), map(str.__contains__, lines, repeat(";"))):
            if not _group_at(groups, line):
                lloc[line] = _radon_lloc(stripped[line : line + 1])
    for first, last in groups:
        _count_group(first, last, lines, stripped, kinds, lloc)
    comments = bytes(map(str.endswith, lines, repeat("#")))
    per_line = (
        kinds.translate(_IS_SLOC),
        kinds.translate(_IS_BLANK),
        kinds.translate(_IS_MULTI),
        kinds.translate(_IS_SINGLE),
        comments,
        lloc,
    )
    physical = _physical_ends(source, len(stripped))
    sums = tuple(_prefix_sums(values, physical) for values in per_line)
    sloc, blank, multi, single, n_comments, n_lloc = (s[-1] for s in sums)
    totals = RawMetrics(
        loc=sloc + blank + multi + single,
        lloc=n_lloc,
        sloc=sloc,
        comments=n_comments,
        multi=multi,
        blank=blank,
        single_comments=single,
    )
    return RawAnalysis(totals, sums)


def _prefix_sums(values: Sequence[int], physical: list[int] | None) -> list[int]:
    sums = list(accumulate(values, initial=0))
    return sums if physical is None else [sums[i] for i in physical]


def _mask(match: re.Match[str]) -> str:
    token = match.group()
    if "\n" in token:  # a string over several lines
        first, last = token.index("\n"), token.rindex("\n")
        return '"' + _OPEN + _NON_EMPTY.sub(_INSIDE, token[first:last]) + "\n" + _CLOSE
    if token[0] == "#":
        return "#"
    return '"' if len(token) > 1 else _UNCLOSED


def _state_lines(masked: str) -> list[tuple[int, bytes]]:
    """Lines whose end changes the tokenizer's state, with what on them does so.

    Balanced bracket pairs within a line are cancelled first, so only lines that open or close
    a bracket across lines, end in a backslash, or start or end a multi-line string remain.
    """
    state = masked.encode("utf-8", "surrogatepass").translate(_TO_PARENS, _NOT_STATE)
    for _ in range(_PAIR_PASSES):
        if b"()" not in state:
            break
        state = state.replace(b"()", b"")
    found, line, pos = [], 0, 0
    for match in _STATE_LINE.finditer(state):
        line += state.count(b"\n", pos, match.start())
        pos = match.start()
        found.append((line, match.group()))
    return found


def _groups(masked: str, stripped: list[str]) -> tuple[list[tuple[int, int]], int]:
    """radon's multi-line groups (first, last), and the first line of a group still open at EOF.

    Mirrors tokenize's state: bracket depth (which may go negative), a pending backslash and an
    open string. A group ends on the line after which that state is closed -- except that an
    empty line is invisible at the end of a buffer, so it ends a group only if the state was
    already closed before it (which happens after a backslash followed by an empty line).
    """
    events = dict(_state_lines(masked))
    continued = [line for line, what in events.items() if what.endswith(b"\\")]
    for line in continued:  # the next two lines decide a backslash's group
        events.setdefault(line + 1, b"")
        events.setdefault(line + 2, b"")
    groups: list[tuple[int, int]] = []
    start, depth, backslash, in_string = -1, 0, False, False
    for line in sorted(events) if continued else events:
        if line >= len(stripped):
            break
        what = events[line]
        closes_string = what.startswith(_CLOSE.encode())
        if in_string and not closes_string:
            continue  # inside a multi-line string
        closed_before = depth == 0 and not backslash and not in_string
        if start < 0:
            start = line
        depth += what.count(b"(") - what.count(b")")
        backslash = what.endswith(b"\\")
        in_string = what.endswith(_OPEN.encode())
        closed = depth == 0 and not backslash and not in_string
        if closed_before if not stripped[line] else closed:
            if line > start:
                groups.append((start, line))
            start = -1
    return groups, start


def _raise_like_radon(masked: str, groups: list[tuple[int, int]], open_start: int) -> None:
    """Raise radon's SyntaxError if a group never closes: an ERRORTOKEN, or open at EOF."""
    bad = _first_bad_code(masked)
    if bad < 0 and open_start < 0:
        return
    line = open_start
    if bad >= 0:  # radon extends the group holding the bad character to EOF, then gives up
        line = masked.count("\n", 0, bad)
        group = _group_at(groups, line)
        line = group[0] if group else open_start if 0 <= open_start <= line else line
    error = SyntaxError(f"SyntaxError at line: {line + 1}")  # radon's message
    error.lineno = line + 1
    raise error


def _group_at(groups: list[tuple[int, int]], line: int) -> tuple[int, int] | None:
    """The multi-line group holding ``line``, if any (``groups`` is sorted)."""
    index = bisect_right(groups, (line, line)) - 1
    if index >= 0 and groups[index][1] >= line:
        return groups[index]
    return None


def _first_bad_code(masked: str) -> int:
    """Offset of the first character tokenize would call an ERRORTOKEN, or -1."""
    if masked.isascii() and not masked.encode().translate(None, _ALLOWED_ASCII):
        if masked.count("!") == masked.count("!=") and masked.count("\\") == masked.count("\\\n"):
            return -1
    match = _BAD_CODE.search(masked)
    return match.start() if match else -1


def _one_line_lloc(lines: list[str], kinds: bytearray) -> list[int]:
    """radon's ``_logical`` for every line taken as a group of its own (most lines are).

    One logical line per line with a token; a ':' token that is not the last token (``if x:
    return``, ``{a: b}``, ``x[1:]``, ``x: int = 0``) makes it two.
    """
    lloc = list(kinds.translate(_LLOC_BASE))
    has_colon = bytes(map(str.__contains__, lines, repeat(":")))
    colon_lines = list(compress(range(len(lines)), has_colon))
    texts = map(lines.__getitem__, colon_lines)
    ends = map(str.endswith, map(str.rstrip, texts, repeat(_NO_TOKEN)), repeat(":"))
    for line in compress(colon_lines, map(not_, ends)):
        lloc[line] = 2
    for line in colon_lines:  # ':=' is its own token: recount the rare lines that hold one
        if ":=" in lines[line]:
            lloc[line] = _masked_lloc(lines[line])
    return lloc


def _masked_lloc(text: str) -> int:
    """``_logical`` of one group without ';': 0 without tokens, 2 if a ':' is not last, else 1."""
    rest = text.rstrip(_NO_TOKEN)
    if not rest:
        return 0
    if text.count(":") == text.count(":="):
        return 1
    return 1 if rest.endswith(":") else 2


def _radon_lloc(group: list[str]) -> int:
    """``_logical`` of a group with ';' (a few dozen lines in the whole stdlib): radon's own."""
    from radon.raw import _generate, _logical

    return int(_logical(_generate("\n".join(group))))


def _count_group(
    first: int, last: int, lines: list[str], stripped: list[str], kinds: bytearray, lloc: list[int]
) -> None:
    """Kinds and lloc of the lines of one multi-line group, as radon counts that group."""
    text = "\n".join(lines[first : last + 1])
    single = _single_token(text, first, lines, stripped)
    lloc[first : last + 1] = repeat(0, last - first + 1)
    if single is None:
        kinds[first : last + 1] = kinds[first : last + 1].translate(_DEMOTE)
        if ";" in text:
            lloc[first] = _radon_lloc(stripped[first : last + 1])
        else:
            lloc[first] = _masked_lloc(text)
        return
    token_line, token = single
    if token == "#" or _OPEN not in text:  # one comment or one-line string: one line counts
        kinds[first : last + 1] = repeat(_UNCOUNTED, last - first + 1)
        kinds[token_line] = _COMMENT if token == "#" else _STRING
        lloc[first] = 0 if token == "#" else 1
        return
    kinds[first : last + 1] = kinds[first : last + 1].translate(_TO_MULTI)  # blank stays blank
    lloc[first] = 1


def _single_token(
    text: str, first: int, lines: list[str], stripped: list[str]
) -> tuple[int, str] | None:
    """(line, token) if the group is one COMMENT or STRING token, as radon's is_single_token.

    The token must come first: an empty line before it (possible only after a backslash) is a
    NEWLINE token, and that makes radon count the group as code.
    """
    core = _NOT_TOKEN_OR_COMMENT.sub("", text)
    if core != "#" and core not in _STRING_TOKENS:
        return None
    line = first
    while not _NOT_TOKEN_OR_COMMENT.sub("", lines[line]):
        if not stripped[line]:
            return None
        line += 1
    return line, core


def _physical_ends(source: str, count: int) -> list[int] | None:
    """For each physical line (ended by \\n, \\r\\n or \\r), the index after its last radon line.

    ``splitlines`` also ends a line at \\v, \\f, \\x1c-\\x1e, \\x85, U+2028 and U+2029; those
    extra lines belong to the physical line they are on. None when there are none (the usual
    case: then the counts agree, and radon's lines are the physical lines).
    """
    ends = source.count("\n") + source.count("\r") - source.count("\r\n")
    if ends + (1 if source and source[-1] not in "\r\n" else 0) == count:
        return None
    found = [0]
    for index, line in enumerate(source.splitlines(keepends=True)):
        if line.endswith(("\n", "\r")):
            found.append(index + 1)
    if found[-1] != count:
        found.append(count)
    return found
