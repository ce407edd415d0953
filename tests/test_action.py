"""The composite GitHub Action: manifest rules, and its scripts run under a simulated runner."""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qualitygate.outputs import FORMATS
from qualitygate.publish import MARKER

from .fakeapi import TOKEN, GitHub, serve

yaml = pytest.importorskip("yaml", reason="PyYAML (a pre-commit dependency) reads action.yml")

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
NEEDS_BASH = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
PULL = {"number": 7, "head": {"repo": {"full_name": "octo/demo"}}}
TANGLED = "def tangled(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(11)) + "    return -1\n"


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in manifest()["runs"]["steps"] if s.get("id") == step_id)


# --- manifest ----------------------------------------------------------------------------------


def test_is_a_composite_action_with_branding_and_outputs() -> None:
    data = manifest()
    assert data["runs"]["using"] == "composite"
    assert data["name"] and data["description"]
    assert set(data["branding"]) == {"icon", "color"}
    assert {"passed", "violations", "report-path"} <= set(data["outputs"])
    # Composite actions must map every output to a step output with `value`.
    for name, output in data["outputs"].items():
        assert re.fullmatch(r"\$\{\{ steps\.check\.outputs\.[\w-]+ \}\}", output["value"]), name
    assert {"paths", "args", "formats", "sarif", "version", "comment"} <= set(data["inputs"])
    assert data["inputs"]["comment"]["default"] == "false"  # the PR comment is opt-in (issue 14)


def test_every_run_step_has_a_shell_and_no_expressions() -> None:
    """Script injection: an expression in run: text is pasted into the script before bash sees it."""
    steps = manifest()["runs"]["steps"]
    runs = [s for s in steps if "run" in s]
    assert runs
    for s in runs:
        assert s.get("shell"), f"step {s.get('name')!r} has no shell"
        assert "${{" not in s["run"], f"step {s.get('name')!r} pastes an expression into its script"


