"""End-to-end from the CLI: verdicts, exit codes and bad input that never crashes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qualitygate.metrics import source as source_module

from .conftest import STDLIB, subprocess_env

pytestmark = pytest.mark.crossversion  # also run on every other supported Python (.ci/run)

# Cyclomatic complexity 10 (radon: 1 + nine `if`s) and 11 (ten `if`s).
CC10 = "def f(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(9)) + "    return -1\n"
CC11 = "def g(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(10)) + "    return -1\n"


def test_cc_threshold_boundary(project, cli) -> None:
    root = project({"ten.py": CC10, "eleven.py": CC11})
    result = cli("check", "ten.py", "--threshold", "0", "-f", "json", cwd=root)
    assert result.code == 0, result.out
    assert result.json()["files"][0]["functions"][0]["cyclomatic_complexity"] == 10
    result = cli("check", "eleven.py", "--threshold", "0", "-f", "json", cwd=root)
    assert result.code == 1
    (violation,) = result.json()["violations"]
    assert violation["rule"] == "QG001" and violation["value"] == 11 and violation["threshold"] == 10
    assert violation["symbol"] == "g" and violation["line"] == 1


def test_cc_threshold_flag_overrides(project, cli) -> None:
    root = project({"eleven.py": CC11})
    assert cli("check", "--threshold", "0", "--complexity-threshold", "11", cwd=root).code == 0


def test_maintainability_boundary(project, cli) -> None:
    root = project({"a.py": CC11})
    mi = cli("check", "-f", "json", "--complexity-threshold", "99", "--threshold", "0", cwd=root).json()
    value = mi["files"][0]["maintainability_index"]
    assert cli("check", "--complexity-threshold", "99", "--threshold", str(value), cwd=root).code == 0
    failed = cli("check", "--complexity-threshold", "99", "--threshold", str(value + 0.01), "-f", "json", cwd=root)
    assert failed.code == 1
    assert failed.json()["violations"][0]["rule"] == "QG003"


def test_mi_65_passes_at_65() -> None:
    from qualitygate.gate.rules import RULES_BY_CODE

    assert not RULES_BY_CODE["QG003"].fails(65.0, 65.0)
    assert RULES_BY_CODE["QG003"].fails(64.99, 65.0)
    assert not RULES_BY_CODE["QG001"].fails(10, 10)
    assert RULES_BY_CODE["QG001"].fails(11, 10)


def test_text_output_groups_and_summarises(project, cli) -> None:
    root = project({"b.py": CC11, "a.py": CC11.replace("def g", "def h")})
    result = cli("check", "--threshold", "0", cwd=root)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == "a.py:1:1: QG001 h cyclomatic_complexity 11 > 10"  # path:line:col:
    assert lines[1].startswith("    suggestion: cyclomatic complexity 11 > 10: ")  # issue 6
    assert lines[3] == "b.py:1:1: QG001 g cyclomatic_complexity 11 > 10"
    assert lines[-1].startswith("qualitygate FAILED: 2 files, 2 functions, 2 violations")
    assert "\033[" not in result.out  # no colour when not a TTY


def test_format_to_file_and_stdout(project, cli, tmp_path: Path) -> None:
    root = project({"a.py": "x = 1\n"})
    result = cli("check", "-f", "text", "-f", f"json:{tmp_path / 'out' / 'r.json'}", cwd=root)
    assert result.code == 0
    assert "PASSED" in result.out
    assert '"version":1' in (tmp_path / "out" / "r.json").read_text()


def test_unknown_format_and_missing_path_exit_2(project, cli) -> None:
    root = project({"a.py": "x = 1\n"})
    bad = cli("check", "-f", "yaml", cwd=root)
    assert bad.code == 2 and "unknown format 'yaml'" in bad.err
    missing = cli("check", "nope/", cwd=root)
    assert missing.code == 2 and "nope" in missing.err


def _errors(result) -> dict[str, dict]:
    return {e["path"]: e for e in result.json()["errors"]}


def test_bad_inputs_are_errors_and_the_rest_is_measured(project, cli) -> None:
    big = "".join(f"def f{i}(a):\n    return a + {i}\n\n" for i in range(5000))
    root = project(
        {
            "good.py": "def ok():\n    return 1\n",
            "syntax.py": "x = 1\ndef broken(:\n",
            "latin.py": b"x = '\xe9'\n",
            "nul.py": b"x = 1\n\x00\n",
            "cookie.py": b"# -*- coding: klingon -*-\nx = 1\n",
            "empty.py": "",
            "big.py": big,
            "pkg.py/inner.py": "y = 2\n",
        }
    )
    (root / "loop_a.py").symlink_to(root / "loop_b.py")
    (root / "loop_b.py").symlink_to(root / "loop_a.py")
    result = cli("check", ".", "-f", "json", "--threshold", "0", cwd=root)
    assert result.code == 1
    assert "Traceback" not in result.err
    errors = _errors(result)
    assert errors["syntax.py"]["line"] == 2 and "syntax error" in errors["syntax.py"]["message"]
    assert errors["latin.py"]["line"] == 1 and "cannot decode as utf-8" in errors["latin.py"]["message"]
    assert errors["nul.py"]["line"] == 2 and "NUL" in errors["nul.py"]["message"]
    assert errors["cookie.py"]["line"] == 1 and "klingon" in errors["cookie.py"]["message"]
    assert errors["loop_a.py"]["message"] == "symlink loop"
    assert errors["loop_b.py"]["message"] == "symlink loop"
    measured = {f["path"]: f for f in result.json()["files"]}
    assert set(measured) == {"good.py", "empty.py", "big.py", "pkg.py/inner.py"}
    assert measured["empty.py"]["raw"]["loc"] == 0
    assert len(measured["big.py"]["functions"]) == 5000
    assert measured["big.py"]["raw"]["loc"] == 15000


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "gitlab", "github", "markdown"])
def test_file_names_that_are_not_utf8_are_reported_not_crashed_on(project, cli, fmt: str) -> None:
    """Linux allows any bytes in a name; Python keeps the non-UTF-8 ones as lone surrogates, which
    no report (nor the cache) can write. They are spelled \\xNN, and measured like any file."""
    branchy = "def g(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12))
    root = project({"good.py": "def ok():\n    return 1\n"})
    (root / os.fsdecode(b"worse\xfe.py")).write_text(branchy + "    return -1\n")
    (root / os.fsdecode(b"broken\xfd.py")).write_text("def (:\n")
    for _ in range(2):  # cold, then warm from the cache
        result = cli("check", ".", "-f", fmt, cwd=root)
        assert result.code == 1 and "Traceback" not in result.err and "internal error" not in result.err
        assert "suggestions failed" not in result.err
    if fmt == "json":
        report = result.json()
        assert [f["path"] for f in report["files"]] == ["good.py", "worse\\xfe.py"]
        assert [e["path"] for e in report["errors"]] == ["broken\\xfd.py"]
        assert {v["path"] for v in report["violations"]} == {"worse\\xfe.py"}


def test_unreadable_file(project, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project({"secret.py": "x = 1\n", "fine.py": "y = 2\n"})
    (root / "secret.py").chmod(0)
    if os.geteuid() == 0:  # root reads mode-000 files; make open() refuse as the OS would for a user

        def refuse(path, *args, **kwargs):
            if str(path).endswith("secret.py"):
                raise PermissionError(13, "Permission denied", str(path))
            return open(path, *args, **kwargs)

        monkeypatch.setattr(source_module, "open", refuse, raising=False)
    result = cli("check", ".", "-f", "json", cwd=root)
    assert result.code == 1
    assert _errors(result)["secret.py"]["message"] == "cannot read file: permission denied"
    assert [f["path"] for f in result.json()["files"]] == ["fine.py"]


def test_huge_file_is_skipped_with_message(project, cli) -> None:
    root = project({"pyproject.toml": "[tool.qualitygate]\nmax_file_bytes = 100\n", "huge.py": "x = 1\n" * 50})
    result = cli("check", ".", "-f", "json", cwd=root)
    assert result.code == 1
    assert "larger than max_file_bytes" in _errors(result)["huge.py"]["message"]


def test_serial_and_parallel_identical(project, cli) -> None:
    files = {f"m{i}.py": CC11.replace("def g", f"def g{i}") for i in range(12)}
    root = project(files)
    serial = cli("check", "-j", "1", "-f", "json", cwd=root)
    parallel = cli("check", "-j", "2", "-f", "json", cwd=root)
    assert serial.out == parallel.out
    assert serial.json()["summary"]["files"] == 12


def test_gitignore_and_exclude(project, cli) -> None:
    root = project(
        {
            ".gitignore": "generated/\n",
            "pyproject.toml": "[tool.qualitygate]\nexclude = ['legacy/*.py']\n",
            "generated/g.py": "x = 1\n",
            "legacy/old.py": "x = 1\n",
            "src/new.py": "x = 1\n",
            ".venv/lib.py": "x = 1\n",
        }
    )
    result = cli("check", "-f", "json", cwd=root)
    assert [f["path"] for f in result.json()["files"]] == ["src/new.py"]


def test_version_and_module_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "qualitygate", "--version"],
        capture_output=True, text=True, check=True, env=subprocess_env(),
    )  # fmt: skip
    assert "qualitygate, version" in out.stdout


@pytest.mark.skipif(not STDLIB.is_dir(), reason="no stdlib folder")
def test_whole_stdlib_with_tests_never_crashes(cli, tmp_path: Path) -> None:
    """Lib/ with its tests: deliberately invalid files become errors; the rest is measured."""
    result = cli("check", str(STDLIB), "-f", "json", "--threshold", "0", cwd=tmp_path)
    assert result.code == 1
    assert "Traceback" not in result.err
    report = result.json()
    errors = report["errors"]
    assert errors, "the stdlib's tests include files that do not parse"
    assert all(e["path"] and e["message"] for e in errors)
    syntax = [e for e in errors if e["message"].startswith("syntax error")]
    assert syntax and all(isinstance(e["line"], int) for e in syntax)
    assert any(e["path"].endswith("badsyntax_3131.py") for e in errors)
    assert report["summary"]["files"] > 1500


@pytest.mark.skipif(not STDLIB.is_dir(), reason="no stdlib folder")
def test_ctrl_c_exits_130_without_traceback(tmp_path: Path) -> None:
    """SIGINT during a long parallel run: exit 130, a short message, no traceback."""
    import signal
    import time

    proc = subprocess.Popen(
        # --no-cache: a cache an earlier test left would make the run end before the signal.
        [sys.executable, "-m", "qualitygate", "check", str(STDLIB), "-j", "2", "--no-cache", "-f", "json:/dev/null"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(),
        # A shell's background job (`.ci/run &`) starts with SIGINT ignored, and a child inherits
        # that: Python then installs no Ctrl-C handler and the signal would be lost.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    # Inside the pool: once both workers exist, and a moment after, so the signal never lands
    # while the parent is forking them (an at-fork hook would swallow it). A fixed 1.5 s sleep
    # hit that window on a loaded machine.
    from .test_processes import _children

    deadline = time.monotonic() + 30
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
    assert "Interrupted" in err


def test_valid_file_radon_cannot_tokenize_is_measured(project, cli) -> None:
    """U+E0100 is valid in an identifier (Python parses it) but radon's tokenizer rejects it."""
    root = project({"odd.py": "x\U000e0100y = 1\n\ndef f():\n    return x\U000e0100y\n"})
    result = cli("check", ".", "-f", "json", cwd=root)
    assert result.code == 0, result.out
    (file,) = result.json()["files"]
    assert file["raw"]["loc"] == 4 and file["raw"]["sloc"] == 3
    assert file["functions"][0]["name"] == "f"


