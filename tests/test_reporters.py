"""CI formats: goldens over one fixture set, published schemas, format rules, counts that agree."""
from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from qualitygate.models import GateResult, Severity
from qualitygate.outputs import FORMATS, ReportContext, get_reporter
from qualitygate.outputs.common import github_blob_url
from qualitygate.outputs.gitlab import SEVERITIES
from qualitygate.outputs.markdown import summary

from . import reporter_fixtures as fx
from .conftest import SCHEMAS, CliResult

pytestmark = pytest.mark.crossversion  # also run on every other supported Python (.ci/run)

GOLDEN = Path(__file__).parent / "golden"
SUFFIX = {"junit": "xml", "github": "txt", "markdown": "md", "sarif": "sarif", "gitlab": "json",
          "text": "txt", "json": "json"}  # fmt: skip
GOLDEN_CASES = [(f, n) for f in SUFFIX for n in ("failing", "passing")] + [
    ("github", "many"),
    ("markdown", "many"),
    ("text", "many"),
    ("json", "many"),
]
NEEDS_SCHEMAS = pytest.mark.skipif(
    not SCHEMAS.is_dir(),
    reason=f"published schemas not found at {SCHEMAS} (they sit beside the project in CI only)",
)


def render(fmt: str, result: GateResult, context: ReportContext | None = None) -> str:
    stream = io.StringIO()
    get_reporter(fmt)(result, stream, context or ReportContext(version=fx.VERSION))
    return stream.getvalue()


def rendered(fmt: str, fixture: str) -> str:
    return render(fmt, fx.FIXTURES[fixture](), fx.context(fixture))


