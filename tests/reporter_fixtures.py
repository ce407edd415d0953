"""The one fixture set every reporter's golden test renders: results built by the real rules."""
from __future__ import annotations

from dataclasses import replace

from qualitygate.gate.result import build_result
from qualitygate.gate.rules import RULES, Thresholds, evaluate
from qualitygate.models import (
    AnalysisError,
    Dependencies,
    FileMetrics,
    FunctionMetrics,
    GateResult,
    Halstead,
    RawMetrics,
)
from qualitygate.outputs import ReportContext

ODD_PATH = "odd, name: 100%.py"
VERSION = "0.0.0-test"


def function(function_id: str, lineno: int, end: int, cc: int = 1, cog: int = 0, mi: float = 90.0) -> FunctionMetrics:
    """A function's metrics (``C.p#2`` names the second def of ``C.p``); only what the rules
    read matters, the rest is plausible filler."""
    qualname = function_id.partition("#")[0]
    return FunctionMetrics(
        name=qualname.rsplit(".", 1)[-1],
        qualname=qualname,
        id=function_id,
        lineno=lineno,
        end_lineno=end,
        cyclomatic_complexity=cc,
        cognitive_complexity=cog,
        maintainability_index=mi,
        halstead_volume=10.0 * cc,
        length=end - lineno + 1,
        parameters=1,
        max_nesting=min(cog, 4),
    )


def file(path: str, mi: float, loc: int, *functions: FunctionMetrics) -> FileMetrics:
    """A file's metrics around its functions."""
    return FileMetrics(
        path=path,
        raw=RawMetrics(loc=loc, lloc=loc, sloc=loc),
        cyclomatic_complexity=sum(f.cyclomatic_complexity for f in functions),
        maintainability_index=mi,
        halstead=Halstead(),
        dependencies=Dependencies(stdlib=("os",)),
        functions=functions,
    )


def gate(files: list[FileMetrics], thresholds: Thresholds, warn: tuple[str, ...] = (),
         errors: tuple[AnalysisError, ...] = ()) -> GateResult:  # fmt: skip
    """Evaluate the real rules over hand-made metrics, like ``app.gate`` does."""
    violations = [v for f in files for v in evaluate(f, thresholds, warn)]
    return build_result(files, violations, errors)


def failing() -> GateResult:
    """Every kind of finding: each rule, a warning, a repeated qualname, an odd path, an error."""
    files = [
        file("pkg/core.py", 52.5, 80,
             function("parse", 3, 40, cc=14, cog=22, mi=12.25),
             function("Parser.run", 50, 60, cc=3, cog=2, mi=70.0),
             function("helper", 62, 70, cc=11, cog=5, mi=55.0)),
        file(ODD_PATH, 80.0, 30,
             function("weird", 1, 12, cc=12, cog=4),
             function("Prop.value", 20, 22, cc=2, cog=18),
             function("Prop.value#2", 24, 27, cc=2, cog=18)),
        file("pkg/clean.py", 100.0, 10, function("ok", 1, 3)),
    ]  # fmt: skip
    errors = (AnalysisError("pkg/broken.py", 3, "invalid syntax"),)
    return gate(files, Thresholds(function_maintainability_threshold=20), ("QG004",), errors)


def passing() -> GateResult:
    """Clean code under the default thresholds."""
    files = [
        file("app/main.py", 88.0, 40, function("main", 1, 10, cc=3, cog=2), function("Cli.run", 12, 30)),
        file("app/util.py", 100.0, 5),
    ]
    return gate(files, Thresholds())


def many() -> GateResult:
    """More findings than GitHub will annotate: 25 errors and 12 warnings in one file."""
    funcs = [function(f"f{i:02d}", 10 * i + 1, 10 * i + 9, cc=11 + i) for i in range(25)]
    funcs += [function(f"w{i:02d}", 300 + 10 * i, 305 + 10 * i, cog=16 + i) for i in range(12)]
    return gate([file("big.py", 70.0, 420, *funcs)], Thresholds(), ("QG002",))


FIXTURES = {"failing": failing, "passing": passing, "many": many}
ALL_RULES = tuple(r.code for r in RULES)
DEFAULT_RULES = ("QG001", "QG002", "QG003")


def context(name: str) -> ReportContext:
    """The context each fixture renders with: fixed version, the rules that were in force."""
    rules = ALL_RULES if name == "failing" else DEFAULT_RULES
    return ReportContext(version=VERSION, rules=rules)


def shifted(result: GateResult, lines: int) -> GateResult:
    """The same findings moved down ``lines`` lines, as if code were added above them."""
    return replace(
        result,
        violations=tuple(v._replace(line=v.line + lines, end_line=v.end_line + lines) for v in result.violations),
    )
