"""What the rule-based advisor costs on this interpreter's stdlib, next to measuring it.

Measures the stdlib (tests excluded, as in bench.py) serially in-process, gates it with the default
thresholds, then times the advisor over every violation; each ``--repeat`` times (median). The
advisor runs on every ``check`` with violations, so its cost must stay well under measuring.

    python benchmarks/suggestions_bench.py [--repeat 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
from bench import STDLIB, corpus

from qualitygate.gate.result import build_result
from qualitygate.gate.rules import Thresholds, evaluate
from qualitygate.metrics.analyze import MetricOptions
from qualitygate.metrics.pool import measure_serial
from qualitygate.models import FileMetrics
from qualitygate.suggestions.pipeline import SourceFiles
from qualitygate.suggestions.rules import rule_suggestions


def _median_seconds(repeat: int, work: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    jobs = [(path, str(path.relative_to(STDLIB))) for path in corpus()]
    options = MetricOptions(enable_dependency_analysis=False)
    outcomes: list[object] = []
    measure = _median_seconds(args.repeat, lambda: outcomes.__setitem__(
        slice(None), measure_serial(jobs, options, None)))  # fmt: skip
    files = [o for o in outcomes if isinstance(o, FileMetrics)]
    violations = [v for f in files for v in evaluate(f, Thresholds())]
    result = build_result(files, violations, [])
    read = {str(p.relative_to(STDLIB)): p for p, _ in jobs}
    advise = _median_seconds(args.repeat, lambda: rule_suggestions(
        result, lambda path: SourceFiles(0).text(str(read[path]))))  # fmt: skip
    figures = {
        "files": len(files),
        "violations": len(violations),
        "measure_serial_s": round(measure, 2),
        "advise_s": round(advise, 2),
        "advise_per_violation_ms": round(1000 * advise / max(len(violations), 1), 3),
        "advise_vs_measure": round(advise / measure, 3),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
