"""Issue 13, item 2, through the CLI: ``verify_command`` and ``verify_timeout``, the test modules that
import the changed module chosen to run, and the calls the tests make replayed on the old and the
new code (a rewrite that drops a branch no test asserts is rejected)."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qualitygate.config import load_settings
from qualitygate.errors import ConfigError
from qualitygate.suggestions.evidence import Evidence, describe
from qualitygate.suggestions.selection import covering, module_name

from .conftest import CliResult
from .test_ai import KEY, ChatServer, ai_suggestions, chat_server, openai_table  # noqa: F401

CONFIG = "[tool.qualitygate]\ncomplexity_threshold = 3\ncognitive_complexity_threshold = 3\n"
MODULE = """\
def tally(rows, limit):
    total = 0
    kept = []
    for row in rows:
        if row > limit:
            if row % 2:
                total += row
            else:
                kept.append(row)
    return total, kept
"""
TEST = """\
from mod import tally


def test_tally():
    assert tally([1, 4, 5, 7, 8], 3) == (12, [4, 8])
    assert tally([], 0) == (0, [])
"""


def _suggest(cli: Callable[..., CliResult], root: Path, *args: str) -> CliResult:
    result = cli("suggest", "mod.py", "--no-cache", *args, cwd=root)
    assert result.code == 0 and "Traceback" not in result.err, result.err
    return result


# --- verify_command and verify_timeout ----------------------------------------------------------


def _command(*code: str) -> str:
    """A verify_command line (a string, split as a shell would) running ``code`` in Python."""
    return json.dumps(" ".join([f"'{sys.executable}'", "-c", f'"{"; ".join(code)}"']))


def test_a_custom_verify_command_that_passes_is_evidence(project, cli, tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    command = _command("import pathlib", f"pathlib.Path(r'{marker}').write_text('ran')")
    root = project({"project/pyproject.toml": CONFIG + f"verify_command = {command}\n",
                    "project/mod.py": MODULE, "project/tests/test_mod.py": TEST}) / "project"  # fmt: skip
    result = _suggest(cli, root)
    assert marker.read_text() == "ran"
    assert ("verified: metrics re-measured, static checks passed, the verify_command passed on a "
            "patched copy; calls not replayed; not checked: calls not replayed (the default pytest "
            "command only)") in result.err  # fmt: skip


def test_a_custom_verify_command_that_fails_only_with_the_change_drops_it(project, cli) -> None:
    # The original mod.py has 10 lines; the extraction makes it longer.
    command = [sys.executable, "-c", "import sys; sys.exit(len(open('mod.py').read().splitlines()) != 10)"]
    root = project({"pyproject.toml": CONFIG + f"verify_command = {json.dumps(command)}\n",
                    "mod.py": MODULE})  # fmt: skip
    result = _suggest(cli, root)
    assert "dropped the extractions of mod.py: the project's tests fail with them (0 failed; )" in result.err
    assert "extractions: 0 offered, 1 skipped (1 the project's tests fail with it)" in result.err


def test_verify_timeout_stops_a_slow_command(project, cli) -> None:
    command = [sys.executable, "-c", "import time; time.sleep(30)"]
    root = project({"pyproject.toml": CONFIG + f"verify_command = {json.dumps(command)}\nverify_timeout = 0.5\n",
                    "mod.py": MODULE, "tests/test_mod.py": TEST})  # fmt: skip
    result = _suggest(cli, root)
    assert "unverified: metrics re-measured, static checks passed; tests timed out" in result.err


@pytest.mark.parametrize(
    ("line", "expected"),
    [('verify_command = "pytest -q -k \'not slow\'"', ("pytest", "-q", "-k", "not slow")),
     ('verify_command = ["tox", "-e", "py"]', ("tox", "-e", "py")),
     ("verify_timeout = 30", 30)],
)
def test_verify_keys_are_read(tmp_path: Path, line: str, expected: object) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.qualitygate]\n{line}\n")
    settings = load_settings(start=tmp_path)
    assert expected in (settings.verify_command, settings.verify_timeout)


@pytest.mark.parametrize(
    "line",
    ['verify_command = ""', 'verify_command = "pytest \'-q"', 'verify_command = ["pytest", 1]',
     "verify_command = []", "verify_timeout = 0", 'verify_timeout = "10"'],
)
def test_bad_verify_keys_say_what_was_expected(tmp_path: Path, line: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.qualitygate]\n{line}\n")
    key = line.split(" ")[0]
    with pytest.raises(ConfigError, match=rf"tool\.qualitygate\.{key}: expected"):
        load_settings(start=tmp_path)


# --- the covering test modules --------------------------------------------------------------------

# Runs only when every test module runs: it leaves a file behind, outside the copy.
UNRELATED = """\
import pathlib


