"""Jupyter notebooks (issue 15, item 7): the code cells measured, magics skipped as ruff skips
them, violations located by cell in text and by the .ipynb file's own lines in SARIF and GitLab.

nbformat is not installed here, so the notebooks are written as nbformat 4 writes them:
``json.dumps(indent=1, sort_keys=True, ensure_ascii=False)`` and a final newline, each source
line one string of the cell's ``source`` list.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qualitygate.metrics import pool as runner
from qualitygate.metrics.notebook import read_notebook
from qualitygate.serialize import from_dict, to_dict

from .conftest import SCHEMAS

PYPROJECT = "[tool.qualitygate]\nmaintainability_threshold = 0\nfunction_maintainability_threshold = 0\n"
# CC 12: eleven ifs; cognitive complexity 11, under its threshold of 15.
TANGLED = ["def tangled(n):\n", *(f"    if n == {i}:\n        n += 1\n" for i in range(11)), "    return n\n"]
DEF_LINE = "def tangled(n):\n"


def _cell(kind: str, lines: list[str], number: int) -> dict[str, Any]:
    source = "".join(lines).splitlines(keepends=True)  # one string per line, as nbformat splits
    cell: dict[str, Any] = {"cell_type": kind, "id": f"cell-{number}", "metadata": {}, "source": source}
    if kind == "code":
        cell |= {"execution_count": None, "outputs": []}
    return cell


CELLS = [
    ("code", ["%matplotlib inline\n", "!pip install x\n", "import os\n", "for name in os.listdir():\n",
              "    !echo {name}\n"]),
    ("markdown", ["# A notebook\n", "With *text*.\n"]),
    ("code", ["x = !ls\n", "df?\n", "\n", *TANGLED]),  # the def is line 4 of cell 3
    ("code", ["%%bash\n", "echo hi\n", "if then fi ((\n"]),  # a cell magic: not Python at all
    ("raw", ["raw text, (not code\n"]),
    ("code", ["print(tangled(3))\n", "t = %time tangled(2)\n", "os.path?"]),
]  # fmt: skip


def notebook(cells: list[tuple[str, list[str]]] = CELLS, indent: int | None = 1) -> str:
    document = {
        "cells": [_cell(kind, lines, n) for n, (kind, lines) in enumerate(cells, 1)],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=indent, sort_keys=True, ensure_ascii=False) + "\n"


def json_line_of(text: str, source_line: str) -> int:
    """The line of the .ipynb text holding ``source_line``, found independently of qualitygate."""
    (found,) = [n for n, line in enumerate(text.splitlines(), 1) if line.strip().rstrip(",") == json.dumps(source_line)]
    return found


@pytest.fixture
def root(project) -> Path:  # type: ignore[no-untyped-def]
    return project({"pyproject.toml": PYPROJECT, "nb.ipynb": notebook(), "a.py": "def f():\n    return 1\n"})


def test_text_locates_a_violation_by_cell_and_line_in_the_cell(root: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("check", ".", cwd=root)
    assert result.code == 1, result.out + result.err
    assert "nb.ipynb:cell 3:line 4:1: QG001 tangled cyclomatic_complexity 12 > 10" in result.out
    assert " error " not in result.out and "0 errors" in result.out and result.err == ""  # no magic is one
    assert "2 files, 2 functions, 1 violation" in result.out


def test_sarif_gitlab_and_github_use_the_notebook_files_own_lines(root: Path, cli) -> None:  # type: ignore[no-untyped-def]
    expected = json_line_of((root / "nb.ipynb").read_text("utf-8"), DEF_LINE)
    last = json_line_of((root / "nb.ipynb").read_text("utf-8"), "    return n\n")
    sarif = cli("check", ".", "-f", "sarif", cwd=root).json()
    (found,) = sarif["runs"][0]["results"]
    location = found["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "nb.ipynb"
    assert location["region"] == {"startLine": expected, "endLine": last}
    (issue,) = cli("check", ".", "-f", "gitlab", cwd=root).json()
    assert issue["location"] == {"path": "nb.ipynb", "lines": {"begin": expected, "end": last}}
    github = cli("check", ".", "-f", "github", cwd=root).out
    assert f"::error file=nb.ipynb,line={expected},endLine={last}," in github


def test_the_notebook_sarif_validates_against_the_oasis_schema(root: Path, cli) -> None:  # type: ignore[no-untyped-def]
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMAS.is_dir():
        pytest.skip(f"published schemas not found at {SCHEMAS}")
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    log = cli("check", ".", "-f", "sarif", cwd=root).json()
    assert list(jsonschema.Draft4Validator(schema).iter_errors(log)) == []


def test_json_report_carries_the_cell_and_the_line_in_it(root: Path, cli) -> None:  # type: ignore[no-untyped-def]
    report = cli("check", ".", "-f", "json", cwd=root).json()
    (violation,) = report["violations"]
    # ``line`` is the line of the code cells joined in order (cell 1 has 5 lines): 5 + 4.
    assert (violation["line"], violation["cell"], violation["cell_line"]) == (9, 3, 4)
    (nb,) = [f for f in report["files"] if f["path"] == "nb.ipynb"]
    assert [c["cell"] for c in nb["cells"]] == [1, 3, 4, 6]
    assert "cells" not in next(f for f in report["files"] if f["path"] == "a.py")
    rebuilt = from_dict(report)
    assert to_dict(rebuilt) == report
    del nb["cells"]  # a report written before notebooks loads, with no cells
    assert from_dict(report).files[1].cells == ()


def test_markdown_links_the_notebook_line(root: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("check", ".", "-f", "markdown", cwd=root).out
    expected = json_line_of((root / "nb.ipynb").read_text("utf-8"), DEF_LINE)
    assert f"[`nb.ipynb:cell 3:line 4`](nb.ipynb?plain=1#L{expected})" in out


def test_the_notebooks_key_turns_them_off(root: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (root / "pyproject.toml").write_text(PYPROJECT + "notebooks = false\n", "utf-8")
    result = cli("check", ".", cwd=root)
    assert result.code == 0 and "1 file, 1 function" in result.out
    # --exclude replaces the config's exclude, not the notebooks key; a named notebook is skipped too.
    assert "1 file," in cli("check", ".", "--exclude", "build", cwd=root).out
    assert "no Python files found" in cli("check", "nb.ipynb", cwd=root).err
    (root / "pyproject.toml").write_text(PYPROJECT + "notebooks = 1\n", "utf-8")
    bad = cli("check", ".", cwd=root)
    assert bad.code == 2 and "notebooks" in bad.err and "true or false" in bad.err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"cells": [', "nb.ipynb:1: error not a notebook: invalid JSON: Expecting"),
        ('["cells"]', 'nb.ipynb: error not a notebook: no "cells" list'),
        ('{"cells": [{"cell_type": "code"}]}', 'nb.ipynb: error not a notebook: cell 1 has no "source"'),
        ('{"nbformat": 3, "cells": []}', "nb.ipynb: error not a notebook: nbformat 3"),
        (b"\xff\xfe{}", "nb.ipynb: error not a notebook: not UTF-8"),
    ],
)
def test_a_broken_notebook_is_a_clear_error_and_the_rest_is_measured(
    project, cli, content: str | bytes, message: str  # type: ignore[no-untyped-def]
) -> None:
    root = project({"pyproject.toml": PYPROJECT, "nb.ipynb": content, "a.py": "".join(TANGLED)})
    result = cli("check", ".", cwd=root)
    assert result.code == 1 and message in result.out, result.out
    assert "a.py:1:1: QG001 tangled" in result.out and "1 file," in result.out
    assert "Traceback" not in result.out + result.err


def test_a_syntax_error_names_the_cell_at_the_notebook_line(project, cli) -> None:  # type: ignore[no-untyped-def]
    text = notebook([("markdown", ["hi\n"]), ("code", ["x = 1\n", "def broken(:\n"])])
    root = project({"pyproject.toml": PYPROJECT, "nb.ipynb": text})
    result = cli("check", ".", cwd=root)
    line = json_line_of(text, "def broken(:\n")
    assert result.code == 1 and f"nb.ipynb:{line}: error syntax error in cell 2, line 2: " in result.out


def test_a_notebook_not_written_by_nbformat_falls_back_to_line_1(project, cli) -> None:  # type: ignore[no-untyped-def]
    root = project({"pyproject.toml": PYPROJECT, "nb.ipynb": notebook(indent=None)})
    assert "nb.ipynb:cell 3:line 4:1: QG001" in cli("check", ".", cwd=root).out
    (found,) = cli("check", ".", "-f", "sarif", cwd=root).json()["runs"][0]["results"]
    assert found["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "endLine": 1}


def test_a_warm_run_serves_the_notebook_from_the_cache(root: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    real = runner.measure_all
    monkeypatch.setattr(runner, "measure_all", lambda jobs, *a, **k: seen.extend(d for _, d in jobs) or real(jobs, *a, **k))
    cold = [cli("check", ".", "-f", fmt, cwd=root).out for fmt in ("json", "sarif", "text")]
    assert sorted(seen) == ["a.py", "nb.ipynb"]
    seen.clear()
    warm = [cli("check", ".", "-f", fmt, cwd=root).out for fmt in ("json", "sarif", "text")]
    assert seen == [] and warm == cold
    (root / "nb.ipynb").write_text(notebook([("code", ["y = 2\n"])]), "utf-8")
    assert "1 function" in cli("check", ".", cwd=root).out and seen == ["nb.ipynb"]


def test_magics_become_lines_that_keep_the_numbering() -> None:
    source = read_notebook(notebook().encode()).source.splitlines()
    assert source[:5] == ["", "", "import os", "for name in os.listdir():", "    pass"]
    assert source[5:8] == ["", "", ""] and source[8] == DEF_LINE.rstrip("\n")
    assert source[-6:] == ["", "", "", "print(tangled(3))", "", ""]  # %%bash blanked; %time, ? too


def test_only_a_logical_lines_start_is_a_magic() -> None:
    lines = ["text = '''\n", "%s is kept\n", "'''\n", "n = (1\n", "     % 2)\n", "a = 1 \\\n", "    % 3\n", "!ls \\\n",
             "  -l\n", "# %comment\n"]  # fmt: skip
    source = read_notebook(notebook([("code", lines)]).encode()).source
    assert source.splitlines() == [line.rstrip("\n") for line in lines[:7]] + ["", "", "# %comment"]


def test_another_language_has_nothing_to_measure() -> None:
    document = json.loads(notebook())
    document["metadata"]["language_info"]["name"] = "R"
    assert read_notebook(json.dumps(document).encode()).source == ""


def test_under_diff_a_changed_notebook_counts_as_changed_throughout(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """git's changed lines are lines of the notebook's JSON, not of the code measured from its
    cells, so --diff gates every function of a changed notebook rather than guess (issue 15)."""
    from tests.gitrepo import GitRepo

    repo = GitRepo(tmp_path / "repo").write({"pyproject.toml": PYPROJECT, "nb.ipynb": notebook()}).commit("base")
    edited = [*CELLS[:-1], ("code", ["print(tangled(4))\n"])]  # only the last cell changes
    repo.write({"nb.ipynb": notebook(edited)})
    result = cli("check", "--diff", "HEAD", "--no-cache", "-f", "json", cwd=repo.root)
    symbols = {v["symbol"] for v in result.json()["violations"] + result.json()["preexisting"]}
    assert "tangled" in symbols, result.out  # in cell 3, untouched by the edit, still judged
    assert result.json()["informational"] == []
