"""Benchmark qualitygate against its peers on this interpreter's own stdlib (tests excluded).

Every figure comes from one run of this script: each command runs ``--repeat`` times and the
median is reported, so the ratios compare tools measured on the same machine at the same moment.
Every tool is given the same files: one copy of the corpus in the temporary folder, no excludes.

    python benchmarks/bench.py [--repeat 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import ast
import compileall
import concurrent.futures
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CHECKOUT))  # run from a checkout, installed or not

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SKIP_DIRS = ("test", "tests", "idle_test", "site-packages", "__pycache__")
BIG_FILE = Path("pydoc_data") / "topics.py"  # relative to the corpus


def corpus(root: Path = STDLIB) -> list[Path]:
    """The .py files under ``root`` (the stdlib by default) without test folders."""
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        files.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py"))
    return files


def never_walked() -> tuple[str, ...]:
    """Folder names qualitygate never walks into (``venv``, ``build``...; no setting turns that
    off): left out of the copy too, or the peers would measure files that we do not."""
    from qualitygate.discovery.files import DEFAULT_EXCLUDED_DIRS

    return tuple(sorted(DEFAULT_EXCLUDED_DIRS))


def copy_corpus(target: Path) -> Path:
    """Copy the stdlib once without SKIP_DIRS (nor folders we never walk): the one folder every
    tool is given, with no excludes, so they all walk and measure the same files."""
    ignore = shutil.ignore_patterns(*SKIP_DIRS, *never_walked())
    shutil.copytree(STDLIB, target, ignore=ignore, symlinks=True)
    return target


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


def timed(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, memory: bool = True
) -> tuple[float, int, int]:
    """Wall time, exit code and peak memory (KiB, whole process tree; 0 without ``memory``) of
    one command. The memory sampler reads /proc every 20 ms, 2.4% of a core (measured 2026-12-04):
    nothing to a one-core peer, which leaves a core free, but taken from a command using both."""
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while memory and not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        code = proc.wait()
        elapsed = time.perf_counter() - start
    except BaseException:  # Ctrl-C: stop the command before its folder is removed
        proc.kill()
        proc.wait()
        raise
    finally:
        done.set()
        sampler.join()
    return elapsed, code, peak


def median_of(
    repeat: int,
    cmd: list[str],
    env: dict[str, str] | None = None,
    before: Callable[[], Path | None] | None = None,
) -> dict[str, float]:
    """Median wall time and the largest peak memory over ``repeat`` runs.

    ``before`` runs (untimed) ahead of each run, to reset state; the folder it returns is the cwd.
    """
    runs = []
    for _ in range(repeat):
        cwd = before() if before else None
        runs.append(timed(cmd, env, cwd))
    return {
        "median_s": statistics.median(r[0] for r in runs),
        "min_s": min(r[0] for r in runs),
        "peak_mib": max(r[2] for r in runs) / 1024,
        "exit_code": runs[-1][1],
    }


def paired_ratios(repeat: int, ours: list[str], theirs: list[str], env: dict[str, str]) -> dict[str, float]:
    """Our command and a peer's, run in turn (A B A B ...), and A / B pair by pair.

    The blocks of ``median_of`` run one command ``repeat`` times and then the next: when the
    machine's speed drifts between blocks, their ratio drifts with it. A pair's two runs share
    the moment, so the median of the pairs' ratios is the figure to quote for a budget.
    """
    ratios = []
    for _ in range(repeat):  # times only: no memory sampler competing with either command
        mine, _, _ = timed(ours, env, memory=False)
        peer_s, _, _ = timed(theirs, memory=False)
        ratios.append(mine / peer_s)
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios), "pairs": repeat}


def cpus() -> int:
    """The CPUs this process may use: qualitygate starts one worker per CPU (``-j 0``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _parse_all(paths: list[str]) -> int:
    """Read and ``ast.parse`` each file; the number parsed (a pool worker's task)."""
    parsed = 0
    for path in paths:
        try:
            with open(path, "rb") as handle:
                ast.parse(handle.read())
            parsed += 1
        except (SyntaxError, ValueError):
            pass
    return parsed


def parse_floor(files: list[Path], repeat: int) -> float:
    """Median time to read and ``ast.parse`` every file once, in one process."""
    paths = [str(p) for p in files]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        _parse_all(paths)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def parallel_parse_floor(files: list[Path], repeat: int, procs: int) -> float:
    """Median time to read and ``ast.parse`` every file once with ``procs`` processes, as many as
    qualitygate's workers; the pool is started (untimed) before, the chunks are interleaved."""
    paths = [str(p) for p in files]
    chunks = [paths[i :: procs * 8] for i in range(procs * 8)]
    times = []
    with concurrent.futures.ProcessPoolExecutor(procs) as pool:
        list(pool.map(_parse_all, [[] for _ in range(procs)]))  # start the workers
        for _ in range(repeat):
            start = time.perf_counter()
            sum(pool.map(_parse_all, chunks))
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_line_costs(files: list[Path], repeat: int, big_file: Path) -> dict[str, float]:
    """Cost per line of our full measurement on pydoc_data/topics.py vs the other files (serial)."""
    from qualitygate.metrics.analyze import MetricOptions, measure_file

    options = MetricOptions()

    def cost(paths: list[Path]) -> float:
        lines = sum(p.read_bytes().count(b"\n") for p in paths)
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            for p in paths:
                measure_file(p, str(p), options)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples) / max(lines, 1)

    ordinary = [p for p in files if p != big_file]
    big = cost([big_file]) if big_file.exists() else 0.0
    normal = cost(ordinary)
    return {"big_file_us_per_line": big * 1e6, "ordinary_us_per_line": normal * 1e6, "ratio": big / normal}