def test_the_comment_step_runs_after_a_failed_gate_with_the_token_in_env() -> None:
    posting = step("comment")
    assert posting["if"] == "${{ !cancelled() && steps.check.outputs.comment-path != '' }}"
    assert posting["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert "GITHUB_TOKEN" not in posting["run"]  # read by qualitygate from env, never echoed


def test_every_input_reaches_a_script_through_env() -> None:
    data = manifest()
    env_values = " ".join(str(v) for s in data["runs"]["steps"] for v in s.get("env", {}).values())
    for name in data["inputs"]:
        assert f"inputs.{name} }}}}" in env_values, f"input {name} is not passed through env:"


# --- the scripts under a simulated runner ------------------------------------------------------


def run_step(step_id: str, env: dict[str, str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run one step's script the way the runner does (bash -e, GITHUB_* files); return its outputs."""
    script = cwd.parent / f"{step_id}.sh"
    script.write_text(step(step_id)["run"], encoding="utf-8")
    github_output = cwd.parent / f"{step_id}.output"
    github_output.write_text("", encoding="utf-8")
    full_env = {**os.environ, "GITHUB_OUTPUT": str(github_output), "GITHUB_ACTIONS": "true", **env}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    lines = github_output.read_text(encoding="utf-8").splitlines()
    return done, dict(line.split("=", 1) for line in lines if "=" in line)


def executable(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


# What ``qualitygate --version`` prints: ours, and the unrelated ``qualitygate`` 0.0.1 on PyPI (issue 16).
OURS = "qualitygate, version 1.2.3"
FOREIGN = "\\n  qualitygate v0.0.1\\n\\n  Quality gates for your AI specs.\\n"


def make_fake_python(tmp_path: Path, version_output: str) -> Path:
    """A ``python3`` whose ``-m venv DIR`` makes a venv whose python only logs its arguments, and
    whose ``qualitygate`` prints VERSION_OUTPUT (printf format) and exits 0."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    log = tmp_path / "pip.log"
    executable(bin_dir / "python3", f"""#!/bin/sh
[ "$1 $2" = "-m venv" ] || exit 9
mkdir -p "$3/bin"
printf '#!/bin/sh\\necho "$@" >> {log}\\n' > "$3/bin/python"
printf '#!/bin/sh\\nprintf "{version_output}\\\\n"\\n' > "$3/bin/qualitygate"
chmod +x "$3/bin/python" "$3/bin/qualitygate"
""")
    return bin_dir


@pytest.fixture
def fake_python(tmp_path: Path) -> Path:
    return make_fake_python(tmp_path, OURS)


@NEEDS_BASH
@pytest.mark.parametrize(("version", "spec"), [("", "ACTION_PATH"), ("1.2.3", "qualitygate-cli==1.2.3")])
def test_install_uses_the_checkout_or_the_pinned_version(
    tmp_path: Path, fake_python: Path, version: str, spec: str
) -> None:
    env = {
        "PATH": f"{fake_python}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_ACTION_PATH": str(REPO),
        "QG_VERSION": version,
    }
    (tmp_path / "work").mkdir()
    done, outputs = run_step("install", env, tmp_path / "work")
    assert done.returncode == 0, done.stderr
    expected = str(REPO) if spec == "ACTION_PATH" else spec
    pip = (tmp_path / "pip.log").read_text(encoding="utf-8").split()
    assert pip == ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", expected]
    assert outputs["bin"] == str(tmp_path / "runner" / "qualitygate-venv" / "bin")
    assert OURS in done.stdout


@NEEDS_BASH
def test_install_fails_loudly_when_the_command_is_not_ours(tmp_path: Path) -> None:
    """``pip install qualitygate`` gets an unrelated project whose command exits 0 (issue 16)."""
    (tmp_path / "work").mkdir()
    env = {"PATH": f"{make_fake_python(tmp_path, FOREIGN)}{os.pathsep}{os.environ['PATH']}",
           "RUNNER_TEMP": str(tmp_path / "runner"), "GITHUB_ACTION_PATH": str(REPO), "QG_VERSION": "0.0.1"}  # fmt: skip
    done, outputs = run_step("install", env, tmp_path / "work")
    assert done.returncode == 2
    errors = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert len(errors) == 1 and errors[0].startswith("::error title=qualitygate::")
    assert "not qualitygate-cli" in errors[0] and "qualitygate v0.0.1" in errors[0]
    assert "bin" not in outputs


@NEEDS_BASH
def test_install_rejects_a_version_that_is_not_one(tmp_path: Path, fake_python: Path) -> None:
    (tmp_path / "work").mkdir()
    env = {"PATH": f"{fake_python}{os.pathsep}{os.environ['PATH']}", "QG_VERSION": "1.0; touch pwned",
           "RUNNER_TEMP": str(tmp_path), "GITHUB_ACTION_PATH": str(REPO)}  # fmt: skip
    done, _ = run_step("install", env, tmp_path / "work")
    assert done.returncode == 2 and "::error" in done.stdout
    assert not (tmp_path / "pip.log").exists() and not (tmp_path / "work" / "pwned").exists()


@pytest.fixture
def qualitygate_bin(tmp_path: Path) -> Path:
    """What the install step leaves behind: ``qualitygate`` and ``python`` in one folder."""
    bin_dir = tmp_path / "venv-bin"
    bin_dir.mkdir()
    executable(bin_dir / "qualitygate", f'#!/bin/sh\nexec "{sys.executable}" -m qualitygate "$@"\n')
    executable(bin_dir / "python", f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    return bin_dir


def check_env(tmp_path: Path, qualitygate_bin: Path, **inputs: str) -> dict[str, str]:
    summary = tmp_path / "step-summary.md"
    summary.touch()
    return {
        "QG_BIN": str(qualitygate_bin),
        "QG_PATHS": inputs.get("paths", "."),
        "QG_ARGS": inputs.get("args", ""),
        "QG_FORMATS": inputs.get("formats", "github"),
        "QG_SARIF": inputs.get("sarif", ""),
        "QG_FAIL": inputs.get("fail", "true"),
        "QG_COMMENT": inputs.get("comment", "false"),
        "PYTHONPATH": str(REPO),
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(tmp_path / "ws"),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "octo/demo",
        "GITHUB_SHA": "0123abcd",
    }


def workspace(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@NEEDS_BASH
def test_check_annotates_summarises_and_sets_outputs(tmp_path: Path, qualitygate_bin: Path) -> None:
    root = workspace(tmp_path, {"tangled.py": TANGLED, "clean.py": "x = 1\n"})
    env = check_env(tmp_path, qualitygate_bin, sarif="out/qg.sarif", args="--cognitive-threshold 15")
    done, outputs = run_step("check", env, root)
    assert done.returncode == 1, done.stderr
    report = json.loads(Path(outputs["report-path"]).read_text(encoding="utf-8"))
    assert report["summary"]["violations"] >= 1
    assert outputs["passed"] == "false"
    assert outputs["violations"] == str(report["summary"]["violations"])
    assert done.stdout.startswith("::error file=tangled.py,line=1,")
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "## ❌ qualitygate FAILED" in summary
    assert "(https://github.com/octo/demo/blob/0123abcd/tangled.py#L1)" in summary
    sarif = json.loads((root / "out" / "qg.sarif").read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == len(report["violations"])


@NEEDS_BASH
def test_check_can_report_without_failing_the_step(tmp_path: Path, qualitygate_bin: Path) -> None:
    root = workspace(tmp_path, {"tangled.py": TANGLED})
    done, outputs = run_step("check", check_env(tmp_path, qualitygate_bin, fail="false"), root)
    assert done.returncode == 0, done.stderr
    assert outputs["passed"] == "false" and int(outputs["violations"]) >= 1


@NEEDS_BASH
def test_check_passes_on_clean_code(tmp_path: Path, qualitygate_bin: Path) -> None:
    root = workspace(tmp_path, {"clean.py": "def ok():\n    return 1\n"})
    done, outputs = run_step("check", check_env(tmp_path, qualitygate_bin), root)
    assert done.returncode == 0, done.stderr
    assert outputs["passed"] == "true" and outputs["violations"] == "0"
    assert "✅ qualitygate PASSED" in Path(check_env(tmp_path, qualitygate_bin)["GITHUB_STEP_SUMMARY"]).read_text(
        encoding="utf-8"
    )


@NEEDS_BASH
def test_inputs_are_data_not_code(tmp_path: Path, qualitygate_bin: Path) -> None:
    """Hostile input values stay literal arguments: nothing is evaluated or globbed."""
    root = workspace(tmp_path, {"clean.py": "x = 1\n"})
    hostile = '$(touch pwned1) `touch pwned2` ";touch pwned3;" *.py'
    env = check_env(tmp_path, qualitygate_bin, paths=hostile, args="$(touch pwned4)")
    done, outputs = run_step("check", env, root)
    assert done.returncode == 2, done.stdout + done.stderr  # usage error: no such path
    assert not list(root.glob("pwned*")) and not list(tmp_path.glob("pwned*"))
    assert outputs["passed"] == "false"


@NEEDS_BASH
def test_check_writes_no_comment_unless_asked(tmp_path: Path, qualitygate_bin: Path) -> None:
    root = workspace(tmp_path, {"clean.py": "x = 1\n"})
    done, outputs = run_step("check", check_env(tmp_path, qualitygate_bin), root)
    assert done.returncode == 0, done.stderr
    assert outputs["comment-path"] == ""  # so the comment step is skipped


@NEEDS_BASH
@pytest.mark.skipif("pr-comment" not in FORMATS, reason="the pr-comment format is not registered yet")
def test_check_writes_the_comment_when_asked(tmp_path: Path, qualitygate_bin: Path) -> None:
    root = workspace(tmp_path, {"tangled.py": TANGLED})
    done, outputs = run_step("check", check_env(tmp_path, qualitygate_bin, comment="true"), root)
    assert done.returncode == 1, done.stderr
    assert outputs["comment-path"] == str(tmp_path / "runner" / "qualitygate" / "comment.md")
    assert Path(outputs["comment-path"]).read_text(encoding="utf-8").startswith(MARKER)


def comment_env(tmp_path: Path, qualitygate_bin: Path, api: str, body: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": PULL}), encoding="utf-8")
    return {"QG_BIN": str(qualitygate_bin), "QG_COMMENT_PATH": str(body), "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": api, "GITHUB_REPOSITORY": "octo/demo", "GITHUB_EVENT_PATH": str(event),
            "GITHUB_EVENT_NAME": "pull_request", "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}  # fmt: skip


@NEEDS_BASH
def test_comment_step_posts_the_comment_the_check_wrote(tmp_path: Path, qualitygate_bin: Path) -> None:
    body = tmp_path / "comment.md"
    body.write_text(f"{MARKER}\n## qualitygate\n", encoding="utf-8")
    (tmp_path / "work").mkdir()
    api = GitHub()
    with serve(api) as base:
        done, _ = run_step("comment", comment_env(tmp_path, qualitygate_bin, base, body), tmp_path / "work")
        body.unlink()  # a check that wrote no comment: nothing to post, and no failure
        skipped, _ = run_step("comment", comment_env(tmp_path, qualitygate_bin, base, body), tmp_path / "work")
    assert done.returncode == 0, done.stderr
    assert "qualitygate: PR comment created: https://github.com/octo/demo/pull/7#issuecomment-" in done.stderr
    assert api.calls == [("GET", GitHub.issue), ("POST", GitHub.issue)] and api.problems == []
    assert skipped.returncode == 0 and "none is posted" in skipped.stdout
    assert TOKEN not in done.stdout + done.stderr + skipped.stdout + skipped.stderr
