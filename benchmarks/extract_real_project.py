"""Deterministic extract-function on a real project with a test suite (issue 13, "Measure it").

Downloads a project's sdist from PyPI (default attrs 26.1.0, whose sdist ships its tests; rich's
does not), runs its tests once as they are (tests that already fail there are deselected, and
listed), then ``qualitygate suggest --no-cache`` with no AI configured on its source folder, and
reports the offenders of QG001/QG002, the extractions offered, skipped (with the reasons from the
log line "extractions: N offered, M skipped (...)"), and verified. Then each offered extraction is
applied alone to a fresh copy, and the project's whole suite runs again: an extraction that makes
it fail changes behaviour (the target is 0). Each alone-extraction is made with the same
``extract()`` the command uses, and checked against the command's log (helper name, block line)
and, for a file with one extraction, against the command's patch byte for byte.

Runs the project's code (its tests), in copies under --workdir. Network: PyPI only (pip). On 2
cores, for attrs: about 3 minutes (one suite run is ~40 s; one suggest run ~40 s).

    python benchmarks/extract_real_project.py --venv /tmp/benchvenv [--project attrs==26.1.0]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PROJECT = "attrs==26.1.0"
DEFAULT_TEST_DEPS = "pytest hypothesis pympler cloudpickle"  # attrs' "tests" dependency group
_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)
_COUNT = re.compile(r"(\d+) (passed|failed|errors?)\b")
_OFFERED = re.compile(r"suggest: (\S+):(\d+) `([^`]+)`: extract the block at line (\d+) into `([^`(]+)\(.*?; "
                      r"(QG00\d) measured .*?; ((?:un)?verified): (.*)$")  # fmt: skip
_SKIPPED = re.compile(r"extractions: (\d+) offered, (\d+) skipped(?: \((.*)\))?$")


# -- the environment: a venv with qualitygate, the project and its test dependencies ------------


def ensure_venv(venv: Path, project: str, test_deps: str, extra: str = "") -> None:
    """Re-run this script under ``venv``'s Python, creating it first when it does not exist."""
    if Path(sys.prefix).resolve() == venv.resolve():
        return
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} (qualitygate from {REPO}, {project}, {test_deps})", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        spec = f"{REPO}[ai]" if extra == "ai" else str(REPO)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", spec, project, *test_deps.split()],
                       check=True)  # fmt: skip
    os.execv(str(python), [str(python), *sys.argv])


# -- the project: its sdist, a pristine copy, and its tests --------------------------------------


def fetch_sdist(project: str, workdir: Path) -> Path:
    """The project's sdist from PyPI, unpacked under ``workdir``; it must ship a tests folder."""
    downloads = workdir / "sdist"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                    project, "-d", str(downloads)], check=True)  # fmt: skip
    name, _, version = project.partition("==")
    archive = next(p for p in downloads.glob("*.tar.gz") if p.name.lower().startswith(f"{name.lower()}-{version}"))
    target = workdir / archive.name.removesuffix(".tar.gz")
    if not target.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(workdir, filter="data")
    if not any((target / d).is_dir() for d in ("tests", "test")):
        raise SystemExit(f"{archive.name} ships no tests/ folder: choose another --project")
    return target


def fresh_copy(pristine: Path, dest: Path) -> Path:
    """A clean copy of the project at ``dest`` (replacing what was there)."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(pristine, dest, ignore=shutil.ignore_patterns("__pycache__", ".qualitygate_cache"))
    return dest


class Suite(NamedTuple):
    """One run of the project's whole test suite."""

    passed: bool
    counts: str  # "1376 passed, 1 failed"
    failing: tuple[str, ...]  # node ids of failed and erroring tests
    seconds: float