# --- goldens ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "fixture"), GOLDEN_CASES)
def test_golden(fmt: str, fixture: str) -> None:
    """Each format over the shared fixtures; regenerate with QG_REGEN_GOLDEN=1."""
    path = GOLDEN / f"{fixture}.{SUFFIX[fmt]}"
    path = GOLDEN / fmt / path.name
    text = rendered(fmt, fixture)
    if os.environ.get("QG_REGEN_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.read_text(encoding="utf-8") == text


def test_every_ci_format_is_registered() -> None:
    assert set(SUFFIX) <= set(FORMATS)
    for name in SUFFIX:
        assert callable(get_reporter(name))


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_output_is_deterministic(fmt: str) -> None:
    assert rendered(fmt, "failing") == rendered(fmt, "failing")


# --- junit -----------------------------------------------------------------------------------


@NEEDS_SCHEMAS
@pytest.mark.parametrize("fixture", sorted(fx.FIXTURES))
def test_junit_validates_against_the_jenkins_schema(fixture: str) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(SCHEMAS / "junit.xsd")
    schema.validate(rendered("junit", fixture))


@NEEDS_SCHEMAS
def test_junit_with_control_characters_still_validates() -> None:
    xmlschema = pytest.importorskip("xmlschema")
    base = fx.failing()
    error = base.errors[0]
    result = GateResult(base.files, base.violations, (type(error)(error.path, 1, "null byte \x00 here"),))
    xmlschema.XMLSchema(SCHEMAS / "junit.xsd").validate(render("junit", result))


def test_junit_counts_every_check_and_fails_every_violation() -> None:
    result = fx.failing()
    root = ET.fromstring(rendered("junit", "failing"))
    suite = root.find("testsuite")
    assert suite is not None
    functions = sum(len(f.functions) for f in result.files)
    # 3 function rules per function, 2 file rules per file (QG003 and QG008, all rules being in
    # force in this fixture), 1 case per file not analysed.
    assert int(suite.get("tests", "")) == 3 * functions + 2 * len(result.files) + len(result.errors)
    assert int(suite.get("failures", "")) == len(result.violations)
    assert int(suite.get("errors", "")) == len(result.errors)
    failures = suite.findall("testcase/failure")
    assert len(failures) == len(result.violations)
    expected = sorted(result.violations, key=lambda v: (v.path, v.line))
    for failure, v in zip(failures, expected, strict=True):
        assert f"{v.path}:{v.line}" in failure.get("message", "")
    weird = next(f for f in failures if "weird" in (f.text or ""))
    assert "value 12 > threshold 10" in (weird.text or "")
    assert weird.get("message") == f"QG001 cyclomatic complexity 12 > 10 at {fx.ODD_PATH}:1"


def test_junit_counts_only_rules_in_force() -> None:
    root = ET.fromstring(rendered("junit", "passing"))
    names = [case.get("name", "") for case in root.iter("testcase")]
    assert names and not any(name.startswith("QG004") for name in names)
    assert len(names) == 2 * 2 + 2  # two functions x two function rules + two files x QG003


# --- sarif -----------------------------------------------------------------------------------


def sarif(fixture: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(rendered("sarif", fixture))
    return data


@NEEDS_SCHEMAS
@pytest.mark.parametrize("fixture", sorted(fx.FIXTURES))
def test_sarif_validates_against_the_oasis_schema(fixture: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(sarif(fixture)), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def code_scanning_problems(log: dict[str, Any]) -> list[str]:
    """What GitHub code scanning needs beyond the schema (shared/schemas/README.md)."""
    problems = []
    run = log["runs"][0]
    for rule in run["tool"]["driver"]["rules"]:
        for key in ("shortDescription", "fullDescription", "help"):
            if not rule.get(key, {}).get("text"):
                problems.append(f"rule {rule['id']}: no {key}.text")
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        if not result.get("partialFingerprints"):
            problems.append(f"{uri}: no partialFingerprints")
        if re.match(r"^[a-z][a-z0-9+.-]*:|^/", uri):
            problems.append(f"{uri}: not relative")
        if location.get("region", {}).get("startLine", 0) < 1:
            problems.append(f"{uri}: no region.startLine")
        if result.get("level") not in {"error", "warning", "note"}:
            problems.append(f"{uri}: no level")
    return problems


@pytest.mark.parametrize("fixture", sorted(fx.FIXTURES))
def test_sarif_meets_github_code_scanning_rules(fixture: str) -> None:
    log = sarif(fixture)
    assert code_scanning_problems(log) == []
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    # No docs link outside GitHub Actions (the project names no repository it does not own):
    # every rule still has its help text, which is what code scanning requires.
    assert all("helpUri" not in rule and rule["help"]["text"] for rule in rules)


def test_sarif_links_the_rules_to_the_running_actions_repository() -> None:
    from qualitygate.outputs.common import action_docs_url

    env = {"GITHUB_SERVER_URL": "https://github.example", "GITHUB_ACTION_REPOSITORY": "acme/gate",
           "GITHUB_ACTION_REF": "v1"}  # fmt: skip
    url = action_docs_url(env)
    assert url == "https://github.example/acme/gate/blob/v1/docs/rules.md"
    context = fx.context("failing")._replace(docs_url=url)
    log = json.loads(render("sarif", fx.FIXTURES["failing"](), context))
    assert all(rule["helpUri"].startswith(url) for rule in log["runs"][0]["tool"]["driver"]["rules"])
    assert code_scanning_problems(log) == []


def test_sarif_results_carry_level_region_and_escaped_uri() -> None:
    results = sarif("failing")["runs"][0]["results"]
    odd = next(r for r in results if "weird" in r["message"]["text"])
    location = odd["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "odd%2C%20name%3A%20100%25.py"
    assert unquote(location["artifactLocation"]["uri"]) == fx.ODD_PATH
    assert location["region"] == {"startLine": 1, "startColumn": 1, "endLine": 12}
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["QG004"] == "warning" and levels["QG001"] == "error"


def fingerprints(fmt: str, result: GateResult) -> list[str]:
    if fmt == "sarif":
        runs = json.loads(render("sarif", result))["runs"]
        return [r["partialFingerprints"]["qualitygate/v1"] for r in runs[0]["results"]]
    return [issue["fingerprint"] for issue in json.loads(render("gitlab", result))]


@pytest.mark.parametrize("fmt", ["sarif", "gitlab"])
def test_fingerprints_are_unique_and_ignore_line_numbers(fmt: str) -> None:
    result = fx.failing()
    before = fingerprints(fmt, result)
    assert len(set(before)) == len(before)  # Prop.value's getter and setter differ too
    assert fingerprints(fmt, fx.shifted(result, 25)) == before


def test_analysis_errors_are_sarif_notifications_not_results() -> None:
    invocation = sarif("failing")["runs"][0]["invocations"][0]
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "invalid syntax" in note["message"]["text"]


# --- gitlab ----------------------------------------------------------------------------------

# GitLab's Code Quality report format (docs: "Code Quality" / "Implement a custom tool").
GITLAB_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": list(SEVERITIES)},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "pattern": "^[^/]"},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


@pytest.mark.parametrize("fixture", sorted(fx.FIXTURES))
def test_gitlab_report_follows_the_code_quality_format(fixture: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    issues = json.loads(rendered("gitlab", fixture))
    jsonschema.validate(issues, GITLAB_SCHEMA)
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_severity_grows_with_the_excess() -> None:
    issues = json.loads(rendered("gitlab", "many"))
    errors = [i for i in issues if i["check_name"] == "QG001"]  # cc 11..35 over 10
    ranks = [SEVERITIES.index(i["severity"]) for i in errors]
    assert ranks == sorted(ranks) and ranks[0] == 1 and ranks[-1] == 4  # minor .. blocker
    warnings = [i for i in issues if i["check_name"] == "QG002"]  # configured as warnings
    assert warnings[0]["severity"] == "info"


# --- github ----------------------------------------------------------------------------------

COMMAND = re.compile(r"^::(error|warning|notice)(?: ([A-Za-z]+=[^,:\r\n]*(?:,[A-Za-z]+=[^,:\r\n]*)*))?::(.*)$")


def commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    found = []
    for line in text.splitlines():
        match = COMMAND.match(line)
        if match:
            props = dict(p.split("=", 1) for p in match.group(2).split(",")) if match.group(2) else {}
            found.append((match.group(1), props, match.group(3)))
        else:
            assert not line.startswith("::"), f"malformed workflow command: {line!r}"
    return found


def unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def test_github_escapes_paths_and_messages() -> None:
    found = commands(rendered("github", "failing"))
    odd = [props for _, props, _ in found if "weird" in _ or props.get("file", "").startswith("odd")]
    assert odd and all(p["file"] == "odd%2C name%3A 100%25.py" for p in odd)
    assert all(unescape(p["file"]) == fx.ODD_PATH for p in odd)
    base = fx.failing()
    error = type(base.errors[0])("a.py", 1, "line one\r\nline two: 100%, done")
    (line, _, _) = render("github", GateResult((), (), (error,))).partition("\n")
    assert line == "::error file=a.py,line=1,title=qualitygate%3A file not analysed::line one%0D%0Aline two: 100%25, done"


def test_github_annotates_the_worst_ten_of_each_kind_then_a_notice() -> None:
    text = rendered("github", "many")
    found = commands(text)
    errors = [m for kind, _, m in found if kind == "error"]
    warnings = [m for kind, _, m in found if kind == "warning"]
    assert len(errors) == 10 and len(warnings) == 10
    values = [int(m.rsplit(" > ", 1)[0].rsplit(" ", 1)[1]) for m in errors]
    assert values == sorted(values, reverse=True) and values[0] == 35  # worst first
    kind, _, notice = found[-1]
    assert kind == "notice" and text.splitlines()[-1].startswith("::notice")
    assert notice.startswith("15 more errors and 2 more warnings not annotated")
    plain = [line for line in text.splitlines() if not line.startswith("::")]
    assert sum(line.startswith(("error: ", "warning: ")) for line in plain) == 17


def test_github_has_no_notice_when_everything_fits() -> None:
    assert "::notice" not in rendered("github", "failing")
    assert rendered("github", "passing").startswith("qualitygate PASSED")


# --- markdown --------------------------------------------------------------------------------


def test_markdown_has_verdict_counts_and_links() -> None:
    context = ReportContext(version=fx.VERSION, source_url="https://github.com/o/r/blob/abc/")
    text = render("markdown", fx.failing(), context)
    assert text.startswith("## ❌ qualitygate FAILED")
    assert "| cyclomatic_complexity | 3 | 0 |" in text
    assert "(https://github.com/o/r/blob/abc/pkg/core.py#L62)" in text
    assert "(https://github.com/o/r/blob/abc/odd%2C%20name%3A%20100%25.py#L1)" in text
    assert rendered("markdown", "passing").startswith("## ✅ qualitygate PASSED")


def test_markdown_table_rows_have_one_cell_per_column() -> None:
    base = fx.failing()
    odd = [v._replace(path="a|b.py", symbol="f`x") for v in base.violations[:1]]
    text = render("markdown", GateResult(base.files, tuple(odd), ()))
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    widths = {len(re.split(r"(?<!\\)\|", row)) for row in rows if "QG" in row}
    assert widths == {9}


def test_markdown_truncates_with_a_note() -> None:
    short = summary(fx.many(), ReportContext(), limit=3000, max_rows=100)
    assert len(short.encode()) <= 3000
    assert re.search(r"_\d+ more not shown", short)
    capped = summary(fx.many(), ReportContext(), max_rows=5)
    assert "_32 more not shown" in capped


def test_markdown_stays_under_one_mib_for_a_huge_run() -> None:
    result = fx.gate(
        [fx.file(f"pkg/{'deep/' * 40}m{i}.py", 10.0, 2, fx.function("f" * 200, 1, 2, cc=50)) for i in range(4000)],
        fx.Thresholds(),
    )
    text = summary(result, ReportContext(source_url="https://github.com/o/r/blob/" + "a" * 40 + "/"))
    assert len(text.encode("utf-8")) < 1024 * 1024
    assert "more not shown" in text


def test_github_blob_url(tmp_path: Path) -> None:
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "abc"}
    assert github_blob_url({}) == ""
    assert github_blob_url(env) == "https://github.com/o/r/blob/abc/"
    (tmp_path / "sub").mkdir()
    env["GITHUB_WORKSPACE"] = str(tmp_path)
    assert github_blob_url(env, tmp_path) == "https://github.com/o/r/blob/abc/"
    assert github_blob_url(env, tmp_path / "sub") == "https://github.com/o/r/blob/abc/sub/"


# --- app: step summary -----------------------------------------------------------------------


@pytest.mark.parametrize(("formats", "written"), [(["github"], True), (["json"], False)])
def test_step_summary_is_appended_with_the_github_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, formats: list[str], written: bool
) -> None:
    from qualitygate.outputs.write import OutputSpec, write_outputs

    target = tmp_path / "summary.md"
    target.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    write_outputs(fx.failing(), [OutputSpec(f) for f in formats], io.StringIO())
    text = target.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")
    assert ("## ❌ qualitygate FAILED" in text) is written


# --- one real run, every format --------------------------------------------------------------

TANGLED = """
def tangled(a, b, c, d):
    total = 0
    for i in range(a):
        if i % 2 and b:
            for j in range(b):
                if j > c or d:
                    while total < 100:
                        if total % 3 == 0 and i:
                            total += j
                        elif total % 5 == 0 or j:
                            total += 2
                        else:
                            break
                else:
                    total -= 1
        elif c:
            total += 3
    return total
"""


def test_counts_agree_across_formats_in_one_run(
    cli: Callable[..., CliResult], project: Callable[..., Path]
) -> None:
    root = project({"pyproject.toml": "", "tangled.py": TANGLED, "clean.py": "def ok():\n    return 1\n"})
    outputs = {fmt: root / "out" / f"report.{fmt}" for fmt in ("json", "junit", "sarif", "gitlab")}
    args = [arg for fmt, path in outputs.items() for arg in ("--format", f"{fmt}:{path}")]
    result = cli("check", ".", "--cognitive-threshold", "5", "--format", "github", *args, cwd=root)
    assert result.code == 1, result.err
    report = json.loads(outputs["json"].read_text(encoding="utf-8"))
    violations = len(report["violations"])
    assert violations >= 2  # cyclomatic and cognitive complexity of tangled()
    junit = ET.parse(outputs["junit"]).getroot()
    assert int(junit.get("failures", "")) == len(junit.findall(".//failure")) == violations
    sarif_log = json.loads(outputs["sarif"].read_text(encoding="utf-8"))
    assert len(sarif_log["runs"][0]["results"]) == violations
    assert len(json.loads(outputs["gitlab"].read_text(encoding="utf-8"))) == violations
    annotations = [c for c in commands(result.out) if c[0] in {"error", "warning"}]
    assert len(annotations) == violations
    assert {p["file"] for _, p, _ in annotations} == {"tangled.py"}
    assert all(v["severity"] == Severity.ERROR.value for v in report["violations"])


def test_gitlab_lists_files_that_could_not_be_analysed(
    cli: Callable[..., CliResult], project: Callable[..., Path]
) -> None:
    """The gate fails on an unparsable file; the merge request widget must say which and why."""
    root = project({"bad.py": "def f(:\n", "ok.py": "x = 1\n"})
    result = cli("check", ".", "--format", "gitlab", cwd=root)
    assert result.code == 1
    (issue,) = json.loads(result.out)
    assert issue["check_name"] == "analysis-error" and issue["location"]["path"] == "bad.py"
    assert issue["location"]["lines"]["begin"] == 1 and "syntax error" in issue["description"]


def test_json_report_round_trips_odd_values() -> None:
    """Paths and messages that need escaping, NaN and infinities, ints where floats are usual:
    the report reads back as the very result that was written (the merge command relies on it)."""
    from dataclasses import replace

    from qualitygate.models import FixedOffender, Severity, Suggestion, SuggestionKind
    from qualitygate.serialize import from_dict

    base = fx.failing()
    v = base.violations[0]
    odd = [
        v._replace(path='é/"quoted"\\x.py', symbol="f\tg", message="ünï\u2028\x00"),
        v._replace(value=12, threshold=10.5, baseline_value=11, severity=Severity.WARNING),
        v._replace(value=1e-300, threshold=2**62, line=0, end_line=10**6),
    ]
    advice = Suggestion(SuggestionKind.AI, "QG002", "b.py", 7, "C.m", "rewrite", "--- a\n+++ b\n", True,
                        (("cognitive_complexity", 16), ("maintainability_index", 51.25)),
                        (("cognitive_complexity", 9.0), ("maintainability_index", 40.5)))  # fmt: skip
    result = replace(
        base,
        violations=(*base.violations, *odd),
        suppressed=tuple(odd[:2]),
        fixed=(FixedOffender("QG001", "c.py", "h", 12.0, None), FixedOffender("QG003", "d.py", "d.py", 60, 70.5)),
        suggestions=(*base.suggestions, advice),
    )
    text = render("json", result)
    assert text.endswith("}\n") and text.count("\n") == 1  # one compact line
    assert from_dict(json.loads(text)) == result
    nan = replace(base, violations=(v._replace(value=float("nan"), threshold=float("inf")),))
    assert '"value":NaN,"threshold":Infinity' in render("json", nan)  # as the json module writes them