def test_unrelated():
    pathlib.Path(r"{marker}").write_text("ran")
"""


def test_only_the_test_modules_that_import_it_run(project, cli, tmp_path: Path) -> None:
    marker = tmp_path / "unrelated-ran.txt"
    root = project({"p/pyproject.toml": CONFIG, "p/mod.py": MODULE, "p/tests/test_mod.py": TEST,
                    "p/tests/test_unrelated.py": UNRELATED.format(marker=marker)}) / "p"  # fmt: skip
    result = _suggest(cli, root)
    assert ("verified: metrics re-measured, static checks passed, 1 test from 1 module that "
            "imports it passed on a patched copy; 2 recorded calls equal") in result.err  # fmt: skip
    assert not marker.exists()


def test_when_no_module_imports_it_every_test_runs(project, cli, tmp_path: Path) -> None:
    marker = tmp_path / "unrelated-ran.txt"
    dynamic = "import importlib\n\n\ndef test_tally():\n    assert importlib.import_module('mod').tally([5], 3) == (5, [])\n"
    root = project({"p/pyproject.toml": CONFIG, "p/mod.py": MODULE, "p/tests/test_mod.py": dynamic,
                    "p/tests/test_unrelated.py": UNRELATED.format(marker=marker)}) / "p"  # fmt: skip
    result = _suggest(cli, root)
    assert marker.read_text() == "ran"
    assert "2 of the project's tests passed on a patched copy; 1 recorded call equal" in result.err


def test_covering_reads_imports_in_every_form(tmp_path: Path) -> None:
    files = {"src/pkg/__init__.py": "", "src/pkg/mod.py": "", "tests/test_a.py": "import pkg.mod\n",
             "tests/test_b.py": "from pkg import mod\n", "tests/test_c.py": "from pkg.mod import f\n",
             "tests/test_d.py": "import pkg\n", "src/pkg/tests/test_e.py": "from ..mod import f\n",
             "tests/test_f.py": "from pkgx.mod import f\n"}  # fmt: skip
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    roots = (str(tmp_path), str(tmp_path / "src"))
    assert module_name(tmp_path / "src/pkg/mod.py", roots) == "pkg.mod"
    found = [p.relative_to(tmp_path).as_posix() for p in covering(tmp_path, "pkg.mod", roots)]
    assert found == ["src/pkg/tests/test_e.py", "tests/test_a.py", "tests/test_b.py", "tests/test_c.py"]


# --- differential replay ------------------------------------------------------------------------

LOOP = """\
    total = 0
    for item in items:
        if item is not None:
            if item > limit:
                total += limit
            else:
                total += item
"""
# The first call is asserted; the second only runs (a smoke test): it clamps, and nothing checks it.
CALLS_CLAMP = """\
from mod import clamp_sum


def test_skips_none():
    assert clamp_sum([1, None, 2], 5) == 3


def test_big_values_do_not_crash():
    clamp_sum([9, 1], 5)