def test_env(copy: Path, deselect: Sequence[str], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The copy's sources first on the import path (as qualitygate's runs do), and the deselected
    tests in PYTEST_ADDOPTS, which both our runs and qualitygate's pytest runs read."""
    env = dict(base if base is not None else os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(copy / "src"), str(copy)])
    env["PYTEST_ADDOPTS"] = " ".join(f"--deselect={node}" for node in deselect)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_suite(copy: Path, deselect: Sequence[str], timeout: float) -> Suite:
    """The whole suite, as ``python -m pytest`` in the copy (no -x, so every failure is listed)."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider"],
                              cwd=copy, env=test_env(copy, deselect), capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return Suite(False, f"timed out after {timeout:g} s", (), time.perf_counter() - start)
    output = done.stdout + done.stderr
    counts = ", ".join(f"{n} {w}" for n, w in _COUNT.findall(output[-3000:])) or output.strip()[-200:]
    failing = tuple(dict.fromkeys(_FAILED.findall(output)))
    return Suite(done.returncode == 0, counts, failing, time.perf_counter() - start)


def baseline(copy: Path, deselect: list[str], timeout: float) -> Suite:
    """The suite on the untouched project; tests that fail there are deselected from then on
    (they cannot tell a change apart), and the second run must pass."""
    first = run_suite(copy, deselect, timeout)
    print(f"baseline suite: {first.counts} ({first.seconds:.0f} s)")
    if first.passed:
        return first
    deselect.extend(first.failing)
    for node in first.failing:
        print(f"  failing before any change, deselected: {node}")
    again = run_suite(copy, deselect, timeout)
    print(f"baseline suite, deselected: {again.counts} ({again.seconds:.0f} s)")
    if not again.passed:
        raise SystemExit("the project's tests do not pass even with the failing ones deselected")
    return again


# -- qualitygate ----------------------------------------------------------------------------------


def qualitygate(args: Sequence[str], copy: Path, env: Mapping[str, str], log: Path) -> tuple[int, str, float]:
    """``python -m qualitygate ARGS`` in the copy; its stderr is written to ``log`` and returned."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "qualitygate", *args], cwd=copy, env=dict(env),
                          capture_output=True, text=True, check=False)  # fmt: skip
    log.write_text(done.stderr, encoding="utf-8")
    return done.returncode, done.stderr, time.perf_counter() - start


def offenders(copy: Path, source: str, env: Mapping[str, str], workdir: Path) -> list[dict[str, object]]:
    """The QG001/QG002 violations of ``qualitygate check``, one per function (JSON report)."""
    report = workdir / "check.json"
    qualitygate(["check", source, "--no-cache", "-f", f"json:{report}"], copy, env, workdir / "check.log")
    seen: dict[tuple[object, object], dict[str, object]] = {}
    for v in json.loads(report.read_text(encoding="utf-8"))["violations"]:
        if v["rule"] in ("QG001", "QG002"):
            seen.setdefault((v["path"], v["symbol"]), v)
    return list(seen.values())


class Offer(NamedTuple):
    """One extraction the command offered, as its log line names it."""

    path: str
    line: int
    qualname: str
    block_line: int
    helper: str
    rule: str
    verified: bool
    evidence: str


def parse_offers(log: str) -> tuple[list[Offer], str]:
    """The extractions offered, and the skipped summary ("12 skipped (2 ...; 1 ...)")."""
    offers, summary = [], ""
    for line in log.splitlines():
        if found := _OFFERED.search(line):
            path, line_no, qualname, block, helper, rule, label, words = found.groups()
            offers.append(Offer(path, int(line_no), qualname, int(block), helper, rule, label == "verified", words))
        elif found := _SKIPPED.search(line):
            summary = line.split("suggest: ", 1)[1]
    return offers, summary