def test_fifo_named_py_is_an_error_not_a_hang(project, cli) -> None:
    root = project({"good.py": "x = 1\n"})
    os.mkfifo(root / "pipe.py")
    result = cli("check", ".", "-f", "json", "--no-cache", cwd=root)
    assert result.code == 1
    assert "not a regular file" in _errors(result)["pipe.py"]["message"]
    assert [f["path"] for f in result.json()["files"]] == ["good.py"]


@pytest.mark.parametrize("flag", ["--threshold", "--function-maintainability-threshold"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_thresholds_are_usage_errors(project, cli, flag: str, value: str) -> None:
    root = project({"a.py": "x = 1\n"})
    result = cli("check", ".", flag, value, cwd=root)
    assert result.code == 2 and "not a finite number" in result.err


def test_two_documents_on_one_stream_are_refused(project, cli, tmp_path: Path) -> None:
    root = project({"a.py": "x = 1\n"})
    both = cli("check", ".", "-f", "json", "-f", "sarif", cwd=root)
    assert both.code == 2 and "both write to stdout" in both.err
    same = tmp_path / "same.out"
    clash = cli("check", ".", "-f", f"json:{same}", "-f", f"sarif:{same}", cwd=root)
    assert clash.code == 2 and "both write to" in clash.err
    assert cli("check", ".", "-f", "text", "-f", "github", cwd=root).code == 0  # log lines may mix


def test_qualitygate_passes_its_own_function_gates(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """We gate our own code at the default cyclomatic (10) and cognitive (15) thresholds; the two
    suppressions in it carry their reasons. File MI is not gated here: at 65 most of our dense
    modules score below it, which the README's own command reports as it is."""
    package = Path(__file__).resolve().parents[1] / "qualitygate"
    monkeypatch.setenv("QUALITYGATE_CACHE_DIR", str(tmp_path / "cache"))
    result = cli("check", str(package), "--threshold", "0", "-f", "json", "--no-baseline", cwd=tmp_path)
    report = result.json()
    assert [(v["path"], v["symbol"], v["rule"]) for v in report["violations"]] == []
    assert result.code == 0 and report["summary"]["files"] >= 60


def test_a_click_py_in_the_project_is_never_run(tmp_path: Path) -> None:
    """``python -m`` puts the working folder first on sys.path; a project's own ``click.py`` must
    not replace click (issue 12), which would run the project's code."""
    (tmp_path / "click.py").write_text('print("PROJECT CODE RAN")\nraise SystemExit(0)\n')
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    done = subprocess.run([sys.executable, "-m", "qualitygate", "check", "--no-cache", "a.py"], cwd=tmp_path,
                          env=subprocess_env(), capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert "PROJECT CODE RAN" not in done.stdout + done.stderr
    assert done.returncode == 0 and "qualitygate PASSED" in done.stdout
