"""Cache scaling of qualitygate: 8 copies of this interpreter's stdlib (tests excluded) in one project.

a. A warm one-file run in the project whose cache holds all 8 copies, against the same run in a
   project holding only that file (target: within 1.20 of it).
b. A warm full run against a cold ``--no-cache`` run of the same tree: wall time and peak memory
   of the whole process tree (target: warm peak <= cold peak), and the run that writes the cache.

Times are medians over ``--repeat`` runs (``--full-repeat`` for full runs), peaks the largest.

    python benchmarks/scale_bench.py [--repeat 5] [--full-repeat 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench

COPIES = 8
ONE_FILE = Path("copy3") / "json" / "decoder.py"
PYPROJECT = "[tool.qualitygate]\n"
CACHE = ".qualitygate_cache"  # the default place, in the project root
Figures = dict[str, float]


def _not_python(folder: str, names: list[str]) -> set[str]:
    """The files a check never reads (the stdlib's 60 MB of libraries and data): not copied."""
    return {n for n in names if not n.endswith(".py") and not os.path.isdir(os.path.join(folder, n))}


def make_project(folder: Path, corpus: Path) -> Path:
    """A project (pyproject.toml with an empty [tool.qualitygate]) holding copy1..copy8."""
    folder.mkdir()
    (folder / "pyproject.toml").write_text(PYPROJECT)
    for n in range(1, COPIES + 1):
        shutil.copytree(corpus, folder / f"copy{n}", ignore=_not_python, symlinks=True)
    return folder


def make_single(folder: Path, project: Path) -> Path:
    """A project holding only pyproject.toml and ONE_FILE, at the same relative path."""
    (folder / ONE_FILE).parent.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(PYPROJECT)
    shutil.copy2(project / ONE_FILE, folder / ONE_FILE)
    return folder


def environment(src: Path) -> dict[str, str]:
    """The snapshot of the package on PYTHONPATH; each project's cache in its default place."""
    env = dict(os.environ, PYTHONPATH=str(src))
    env.pop("QUALITYGATE_CACHE_DIR", None)
    return env


def check(path: str, *extra: str, fmt: str = "json:/dev/null") -> list[str]:
    """``check`` as bench.py runs it (this interpreter, ``-m qualitygate``), from the project."""
    return [sys.executable, "-m", "qualitygate", "check", path, "--threshold", "65", "--format", fmt, *extra]


def summary(runs: list[tuple[float, int, int]]) -> Figures:
    """As bench.median_of: median and min wall time, largest peak (MiB), last exit code."""
    return {
        "median_s": statistics.median(r[0] for r in runs),
        "min_s": min(r[0] for r in runs),
        "peak_mib": max(r[2] for r in runs) / 1024,
        "exit_code": runs[-1][1],
    }


def full_runs(project: Path, env: dict[str, str], repeat: int) -> dict[str, Figures]:
    """Cold (--no-cache), the first run into an emptied cache, then warm, in turn ``repeat``
    times (drift hits all three alike); the cache is left filled."""
    full, cold = check("."), check(".", "--no-cache")
    runs: dict[str, list[tuple[float, int, int]]] = {"cold --no-cache": [], "first run, empty cache": [], "warm": []}
    for _ in range(repeat):
        runs["cold --no-cache"].append(bench.timed(cold, env, project))
        shutil.rmtree(project / CACHE, ignore_errors=True)
        runs["first run, empty cache"].append(bench.timed(full, env, project))
        runs["warm"].append(bench.timed(full, env, project))
    return {name: summary(r) for name, r in runs.items()}


def one_file_runs(project: Path, single: Path, env: dict[str, str], repeat: int) -> dict[str, Figures]:
    """The warm one-file run in both projects, alternated so that drift hits both alike."""
    command = check(ONE_FILE.as_posix())
    bench.timed(command, env, single)  # warm the single-file project's cache
    full: list[tuple[float, int, int]] = []
    alone: list[tuple[float, int, int]] = []
    for _ in range(repeat):
        full.append(bench.timed(command, env, project))
        alone.append(bench.timed(command, env, single))
    return {"project with 8 copies cached": summary(full), "empty project": summary(alone)}


def cache_mib(project: Path) -> float:
    """The size of the project's cache folder."""
    return sum(f.stat().st_size for f in (project / CACHE).rglob("*") if f.is_file()) / 2**20


def files_measured(project: Path, env: dict[str, str]) -> int:
    """qualitygate's ``summary.files`` for the whole project (a warm run: the cache is filled)."""
    out = project.parent / "files.json"
    bench.timed(check(".", fmt=f"json:{out}"), env, project)
    return json.loads(out.read_text())["summary"]["files"]


def print_rows(title: str, rows: dict[str, Figures]) -> None:
    """A table of figures; a warning when a run did not end as a check does (exit 0 or 1)."""
    print(f"\n{title}\n{'':<34}{'median s':>10}{'min s':>9}{'peak MiB':>10}{'exit':>6}")
    for name, r in rows.items():
        print(f"  {name:<32}{r['median_s']:>10.3f}{r['min_s']:>9.3f}{r['peak_mib']:>10.1f}{r['exit_code']:>6}")
    if any(r["exit_code"] not in (0, 1) for r in rows.values()):
        print("WARNING: a run failed (exit code not 0 or 1): its figures are not a check's", file=sys.stderr)


def verdicts(one: dict[str, Figures], full: dict[str, Figures]) -> dict[str, float]:
    """The ratios the targets are about."""
    cold, warm = full["cold --no-cache"], full["warm"]
    return {
        "one_file_full_over_empty": one["project with 8 copies cached"]["median_s"] / one["empty project"]["median_s"],
        "warm_over_cold_s": warm["median_s"] / cold["median_s"],
        "warm_over_cold_peak": warm["peak_mib"] / cold["peak_mib"],
    }


def run(args: argparse.Namespace, workdir: Path) -> dict:
    """Every figure, measured in ``workdir`` (the caller removes it)."""
    env = environment(bench.snapshot(workdir))
    corpus = bench.copy_corpus(workdir / "corpus")
    files = bench.corpus(corpus)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    project = make_project(workdir / "project", corpus)
    shutil.rmtree(corpus)
    single = make_single(workdir / "single", project)
    print(f"corpus: {COPIES} copies of {bench.STDLIB} without tests: {COPIES * len(files)} files, "
          f"{COPIES * lines} lines; python {sys.version.split()[0]}; {bench.cpus()} CPUs")  # fmt: skip
    full = full_runs(project, env, args.full_repeat or min(args.repeat, 3))
    measured = files_measured(project, env)
    print(f"qualitygate summary.files: {measured}" + ("" if measured == COPIES * len(files) else "  <- WARNING: differs"))
    before = cache_mib(project)
    one = one_file_runs(project, single, env, args.repeat)
    after = cache_mib(project)
    ratios = verdicts(one, full)
    print_rows(f"a. one-file warm run ({ONE_FILE.as_posix()})", one)
    print(f"  8-copy project's cache: {before:.1f} MiB before these runs, {after:.1f} MiB after"
          + ("" if after >= 0.9 * before else "  <- WARNING: it no longer holds the 8 copies"))  # fmt: skip
    print(f"  8-copy project / empty project: {ratios['one_file_full_over_empty']:.2f} (target <= 1.20)")
    print_rows(f"b. full run, {COPIES} copies", full)
    print(f"  warm / cold: time {ratios['warm_over_cold_s']:.3f}, peak memory {ratios['warm_over_cold_peak']:.2f} "
          "(target: peak <= 1.00)")  # fmt: skip
    return {"files": COPIES * len(files), "lines": COPIES * lines, "summary_files": measured,
            "cache_mib_before_after_one_file": [before, after],
            "one_file": one, "full": full, "ratios": ratios}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per one-file figure (median)")
    parser.add_argument("--full-repeat", type=int, help="runs per full-run figure (default: --repeat, at most 3)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.json:
        args.json = args.json.resolve()
    workdir = Path(tempfile.mkdtemp(prefix="qg-scale-bench-"))
    try:
        payload = run(args, workdir)
    finally:  # on errors and Ctrl-C too
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
