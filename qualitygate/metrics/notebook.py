"""Jupyter notebooks (issue 15): the code cells as one Python source, and the map back to them.

The code cells are joined in order, one line of the source for each line of a cell, so every
metric reads a notebook as it reads a file. IPython's own syntax (magics, shell escapes, help)
is not Python: each such line becomes a blank line, or ``pass`` where it is indented, as ruff
reads notebooks, so line numbers stay as they are and the rest parses.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from qualitygate.metrics.source import SourceError
from qualitygate.models import FileMetrics, NotebookCell

Cells = Mapping[str, tuple[NotebookCell, ...]]  # each notebook's code cells, by report path

# At the start of a logical line: a line magic (%), a shell escape (!), help (?), and IPython's
# autocall escapes (, ; /); none of them can start a Python statement.
_ESCAPES = frozenset("%!?,;/")
_HELP = re.compile(r"[A-Za-z_][\w.]*\?\??\s*$")  # ``df?``, ``np.sum??``
_ASSIGNED = re.compile(r"[\w.,\s()\[\]*]+=\s*[%!]")  # ``files = !ls``, ``t = %time f()``
# Where a logical line may go on: quotes, comments, brackets.
_TOKEN = re.compile(r"(?P<quote>'''|\"\"\"|'|\")|(?P<comment>#)|(?P<open>[(\[{])|(?P<close>[)\]}])")
_CLOSING = {q: re.compile(r"(?:[^\\]|\\.)*?" + re.escape(q), re.DOTALL) for q in ("'''", '"""', "'", '"')}


class NotebookSource(NamedTuple):
    """The code cells as one source, and where each cell starts in it."""

    source: str
    cells: tuple[NotebookCell, ...]


class CellLine(NamedTuple):
    """Where one line of a notebook's source is: in its cell, and in the .ipynb file."""

    cell: int  # the cell's index among all the notebook's cells, 1-based
    line: int  # the line inside that cell, 1-based
    file_line: int  # the line of the .ipynb file holding it; 1 when not known


def cell_line(cells: Cells, path: str, line: int) -> CellLine | None:
    """Where ``line`` of the file ``path`` is in its cells; None when it is not a notebook."""
    return _locate(cells[path], line) if path in cells else None


def _locate(cells: Sequence[NotebookCell], line: int) -> CellLine | None:
    """Where ``line`` of the joined source is; None before the first cell (or for no cells)."""
    index = bisect_right([c.line for c in cells], line) - 1
    if index < 0:
        return None
    cell = cells[index]
    inside = line - cell.line + 1
    return CellLine(cell.cell, inside, cell.json_line + inside - 1 if cell.json_line else 1)


def file_lines(cells: Cells, path: str, line: int, end_line: int) -> tuple[int, int]:
    """``line`` and ``end_line`` of the file ``path``; in a notebook, lines of the .ipynb file, the
    end moved to the start when it falls in another cell (or when the lines are not known)."""
    start, end = cell_line(cells, path, line), cell_line(cells, path, max(end_line, line))
    if start is None or end is None:
        return line, max(end_line, line)
    return start.file_line, end.file_line if end.cell == start.cell else start.file_line


def notebook_cells(files: Sequence[FileMetrics]) -> Cells:
    """The cell map of each notebook among ``files``, by report path."""
    return {f.path: f.cells for f in files if f.cells}


def read_notebook(data: bytes) -> NotebookSource:
    """The code cells of nbformat-4 JSON as one source; SourceError("not a notebook: ...")."""
    try:
        text = data.decode("utf-8-sig")
        document = json.loads(text)
    except UnicodeDecodeError as exc:
        raise SourceError(f"not a notebook: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"not a notebook: invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise SourceError("not a notebook: its JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise SourceError(f"not a notebook: {exc}") from None
    cells = _cells_of(document)
    return _join(cells, _source_lines(text, [c.get("source") for c in cells]))


def _cells_of(document: Any) -> list[dict[str, Any]]:
    """The ``cells`` list of nbformat 4, every cell checked."""
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise SourceError('not a notebook: no "cells" list (nbformat 4 expected)')
    version = document.get("nbformat", 4)
    if version != 4:
        raise SourceError(f"not a notebook: nbformat {version!r} (nbformat 4 expected)")
    cells = document["cells"]
    for number, cell in enumerate(cells, 1):
        if not (isinstance(cell, dict) and _is_source(cell.get("source"))):
            raise SourceError(f'not a notebook: cell {number} has no "source" (a string or a list of strings)')
    if not _is_python(document.get("metadata")):
        return []  # another kernel's code (R, Julia): nothing to measure, as ruff skips it
    return cells


def _is_source(source: object) -> bool:
    return isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))


def _is_python(metadata: object) -> bool:
    """False when the notebook names another language (``metadata.language_info.name``)."""
    info = metadata.get("language_info") if isinstance(metadata, dict) else None
    name = info.get("name") if isinstance(info, dict) else None
    return not isinstance(name, str) or name.lower() in ("python", "python3", "ipython")


