"""Coverage risk (issue 14): line coverage and CRAP per function from a real coverage.py run.

A small project is measured by the real ``coverage run``, written as Cobertura XML and as
coverage.py JSON, and joined by ``qualitygate check``. The expected numbers come from coverage.py's
own per-line data and the CRAP formula of Alberto Savoia and Bob Evans ("The CRAP metric", 2007):
CRAP(m) = comp(m)^2 x (1 - cov(m))^3 + comp(m).
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from radon.complexity import cc_visit

from qualitygate.coverage.join import crap_score
from qualitygate.coverage.read import CoverageFileError, read_report
from qualitygate.serialize import from_dict, to_dict

from .conftest import SCHEMAS, CliResult
from .test_reporters import GITLAB_SCHEMA, NEEDS_SCHEMAS

Cli = Callable[..., CliResult]

RISKY = '''\
def untested(kind, size, flags):
    """Never called by the tests: cyclomatic complexity 8, no line covered."""
    if kind == "a":
        return 1
    elif kind == "b":
        return 2
    elif kind == "c" and size > 3:
        return 3
    for flag in flags:
        if flag:
            return 4
    while size > 0:
        size -= 1
    return 0


def partly(x):
    if x > 0:
        y = x * 2
        return y
    if x < -10:
        return -2
    return 0


def simple(a):
    return a + 1


def make_adder(n):
    def add(m):
        return n + m
    return add
'''

RUN_TESTS = """\
from pkg import risky

assert risky.partly(1) == 2
assert risky.simple(1) == 2
assert callable(risky.make_adder(1))
"""

# Only QG005 can fail in these runs.
LENIENT = {"complexity_threshold": 100, "cognitive_complexity_threshold": 100, "maintainability_threshold": 0}


def configure(root: Path, **keys: Any) -> None:
    """Write pyproject.toml's [tool.qualitygate] with the lenient thresholds plus ``keys``."""
    lines = [f"{key} = {json.dumps(value)}" for key, value in {**LENIENT, **keys}.items()]
    (root / "pyproject.toml").write_text("[tool.qualitygate]\n" + "\n".join(lines) + "\n", encoding="utf-8")