def qualitygate_cmd(config: Path, extra: list[str], fmt: str = "json:/dev/null", target: Path = STDLIB) -> list[str]:
    """Our check over ``target``, JSON to /dev/null so output cost is included but not printed
    (``fmt=""``: the default text report, to the null device like every timed command)."""
    output = ["--format", fmt] if fmt else []
    return [sys.executable, "-m", "qualitygate", "check", str(target), "--config", str(config),
            "--threshold", "65", *output, *extra]  # fmt: skip


def _fresh(folder: Path, run_there: bool = False) -> Callable[[], Path | None]:
    """A hook for ``median_of`` that empties ``folder`` before each run (and runs there)."""

    def reset() -> Path | None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder if run_there else None

    return reset


def peer(name: str) -> str | None:
    """A peer's command as installed beside this interpreter (a venv's bin/), else on PATH.

    PATH can hold a wrapper instead of the tool: pyenv's shims run ~50 ms of bash before every
    command, which would be timed as the peer's and flatter our ratios.
    """
    beside = Path(sysconfig.get_path("scripts")) / name
    return str(beside) if beside.is_file() else shutil.which(name)


def complexipy_cmd(target: Path) -> list[str] | None:
    """complexipy (Rust) over the same corpus, quiet; None when it is not installed."""
    exe = peer("complexipy")
    return None if exe is None else [exe, "-q", str(target)]


# Thresholds nothing reaches: the run measures and reports everything but has no violation to
# advise on, so the figure isolates measuring + gating from the suggestion stage (issue 6).
NO_VIOLATIONS = ["--threshold", "0", "--complexity-threshold", "100000", "--cognitive-threshold", "100000"]


def snapshot(workdir: Path) -> Path:
    """A copy of the package to run: the cache key covers qualitygate's own source files, so an
    edit in the checkout during the benchmark would otherwise turn a warm run cold."""
    target = workdir / "src"
    shutil.copytree(CHECKOUT / "qualitygate", target / "qualitygate", ignore=shutil.ignore_patterns("__pycache__"))
    # As `pip install` does: with PYTHONDONTWRITEBYTECODE set (CI images often set it), every run
    # would otherwise compile our modules from source, which no installed copy does.
    compileall.compile_dir(target / "qualitygate", quiet=1)
    return target


def _env(workdir: Path) -> dict[str, str]:
    """Runs use the snapshot of the package and a cache inside the temporary folder."""
    return dict(os.environ, QUALITYGATE_CACHE_DIR=str(workdir / "cache"), PYTHONPATH=str(workdir / "src"))


