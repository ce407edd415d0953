"""``check -`` with ``--stdin-filename``, and ``path:line:col:`` columns (issue 16)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import STDLIB, subprocess_env

SOURCE = b"""\
class Box:
    def method(self, a):
        if a:
            return 1
        return 2


async def top(a):
    return a or 1
"""


def _stdin(args: list[str], data: bytes, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed command line as an editor runs it: source piped to standard input."""
    done = subprocess.run([sys.executable, "-m", "qualitygate", "check", *args], input=data, cwd=cwd,
                          capture_output=True, env=subprocess_env(), timeout=120)  # fmt: skip
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def test_stdin_is_measured_under_the_given_name_with_columns(tmp_path: Path) -> None:
    done = _stdin(["-", "--stdin-filename", "pkg/box.py", "--complexity-threshold", "1", "--no-advice"],
                  SOURCE, tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stderr
    # The method's def is indented 4 spaces: column 5, the form editors and problem matchers parse.
    assert done.stdout.splitlines()[0] == "pkg/box.py:2:5: QG001 Box.method cyclomatic_complexity 2 > 1"
    assert not (tmp_path / "pkg").exists()  # nothing is written for the named path
    assert "Traceback" not in done.stderr


def test_stdin_json_names_the_source_and_gives_def_columns(tmp_path: Path) -> None:
    done = _stdin(["-", "--stdin-filename", "box.py", "-f", "json"], SOURCE, tmp_path)
    assert done.returncode == 0, done.stderr
    (file,) = json.loads(done.stdout)["files"]
    assert file["path"] == "box.py"
    assert {f["qualname"]: f["column"] for f in file["functions"]} == {"Box.method": 5, "top": 1}


def test_stdin_takes_settings_from_the_named_paths_project(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text("[tool.qualitygate]\ncomplexity_threshold = 1\n")
    done = _stdin(["-", "--stdin-filename", "proj/box.py"], SOURCE, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "proj/box.py:2:5: QG001" in done.stdout


def test_stdin_without_a_name_is_called_dash(tmp_path: Path) -> None:
    done = _stdin(["-", "--complexity-threshold", "1", "--no-advice"], SOURCE, tmp_path)
    assert done.stdout.startswith("-:2:5: QG001"), done.stdout + done.stderr


def test_stdin_filename_alone_reads_stdin_as_ruff_does(tmp_path: Path) -> None:
    done = _stdin(["--stdin-filename", "x.py", "-f", "json"], b"x = 1\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert [f["path"] for f in json.loads(done.stdout)["files"]] == ["x.py"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"def f(:\n", "bad.py:1: error syntax error"),
        (b"x = 1\x00\n", "bad.py"),
        (b"\xff\xfe\x00", "bad.py"),
    ],
)
def test_bad_source_on_stdin_is_an_error_naming_it(tmp_path: Path, data: bytes, message: str) -> None:
    done = _stdin(["-", "--stdin-filename", "bad.py"], data, tmp_path)
    assert done.returncode == 1
    assert message in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-", "other.py"], "give no other path"),
        (["-", "--diff", "main"], "do not apply to '-'"),
        (["-", "--shard", "1/2"], "do not apply to '-'"),
    ],
)
def test_stdin_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "other.py").write_text("x = 1\n")
    done = _stdin(args, b"x = 1\n", tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_every_column_points_at_a_def_in_real_code(cli) -> None:
    """On stdlib modules nobody here wrote, each function's line and column land on its def."""
    names = ["argparse.py", "dataclasses.py", "asyncio/tasks.py", "json/decoder.py", "typing.py"]
    result = cli("check", "--no-cache", "-f", "json", *(str(STDLIB / n) for n in names))
    files = result.json()["files"]
    checked = 0
    for file in files:
        lines = Path(file["path"]).read_text(encoding="utf-8").splitlines()
        for func in file["functions"]:
            text = lines[func["lineno"] - 1][func["column"] - 1 :]
            assert text.startswith(("def ", "async def ")), (file["path"], func["qualname"], text)
            checked += 1
    assert checked > 200


def test_violations_carry_the_column_into_json_and_sarif(project, cli) -> None:
    root = project({"m.py": SOURCE.decode()})
    result = cli("check", "--no-cache", "--complexity-threshold", "1", "-f", "json", "-f", "sarif:out.sarif", cwd=root)
    columns = {v["symbol"]: (v["line"], v["column"]) for v in result.json()["violations"]}
    assert columns == {"Box.method": (2, 5), "top": (8, 1)}
    sarif = json.loads((root / "out.sarif").read_text())
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]]
    assert sorted((r["startLine"], r["startColumn"]) for r in regions) == [(2, 5), (8, 1)]
