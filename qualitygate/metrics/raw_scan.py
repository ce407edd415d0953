"""The line scanner behind the raw counts: strings and comments masked, radon's line groups found."""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import compress, repeat
from operator import itemgetter

# The masked text keeps radon's lines one for one. A comment becomes "#"; a string becomes its
# opening quote (any prefix letters stay in front); a string over several lines becomes its
# quote and OPEN, then INSIDE for each of its non-empty inner lines, then CLOSE at the start
# of its last line. A quote that starts no string, or a marker character in the code itself,
# becomes _BAD.
INSIDE, OPEN, CLOSE = "\x01", "\x02", "\x03"
_BAD = "$"  # tokenize's ERRORTOKEN, like a real "$"
_MARKERS_TO_BAD = str.maketrans(dict.fromkeys(INSIDE + OPEN + CLOSE, _BAD))

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
_CODE_CHARS = "!%&()*+,-./:;<=>@[]^{|}~\\ \t\n'\"#" + INSIDE + OPEN + CLOSE
_ASCII_CODE = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_" + _CODE_CHARS
).encode()
_BAD_CODE = re.compile("[^\\w" + re.escape(_CODE_CHARS) + r"]|!(?!=)|\\(?!\n)")

# The few characters that line-level decisions need, and what each decision keeps of them.
_OPEN_BYTE, _CLOSE_BYTE = OPEN.encode(), CLOSE.encode()
_MARKS = b"()[]{}\\\n#:;" + _OPEN_BYTE + _CLOSE_BYTE
_NOT_MARKS = bytes(set(range(256)) - set(_MARKS))
_TO_PARENS = bytes.maketrans(b"[]{}", b"()()")  # tokenize counts all brackets as one depth
_NOT_STATE = b"#:;"
_NOT_COMMENTS = b"()[]{}\\:;" + _OPEN_BYTE + _CLOSE_BYTE
_NOT_COLONS = b"()[]{}\\#;" + _OPEN_BYTE + _CLOSE_BYTE
_ZERO_ONE = bytes.maketrans(b"\n\x01", b"\x00\x01")
_PAIR_PASSES = 4  # cancels ordinary nesting; a deeper line just stays a (harmless) event


@dataclass(frozen=True)
class Marks:
    """Per-line facts read off the masked text in a few bytes passes."""

    state: dict[int, bytes]  # line -> what on it changes tokenize's state at its end
    comments: bytes  # 1 where the line holds a comment
    colons: list[int]  # lines holding a ':' (or a ':=')
    semicolons: list[int]  # lines holding a ';'


def mask(text: str) -> str:
    """``text`` with every string and comment replaced by its marker (see INSIDE above)."""
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
    if any(marker in text for marker in INSIDE + OPEN + CLOSE):  # rare: control characters
        parts[::2] = [code.translate(_MARKERS_TO_BAD) for code in parts[::2]]
    return "".join(parts)


def _multi_line_marker(token: str) -> str:
    inner = _NON_EMPTY.sub(INSIDE, token[token.index("\n") : token.rindex("\n")])
    return token[0] + OPEN + inner + "\n" + CLOSE


def read_marks(encoded: bytes, lines: list[str]) -> Marks:
    """Brackets, backslashes, string ends, comments, colons and semicolons, line by line."""
    marks = encoded.translate(None, _NOT_MARKS)
    comments = (marks.translate(None, _NOT_COMMENTS) + b"\n").replace(b"#\n", b"\x01")
    colon_rows = marks.translate(None, _NOT_COLONS).split(b"\n")
    semicolons = map(str.__contains__, lines, repeat(";")) if b";" in marks else ()
    return Marks(
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


def line_groups(events: dict[int, bytes], lines: list[str]) -> tuple[list[tuple[int, int]], int]:
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


def raise_like_radon(
    masked: str, encoded: bytes, groups: list[tuple[int, int]], open_start: int
) -> None:
    """Raise radon's SyntaxError if a group never closes: an ERRORTOKEN, or open at EOF."""
    bad = _first_bad_code(masked, encoded)
    if bad < 0 and open_start < 0:
        return
    line = open_start
    if bad >= 0:  # radon extends the group holding the bad character to EOF, then gives up
        line = masked.count("\n", 0, bad)
        group = group_at(groups, line)
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


def group_at(groups: list[tuple[int, int]], line: int) -> tuple[int, int] | None:
    """The multi-line group holding ``line``, if any (``groups`` is sorted)."""
    index = bisect_left(groups, (line + 1,)) - 1  # the last group starting at or before line
    if index >= 0 and groups[index][1] >= line:
        return groups[index]
    return None
