"""Class metrics (issue 15, item 2): methods, WMC, lines, attributes and LCOM4, through the CLI;
the class rules QG006/QG007 off by default, on with their keys, suppressed and baselined."""
from __future__ import annotations

import ast
import json
import shutil
import sysconfig
from pathlib import Path

from click.testing import CliRunner

from qualitygate.cli import main
from qualitygate.metrics.classes import method_uses, receiver, scan_uses
from qualitygate.metrics.structure import walk_structure
from qualitygate.serialize import file_from_dict, from_dict, to_dict

STDLIB = Path(sysconfig.get_paths()["stdlib"])

HALVES = '''\
class Halves:
    """Two unrelated halves: LCOM4 2."""

    def __init__(self):
        self.a = 1
        self.b = 2

    def get_a(self):
        return self.a

    def set_a(self, value):
        self.a = value  # self.b in a comment is no use

    def get_b(self):
        """self.a in a docstring is no use either."""
        return self.b


class Linked:
    x: int
    y: "ClassVar[int]" = 0

    def get_a(self):
        return self.a

    def get_b(self):
        return self.b + self.get_a()

    @staticmethod
    def stub():
        pass

    @property
    def abstract(self):
        raise NotImplementedError

    def __init__(self):
        self.a, (self.b, *self.c) = 1, (2, 3)
        self.d += 1
'''


def _check(root: Path, monkeypatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["check", ".", "--no-cache", *args])
    return result.exit_code, result.output


def _project(tmp_path: Path, config: str = "", source: str = HALVES) -> Path:
    (tmp_path / "shapes.py").write_text(source)
    (tmp_path / "pyproject.toml").write_text(f"[tool.qualitygate]\n{config}")
    return tmp_path


def _classes(out: str) -> dict[str, dict]:
    document = json.loads(out)
    return {c["qualname"]: c for f in document["files"] for c in f["classes"]}


def test_textwrap_by_hand(tmp_path, monkeypatch):
    """Checked by hand: TextWrapper's 9 defs; CC 1+3+4+4+9+31+1+2+1 = 56; __init__ assigns 12
    ``self.x``; without __init__, every method reaches the others through ``self`` calls
    (fill -> wrap -> _split_chunks -> _split, _munge_whitespace; wrap -> _wrap_chunks ->
    _handle_long_word, which shares break_on_hyphens with _split) : one component."""
    shutil.copy(STDLIB / "textwrap.py", tmp_path / "textwrap_copy.py")
    code, out = _check(tmp_path, monkeypatch, "--format", "json", "--exit-zero")
    assert code == 0
    found = _classes(out)["TextWrapper"]
    assert found == {"name": "TextWrapper", "qualname": "TextWrapper", "line": found["line"],
                     "end_line": found["end_line"], "methods": 9, "wmc": 56,
                     "lines": found["end_line"] - found["line"] + 1, "attributes": 12, "lcom4": 1}  # fmt: skip
    functions = json.loads(out)["files"][0]["functions"]
    assert found["wmc"] == sum(f["cyclomatic_complexity"] for f in functions if f["qualname"].startswith("TextWrapper."))


def test_lcom4_on_classes_built_for_it(tmp_path, monkeypatch):
    code, out = _check(_project(tmp_path), monkeypatch, "--format", "json")
    assert code == 0
    found = _classes(out)
    # get_a and set_a share a; get_b uses b (comments and docstrings are not uses): 2.
    assert found["Halves"] == {"name": "Halves", "qualname": "Halves", "line": 1, "end_line": 16, "methods": 4,
                               "wmc": 4, "lines": 16, "attributes": 2, "lcom4": 2}  # fmt: skip
    # get_b calls get_a through self: 1. The stub and the abstract property are not nodes;
    # attributes: x (y is a ClassVar) and a, b, c, d assigned through self.
    assert (found["Linked"]["lcom4"], found["Linked"]["attributes"], found["Linked"]["methods"]) == (1, 5, 5)


