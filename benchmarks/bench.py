"""Benchmark qualitygate against its peers on this interpreter's own stdlib (tests excluded).

Every figure comes from one run of this script: each command runs ``--repeat`` times and the
median is reported, so the ratios compare tools measured on the same machine at the same moment.

    python benchmarks/bench.py [--repeat 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import ast
import compileall
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
PEER_EXCLUDE = ",".join(f"*/{d}/*" for d in SKIP_DIRS)
BIG_FILE = STDLIB / "pydoc_data" / "topics.py"


def corpus() -> list[Path]:
    """The stdlib's .py files without test folders (the set every tool is given)."""
    files = []
    for dirpath, dirnames, filenames in os.walk(STDLIB):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        files.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py"))
    return files


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


def timed(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, int, int]:
    """Wall time, exit code and peak memory (KiB, whole process tree) of one command."""
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    elapsed = time.perf_counter() - start
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


def parse_floor(files: list[Path], repeat: int) -> float:
    """Median time to read and ``ast.parse`` every file once, in one process."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for path in files:
            try:
                ast.parse(path.read_bytes())
            except (SyntaxError, ValueError):
                pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_line_costs(files: list[Path], repeat: int) -> dict[str, float]:
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

    ordinary = [p for p in files if p != BIG_FILE]
    big = cost([BIG_FILE]) if BIG_FILE.exists() else 0.0
    normal = cost(ordinary)
    return {"big_file_us_per_line": big * 1e6, "ordinary_us_per_line": normal * 1e6, "ratio": big / normal}


def qualitygate_cmd(config: Path, extra: list[str], fmt: str = "json:/dev/null") -> list[str]:
    """Our check over the stdlib, JSON to /dev/null so output cost is included but not printed
    (``fmt=""``: the default text report, to the null device like every timed command)."""
    output = ["--format", fmt] if fmt else []
    return [sys.executable, "-m", "qualitygate", "check", str(STDLIB), "--config", str(config),
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


def complexipy_cmd() -> list[str] | None:
    """complexipy (Rust) over the same corpus, quiet; None when it is not installed."""
    exe = peer("complexipy")
    if exe is None:
        return None
    excludes = [arg for d in SKIP_DIRS for arg in ("-e", f"**/{d}/**")]
    return [exe, "-q", str(STDLIB), *excludes]


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


def cache_figures(config: Path, workdir: Path, repeat: int) -> dict[str, dict[str, float]]:
    """Cold (--no-cache), first run into an empty cache, warm, and complexipy's cold run (issue 5)."""
    cache = workdir / "cache"
    env = dict(os.environ, QUALITYGATE_CACHE_DIR=str(cache), PYTHONPATH=str(workdir / "src"))
    results = {"qualitygate cold": median_of(repeat, qualitygate_cmd(config, ["--no-cache"]), env)}
    results["qualitygate empty cache"] = median_of(repeat, qualitygate_cmd(config, []), env, _fresh(cache))
    results["qualitygate warm"] = median_of(repeat, qualitygate_cmd(config, []), env)
    cold, warm = qualitygate_cmd(config, ["--no-cache", *NO_VIOLATIONS]), qualitygate_cmd(config, NO_VIOLATIONS)
    results["qg cold, no violations"] = median_of(repeat, cold, env)
    results["qg warm, no violations"] = median_of(repeat, warm, env)
    # The command as users type it: the default text report (violations with their advice).
    results["qg cold, text"] = median_of(repeat, qualitygate_cmd(config, ["--no-cache"], ""), env)
    results["qg warm, text"] = median_of(repeat, qualitygate_cmd(config, [], ""), env)
    command = complexipy_cmd()
    if command:
        # complexipy keeps .complexipy_cache in its working folder: a fresh folder per run is cold.
        results["complexipy cold"] = median_of(repeat, command, env, _fresh(workdir / "complexipy", True))
    return results


def _report(config: Path, env: dict[str, str], out: Path, extra: list[str], target: Path = STDLIB) -> dict:
    cmd = [sys.executable, "-m", "qualitygate", "check", str(target), "--config", str(config),
           "--threshold", "65", "--format", f"json:{out}", *extra]  # fmt: skip
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return json.loads(out.read_text())


EDIT = "\n\ndef _qg_bench_edit(x):\n    if x:\n        for i in x:\n            if i:\n                return i\n    return None\n"


