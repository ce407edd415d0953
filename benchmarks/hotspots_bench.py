"""Cold and warm times of ``qualitygate hotspots`` on real git repositories (issue 14).

Each run is the whole command, ``python -m qualitygate hotspots PATHS --days N -f json``, in the
repository's work tree, with ``QUALITYGATE_CACHE_DIR`` pointing at a folder of the benchmark's:

- cold: an empty cache folder, so the metrics are measured and the history read from git;
- history cold: the metrics cached, only the history read from git (what a new commit costs);
- warm: both cached (a second run at the same commit).

Medians of ``--runs`` runs each, and warm / cold. The repository must have at least
``--min-commits`` commits (1,000 by default), so the figures say something about real histories.

    python benchmarks/hotspots_bench.py REPO [REPO...] [--paths src] [--days 180 0] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
    env["QUALITYGATE_CACHE_DIR"] = str(cache)
    return env


def run_once(repo: Path, cache: Path, args: list[str]) -> float:
    """Seconds for one ``hotspots`` run; a failing run stops the benchmark with its stderr."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "qualitygate", "hotspots", *args], cwd=repo,
                          env=_env(cache), capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"hotspots failed in {repo} (exit {done.returncode}): {done.stderr}")
    return seconds


def _forget_history(cache: Path) -> None:
    for stored in cache.glob("churn-*.json"):
        stored.unlink()


def measure(repo: Path, args: list[str], runs: int, workdir: Path) -> dict[str, float]:
    """Median seconds of the cold, history-cold and warm runs."""
    cold, history_cold, warm = [], [], []
    for number in range(runs):
        cache = workdir / f"cache-{number}"
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(run_once(repo, cache, args))
        warm.append(run_once(repo, cache, args))
        _forget_history(cache)
        history_cold.append(run_once(repo, cache, args))
        shutil.rmtree(cache, ignore_errors=True)
    return {"cold": statistics.median(cold), "history cold": statistics.median(history_cold),
            "warm": statistics.median(warm)}  # fmt: skip


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def describe(repo: Path) -> str:
    commits = int(_git(repo, "rev-list", "--count", "HEAD"))
    head = _git(repo, "log", "-1", "--format=%h %cs")
    return f"{repo.name}: {commits} commits, HEAD {head}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path, help="git work trees to run in")
    parser.add_argument("--paths", nargs="*", default=[], help="PATHS given to hotspots (default: the whole tree)")
    parser.add_argument("--days", nargs="+", type=int, default=[180, 0], help="windows to time (0: the whole history)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--min-commits", type=int, default=1000)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qg-hotspots-") as folder:
        for repo in options.repos:
            repo = repo.resolve()
            commits = int(_git(repo, "rev-list", "--count", "HEAD"))
            note = "" if commits >= options.min_commits else f" (fewer than {options.min_commits})"
            print(f"{describe(repo)}{note}; paths: {' '.join(options.paths) or '.'}; {options.runs} runs each")
            print(f"  {'window':<14} {'cold s':>8} {'history cold s':>15} {'warm s':>8} {'warm/cold':>10}")
            for days in options.days:
                args = [*options.paths, "--days", str(days), "-f", "json"]
                found = measure(repo, args, options.runs, Path(folder))
                window = f"{days} days" if days else "all history"
                print(f"  {window:<14} {found['cold']:>8.2f} {found['history cold']:>15.2f} "
                      f"{found['warm']:>8.2f} {found['warm'] / found['cold']:>10.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