def alone(copy: Path, offer: Offer) -> str:
    """The file with this one extraction made on the original text, as the command makes it
    (the command goes bottom up, so the text above an extraction is the original's)."""
    from qualitygate.config import load_settings, metric_options
    from qualitygate.gate.rules import evaluate
    from qualitygate.metrics.analyze import measure_source
    from qualitygate.suggestions.extract import extract

    settings = load_settings(start=copy)
    options = metric_options(settings)
    source = (copy / offer.path).read_text(encoding="utf-8")
    file = measure_source(source, offer.path, options)
    func = next(f for f in file.functions if f.qualname == offer.qualname and f.lineno == offer.line)
    v = next(v for v in evaluate(file, settings.thresholds) if v.symbol == func.id and v.rule == offer.rule)
    done = extract(source, offer.path, func, v, options)
    if (done.helper, done.block_line) != (offer.helper, offer.block_line):
        raise SystemExit(f"{offer.path} `{offer.qualname}`: the extraction made alone differs from the "
                         f"command's ({done.helper} at {done.block_line})")  # fmt: skip
    return done.source


def skip_reasons(copy: Path, found: Sequence[Mapping[str, object]], offers: Sequence[Offer]) -> Counter[str]:
    """Why each offender without an offer was skipped, every reason (the log line names the five
    commonest only): ``extract()`` tried again on the original file."""
    from qualitygate.config import load_settings, metric_options
    from qualitygate.gate.rules import evaluate
    from qualitygate.metrics.analyze import measure_source
    from qualitygate.suggestions.extract import extract
    from qualitygate.suggestions.flow import Unmovable

    settings = load_settings(start=copy)
    options, done = metric_options(settings), {(o.path, o.line) for o in offers}
    reasons: Counter[str] = Counter()
    for v in found:
        if (v["path"], v["line"]) in done:
            continue
        path = str(v["path"])
        file = measure_source((copy / path).read_text(encoding="utf-8"), path, options)
        func = next(f for f in file.functions if f.id == v["symbol"])
        # The command extracts for the cognitive rule first when both fail.
        rules = sorted((x for x in evaluate(file, settings.thresholds) if x.symbol == func.id
                        and x.rule in ("QG001", "QG002")), key=lambda x: x.rule != "QG002")  # fmt: skip
        try:
            extract((copy / path).read_text(encoding="utf-8"), path, func, rules[0], options)
            reasons["extractable alone: dropped later (static checks or tests; see the log)"] += 1
        except Unmovable as exc:
            reasons[str(exc)] += 1
    return reasons


def patched_files(pristine: Path, patch: Path, dest: Path) -> Path:
    """A copy with the command's whole patch applied (``git apply``, as the docs advise)."""
    fresh_copy(pristine, dest)
    if patch.read_text(encoding="utf-8").strip():
        subprocess.run(["git", "apply", str(patch)], cwd=dest, check=True)
    return dest


# -- the benchmark --------------------------------------------------------------------------------


class Row(NamedTuple):
    offer: Offer
    suite: Suite


def apply_each(pristine: Path, offers: Sequence[Offer], whole: Path, args: argparse.Namespace,
               deselect: Sequence[str]) -> list[Row]:  # fmt: skip
    """Each extraction alone on a fresh copy, then the whole suite."""
    per_file = {o.path: sum(x.path == o.path for x in offers) for o in offers}
    rows = []
    for offer in offers[: args.limit]:
        text = alone(pristine, offer)
        if per_file[offer.path] == 1 and text != (whole / offer.path).read_text(encoding="utf-8"):
            raise SystemExit(f"{offer.path}: the extraction made alone differs from the command's patch")
        copy = fresh_copy(pristine, args.workdir / "alone")
        (copy / offer.path).write_text(text, encoding="utf-8", newline="")
        suite = run_suite(copy, deselect, args.timeout)
        print(f"  {offer.path}:{offer.line} `{offer.qualname}` alone: {suite.counts} ({suite.seconds:.0f} s)",
              flush=True)  # fmt: skip
        rows.append(Row(offer, suite))
    return rows


