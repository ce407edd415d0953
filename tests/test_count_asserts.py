"""``count_asserts`` (issue 15, item 6): radon counts each assert as a branch, mccabe and ruff's
C901 do not. On by default (equal to radon); off, it equals radon's own ``no_assert``."""
from __future__ import annotations

import pytest
from radon.complexity import cc_visit
from radon.visitors import ComplexityVisitor

from qualitygate.config import load_settings
from qualitygate.errors import ConfigError
from qualitygate.metrics.analyze import MetricOptions, measure_source
from qualitygate.store.cache import cache_key

from .conftest import STDLIB

# A test function: CC 13 with asserts (12 of them), 1 without; cognitive complexity 0 either way.
TEST_FILE = "def test_parse():\n" + "".join(f"    assert parse({i}) == {i}\n" for i in range(12)) + (
    "    value = parse(99)\n    assert value in (1, 2)\n"
)
# CC 13: ten `if`s and two asserts; without the asserts it is still over 10.
MIXED = "def mixed(x):\n" + "".join(f"    if x == {i}:\n        x += 1\n" for i in range(10)) + (
    "    assert x\n    assert x > 1\n    return x\n"
)


@pytest.mark.parametrize("module", ["dataclasses.py", "unittest/case.py", "typing.py", "ast.py"])
def test_off_equals_radon_no_assert(module: str) -> None:
    source = (STDLIB / module).read_text("utf-8")
    ours = measure_source(source, module, MetricOptions(count_asserts=False))
    theirs = {(b.name, b.lineno): b.complexity for b in _functions(cc_visit(source, no_assert=True))}
    mine = {(f.name, f.lineno): f.cyclomatic_complexity for f in ours.functions}
    # radon's report leaves out a class's methods when the class sits inside a function.
    assert theirs and {key: mine[key] for key in theirs} == theirs
    total = ComplexityVisitor.from_code(source, no_assert=True).total_complexity
    assert ours.cyclomatic_complexity == total
    on = measure_source(source, module, MetricOptions())
    assert on.cyclomatic_complexity - ours.cyclomatic_complexity == sum(f.asserts for f in on.functions) + (
        source.count("\nassert ")  # module-level asserts count for the file only
    )


def _functions(blocks: list) -> list:
    found = []
    for block in blocks:
        if hasattr(block, "methods"):
            found.extend(_functions(block.methods))
        else:
            found.append(block)
            found.extend(_functions(block.closures))
    return found


def test_cognitive_complexity_ignores_asserts_either_way() -> None:
    for options in (MetricOptions(), MetricOptions(count_asserts=False)):
        (function,) = measure_source(TEST_FILE, "t.py", options).functions
        assert function.cognitive_complexity == 0


def test_asserts_counted_per_function() -> None:
    (on,) = measure_source(TEST_FILE, "t.py", MetricOptions()).functions
    (off,) = measure_source(TEST_FILE, "t.py", MetricOptions(count_asserts=False)).functions
    assert (on.cyclomatic_complexity, on.asserts) == (14, 13)
    assert (off.cyclomatic_complexity, off.asserts) == (1, 0)


def test_option_keys_the_cache() -> None:
    assert cache_key(MetricOptions()) != cache_key(MetricOptions(count_asserts=False))


def test_config_key_is_validated(tmp_path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.qualitygate]\ncount_asserts = false\n")
    assert load_settings(config).count_asserts is False
    config.write_text('[tool.qualitygate]\ncount_asserts = "no"\n')
    with pytest.raises(ConfigError, match="count_asserts"):
        load_settings(config)


def test_cli_default_counts_asserts_and_advises(project, cli) -> None:
    root = project({"test_parse.py": TEST_FILE, "mixed.py": MIXED})
    result = cli("check", ".", "-f", "json", cwd=root)
    assert result.code == 1
    report = result.json()
    by_symbol = {v["symbol"]: v for v in report["violations"] if v["rule"] == "QG001"}
    assert by_symbol["test_parse"]["value"] == 14
    advice = {s["qualname"]: s["text"] for s in report["suggestions"] if s["rule"] == "QG001"}
    assert "13 of its decision points are `assert` statements" in advice["test_parse"]
    assert "count_asserts = false" in advice["test_parse"] and "split" not in advice["test_parse"].split(":")[1]
    # Over the threshold without its asserts too: the usual advice.
    assert by_symbol["mixed"]["value"] == 13 and "assert" not in advice["mixed"]


def test_cli_count_asserts_false(project, cli) -> None:
    root = project({"test_parse.py": TEST_FILE, "mixed.py": MIXED,
                    "pyproject.toml": "[tool.qualitygate]\ncount_asserts = false\n"})  # fmt: skip
    result = cli("check", ".", "-f", "json", cwd=root)
    report = result.json()
    assert [v["symbol"] for v in report["violations"] if v["rule"] == "QG001"] == ["mixed"]
    functions = {f["qualname"]: f for file in report["files"] for f in file["functions"]}
    assert functions["test_parse"]["cyclomatic_complexity"] == 1
    assert functions["mixed"]["cyclomatic_complexity"] == 11
    files = {file["path"]: file for file in report["files"]}
    assert files["test_parse.py"]["cyclomatic_complexity"] == 1  # the file total too