def test_rules_off_by_default_and_on_with_their_keys(tmp_path, monkeypatch):
    code, out = _check(_project(tmp_path), monkeypatch)
    assert code == 0 and "QG006" not in out and "QG007" not in out
    config = "class_wmc_threshold = 4\nclass_lcom4_threshold = 1\n"
    code, out = _check(_project(tmp_path, config), monkeypatch)
    assert code == 1
    assert "shapes.py:1:1: QG007 Halves lcom4 2 > 1" in out
    assert "split it into 2 cohesive classes: `get_a`, `set_a` share `self.a`; `get_b` uses `self.b`" in out
    assert "shapes.py:19:1: QG006 Linked wmc 5 > 4" in out
    assert "the most complex methods are" in out
    code, out = _check(tmp_path, monkeypatch, "--statistics")
    assert "    1  QG006  wmc" in out and "    1  QG007  lcom4" in out
    code, out = _check(tmp_path, monkeypatch, "--format", "json")
    violation = next(v for v in json.loads(out)["violations"] if v["rule"] == "QG007")
    assert (violation["symbol"], violation["line"], violation["end_line"], violation["metric"]) == ("Halves", 1, 16, "lcom4")
    code, out = _check(tmp_path, monkeypatch, "--format", "sarif")
    result = next(r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "QG007")
    assert result["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": "Halves", "kind": "type"}]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    code, out = _check(tmp_path, monkeypatch, "--format", "junit")
    assert 'name="QG007 class-cohesion: Halves"' in out


def test_suppression_on_the_class_line(tmp_path, monkeypatch):
    source = HALVES.replace("class Halves:\n", "class Halves:  # qualitygate: ignore[QG007]\n")
    code, out = _check(_project(tmp_path, "class_lcom4_threshold = 1\n", source), monkeypatch)
    assert code == 0, out
    assert "1 suppressed" in out and "suppresses nothing" not in out
    source = HALVES.replace("class Halves:\n", "# qualitygate: ignore[class-cohesion]\nclass Halves:\n")
    code, out = _check(_project(tmp_path, "class_lcom4_threshold = 1\n", source), monkeypatch)
    assert code == 0, out


def test_baseline_of_a_class_violation(tmp_path, monkeypatch):
    root = _project(tmp_path, "class_lcom4_threshold = 1\n")
    monkeypatch.chdir(root)
    assert CliRunner().invoke(main, ["baseline", "."]).exit_code == 0
    entries = json.loads((root / ".qualitygate-baseline.json").read_text())
    assert "Halves" in json.dumps(entries) and "QG007" in json.dumps(entries)
    code, out = _check(root, monkeypatch)
    assert code == 0 and "1 baselined" in out
    # Fixed: the baseline entry reports the class's value now.
    (root / "shapes.py").write_text(HALVES.replace("return self.b", "return self.b + self.a"))
    code, out = _check(root, monkeypatch)
    assert code == 0 and "QG007 Halves was 2, now 1" in out


def test_json_shape_round_trips_and_old_reports_load(tmp_path, monkeypatch):
    _, out = _check(_project(tmp_path), monkeypatch, "--format", "json")
    document = json.loads(out)
    keys = ["name", "qualname", "line", "end_line", "methods", "wmc", "lines", "attributes", "lcom4"]
    assert all(list(c) == keys for c in document["files"][0]["classes"])
    assert to_dict(from_dict(document)) == document
    old = dict(document["files"][0])
    del old["classes"]  # a report written before issue 15
    assert file_from_dict(old).classes == ()


def test_warm_run_equals_cold(tmp_path, monkeypatch):
    root = _project(tmp_path)
    monkeypatch.chdir(root)
    runs = [CliRunner().invoke(main, ["check", ".", "--format", "json"]).output for _ in range(2)]
    assert _classes(runs[0]) == _classes(runs[1]) and _classes(runs[0])["Halves"]["lcom4"] == 2


def test_text_scan_equals_a_tree_walk_on_stdlib_modules():
    """The ``self.x`` uses come from the text (classes.py says why); on these modules they equal
    an exact walk of the tree, method by method."""
    for name in ("textwrap.py", "fractions.py", "argparse.py", "email/message.py", "asyncio/base_events.py"):
        source = (STDLIB / name).read_text(encoding="utf-8")
        hits = scan_uses(source)
        for info in walk_structure(ast.parse(source)).classes:
            uses = method_uses(info.methods, hits)
            for method in info.methods:
                name_ = receiver(method)
                exact = {n.attr for n in ast.walk(method) if isinstance(n, ast.Attribute)
                         and isinstance(n.value, ast.Name) and n.value.id == name_} if name_ else set()  # fmt: skip
                assert uses[method] == exact, (name, info.qualname, method.name)
