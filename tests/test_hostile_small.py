"""Issue 12, the smaller hostile inputs, each through the real command line: a history database that
is not a file, module paths too long for a page name, SARIF URIs of odd file names, UTF-16 source,
a coding cookie naming a codec that is not for text, and ``report -o`` at a dangling symlink."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest

from .conftest import SCHEMAS, subprocess_env

BRANCHY = "def f(x):\n    if x:\n        return 1\n    return 2\n"


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A real process with a deadline: a hang is a failure, not a stuck test run."""
    return subprocess.run([sys.executable, "-m", "qualitygate", *args], cwd=cwd, env=subprocess_env(),
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def _project(root: Path, config: str = "") -> Path:
    (root / "pyproject.toml").write_text(f"[tool.qualitygate]\n{config}")
    (root / "a.py").write_text(BRANCHY)
    return root


def _clean(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr


# -- a) history_db that is not a regular file -------------------------------------------------

HISTORY = 'track_history = true\nhistory_db = "h.db"\n'


def _plant(root: Path, kind: str) -> str:
    """Put ``kind`` where SQLite would open a file; return the name the error must give."""
    if kind == "fifo":
        os.mkfifo(root / "h.db")
    elif kind == "directory":
        (root / "h.db").mkdir()
    elif kind == "device":
        (root / "h.db").symlink_to("/dev/zero")
    else:  # a FIFO as the rollback journal, which SQLite opens (and would wait on) to read
        assert _run(root, "check", ".").returncode == 0 and (root / "h.db").is_file()
        os.mkfifo(root / f"h.db-{kind}")
        return f"h.db-{kind}"
    return "h.db"


@pytest.mark.parametrize("kind", ["fifo", "directory", "device", "journal", "wal"])
def test_a_history_db_that_is_not_a_file_is_named_never_waited_on(tmp_path: Path, kind: str) -> None:
    root = _project(tmp_path, HISTORY)
    name = _plant(root, kind)
    problem = f"{root / name}: not a regular file"
    shown = _run(root, "history")
    assert shown.returncode == 2 and problem in shown.stderr, shown.stderr
    checked = _run(root, "check", ".")  # recording is a warning; the verdict stands (docs/history.md)
    assert checked.returncode == 0 and f"history not recorded: {problem}" in checked.stderr
    reported = _run(root, "report", "-o", "out", ".")
    assert reported.returncode == 0 and f"trends left out: {problem}" in reported.stderr
    assert (root / "out" / "metrics_report.html").is_file()
    for done in (shown, checked, reported):
        _clean(done)


# -- b) Markdown page names within 255 bytes --------------------------------------------------


def _index_links(docs: Path) -> dict[str, str]:
    """module -> page, from index.md's table."""
    text = (docs / "index.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| \[`([^`]+)`\]\(([^)]+)\)", text, re.MULTILINE))


def test_report_pages_of_deep_modules_fit_a_file_name_and_stay_linked(tmp_path: Path) -> None:
    root = _project(tmp_path)
    deep = root.joinpath(*["d" * 100] * 3)
    deep.mkdir(parents=True)
    modules = {}
    for leaf in ("first", "second"):
        (deep / f"{leaf}.py").write_text(f'"""Module {leaf}."""\n')
        modules[".".join(["d" * 100] * 3 + [leaf])] = f"Module {leaf}."
    done = _run(root, "report", "-o", "out", ".")
    assert done.returncode == 0, done.stderr
    links = _index_links(root / "out" / "docs")
    assert set(modules) <= set(links)
    for module, docstring in modules.items():
        page = root / "out" / "docs" / links[module]
        assert len(os.fsencode(page.name)) <= 255 and page.name.endswith(f"{module[-10:]}.md")
        assert module in page.read_text(encoding="utf-8") and docstring in page.read_text(encoding="utf-8")
    again = _run(root, "report", "-o", "again", ".")
    assert again.returncode == 0 and _index_links(root / "again" / "docs") == links  # deterministic


# -- c) SARIF URIs: the real name's bytes, percent-encoded ------------------------------------

HOSTILE_NAMES = [
    b"bad\xff.py", b"back\\xff.py", b"slash\\\xfe.py", b"two\\\\x.py", b"sp ace#q?%25.py",
    b"esc\x1b.py", b"::cmd.py", b"##[x].py", "sep\u2028\u0085.py".encode(), "caf\u00e9.py".encode(),
    b"sub dir#/in%.py", b"col:on.py",
]  # fmt: skip
# RFC 3986 relative-ref made only of unreserved characters, '/' and percent-escapes.
URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})+")


