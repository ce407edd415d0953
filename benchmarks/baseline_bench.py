"""What a baseline costs on this interpreter's stdlib: its size, and ``check`` with and without it.

Records a baseline of the stdlib (tests excluded, as in bench.py), then times ``check`` with the
baseline and with ``--no-baseline``, each ``--repeat`` times (median), both without the metrics
cache (every file measured) and with a warm cache (where the gate's own work shows most).

    python benchmarks/baseline_bench.py [--repeat 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import SKIP_DIRS, STDLIB, corpus, median_of


def _cmd(command: str, config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "qualitygate", command, str(STDLIB), "--config", str(config), *extra]


def record_baseline(config: Path) -> dict[str, float]:
    """Write the baseline once; its entry count, size in bytes and files with an entry."""
    subprocess.run(_cmd("baseline", config), check=True, capture_output=True)
    from qualitygate.gate.baseline import Baseline, Entry, dumps

    path = config.parent / ".qualitygate-baseline.json"
    entries = json.loads(path.read_text())["entries"]
    # The stdlib lies outside this run's project root, so its paths are stored absolute; in a
    # project they are relative to the root, so also give the size with the stdlib as the root.
    prefix = STDLIB.as_posix() + "/"
    relative = [Entry(e["path"].removeprefix(prefix), e["symbol"], e["rule"], e["value"]) for e in entries]
    return {"entries": len(entries), "bytes": path.stat().st_size,
            "bytes_relative": len(dumps(Baseline(tuple(relative))).encode()),
            "files": len({e["path"] for e in entries})}  # fmt: skip


def time_checks(config: Path, repeat: int) -> dict[str, dict[str, float]]:
    """Median wall time of check with and without the baseline, cold and with a warm cache."""
    out = ["--format", "json:/dev/null"]
    runs = {
        "no cache, with baseline": _cmd("check", config, *out, "--no-cache"),
        "no cache, --no-baseline": _cmd("check", config, *out, "--no-cache", "--no-baseline"),
        "warm cache, with baseline": _cmd("check", config, *out),
        "warm cache, --no-baseline": _cmd("check", config, *out, "--no-baseline"),
    }
    subprocess.run(runs["warm cache, with baseline"], check=False, capture_output=True)  # fill it
    return {name: median_of(repeat, cmd) for name, cmd in runs.items()}


def gate_cost(config: Path, repeat: int) -> dict[str, float]:
    """The gate stage alone, in this process, on metrics measured once: the baseline's own cost
    (end-to-end times also include writing the report and any advice on failing offenders)."""
    import io
    import statistics
    import time

    from qualitygate.config import load_settings
    from qualitygate.gate.baseline import load
    from qualitygate.pipeline import gate, measure

    settings = load_settings(config)
    files, errors = measure(settings, [STDLIB], io.StringIO())
    recorded = load(config.parent / settings.baseline)

    def median(**kwargs: object) -> float:
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            gate(settings, files, errors, **kwargs)  # type: ignore[arg-type]
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    return {"gate_s_with_baseline": median(baseline=recorded), "gate_s_without": median()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="qg-baseline-bench-"))
    try:
        config = workdir / "qualitygate.toml"
        config.write_text("exclude = [" + ", ".join(f'"{d}/"' for d in SKIP_DIRS) + "]\n")
        print(f"corpus: {STDLIB} without tests: {len(corpus())} files; python {sys.version.split()[0]}")
        size = record_baseline(config)
        print(f"baseline: {size['entries']:.0f} entries in {size['files']:.0f} files, {size['bytes']:.0f} bytes "
              f"({size['bytes_relative']:.0f} with paths relative to the stdlib folder)")  # fmt: skip
        times = time_checks(config, args.repeat)
        print(f"\n{'check':<28}{'median s':>10}{'min s':>9}{'exit':>6}")
        for name, r in times.items():
            print(f"{name:<28}{r['median_s']:>10.2f}{r['min_s']:>9.2f}{r['exit_code']:>6.0f}")
        cost = gate_cost(config, args.repeat)
        print(f"\ngate stage only (in process): {cost['gate_s_with_baseline'] * 1000:.1f} ms with the "
              f"baseline, {cost['gate_s_without'] * 1000:.1f} ms without")  # fmt: skip
        if args.json:
            payload = {"baseline": size, "check": times, "gate": cost}
            args.json.write_text(json.dumps(payload, indent=2))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
