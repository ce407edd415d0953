"""Size and speed of the history database after 100 recorded runs of the stdlib corpus (issue 5).

The corpus is measured once and that result is recorded 100 times, an hour apart, as 100 checks of
an unchanged project would be. A second database records the same 100 runs where each run also
changes 1% of the files (one function grows more complex), the way a busy project's commits do.

    python benchmarks/history_bench.py [--runs 100] [--churn 0.01]
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from bench import SKIP_DIRS, STDLIB

from qualitygate.config import load_settings
from qualitygate.models import GateResult
from qualitygate.pipeline import gate, measure
from qualitygate.store.history import RunInfo, record_run

HOUR = 3600.0


def measured_corpus(workdir: Path) -> tuple[GateResult, Path]:
    """The stdlib without tests, measured once (no cache), and the project root it was measured from."""
    config = workdir / "qualitygate.toml"
    config.write_text("exclude = [" + ", ".join(f'"{d}/"' for d in SKIP_DIRS) + "]\n")
    settings = load_settings(config)
    files, errors = measure(settings, [STDLIB], io.StringIO(), use_cache=False)
    return gate(settings, files, errors), settings.root


def churned(result: GateResult, rng: random.Random, share: float, run: int) -> GateResult:
    """``share`` of the files with one function made ``run`` points more complex."""
    files = list(result.files)
    for index in rng.sample(range(len(files)), max(1, int(len(files) * share))):
        file = files[index]
        if file.functions:
            first = file.functions[0]._replace(cognitive_complexity=file.functions[0].cognitive_complexity + run)
            files[index] = dataclasses.replace(file, functions=(first, *file.functions[1:]))
    return dataclasses.replace(result, files=tuple(files))


def record(db: Path, result: GateResult, root: Path, runs: int, churn: float) -> list[float]:
    """Record ``runs`` runs an hour apart; returns the seconds each took."""
    rng = random.Random(5)
    start = time.time() - runs * HOUR
    seconds = []
    for run in range(runs):
        this = churned(result, rng, churn, run + 1) if churn else result
        began = time.perf_counter()
        record_run(db, this, root, RunInfo(start + run * HOUR, f"{run:040x}", "main"), retention_days=30)
        seconds.append(time.perf_counter() - began)
    return seconds


def size_of(db: Path) -> int:
    """The database file after a checkpoint (the WAL folded in)."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return db.stat().st_size


def counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    tables = ("runs", "file_states", "function_states", "run_files", "violation_states", "run_violations")
    found = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
    con.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--churn", type=float, default=0.01, help="share of files changed per run in the second database")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="qg-history-"))
    result, root = measured_corpus(workdir)
    functions = sum(len(f.functions) for f in result.files)
    print(f"corpus: {len(result.files)} files, {functions} functions, {len(result.violations)} violations")
    for label, churn in (("unchanged project", 0.0), (f"{args.churn:.0%} of files changed per run", args.churn)):
        db = workdir / f"history-{churn}.db"
        seconds = record(db, result, root, args.runs, churn)
        size = size_of(db)
        print(f"\n{label}: {args.runs} runs -> {size / 1024 / 1024:.2f} MiB ({size / args.runs / 1024:.1f} KiB per run)")
        print(f"  record: first {seconds[0]:.2f} s, median {statistics.median(seconds):.3f} s")
        print("  rows: " + ", ".join(f"{table} {n}" for table, n in counts(db).items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
