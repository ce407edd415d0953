"""The hostile corpus (tests/hostile/corpus.py) through every command and output format (issue 12).

Every run is a real process with a deadline, so a hang fails the test instead of the test run.
What must hold everywhere: exit 0 or 1 (never 2 or 3: the corpus is a valid project), no
traceback, output its consumer can parse, no raw control character from a name in any line, and
every hostile file measured or reported by a name that tells it from every other.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from qualitygate.site import HTML_NAME

from .conftest import subprocess_env
from .hostile.corpus import DEEP, NAMES, build

FORMATS = ("text", "json", "github", "gitlab", "junit", "sarif", "markdown")
# Any C0 control but the line break, DEL, C1 controls, and the Unicode line separators.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
DEADLINE_S = 120


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qualitygate", *args], cwd=cwd, env=subprocess_env(),
                          capture_output=True, text=True, errors="surrogateescape", timeout=DEADLINE_S,
                          check=False)  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build(tmp_path_factory.mktemp("hostile"))
    (root / "pyproject.toml").write_text("[tool.qualitygate]\nmax_file_bytes = 200000\ntrack_history = true\n")
    return root


@pytest.fixture(scope="module")
def report(corpus: Path) -> dict:  # type: ignore[type-arg]
    done = _run(corpus, "check", "--format", "json", "src")
    assert done.returncode == 1, done.stderr
    return json.loads(done.stdout)


def _clean(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    for line in done.stderr.splitlines():
        assert not RAW_CONTROL.search(line), repr(line)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_over_the_corpus(corpus: Path, fmt: str) -> None:
    done = _run(corpus, "check", "--format", fmt, "src")
    _clean(done)
    assert done.returncode == 1  # the offenders fail the gate
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(done.stdout)
    elif fmt == "junit":
        ET.fromstring(done.stdout.encode("utf-8", "surrogateescape"))
    else:
        for line in done.stdout.splitlines():
            assert not RAW_CONTROL.search(line), repr(line)
    if fmt == "github":
        commands = [line for line in done.stdout.splitlines() + done.stderr.splitlines() if line.startswith("::")]
        assert commands and all(re.match(r"::(error|warning|notice)( [^:]*)?::", c) for c in commands), commands
        assert not any("stop-commands" in c.split("::")[1] for c in commands)


def test_every_hostile_name_is_measured_under_a_name_of_its_own(report: dict) -> None:  # type: ignore[type-arg]
    measured = [f["path"] for f in report["files"]]
    assert len(measured) == len(set(measured))
    hostile = [p for p in measured if p.rsplit("/", 1)[-1] not in DEEP and "inner" not in p]
    offenders = {v["path"] for v in report["violations"]}
    assert len(offenders & set(hostile)) >= len(NAMES)  # each hostile name fails on its own
    assert "src/bad\\xffbyte.py" in measured and "src/bad\\\\xffbyte.py" in measured
    # A folder's name is spelled once, like a file's (not ``dir\\x0a``: a backslash it lacks).
    assert "src/dir\\x0a\\xfe%,:/inner.py" in measured


def test_sarif_uris_give_back_the_real_bytes_of_every_name(corpus: Path) -> None:
    done = _run(corpus, "check", "--format", "sarif", "src")
    results = json.loads(done.stdout)["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    real = {b"src/" + name for name in NAMES} | {b"src/dir\n\xfe%,:/inner.py"}
    assert real <= {unquote_to_bytes(uri) for uri in uris}


def test_deep_code_is_measured_not_rejected(report: dict) -> None:  # type: ignore[type-arg]
    measured = {f["path"] for f in report["files"]}
    assert {f"src/{name}" for name in DEEP} <= measured


def test_broken_and_special_files_are_errors_naming_them(report: dict) -> None:  # type: ignore[type-arg]
    errors = {e["path"]: e["message"] for e in report["errors"]}
    for name in ("syntax_error.py", "nul_bytes.py", "utf16.py", "coding_hex.py", "huge.py"):
        assert f"src/{name}" in errors, sorted(errors)
    assert "Traceback" not in json.dumps(errors)


def test_baseline_then_check_over_the_corpus(corpus: Path, tmp_path: Path) -> None:
    _clean(_run(corpus, "baseline", "src"))
    again = _run(corpus, "check", "--format", "json", "src")
    _clean(again)
    data = json.loads(again.stdout)
    assert data["violations"] == [] and data["summary"]["baselined"] > len(NAMES)
    (corpus / ".qualitygate-baseline.json").unlink()


def test_merge_of_the_corpus_report_keeps_the_verdict(corpus: Path, tmp_path: Path) -> None:
    shard = tmp_path / "shard.json"
    _clean(_run(corpus, "check", "--format", f"json:{shard}", "src"))
    merged = _run(corpus, "merge", str(shard), "--format", "json")
    _clean(merged)
    assert json.loads(merged.stdout)["passed"] is False


def test_history_and_the_html_report_over_the_corpus(corpus: Path, tmp_path: Path) -> None:
    _clean(_run(corpus, "check", "src"))
    listed = _run(corpus, "history")
    _clean(listed)
    assert listed.returncode == 0
    site = tmp_path / "site"
    made = _run(corpus, "report", "-o", str(site), "src")
    _clean(made)
    assert made.returncode == 0 and (site / HTML_NAME).is_file()
    html = (site / HTML_NAME).read_text(encoding="utf-8", errors="replace")
    assert "<script>alert" not in html and "\x1b" not in html


def test_one_process_and_many_agree(corpus: Path) -> None:
    one = _run(corpus, "check", "-j", "1", "--no-cache", "--format", "json", "src")
    many = _run(corpus, "check", "-j", "2", "--no-cache", "--format", "json", "src")
    _clean(one)
    assert one.stdout == many.stdout