def cache_figures(config: Path, workdir: Path, repeat: int, target: Path) -> dict[str, dict[str, float]]:
    """Cold (--no-cache), first run into an empty cache, warm, and complexipy's cold run (issue 5)."""
    env = _env(workdir)

    def ours(extra: list[str], fmt: str = "json:/dev/null") -> list[str]:
        return qualitygate_cmd(config, extra, fmt, target)

    results = {"qualitygate cold": median_of(repeat, ours(["--no-cache"]), env)}
    results["qualitygate empty cache"] = median_of(repeat, ours([]), env, _fresh(workdir / "cache"))
    results["qualitygate warm"] = median_of(repeat, ours([]), env)
    results["qg cold, no violations"] = median_of(repeat, ours(["--no-cache", *NO_VIOLATIONS]), env)
    results["qg warm, no violations"] = median_of(repeat, ours(NO_VIOLATIONS), env)
    # The command as users type it: the default text report (violations with their advice).
    results["qg cold, text"] = median_of(repeat, ours(["--no-cache"], ""), env)
    results["qg warm, text"] = median_of(repeat, ours([], ""), env)
    command = complexipy_cmd(target)
    if command:
        # complexipy keeps .complexipy_cache in its working folder: a fresh folder per run is cold.
        results["complexipy cold"] = median_of(repeat, command, env, _fresh(workdir / "complexipy", True))
    return results


def peer_figures(repeat: int, target: Path) -> dict[str, dict[str, float]]:
    """xenon and radon cc over the same folder, no excludes (those installed)."""
    results = {}
    xenon, radon = peer("xenon"), peer("radon")
    if xenon:
        results["xenon"] = median_of(repeat, [xenon, "--max-absolute", "F", str(target)])
    if radon:
        results["radon cc"] = median_of(repeat, [radon, "cc", str(target)])
    return results


def budget_figures(config: Path, workdir: Path, repeat: int, target: Path) -> dict[str, dict[str, float]]:
    """Issue 15's budget, cold <= 0.5x xenon, as alternating pairs (``paired_ratios``)."""
    xenon = peer("xenon")
    if not xenon:
        return {}
    cold = qualitygate_cmd(config, ["--no-cache"], "json:/dev/null", target)
    return {"cold / xenon": paired_ratios(repeat, cold, [xenon, "--max-absolute", "F", str(target)], _env(workdir))}


def _report(config: Path, env: dict[str, str], out: Path, extra: list[str], target: Path = STDLIB) -> dict:
    cmd = [sys.executable, "-m", "qualitygate", "check", str(target), "--config", str(config),
           "--threshold", "65", "--format", f"json:{out}", *extra]  # fmt: skip
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return json.loads(out.read_text())


def files_seen(config: Path, workdir: Path, target: Path) -> dict[str, int]:
    """How many files each tool finds in ``target``: .py files there, qualitygate's report
    (``summary.files``), radon's file walk (xenon walks with radon's)."""
    from radon.cli.tools import iter_filenames

    report = _report(config, _env(workdir), workdir / "files.json", ["--no-cache"], target)
    return {
        "py_files": len(corpus(target)),
        "qualitygate": report["summary"]["files"],
        "radon_xenon": sum(1 for _ in iter_filenames([str(target)])),
    }


def print_files_seen(seen: dict[str, int]) -> None:
    """One line, and a loud warning when the tools do not see the same files."""
    print(f"files seen: {seen['py_files']} .py in the copy; qualitygate summary.files {seen['qualitygate']}; "
          f"radon/xenon walk {seen['radon_xenon']}; complexipy: same folder, no excludes")  # fmt: skip
    if len(set(seen.values())) > 1:
        print(f"\n{'!' * 78}\nWARNING: the tools do not see the same files {seen}: the ratios are not "
              f"like-for-like\n{'!' * 78}", file=sys.stderr)  # fmt: skip


EDIT = "\n\ndef _qg_bench_edit(x):\n    if x:\n        for i in x:\n            if i:\n                return i\n    return None\n"


def cache_checks(config: Path, workdir: Path, target: Path) -> dict[str, bool | float]:
    """The same report warm as cold on ``target``, and an edited file measured again (in a copy
    of it, so that ``target`` stays as every tool saw it)."""
    env = _env(workdir)
    cold = _report(config, env, workdir / "cold.json", ["--no-cache"], target)
    warm = _report(config, env, workdir / "warm.json", [], target)
    copy = workdir / "edited"
    shutil.copytree(target, copy, symlinks=True)
    before = _report(config, env, workdir / "before.json", [], copy)
    edited = copy / "json" / "decoder.py"
    with edited.open("a", encoding="utf-8") as handle:
        handle.write(EDIT)
    start = time.perf_counter()
    after = _report(config, env, workdir / "after.json", [], copy)
    seconds = time.perf_counter() - start
    changed = [f["path"] for f, g in zip(before["files"], after["files"], strict=True) if f != g]
    record = next(f for f in after["files"] if f["path"].endswith("json/decoder.py"))
    functions = {f["qualname"] for f in record["functions"]}
    return {
        "warm_report_equals_cold": warm == cold,
        "edited_file_remeasured": "_qg_bench_edit" in functions and len(changed) == 1,
        "one_edit_warm_s": seconds,
    }


