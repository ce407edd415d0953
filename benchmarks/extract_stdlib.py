"""Deterministic extract-function on the running interpreter's stdlib (issue 13): for every
offender of QG001 and QG002 at the default thresholds, extract the block the advice names, or say
why not. Reports how many were handled, how many were skipped and why, and whether any measured
result differs from the advice's prediction (the target is 0).

    python benchmarks/extract_stdlib.py [--limit N] [--every K]
"""
from __future__ import annotations

import argparse
import re
import sysconfig
import time
from collections import Counter
from pathlib import Path

from qualitygate.gate.rules import Thresholds, evaluate
from qualitygate.metrics.analyze import measure_source
from qualitygate.metrics.options import MetricOptions
from qualitygate.models import Metric
from qualitygate.suggestions.extract import Mispredicted, extract
from qualitygate.suggestions.flow import Unmovable

OPTIONS = MetricOptions()


def _files(every: int, limit: int | None) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = {"site-packages", "test", "tests", "idle_test", "__pycache__"}
    found = sorted(p for p in root.rglob("*.py") if not skip & set(p.relative_to(root).parts))
    return found[::every][:limit]


def _reason(text: str) -> str:
    """A refusal with its names and numbers blanked, so equal reasons count together."""
    return re.sub(r"\d+(\.\d+)?", "N", re.sub(r"`[^`]*`", "`X`", text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--every", type=int, default=1, help="take every K-th file")
    parser.add_argument("--limit", type=int, default=None, help="at most N files")
    args = parser.parse_args()
    handled, mispredicted = Counter[str](), []
    skipped: Counter[str] = Counter()
    start = time.perf_counter()
    files = _files(args.every, args.limit)
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
            file = measure_source(source, str(path), OPTIONS)
        except (UnicodeDecodeError, SyntaxError, ValueError):
            continue
        by_id = {f.id: f for f in file.functions}
        for v in evaluate(file, Thresholds(maintainability_threshold=0)):
            if v.metric not in (Metric.CYCLOMATIC, Metric.COGNITIVE) or v.symbol not in by_id:
                continue
            try:
                extract(source, str(path), by_id[v.symbol], v, OPTIONS)
                handled[v.rule] += 1
            except Mispredicted as exc:
                mispredicted.append(f"{path}:{v.line} {v.symbol} {v.rule}: {exc}")
            except Unmovable as exc:
                skipped[_reason(str(exc))] += 1
    elapsed = time.perf_counter() - start
    total = sum(handled.values()) + sum(skipped.values()) + len(mispredicted)
    print(f"{len(files)} files, {total} offenders (QG001 and QG002) in {elapsed:.1f} s")
    print(f"handled: {sum(handled.values())} ({dict(sorted(handled.items()))}); measured == predicted for all of them")
    print(f"mispredicted: {len(mispredicted)}")
    for line in mispredicted:
        print("  " + line)
    print(f"skipped: {sum(skipped.values())}")
    for reason, count in skipped.most_common():
        print(f"  {count:5d}  {reason}")


if __name__ == "__main__":
    main()
