"""Benchmark qualitygate against its peers on this interpreter's own stdlib (tests excluded).

Every figure comes from one run of this script: each command runs ``--repeat`` times and the
median is reported, so the ratios compare tools measured on the same machine at the same moment.

    python benchmarks/bench.py [--repeat 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import ast
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

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


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """Wall time, exit code and peak memory (KiB, whole process tree) of one command."""
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
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


def median_of(repeat: int, cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Median wall time and the largest peak memory over ``repeat`` runs."""
    runs = [timed(cmd, env) for _ in range(repeat)]
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


def qualitygate_cmd(config: Path, extra: list[str]) -> list[str]:
    """Our check over the stdlib, JSON to /dev/null so output cost is included but not printed."""
    return [sys.executable, "-m", "qualitygate", "check", str(STDLIB), "--config", str(config),
            "--threshold", "65", "--format", "json:/dev/null", *extra]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    files = corpus()
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    print(f"corpus: {STDLIB} without tests: {len(files)} files, {lines} lines; python {sys.version.split()[0]}")
    workdir = Path(tempfile.mkdtemp(prefix="qg-bench-"))
    config = workdir / "qualitygate.toml"
    config.write_text("exclude = [" + ", ".join(f'"{d}/"' for d in SKIP_DIRS) + "]\n")
    env = dict(os.environ)
    results: dict[str, dict[str, float]] = {}
    results["qualitygate cold"] = median_of(args.repeat, qualitygate_cmd(config, []), env)
    if shutil.which("xenon"):
        results["xenon"] = median_of(
            args.repeat, ["xenon", "--max-absolute", "F", "-e", PEER_EXCLUDE, str(STDLIB)]
        )
    if shutil.which("radon"):
        results["radon cc"] = median_of(args.repeat, ["radon", "cc", "-e", PEER_EXCLUDE, str(STDLIB)])
    floor = parse_floor(files, args.repeat)
    ours = results["qualitygate cold"]["median_s"]
    print(f"\n{'tool':<22}{'median s':>10}{'min s':>9}{'peak MiB':>10}{'ours / tool':>13}")
    for name, r in results.items():
        ratio = ours / r["median_s"]
        print(f"{name:<22}{r['median_s']:>10.2f}{r['min_s']:>9.2f}{r['peak_mib']:>10.1f}{ratio:>13.2f}")
    print(f"{'ast.parse floor (1 proc)':<22}{floor:>10.2f}{'':>9}{'':>10}{ours / floor:>13.2f}")
    costs = per_line_costs(files, max(1, args.repeat // 2))
    print(
        f"\nper line: pydoc_data/topics.py {costs['big_file_us_per_line']:.2f} us, "
        f"ordinary files {costs['ordinary_us_per_line']:.2f} us, ratio {costs['ratio']:.2f}"
    )
    if args.json:
        payload = {"files": len(files), "lines": lines, "tools": results, "parse_floor_s": floor,
                   "per_line": costs}  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