NAME_WIDTH = 28


def print_table(results: dict[str, dict[str, float]], floors: dict[str, float]) -> None:
    """Each tool's median, min and peak, and our cold median divided by its median."""
    ours = results["qualitygate cold"]["median_s"]
    print(f"\n{'tool':<{NAME_WIDTH}}{'median s':>10}{'min s':>9}{'peak MiB':>10}{'ours / tool':>13}")
    for name, r in results.items():
        ratio = ours / r["median_s"]
        print(f"{name:<{NAME_WIDTH}}{r['median_s']:>10.2f}{r['min_s']:>9.2f}{r['peak_mib']:>10.1f}{ratio:>13.2f}")
    for name, floor in floors.items():
        print(f"{name:<{NAME_WIDTH}}{floor:>10.2f}{'':>9}{'':>10}{ours / floor:>13.2f}")


def print_warm_cold(results: dict[str, dict[str, float]]) -> None:
    """Warm / cold per variant, and warm / complexipy's cold run."""
    for suffix in ("", ", no violations", ", text"):
        cold = results["qualitygate cold" if not suffix else "qg cold" + suffix]["median_s"]
        warm = results["qualitygate warm" if not suffix else "qg warm" + suffix]["median_s"]
        print(f"\n{suffix.strip(', ') or 'as configured'}: warm / cold {warm / cold:.3f} (target <= 0.10)", end="")
        if "complexipy cold" in results:
            print(f"; warm / complexipy cold {warm / results['complexipy cold']['median_s']:.2f} (target <= 1.0)", end="")


def run(args: argparse.Namespace, workdir: Path) -> None:
    """Every figure, measured in ``workdir`` (the caller removes it)."""
    snapshot(workdir)
    os.chdir(workdir)  # `python -m qualitygate` puts the working folder first on sys.path
    target = copy_corpus(workdir / "corpus")
    files = corpus(target)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    print(f"corpus: {STDLIB} without tests, copied: {len(files)} files, {lines} lines; python {sys.version.split()[0]}")
    print("peers: " + ", ".join(f"{name} {peer(name) or 'not installed'}" for name in ("complexipy", "xenon", "radon")))
    config = workdir / "qualitygate.toml"
    config.write_text("# no exclude: every tool is given the same copied folder\n")
    seen = files_seen(config, workdir, target)
    print_files_seen(seen)
    results: dict[str, dict[str, float]] = cache_figures(config, workdir, args.repeat, target)
    results.update(peer_figures(args.repeat, target))
    procs = cpus()
    floors = {f"ast.parse floor ({procs} proc{'s' * (procs > 1)})": parallel_parse_floor(files, args.repeat, procs)}
    if procs > 1:
        floors["ast.parse floor (1 proc)"] = parse_floor(files, args.repeat)
    print_table(results, floors)
    print_warm_cold(results)
    budget = budget_figures(config, workdir, args.repeat, target)
    for name, r in budget.items():
        print(f"\n{name}, {r['pairs']} alternating pairs: median {r['median']:.3f} "
              f"(min {r['min']:.3f}, max {r['max']:.3f}; budget <= 0.5)", end="")
    print()
    checks = cache_checks(config, workdir, target)
    print(f"\nwarm report equals cold: {checks['warm_report_equals_cold']}; edited file measured again: "
          f"{checks['edited_file_remeasured']} (that run: {checks['one_edit_warm_s']:.2f} s)")  # fmt: skip
    costs = per_line_costs(files, max(1, args.repeat // 2), target / BIG_FILE)
    print(
        f"\nper line: pydoc_data/topics.py {costs['big_file_us_per_line']:.2f} us, "
        f"ordinary files {costs['ordinary_us_per_line']:.2f} us, ratio {costs['ratio']:.2f}"
    )
    if args.json:
        payload = {"files": len(files), "lines": lines, "files_seen": seen, "tools": results,
                   "parse_floor_s": next(iter(floors.values())), "parse_floor_procs": procs,
                   "parse_floors": floors, "per_line": costs, "cache": checks, "paired": budget}  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.json:
        args.json = args.json.resolve()  # run() changes the working folder
    home = Path.cwd()
    workdir = Path(tempfile.mkdtemp(prefix="qg-bench-"))
    try:
        run(args, workdir)
    finally:  # on errors and Ctrl-C too
        os.chdir(home)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