"""
AI_CONFIG = '[project]\nname = "demo"\nrequires-python = ">=3.10"\n\n[tool.qualitygate]\n' \
    "cognitive_complexity_threshold = 4\ncomplexity_threshold = 50\nmaintainability_threshold = 0\n"


def _ai_project(project, chat_server: ChatServer, answer: str) -> Path:  # noqa: F811
    chat_server.script = {"clamp_sum": ("answer", f"```python\n{answer}```\n")}
    return project({"pyproject.toml": AI_CONFIG + openai_table(chat_server.url),
                    "mod.py": f"def clamp_sum(items, limit):\n{LOOP}    return total\n",
                    "tests/test_mod.py": CALLS_CLAMP})  # fmt: skip


def test_a_rewrite_that_drops_an_unasserted_branch_is_rejected_by_replay(
    cli, project, chat_server: ChatServer, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setenv("QG_TEST_KEY", KEY)
    dropped = "def clamp_sum(items, limit):\n    return sum(item for item in items if item is not None)\n"
    root = _ai_project(project, chat_server, dropped)
    result = cli("check", "mod.py", "-f", "json", "--suggest", cwd=root)
    assert ai_suggestions(result.json()) == {}
    assert ("`clamp_sum`: 1 of 2 recorded calls to `clamp_sum` differ on the new code (the return "
            "value differs)") in result.err  # fmt: skip
    assert "0 offered (0 verified), 1 rejected" in result.err


def test_an_equivalent_rewrite_is_verified_with_its_replayed_calls(
    cli, project, chat_server: ChatServer, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setenv("QG_TEST_KEY", KEY)
    same = "def clamp_sum(items, limit):\n    return sum(min(item, limit) for item in items if item is not None)\n"
    root = _ai_project(project, chat_server, same)
    s = ai_suggestions(cli("check", "mod.py", "-f", "json", "--suggest", cwd=root).json())["clamp_sum"]
    assert s["verified"] is True
    assert s["evidence"] == {"static": "ok", "tests": "passed", "tests_ran": 2,
                             "tests_selected": "1 module that imports it", "replayed_calls": 2,
                             "differences": 0}  # fmt: skip
    assert "2 tests from 1 module that imports it passed on a patched copy; 2 recorded calls equal" in s["text"]


METHOD = """\
class Ledger:
    def __init__(self):
        self.kept = []

    def add(self, rows, limit):
        total = 0
        for row in rows:
            if row > limit:
                if row % 2:
                    total += row
                else:
                    self.kept.append(row)
        return total
"""
METHOD_TEST = """\
from mod import Ledger


def test_add():
    ledger = Ledger()
    assert ledger.add([1, 4, 5, 8], 3) == 5
    ledger.add((n for n in [6]), 3)  # a generator: its calls cannot be copied
"""


def test_a_method_replays_with_the_state_of_self(project, cli) -> None:
    root = project({"pyproject.toml": CONFIG, "mod.py": METHOD, "tests/test_mod.py": METHOD_TEST})
    result = _suggest(cli, root)
    assert "into `_add_row(row, total)` -> total" in result.err
    assert ("1 test from 1 module that imports it passed on a patched copy; 1 recorded call equal; "
            "not checked: 1 call "
            "with arguments that cannot be copied") in result.err  # fmt: skip


def test_the_words_and_pairs_of_replayed_evidence() -> None:
    evidence = Evidence(tests="passed", tests_ran=14, tests_selected="3 modules that import it",
                        replayed_calls=230)  # fmt: skip
    assert dict(evidence.pairs()) == {"static": "ok", "tests": "passed", "tests_ran": 14,
                                      "tests_selected": "3 modules that import it",
                                      "replayed_calls": 230, "differences": 0}  # fmt: skip
    assert describe(evidence.pairs()) == ("verified: metrics re-measured, static checks passed, 14 "
                                          "tests from 3 modules that import it passed on a patched copy; "
                                          "230 recorded calls equal")  # fmt: skip