def cache_checks(config: Path, workdir: Path) -> dict[str, bool | float]:
    """The same report warm as cold, and an edited file measured again, on a copy of the corpus."""
    env = dict(os.environ, QUALITYGATE_CACHE_DIR=str(workdir / "cache"), PYTHONPATH=str(workdir / "src"))
    cold = _report(config, env, workdir / "cold.json", ["--no-cache"])
    warm = _report(config, env, workdir / "warm.json", [])
    copy = workdir / "corpus"
    shutil.copytree(STDLIB, copy, ignore=shutil.ignore_patterns(*SKIP_DIRS), symlinks=True)
    copy_config = copy / "qualitygate.toml"
    copy_config.write_text(config.read_text())
    before = _report(copy_config, env, workdir / "before.json", [], copy)
    edited = copy / "json" / "decoder.py"
    with edited.open("a", encoding="utf-8") as handle:
        handle.write(EDIT)
    start = time.perf_counter()
    after = _report(copy_config, env, workdir / "after.json", [], copy)
    seconds = time.perf_counter() - start
    changed = [f["path"] for f, g in zip(before["files"], after["files"], strict=True) if f != g]
    record = next(f for f in after["files"] if f["path"].endswith("json/decoder.py"))
    functions = {f["qualname"] for f in record["functions"]}
    return {
        "warm_report_equals_cold": warm == cold,
        "edited_file_remeasured": "_qg_bench_edit" in functions and len(changed) == 1,
        "one_edit_warm_s": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    files = corpus()
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    print(f"corpus: {STDLIB} without tests: {len(files)} files, {lines} lines; python {sys.version.split()[0]}")
    print("peers: " + ", ".join(f"{name} {peer(name) or 'not installed'}" for name in ("complexipy", "xenon", "radon")))
    workdir = Path(tempfile.mkdtemp(prefix="qg-bench-"))
    snapshot(workdir)
    os.chdir(workdir)  # `python -m qualitygate` puts the working folder first on sys.path
    config = workdir / "qualitygate.toml"
    config.write_text("exclude = [" + ", ".join(f'"{d}/"' for d in SKIP_DIRS) + "]\n")
    results: dict[str, dict[str, float]] = cache_figures(config, workdir, args.repeat)
    xenon, radon = peer("xenon"), peer("radon")
    if xenon:
        results["xenon"] = median_of(args.repeat, [xenon, "--max-absolute", "F", "-e", PEER_EXCLUDE, str(STDLIB)])
    if radon:
        results["radon cc"] = median_of(args.repeat, [radon, "cc", "-e", PEER_EXCLUDE, str(STDLIB)])
    floor = parse_floor(files, args.repeat)
    ours = results["qualitygate cold"]["median_s"]
    print(f"\n{'tool':<22}{'median s':>10}{'min s':>9}{'peak MiB':>10}{'ours / tool':>13}")
    for name, r in results.items():
        ratio = ours / r["median_s"]
        print(f"{name:<22}{r['median_s']:>10.2f}{r['min_s']:>9.2f}{r['peak_mib']:>10.1f}{ratio:>13.2f}")
    print(f"{'ast.parse floor (1 proc)':<22}{floor:>10.2f}{'':>9}{'':>10}{ours / floor:>13.2f}")
    for suffix in ("", ", no violations", ", text"):
        cold = results["qualitygate cold" if not suffix else "qg cold" + suffix]["median_s"]
        warm = results["qualitygate warm" if not suffix else "qg warm" + suffix]["median_s"]
        print(f"\n{suffix.strip(', ') or 'as configured'}: warm / cold {warm / cold:.3f} (target <= 0.10)", end="")
        if "complexipy cold" in results:
            print(f"; warm / complexipy cold {warm / results['complexipy cold']['median_s']:.2f} (target <= 1.0)", end="")
    checks = cache_checks(config, workdir)
    print(f"\nwarm report equals cold: {checks['warm_report_equals_cold']}; edited file measured again: "
          f"{checks['edited_file_remeasured']} (that run: {checks['one_edit_warm_s']:.2f} s)")  # fmt: skip
    costs = per_line_costs(files, max(1, args.repeat // 2))
    print(
        f"\nper line: pydoc_data/topics.py {costs['big_file_us_per_line']:.2f} us, "
        f"ordinary files {costs['ordinary_us_per_line']:.2f} us, ratio {costs['ratio']:.2f}"
    )
    if args.json:
        payload = {"files": len(files), "lines": lines, "tools": results, "parse_floor_s": floor,
                   "per_line": costs, "cache": checks}  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