def print_tables(project: str, found: Sequence[Mapping[str, object]], offers: Sequence[Offer],
                 summary: str, rows: Sequence[Row], timings: Mapping[str, float]) -> None:  # fmt: skip
    """The per-extraction table, then the summary table."""
    print(f"\n## Deterministic extractions on {project}\n")
    print("| function | rule | block -> helper | label | tests with it alone |")
    print("|---|---|---|---|---|")
    for row in rows:
        o = row.offer
        outcome = "pass" if row.suite.passed else f"FAIL ({', '.join(row.suite.failing[:3])})"
        print(f"| {o.path}:{o.line} `{o.qualname}` | {o.rule} | line {o.block_line} -> `{o.helper}` | "
              f"{'verified' if o.verified else 'unverified'} | {outcome} |")  # fmt: skip
    breaking = [r for r in rows if not r.suite.passed]
    skipped = re.search(r"(\d+) skipped", summary)
    print("\n| measure | value |\n|---|---|")
    for name, value in (
        ("offenders (QG001/QG002 functions)", len(found)),
        ("extractions offered", len(offers)),
        ("skipped", f"{skipped.group(1) if skipped else '?'}: {summary.partition('skipped')[2].strip(' ()') or '-'}"),
        ("verified", sum(o.verified for o in offers)),
        ("applied alone and tested", len(rows)),
        ("change behaviour (suite fails alone, passes before)", len(breaking)),
        ("verified ones that change behaviour", sum(r.offer.verified for r in breaking)),
    ):
        print(f"| {name} | {value} |")
    print("\n" + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))


def print_reasons(reasons: Counter[str]) -> None:
    print("\n| skipped: every reason (extract() on the original file) | count |\n|---|---|")
    for reason, count in reasons.most_common():
        print(f"| {reason} | {count} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=DEFAULT_PROJECT, help="NAME==VERSION on PyPI (default %(default)s)")
    parser.add_argument("--source", default="src", help="the folder to measure, in the project (default %(default)s)")
    parser.add_argument("--venv", type=Path, help="run under this venv, created (qualitygate, the project and "
                        "--test-deps) when missing; default: the running interpreter")  # fmt: skip
    parser.add_argument("--test-deps", default=DEFAULT_TEST_DEPS, help="pip requirements of the tests (default: attrs')")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/qg-extract-bench"), help="where copies go")
    parser.add_argument("--deselect", action="append", default=[], help="a test node id to leave out (repeatable)")
    parser.add_argument("--limit", type=int, default=None, help="apply and test at most N extractions")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per suite run (default %(default)s)")
    args = parser.parse_args()
    if args.venv:
        ensure_venv(args.venv, args.project, args.test_deps)
    args.workdir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    pristine = fetch_sdist(args.project, args.workdir)
    deselect = list(args.deselect)
    baseline(pristine, deselect, args.timeout)
    timings["baseline"] = time.perf_counter() - start
    env = {k: v for k, v in test_env(pristine, deselect).items() if not k.startswith(("OPENAI", "AZURE_OPENAI"))}
    env.pop("PYTHONPATH")  # qualitygate sets it for its own test runs
    found = offenders(pristine, args.source, env, args.workdir)
    patch = args.workdir / "extractions.patch"
    run_copy = fresh_copy(pristine, args.workdir / "suggest")
    _, log, timings["suggest"] = qualitygate(["suggest", args.source, "--no-cache", "-o", str(patch)], run_copy, env,
                                             args.workdir / "suggest.log")  # fmt: skip
    offers, summary = parse_offers(log)
    print(f"suggest: {summary} ({timings['suggest']:.0f} s); log in {args.workdir / 'suggest.log'}")
    whole = patched_files(pristine, patch, args.workdir / "whole")
    start = time.perf_counter()
    rows = apply_each(pristine, offers, whole, args, deselect)
    timings["apply each alone and test"] = time.perf_counter() - start
    print_tables(args.project, found, offers, summary, rows, timings)
    print_reasons(skip_reasons(pristine, found, offers))


if __name__ == "__main__":
    main()
