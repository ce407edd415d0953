"""Read a coverage file: Cobertura XML or coverage.py JSON -> the lines each file lists and runs.

Both formats list, per file, the lines that hold a statement (executable) and whether each ran:
Cobertura as ``<class filename=...><lines><line number= hits=>`` with ``filename`` relative to a
``<source>``, coverage.py's JSON as ``files -> executed_lines, missing_lines``. The file is read
bounded and without blocking (``paths.read_regular``); the XML is parsed by expat as a stream,
and an entity declaration or an external entity is refused, as defusedxml does by default. A bare
DOCTYPE naming Cobertura's DTD (Java Cobertura and gcovr write one) is read: expat never fetches it.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from xml.parsers import expat

from qualitygate.paths import STATE_LIMIT, read_regular

LINES = range(1, 2**31)  # a line number a file can have


class CoverageFileError(Exception):
    """Why a coverage file cannot be used; the caller names the file."""


class FileLines(NamedTuple):
    """The lines a coverage file lists for one source file."""

    executable: frozenset[int]  # every line that holds a statement
    covered: frozenset[int]  # the lines that ran


class CoverageReport(NamedTuple):
    """A coverage file, read: the source folders it names and each file's lines by its name."""

    kind: str  # "Cobertura XML" or "coverage.py JSON"
    sources: tuple[str, ...]  # Cobertura's <source> folders; () for JSON
    files: Mapping[str, FileLines]  # file name as written in the report -> its lines


def read_report(path: Path, limit: int = STATE_LIMIT) -> CoverageReport:
    """Read and check ``path``; CoverageFileError says what is wrong with it."""
    try:
        data = read_regular(path, limit)
    except FileNotFoundError:
        raise CoverageFileError("not found") from None
    except OSError as exc:
        raise CoverageFileError(f"cannot read it: {exc.strerror or exc}") from None
    # Sniffed rather than told by the name: "coverage.xml" and ".json" are conventions only.
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return _from_json(data)
    return _from_xml(data)


# --- coverage.py JSON ---------------------------------------------------------------------------


def _from_json(data: bytes) -> CoverageReport:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, absurd nesting
        raise CoverageFileError(f"not a coverage.py JSON report: {exc}") from None
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict):
        raise CoverageFileError('not a coverage.py JSON report: no "files" object')
    return CoverageReport("coverage.py JSON", (), {name: _json_file(name, entry) for name, entry in files.items()})


def _json_file(name: str, entry: Any) -> FileLines:
    if not isinstance(entry, dict):
        raise CoverageFileError(f"not a coverage.py JSON report: files[{name!r}] is not an object")
    executed = _line_list(name, entry, "executed_lines")
    missing = _line_list(name, entry, "missing_lines")
    return FileLines(frozenset(executed) | frozenset(missing), frozenset(executed))


def _line_list(name: str, entry: Mapping[str, Any], key: str) -> list[int]:
    lines = entry.get(key)
    if not isinstance(lines, list) or not all(type(n) is int and n in LINES for n in lines):
        raise CoverageFileError(f"not a coverage.py JSON report: files[{name!r}].{key} is not a list of line numbers")
    return lines


# --- Cobertura XML ------------------------------------------------------------------------------


class _Cobertura:
    """expat handlers that keep only ``<source>`` text and each class's own ``<line>`` elements
    (a ``<method>`` repeats its class's lines, so lines under ``<methods>`` are not read)."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.sources: list[str] = []
        self.text: list[str] = []
        self.executable: dict[str, set[int]] = {}
        self.covered: dict[str, set[int]] = {}
        self.current = ""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if not self.stack and name != "coverage":
            raise CoverageFileError(f"not a Cobertura XML report: the root element is <{name}>, not <coverage>")
        self.stack.append(name)
        if name == "source":
            self.text = []
        elif name == "class":
            self.current = _attribute(attrs, "filename", "class")
            self.executable.setdefault(self.current, set())
            self.covered.setdefault(self.current, set())
        elif name == "line" and self.stack[-3:-1] == ["class", "lines"]:
            self._line(attrs)

    def _line(self, attrs: dict[str, str]) -> None:
        number = _number(attrs, "number", LINES)
        self.executable[self.current].add(number)
        if _number(attrs, "hits", range(0, 2**63)):
            self.covered[self.current].add(number)

    def end(self, name: str) -> None:
        self.stack.pop()
        if name == "source" and self.stack[-1:] == ["sources"] and "".join(self.text).strip():
            self.sources.append("".join(self.text).strip())

    def characters(self, text: str) -> None:
        if self.stack[-1:] == ["source"]:
            self.text.append(text)

    def report(self) -> CoverageReport:
        files = {name: FileLines(frozenset(lines), frozenset(self.covered[name]))
                 for name, lines in self.executable.items()}  # fmt: skip
        return CoverageReport("Cobertura XML", tuple(self.sources), files)


def _attribute(attrs: Mapping[str, str], key: str, element: str) -> str:
    value = attrs.get(key)
    if not value:
        raise CoverageFileError(f"not a Cobertura XML report: a <{element}> without {key}")
    return value


def _number(attrs: Mapping[str, str], key: str, allowed: range) -> int:
    text = attrs.get(key, "")
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value not in allowed:
        raise CoverageFileError(f"not a Cobertura XML report: <line {key}={text!r}> is not a line count")
    return value


def _refuse(*_: object) -> None:
    # Entities are how XML expands to gigabytes (billion laughs) or reads other files: no coverage
    # report declares one, so none is read (defusedxml's forbid_entities and forbid_external).
    raise CoverageFileError("refused: its DOCTYPE declares entities, which no coverage report needs")


def _from_xml(data: bytes) -> CoverageReport:
    reader = _Cobertura()
    parser = expat.ParserCreate()
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse  # without an ExternalEntityRefHandler, nothing is fetched
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise CoverageFileError(f"not a Cobertura XML or coverage.py JSON report: {exc}") from None
    return reader.report()