def _join(cells: Sequence[dict[str, Any]], starts: Sequence[int]) -> NotebookSource:
    """The code cells' lines in order, magics blanked, and where each cell starts."""
    lines: list[str] = []
    found = []
    for index, (cell, start) in enumerate(zip(cells, starts, strict=True), 1):
        source = cell["source"]
        code = _code_lines("".join(source) if isinstance(source, list) else source)
        if cell.get("cell_type") != "code" or not code:
            continue
        json_line = start if isinstance(source, list) and _one_per_line(source) else 0
        found.append(NotebookCell(len(lines) + 1, index, json_line))
        lines += code
    return NotebookSource("".join(line + "\n" for line in lines), tuple(found))


def _split(text: str) -> list[str]:
    """Lines as Python's parser breaks them (never at U+2028 or a form feed, as splitlines does)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _one_per_line(source: Sequence[str]) -> bool:
    """Whether each string of the cell's source is one of its lines (as nbformat writes them)."""
    return all(len(_split(s)) == 1 for s in source) and all(s.endswith(("\n", "\r")) for s in source[:-1])


def _code_lines(text: str) -> list[str]:
    """A cell's lines, each IPython-only line blanked; a cell magic (``%%bash``) blanks it all."""
    lines = _split(text)
    first = next((line.lstrip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        return [""] * len(lines)
    return list(_without_magics(lines))


def _is_magic(line: str) -> bool:
    stripped = line.lstrip()
    return bool(stripped) and (stripped[0] in _ESCAPES or bool(_HELP.match(stripped) or _ASSIGNED.match(stripped)))


def _without_magics(lines: Sequence[str]) -> Iterator[str]:
    """Blank the magics that start a logical line, and the lines a trailing backslash adds to them."""
    scan = _Scan()
    in_magic = False
    for line in lines:
        if in_magic or (scan.at_start() and _is_magic(line)):
            indent = line[: len(line) - len(line.lstrip())]
            yield indent + "pass" if indent and not in_magic else ""
            in_magic = line.endswith("\\")
            continue
        yield line
        scan.feed(line)


class _Scan:
    """Just enough of Python's tokenizer to know where a logical line starts: open brackets,
    a string over several lines, a trailing backslash."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote = ""  # the triple quote of a string still open
        self.continued = False

    def at_start(self) -> bool:
        return not (self.depth or self.quote or self.continued)

    def feed(self, line: str) -> None:
        """Read one line that is Python."""
        position = self._close(line, 0) if self.quote else 0
        comment = False
        while position >= 0:
            token = _TOKEN.search(line, position)
            if token is None or token.lastgroup == "comment":
                comment = token is not None
                break
            position = self._step(line, token)
        self.continued = not comment and position != -2 and line.endswith("\\")

    def _step(self, line: str, token: re.Match[str]) -> int:
        """Take one token; where to go on in ``line``, or a negative number at its end."""
        kind = token.lastgroup
        if kind == "open":
            self.depth += 1
        elif kind == "close":
            self.depth = max(self.depth - 1, 0)
        else:
            self.quote = token.group()
            return self._close(line, token.end())
        return token.end()

    def _close(self, line: str, start: int) -> int:
        """After the string's closing quote in ``line``; -1 when it goes on past the line (a triple
        quote), -2 when a one-quote string is left open (invalid: the line ends it)."""
        closing = _CLOSING[self.quote].match(line, start)
        if closing is not None:
            self.quote = ""
            return closing.end()
        if len(self.quote) == 1:
            self.quote = ""
            return -2
        return -1


def _source_lines(text: str, sources: Sequence[object]) -> list[int]:
    """Per cell, the line of the .ipynb text holding its first source string (nbformat writes one
    string per line, indented); 0 when it is not found, and for every cell after that."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == '"source": [']
    found: list[int] = []
    at = 0
    for source in sources:
        index = _find(lines, starts, at, source) if isinstance(source, list) and source else None
        if index == -1:
            at = len(lines)  # not written as nbformat writes: stop looking
        elif index is not None:
            at = index + len(source)  # type: ignore[arg-type]
        found.append(index + 1 if index is not None and index >= 0 else 0)
    return found


def _find(lines: Sequence[str], starts: Sequence[int], at: int, source: list[str]) -> int:
    """The index of the line holding ``source``'s first string, after ``at``; -1 when none."""
    first = bisect_right(starts, at - 1)
    return next((s + 1 for s in starts[first:] if _holds(lines, s + 1, source)), -1)


def _holds(lines: Sequence[str], start: int, source: list[str]) -> bool:
    """Whether ``lines`` from ``start`` are the JSON strings of ``source``, one per line."""
    if start + len(source) > len(lines):
        return False
    last = len(source) - 1
    try:
        return all(
            json.loads(lines[start + k].strip().removesuffix(",") if k < last else lines[start + k].strip()) == s
            for k, s in enumerate(source)
        )
    except ValueError:
        return False


def syntax_error(notebook: NotebookSource, exc: SyntaxError) -> SourceError:
    """A syntax error of the joined source, said in the notebook's terms: the cell and its line,
    at the line of the .ipynb file."""
    where = _locate(notebook.cells, exc.lineno) if exc.lineno else None
    if where is None:
        return SourceError(f"syntax error: {exc.msg}")
    return SourceError(f"syntax error in cell {where.cell}, line {where.line}: {exc.msg}", where.file_line)
