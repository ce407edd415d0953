"""Per-function maintainability index on the stdlib, before and after issue 15 (item 1).

"Before" is radon's formula over radon's Halstead volume of the body (what qualitygate reported
until issue 15); "after" is the index qualitygate reports now, on the complete Halstead count
(docs/metrics.md). Prints the share of functions scoring exactly 100, the big functions that
still do, a few percentiles, and the worst functions by the new index.

    python benchmarks/function_mi.py [--worst 20] [--root PATH] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import warnings
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CHECKOUT))  # run from a checkout, installed or not
sys.path.insert(0, str(CHECKOUT / "benchmarks"))

from bench import STDLIB, corpus  # noqa: E402

from qualitygate.metrics.analyze import (  # noqa: E402
    MetricOptions,
    _raw_counts,
    maintainability,
    measure_source,
)

BIG = 40  # lines: a function this long scoring 100 is what issue 15 calls out


def rows(root: Path) -> list[dict[str, object]]:
    """One row per function of the corpus: where, how long, and both indexes."""
    found = []
    for file in corpus(root):
        try:
            source = file.read_text("utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                options = MetricOptions(enable_dependency_analysis=False)
                measured = measure_source(source, str(file), options)
        except (SyntaxError, UnicodeDecodeError, ValueError, RecursionError):
            continue
        raw = _raw_counts(source)
        for f in measured.functions:
            span = raw.span(f.lineno, f.end_lineno)
            found.append({
                "path": str(file.relative_to(root)), "qualname": f.qualname, "line": f.lineno,
                "length": f.length, "cc": f.cyclomatic_complexity, "cognitive": f.cognitive_complexity,
                "before": maintainability(f.halstead_volume, f.cyclomatic_complexity, span),
                "after": f.maintainability_index, "volume": f.halstead_volume_complete,
            })  # fmt: skip
    return found


def summary(found: list[dict[str, object]], key: str) -> dict[str, object]:
    """Share of exact 100s, big functions at 100, and percentiles of one index."""
    values = sorted(float(r[key]) for r in found)  # type: ignore[arg-type]
    hundreds = sum(v == 100.0 for v in values)
    big = sum(1 for r in found if r[key] == 100.0 and int(r["length"]) >= BIG)  # type: ignore[call-overload]
    deciles = statistics.quantiles(values, n=10)
    return {"functions": len(values), "exactly_100": hundreds, "share_100": hundreds / len(values),
            f"{BIG}+_lines_at_100": big, "p10": deciles[0], "median": deciles[4], "p90": deciles[8]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=20)
    parser.add_argument("--root", type=Path, default=STDLIB)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    found = rows(args.root)
    figures = {"before": summary(found, "before"), "after": summary(found, "after")}
    for name, figure in figures.items():
        print(f"{name:7} " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                      for k, v in figure.items()))  # fmt: skip
    worst = sorted(found, key=lambda r: (r["after"], r["path"], r["line"]))[: args.worst]
    print(f"\nworst {args.worst} by the new index (before: the old one)")
    print(f"{'MI':>6} {'before':>6} {'lines':>5} {'CC':>4}  function")
    for r in worst:
        print(f"{r['after']:6.2f} {r['before']:6.2f} {r['length']:5} {r['cc']:4}  "
              f"{r['path']}:{r['line']} {r['qualname']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({**figures, "worst": worst}, indent=1))


if __name__ == "__main__":
    main()