def test_tests_recipe_from_the_docs(project, cli) -> None:
    """docs/configuration.md: the code gated as radon counts, the tests with a config of their own."""
    root = project({
        "pyproject.toml": "[tool.qualitygate]\nmaintainability_threshold = 0\n",
        "qualitygate-tests.toml": "count_asserts = false\nmaintainability_threshold = 0\n"
                                  'baseline = ".qualitygate-baseline-tests.json"\n',
        "pkg/mixed.py": MIXED,
        "tests/test_parse.py": TEST_FILE,
    })  # fmt: skip
    code = cli("check", "--extend-exclude", "tests/", ".", "-f", "json", cwd=root).json()
    assert [f["path"] for f in code["files"]] == ["pkg/mixed.py"]
    assert [v["symbol"] for v in code["violations"]] == ["mixed"]
    tests = cli("check", "--config", "qualitygate-tests.toml", "tests/", "-f", "json", cwd=root)
    assert tests.code == 0, tests.out
    (file,) = tests.json()["files"]
    assert file["path"] == "tests/test_parse.py" and file["functions"][0]["cyclomatic_complexity"] == 1


def test_the_python_api_gates_with_the_configs_count_asserts() -> None:
    """``QualityGate`` measured every source with asserts counted, whatever the config said: a
    test function of 11 asserts failed a gate configured as ruff's C901 counts."""
    from qualitygate.api import QualityGate
    from qualitygate.api import measure_source as api_measure

    source = "def test_many(x):\n" + "".join(f"    assert x != {i}\n" for i in range(11))
    assert api_measure(source).functions[0].cyclomatic_complexity == 12
    assert api_measure(source, count_asserts=False).functions[0].cyclomatic_complexity == 1
    passed, issues = QualityGate({"count_asserts": False, "maintainability_threshold": 0}).check_quality(source)
    assert passed and not issues
    passed, issues = QualityGate({"maintainability_threshold": 0}).check_quality(source)
    assert not passed and [i.rule for i in issues] == ["QG001"]  # type: ignore[union-attr]


def test_a_rewrite_is_measured_with_the_projects_count_asserts() -> None:
    """An AI rewrite of a function whose asserts the project leaves out of CC: verified with
    asserts counted, its 6 asserts would make CC 6 -> 8 look like a rise, and the good rewrite
    would be rejected."""
    from qualitygate.gate.rules import Thresholds
    from qualitygate.models import Metric, Violation
    from qualitygate.suggestions.verify import Target, verify

    checks = "".join(f"    assert item != {i}\n" for i in range(6))
    source = ("def pick(items, item):\n" + checks + "    if item in items:\n        return 1\n"
              "    if item is None:\n        return 2\n    if item == 0:\n        return 3\n"
              "    if item == 1:\n        return 4\n    if item == 2:\n        return 5\n    return 0\n")  # fmt: skip
    options = MetricOptions(enable_dependency_analysis=False, count_asserts=False)
    (function,) = measure_source(source, "p.py", options).functions
    assert function.cyclomatic_complexity == 6
    violation = Violation("QG001", Metric.CYCLOMATIC, "p.py", 1, function.end_lineno, "pick", 6, 4,
                          "cyclomatic complexity 6 > 4")  # fmt: skip
    rewrite = ("def pick(items, item):\n" + checks + "    if item in items:\n        return 1\n"
               "    return {None: 2, 0: 3, 1: 4, 2: 5}.get(item, 0)\n")  # fmt: skip
    file = measure_source(source, "p.py", options)
    verified = verify(Target("p.py", source, file, function, 0, violation, count_asserts=False), rewrite,
                      Thresholds(complexity_threshold=4))  # fmt: skip
    assert verified.after.cyclomatic_complexity == 2


# CC 6 without its 8 asserts: they sit in a `with` block beside one `if`, then four more `if`s.
GUARDED = ("def f(x, y):\n    with x:\n" + "".join(f"        assert y != {i}\n" for i in range(8))
           + "        if y:\n            y -= 1\n"
           + "".join(f"    if x == {i}:\n        y += 1\n" for i in range(4)) + "    return y\n")  # fmt: skip


@pytest.mark.parametrize("count_asserts", [True, False])
def test_statement_decisions_add_up_to_the_gates_cc_either_way(count_asserts: bool) -> None:
    """The advice's blocks count decisions as the gate does: with ``count_asserts = false`` the
    `with` block holds 1 decision, not 9 (its asserts are not decisions there)."""
    from qualitygate.suggestions.breakdowns import function_breakdown

    options = MetricOptions(enable_dependency_analysis=False, count_asserts=count_asserts)
    (func,) = measure_source(GUARDED, "m.py", options).functions
    costs = function_breakdown(GUARDED.splitlines(keepends=True), func, count_asserts)
    assert costs is not None
    top = [c for c in costs if c.top]
    assert sum(c.decisions for c in top) + 1 == func.cyclomatic_complexity == (14 if count_asserts else 6)
    assert top[0].decisions == (9 if count_asserts else 1)


def test_cli_advice_with_count_asserts_false_does_not_count_asserts_in_a_block(project, cli) -> None:
    root = project({"m.py": GUARDED, "pyproject.toml": "[tool.qualitygate]\ncount_asserts = false\n"
                    "complexity_threshold = 3\nmaintainability_threshold = 0\n"})  # fmt: skip
    for args in (["--no-cache"], [], []):  # fresh; into the cache; from the cache's breakdowns
        result = cli("check", ".", *args, cwd=root)
        advice = next(line for line in result.out.splitlines() if "suggestion: cyclomatic complexity 6 > 3" in line)
        assert "the most in the `with` at line 2 (1)" in advice, (args, advice)