def run_coverage(root: Path) -> None:
    """The real thing: ``coverage run``, then its XML (Cobertura) and JSON reports."""
    for args in (["run", "run_tests.py"], ["xml", "-o", "coverage.xml"], ["json", "-o", "coverage.json"]):
        subprocess.run([sys.executable, "-m", "coverage", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project after one coverage run; tests that change it work on a copy."""
    root = tmp_path_factory.mktemp("covered")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pkg" / "risky.py").write_text(RISKY, encoding="utf-8")
    (root / "pkg" / "unused.py").write_text("def never(x):\n    return x\n", encoding="utf-8")
    (root / "run_tests.py").write_text(RUN_TESTS, encoding="utf-8")
    configure(root)
    run_coverage(root)
    return root


@pytest.fixture
def copy(measured: Path, tmp_path: Path) -> Path:
    """A copy of the measured project (modification times kept, so the coverage stays fresh)."""
    target = tmp_path / "project"
    shutil.copytree(measured, target)
    return target


def check(cli: Cli, root: Path, *args: str) -> CliResult:
    return cli("check", "pkg", "--no-cache", *args, cwd=root)


def by_symbol(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["symbol"]: c for c in report["coverage"]}


# --- the numbers ---------------------------------------------------------------------------------


def expected(root: Path) -> dict[str, tuple[float | None, float | None]]:
    """(coverage, CRAP) of each function of pkg/risky.py, from coverage.py's own per-line data.

    A function's lines are those of its body (after the ``def`` line) less the bodies of the
    functions nested in it; cyclomatic complexity is radon's.
    """
    lines = json.loads((root / "coverage.json").read_text())["files"]["pkg/risky.py"]
    executed, missing = set(lines["executed_lines"]), set(lines["missing_lines"])
    source = (root / "pkg" / "risky.py").read_text()
    radon = cc_visit(source)
    complexity = {f.lineno: f.complexity for top in radon for f in (top, *getattr(top, "closures", ()))}
    defs = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)]
    found = {}
    for node in defs:
        body = set(range(node.lineno + 1, node.end_lineno + 1))
        for inner in defs:
            if node.lineno < inner.lineno <= node.end_lineno:
                body -= set(range(inner.lineno + 1, inner.end_lineno + 1))
        statements, ran = body & (executed | missing), body & executed
        if not statements:
            found[node.name] = (None, None)
            continue
        cov = len(ran) / len(statements)
        cc = complexity[node.lineno]
        found[node.name] = (cov, cc**2 * (1 - cov) ** 3 + cc)  # Savoia and Evans
    return found


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.json"])
def test_coverage_and_crap_follow_the_formula_on_coverage_py_data(cli: Cli, measured: Path, name: str) -> None:
    configure(measured, coverage_file=name)
    result = check(cli, measured, "--format", "json")
    assert result.code == 0, result.err
    assert result.err == ""
    records = by_symbol(result.json())
    assert {symbol.rpartition(".")[2] for symbol in records} == {"untested", "partly", "simple", "make_adder", "add"}
    for symbol, record in records.items():
        cov, crap = expected(measured)[symbol.rpartition(".")[2]]
        assert record["coverage"] == pytest.approx(cov)
        assert record["crap"] == pytest.approx(crap)
    assert records["untested"]["coverage"] == 0 and records["untested"]["crap"] == 8**2 + 8
    assert records["partly"]["coverage"] == 0.5 and records["partly"]["crap"] == 3**2 * 0.5**3 + 3
    assert records["simple"]["crap"] == 1
    assert all(r["path"] == "pkg/risky.py" for r in records.values())  # unused.py never ran: no data


def test_function_lines_agree_with_coverage_py_function_regions(cli: Cli, measured: Path) -> None:
    """coverage.py (7.5+) reports its own per-function counts: ours are the same."""
    configure(measured, coverage_file="coverage.xml")
    records = by_symbol(check(cli, measured, "--format", "json").json())
    regions = json.loads((measured / "coverage.json").read_text())["files"]["pkg/risky.py"]["functions"]
    for symbol, record in records.items():
        region = regions[symbol.replace(".<locals>", "")]["summary"]
        assert (record["covered"], record["executable"]) == (region["covered_lines"], region["num_statements"])


def test_xml_and_json_give_the_same_records(cli: Cli, measured: Path) -> None:
    found = []
    for name in ("coverage.xml", "coverage.json"):
        configure(measured, coverage_file=name)
        found.append(check(cli, measured, "--format", "json").json()["coverage"])
    assert found[0] == found[1]


def test_crap_score_is_savoia_and_evans() -> None:
    assert crap_score(8, 0.0) == 72  # comp^2 + comp with no test at all
    assert crap_score(8, 1.0) == 8  # fully covered: the complexity alone
    assert crap_score(3, 0.5) == 9 * 0.125 + 3


# --- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.json"])
def test_crap_threshold_30_fails_only_the_uncovered_complex_function(cli: Cli, copy: Path, name: str) -> None:
    configure(copy, coverage_file=name, crap_threshold=30)
    result = check(cli, copy, "--format", "json")
    assert result.code == 1, result.err
    [violation] = result.json()["violations"]
    assert (violation["rule"], violation["metric"], violation["symbol"]) == ("QG005", "crap_score", "untested")
    assert violation["value"] == 72 and violation["threshold"] == 30
    assert violation["message"] == "CRAP score 72 > 30 (line coverage 0%, cyclomatic complexity 8)"
    assert result.json()["summary"]["by_metric"]["crap_score"] == 1
    text = check(cli, copy)
    assert "pkg/risky.py:1:1: QG005 untested crap_score 72 > 30 (line coverage 0%, cyclomatic complexity 8)" in text.out
    assert ("coverage: 5 functions in 1 file matched; worst CRAP score 72 (pkg/risky.py:1 untested, "
            "line coverage 0%)") in text.out  # fmt: skip
    assert "add tests that run its uncovered lines" in text.out  # the advisor's suggestion


def test_threshold_zero_or_a_path_override_turns_the_rule_off(cli: Cli, copy: Path) -> None:
    configure(copy, coverage_file="coverage.xml", crap_threshold=0)
    assert check(cli, copy).code == 0
    configure(copy, coverage_file="coverage.xml", crap_threshold=30)
    with (copy / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[tool.qualitygate.overrides]]\npaths = ["pkg/risky.py"]\ncrap_threshold = 80\n')
    assert check(cli, copy).code == 0


def test_the_rule_is_suppressed_and_baselined_like_any_other(cli: Cli, copy: Path) -> None:
    configure(copy, coverage_file="coverage.xml", crap_threshold=30)
    assert cli("baseline", "pkg", cwd=copy).code == 0
    result = check(cli, copy, "--format", "json")
    assert result.code == 0 and [v["rule"] for v in result.json()["baselined"]] == ["QG005"]
    configure(copy, coverage_file="coverage.xml", crap_threshold=80)
    [fixed] = check(cli, copy, "--format", "json").json()["fixed"]
    assert fixed == {"rule": "QG005", "path": "pkg/risky.py", "symbol": "untested", "recorded": 72, "value": 72}
    configure(copy, coverage_file="coverage.xml", crap_threshold=30)
    source = copy / "pkg" / "risky.py"
    stamp = source.stat()
    source.write_text(RISKY.replace("flags):", "flags):  # qualitygate: ignore[crap-score]", 1))
    os.utime(source, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same lines: the coverage still holds
    result = check(cli, copy, "--format", "json", "--no-baseline")
    assert result.code == 0 and [v["rule"] for v in result.json()["suppressed"]] == ["QG005"]


def test_off_by_default_nothing_changes(cli: Cli, copy: Path) -> None:
    """No coverage_file: no coverage key, no crap_score count, no QG005 in any format."""
    configure(copy)
    result = check(cli, copy, "--format", "json", "--format", f"sarif:{copy / 'out.sarif'}",
                   "--format", f"junit:{copy / 'out.xml'}", "--format", f"markdown:{copy / 'out.md'}")  # fmt: skip
    assert result.code == 0 and result.err == ""
    report = result.json()
    assert "coverage" not in report
    assert set(report["summary"]["by_metric"]) == {"cyclomatic_complexity", "cognitive_complexity", "maintainability_index"}
    rules = json.loads((copy / "out.sarif").read_text())["runs"][0]["tool"]["driver"]["rules"]
    # Every registered rule but QG005 (no coverage file) and QG008 (off, needs the import graph).
    assert [r["id"] for r in rules] == ["QG001", "QG002", "QG003", "QG004", "QG006", "QG007"]
    assert "QG005" not in (copy / "out.xml").read_text()
    assert "crap_score" not in (copy / "out.md").read_text()
    assert "coverage:" not in check(cli, copy).out


def test_crap_threshold_without_a_coverage_file_says_so(cli: Cli, copy: Path) -> None:
    configure(copy, crap_threshold=30)
    result = check(cli, copy)
    assert result.code == 0
    assert "crap_threshold is set but coverage_file is not" in result.err


def test_the_coverage_file_option_is_relative_to_the_working_folder(cli: Cli, copy: Path) -> None:
    configure(copy, crap_threshold=30)
    result = cli("check", ".", "--no-cache", "--coverage-file", "../coverage.json", "--format", "json",
                 cwd=copy / "pkg")  # fmt: skip
    assert result.code == 1
    assert [v["symbol"] for v in result.json()["violations"]] == ["untested"]


# --- bad coverage files: a warning naming the file, never a crash ----------------------------------

DOCTYPE_BOMB = """<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<coverage><sources><source>&b;</source></sources></coverage>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<coverage><sources><source>&x;</source></sources></coverage>
"""


def _other_folder(root: Path) -> None:
    """A coverage.json whose paths are all of another tree: nothing matches."""
    data = json.loads((root / "coverage.json").read_text())
    data["files"] = {f"elsewhere/{name}": lines for name, lines in data["files"].items()}
    (root / "coverage.json").write_text(json.dumps(data))


def _fifo(root: Path) -> None:
    (root / "coverage.xml").unlink()
    os.mkfifo(root / "coverage.xml")


BAD_FILES: dict[str, tuple[str, Callable[[Path], object], str]] = {
    "missing": ("absent.xml", lambda root: None, "coverage file absent.xml: not found"),
    "stale paths": ("coverage.json", _other_folder, "coverage file coverage.json: 0 of the 3 measured files matched "
                    "(coverage.py JSON listing 3 files, e.g. elsewhere/pkg/__init__.py): stale"),
    "malformed XML": ("coverage.xml", lambda root: (root / "coverage.xml").write_text("<coverage><packages>"),
                      "coverage file coverage.xml: not a Cobertura XML or coverage.py JSON report: no element found"),
    "malformed JSON": ("coverage.json", lambda root: (root / "coverage.json").write_text('{"files": 3}'),
                       'coverage file coverage.json: not a coverage.py JSON report: no "files" object'),
    "another XML": ("coverage.xml", lambda root: (root / "coverage.xml").write_text("<html/>"),
                    "coverage file coverage.xml: not a Cobertura XML report: the root element is <html>"),
    "entity expansion": ("coverage.xml", lambda root: (root / "coverage.xml").write_text(DOCTYPE_BOMB),
                         "coverage file coverage.xml: refused: its DOCTYPE declares entities"),
    "external entity": ("coverage.xml", lambda root: (root / "coverage.xml").write_text(EXTERNAL_ENTITY),
                        "coverage file coverage.xml: refused: its DOCTYPE declares entities"),
    "FIFO": ("coverage.xml", _fifo, "coverage file coverage.xml: cannot read it: not a regular file"),
    "folder": ("pkg", lambda root: None, "coverage file pkg: cannot read it: Is a directory"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_coverage_file_is_one_warning_and_the_gate_goes_on(cli: Cli, copy: Path, case: str) -> None:
    name, spoil, warning = BAD_FILES[case]
    spoil(copy)
    configure(copy, coverage_file=name, crap_threshold=30)
    result = check(cli, copy, "--format", "json")
    assert result.code == 0, result.err  # the gate as it stands without coverage
    assert result.err.count("qualitygate: warning:") == 1
    assert warning in result.err
    assert result.err.rstrip().endswith("no coverage or CRAP score in this run")
    assert "coverage" not in result.json()


def test_a_file_changed_since_the_coverage_run_is_left_out(cli: Cli, copy: Path) -> None:
    configure(copy, coverage_file="coverage.xml", crap_threshold=30)
    later = (copy / "coverage.xml").stat().st_mtime_ns + 10**9
    os.utime(copy / "pkg" / "risky.py", ns=(later, later))
    result = check(cli, copy, "--format", "json")
    assert result.code == 0
    assert ("coverage file coverage.xml: 1 of the 2 files it matched changed since it was written "
            "(e.g. pkg/risky.py); their coverage is left out") in result.err  # fmt: skip
    assert "coverage" not in result.json()  # __init__.py, the other match, has no function


def test_a_doctype_naming_coberturas_dtd_is_read_and_never_fetched(cli: Cli, copy: Path) -> None:
    """Java Cobertura and gcovr name the DTD; expat reads on without fetching anything."""
    doctype = "<!DOCTYPE coverage SYSTEM 'http://cobertura.sourceforge.net/xml/coverage-04.dtd'>"
    xml = (copy / "coverage.xml").read_text().replace("?>", "?>\n" + doctype, 1)
    (copy / "coverage.xml").write_text(xml)
    configure(copy, coverage_file="coverage.xml", crap_threshold=30)
    result = check(cli, copy)
    assert result.code == 1 and result.err == ""


def test_a_cobertura_report_from_another_checkout_still_matches(cli: Cli, copy: Path) -> None:
    """The <source> names the CI machine's folder; the file names are relative to the project."""
    xml = (copy / "coverage.xml").read_text()
    (copy / "coverage.xml").write_text(xml.replace(f"<source>{copy.parent.parent}", "<source>/ci/build", 1))
    configure(copy, coverage_file="coverage.xml", crap_threshold=30)
    assert check(cli, copy).code == 1


def test_only_a_classes_own_lines_are_read(tmp_path: Path) -> None:
    """Cobertura's <methods> repeat their class's lines (Java tools fill them): read once."""
    (tmp_path / "c.xml").write_text(textwrap.dedent("""\
        <coverage><sources><source>/src</source></sources><packages><package><classes>
          <class filename="m.py"><methods><method><lines><line number="9" hits="1"/></lines></method></methods>
            <lines><line number="2" hits="0"/><line number="3" hits="4" branch="true"/></lines></class>
        </classes></package></packages></coverage>"""))  # fmt: skip
    report = read_report(tmp_path / "c.xml")
    assert report.sources == ("/src",)
    assert report.files["m.py"] == (frozenset({2, 3}), frozenset({3}))
    (tmp_path / "c.xml").write_text('<coverage><packages><package><classes><class filename="m.py"><lines>'
                                    '<line number="x" hits="1"/></lines></class></classes></package></packages></coverage>')  # fmt: skip
    with pytest.raises(CoverageFileError, match="is not a line count"):
        read_report(tmp_path / "c.xml")


@pytest.mark.parametrize(("body", "expected"), [
    ("crap_threshold = -1", "tool.qualitygate.crap_threshold: expected a non-negative number"),
    ('crap_threshold = "30"', "tool.qualitygate.crap_threshold: expected a non-negative number"),
    ("crap_threshold = nan", "tool.qualitygate.crap_threshold: expected a non-negative number"),
    ("coverage_file = 3", "tool.qualitygate.coverage_file: expected a file path"),
    ("coverage_fle = 'c.xml'", "tool.qualitygate.coverage_fle: unknown key; did you mean 'coverage_file'?"),
])  # fmt: skip
def test_a_bad_config_value_is_exit_2_naming_the_key(cli: Cli, copy: Path, body: str, expected: str) -> None:
    (copy / "pyproject.toml").write_text(f"[tool.qualitygate]\n{body}\n")
    result = check(cli, copy)
    assert result.code == 2
    assert expected in result.err


# --- every format ---------------------------------------------------------------------------------


@NEEDS_SCHEMAS
def test_every_format_carries_the_new_rule(cli: Cli, copy: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    xmlschema = pytest.importorskip("xmlschema")
    configure(copy, coverage_file="coverage.xml", crap_threshold=30)
    outputs = {fmt: copy / f"out.{fmt}" for fmt in ("sarif", "junit", "gitlab", "markdown", "github")}
    result = check(cli, copy, *(arg for fmt, path in outputs.items() for arg in ("--format", f"{fmt}:{path}")))
    assert result.code == 1
    sarif = json.loads(outputs["sarif"].read_text())
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    assert not [error.message for error in validator.iter_errors(sarif)]
    run = sarif["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == ["QG001", "QG002", "QG003", "QG004", "QG005", "QG006", "QG007"]
    [finding] = run["results"]
    assert finding["ruleId"] == "QG005" and rules[finding["ruleIndex"]] == "QG005"
    xmlschema.XMLSchema(SCHEMAS / "junit.xsd").validate(outputs["junit"].read_text())
    cases = ET.parse(outputs["junit"]).getroot().iter("testcase")
    crap_cases = {case.get("name"): case.find("failure") is not None for case in cases
                  if case.get("name", "").startswith("QG005")}  # fmt: skip
    assert crap_cases == {"QG005 crap-score: untested": True, "QG005 crap-score: partly": False,
                          "QG005 crap-score: simple": False, "QG005 crap-score: make_adder": False,
                          "QG005 crap-score: make_adder.<locals>.add": False}  # fmt: skip
    issues = json.loads(outputs["gitlab"].read_text())
    jsonschema.validate(issues, GITLAB_SCHEMA)
    assert [i["check_name"] for i in issues] == ["QG005"]
    markdown = outputs["markdown"].read_text()
    assert "| crap_score | 1 | 0 |" in markdown and "QG005 crap-score" in markdown
    assert "QG005" in outputs["github"].read_text()


def test_the_html_report_has_coverage_and_crap_columns(cli: Cli, copy: Path) -> None:
    configure(copy, coverage_file="coverage.xml", crap_threshold=30)
    assert cli("report", "pkg", "--no-cache", "-o", "out", cwd=copy).code == 0
    data = json.loads((copy / "out" / "metrics_data.json").read_text())
    rows = {row["qualname"]: row for file in data["files"] for row in file["functions"]}
    assert (rows["untested"]["coverage"], rows["untested"]["crap"]) == (0.0, 72)
    assert (rows["partly"]["coverage"], rows["partly"]["crap"]) == (0.5, 4.12)
    assert "unused.py" in {file["path"].rpartition("/")[2] for file in data["files"]}
    assert rows["never"]["coverage"] is None  # no data for a file the tests never imported
    page = (copy / "out" / "metrics_report.html").read_text()
    assert '<th class="num" scope="col">line coverage %</th><th class="num" scope="col">CRAP</th>' in page


def test_coverage_round_trips_through_the_json_report_and_merge(cli: Cli, copy: Path) -> None:
    configure(copy, coverage_file="coverage.xml", crap_threshold=30)
    check(cli, copy, "--format", "json:shard.json")
    report = json.loads((copy / "shard.json").read_text())
    assert to_dict(from_dict(report)) == report
    merged = cli("merge", "shard.json", "--format", "json", cwd=copy)
    assert merged.code == 1 and merged.json()["coverage"] == report["coverage"]
    report["coverage"][0]["crap"] = "high"  # a hand-edited shard
    (copy / "shard.json").write_text(json.dumps(report))
    assert cli("merge", "shard.json", cwd=copy).code == 2
