"""Module coupling (issue 15, item 3): fan-in, fan-out, instability and import cycles, via the CLI."""
from __future__ import annotations

import json
import shutil
import sysconfig
from pathlib import Path

from click.testing import CliRunner

from qualitygate.cli import main

FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": "from pkg import b\n",  # a submodule imported by name: pkg.b
    "pkg/b.py": "import os\nfrom . import a\n",
    "pkg/c.py": "from .d import x\n",
    "pkg/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import y\nfrom pkg.e import z\n",
    "pkg/e.py": "def f():\n    import pkg.c\n",  # a lazy import still runs: it closes a 3-cycle
    "pkg/f.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.g import t\n",
    "pkg/g.py": "from pkg import f\n",  # f -> g only under TYPE_CHECKING: no cycle
}


def _project(tmp_path: Path, config: str = "") -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "pyproject.toml").write_text(f"[tool.qualitygate]\n{config}")
    return tmp_path


def _check(root: Path, monkeypatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["check", ".", "--no-cache", *args])
    return result.exit_code, result.output


def test_rule_off_by_default_and_json_figures(tmp_path, monkeypatch):
    code, out = _check(_project(tmp_path), monkeypatch, "--format", "json")
    assert code == 0
    coupling = json.loads(out)["coupling"]
    assert coupling["cycles"] == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d", "pkg.e"]]
    rows = {m["module"]: m for m in coupling["modules"]}
    assert rows["pkg.d"] == {"module": "pkg.d", "path": "pkg/d.py", "fan_in": 1, "fan_out": 2, "instability": 0.67}
    assert (rows["pkg.c"]["fan_in"], rows["pkg.c"]["fan_out"], rows["pkg.c"]["instability"]) == (2, 1, 0.33)
    assert (rows["pkg"]["fan_in"], rows["pkg"]["instability"]) == (0, 0.0)  # `from pkg import b` is pkg.b
    assert (rows["pkg.f"]["fan_out"], rows["pkg.g"]["fan_in"]) == (1, 1)  # counted, yet no cycle


def test_rule_on_names_each_cycle_with_its_lines(tmp_path, monkeypatch):
    code, out = _check(_project(tmp_path, "forbid_import_cycles = true\n"), monkeypatch)
    assert code == 1
    assert "pkg/a.py:1:1: QG008 pkg/a.py import cycle pkg.a -> pkg.b -> pkg.a (pkg/a.py:1, pkg/b.py:2)" in out
    assert "import cycle pkg.c -> pkg.d -> pkg.e -> pkg.c (pkg/c.py:1, pkg/d.py:4, pkg/e.py:2)" in out
    assert "pkg.f" not in out
    code, out = _check(tmp_path, monkeypatch, "--statistics")
    assert "    2  QG008  import_cycle" in out


def test_suppression_and_baseline_cover_a_cycle(tmp_path, monkeypatch):
    root = _project(tmp_path, "forbid_import_cycles = true\n")
    (root / "pkg/a.py").write_text("# qualitygate: ignore-file[QG008]\nfrom pkg import b\n")
    code, out = _check(root, monkeypatch, "--format", "json")
    report = json.loads(out)
    assert [v["path"] for v in report["suppressed"]] == ["pkg/a.py"]
    assert [v["path"] for v in report["violations"]] == ["pkg/c.py"]
    assert CliRunner().invoke(main, ["baseline", "."]).exit_code == 0
    code, out = _check(root, monkeypatch, "--format", "json")
    assert code == 0 and [v["rule"] for v in json.loads(out)["baselined"]] == ["QG008"]


def test_merge_of_shards_finds_the_cycles_of_one_run(tmp_path, monkeypatch):
    root = _project(tmp_path, "forbid_import_cycles = true\n")
    monkeypatch.chdir(root)
    runner = CliRunner()
    reports = []
    for k in (1, 2):
        runner.invoke(main, ["check", ".", "--no-cache", "--shard", f"{k}/2", "--format", f"json:s{k}.json"])
        assert "coupling" not in json.loads((root / f"s{k}.json").read_text())
        reports.append(f"s{k}.json")
    merged = json.loads(runner.invoke(main, ["merge", *reports, "--format", "json"]).output)
    whole = json.loads(runner.invoke(main, ["check", ".", "--no-cache", "--format", "json"]).output)
    assert merged["coupling"] == whole["coupling"]
    assert merged["violations"] == whole["violations"]


def test_a_known_cycle_of_the_stdlib_email_package(tmp_path, monkeypatch):
    # Checked by hand (CPython 3.11): email/policy.py line 11 `from email.message import
    # EmailMessage`, and email/message.py line 976 (inside a method) `from email.policy import default`.
    shutil.copytree(Path(sysconfig.get_paths()["stdlib"]) / "email", tmp_path / "email")
    _, out = _check(tmp_path, monkeypatch, "--format", "json", "--threshold", "0")
    cycles = json.loads(out)["coupling"]["cycles"]
    assert any({"email.message", "email.policy"} <= set(c) for c in cycles), cycles