def _hostile_project(root: Path) -> Path:
    _project(root)
    for name in HOSTILE_NAMES:
        path = os.path.join(os.fsencode(root), name)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(BRANCHY.encode())
        except OSError:
            pytest.skip("this file system refuses such names")
    return root


def _uris(log: dict[str, Any]) -> list[str]:
    return [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]]


def test_sarif_uris_are_the_percent_encoded_bytes_of_the_real_names(tmp_path: Path) -> None:
    root = _hostile_project(tmp_path)
    done = _run(root, "check", "--complexity-threshold", "0", "--no-cache", "-f", "sarif", ".")
    assert done.returncode == 1, done.stderr
    _clean(done)
    log = json.loads(done.stdout)
    uris = _uris(log)
    assert all(URI_REFERENCE.fullmatch(uri) for uri in uris), uris
    assert sorted(unquote_to_bytes(uri) for uri in uris) == sorted([b"a.py", *HOSTILE_NAMES])
    assert "bad%FF.py" in uris and "sp%20ace%23q%3F%2525.py" in uris and "back%5Cxff.py" in uris
    if SCHEMAS.is_dir():
        jsonschema = pytest.importorskip("jsonschema")
        schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
        validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
        assert not [e.message for e in validator.iter_errors(log)]


# -- d, e) UTF-16 source; a coding cookie naming a codec that is not for text ---------------


def _errors(root: Path) -> dict[str, dict[str, Any]]:
    done = _run(root, "check", "--no-cache", "-f", "json", ".")
    _clean(done)
    return {e["path"]: e for e in json.loads(done.stdout)["errors"]}


def test_utf16_source_is_named_utf16_not_binary(tmp_path: Path) -> None:
    root = _project(tmp_path)
    source = '"""Docs."""\ndef f():\n    return "caf\u00e9"\n'
    for name, encoding in (("bom.py", "utf-16"), ("le.py", "utf-16-le"), ("be.py", "utf-16-be"), ("wide.py", "utf-32")):
        (root / name).write_bytes(source.encode(encoding))
    errors = _errors(root)
    for name in ("bom.py", "le.py", "be.py"):
        message = errors[name]["message"]
        assert "looks UTF-16 encoded" in message and "must be UTF-8" in message and "NUL" not in message
    assert "looks UTF-32 encoded" in errors["wide.py"]["message"]


COOKIES = {
    "hex.py": (b"# coding: hex\nx = 1\n", 1, "'hex' is not a text encoding"),
    "rot.py": (b"#!/usr/bin/env python\n# -*- coding: rot13 -*-\nx = 1\n", 2, "'rot13' is not a text encoding"),
    "b64.py": (b"# vim: set fileencoding=base64 :\nx = 1\n", 1, "'base64' is not a text encoding"),
    "none.py": (b"\n# coding: no-such-codec\nx = 1\n", 2, "unknown encoding: no-such-codec"),
    "wide.py": (b"# coding: utf-16\nx = 1\n", 1, "'utf-16' is not ASCII-compatible"),
}


def test_a_cookie_naming_a_codec_not_for_text_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "latin.py").write_bytes(b"# coding: latin-1\nx = '\xe9'\n")  # a real one still reads
    for name, (data, _, _) in COOKIES.items():
        (root / name).write_bytes(data)
    errors = _errors(root)
    assert "latin.py" not in errors
    for name, (_, line, message) in COOKIES.items():
        assert errors[name]["line"] == line and f"bad encoding declaration: {message}" in errors[name]["message"]


# -- f) report -o at a dangling symlink ----------------------------------------------------


def test_report_into_a_dangling_symlink_writes_through_it(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "out").symlink_to(Path("target") / "deeper")
    done = _run(root, "report", "-o", "out", ".")
    assert done.returncode == 0 and "File exists" not in done.stderr, done.stderr
    assert (root / "target" / "deeper" / "metrics_report.html").is_file() and (root / "out").is_symlink()


def test_report_into_a_symlink_loop_is_refused_by_name(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "loop").symlink_to("loop")
    for output in ("loop", "loop/inner"):
        done = _run(root, "report", "-o", output, ".")
        assert done.returncode == 2 and f"{output}: cannot write the report: a symbolic link loop" in done.stderr
        _clean(done)
