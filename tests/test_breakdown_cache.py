"""Statement breakdowns kept with the metrics cache: a warm run advises exactly as a cold one,
parsing nothing, and an edited file is never advised from its old bytes."""
from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qualitygate.store import buckets
from qualitygate.store.cache import MetricsCache
from qualitygate.suggestions import breakdowns as breakdowns_module
from qualitygate.suggestions.breakdown import CostSummary

from .conftest import STDLIB, CliResult
from .test_cache import edit_entry, locate, stored
from .test_suggestions_rules import PROCESS as SUGGESTIONS_PROCESS

# Real code nobody here wrote, with functions well over the thresholds below.
MODULES = ("ntpath.py", "base64.py", "re/_compiler.py")
THRESHOLDS = ("--complexity-threshold", "5", "--cognitive-threshold", "8")
# Words only a statement breakdown writes (brief advice has none of them).
DETAILED = ("contributes", "decision points", "longest block", "spread over")
SUMMARY = CostSummary._fields  # a stored breakdown is rows in this order (breakdown_cache.py)

Run = Callable[..., CliResult]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder QUALITYGATE_CACHE_DIR names for the run."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("QUALITYGATE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def stdlib_tree(tmp_path: Path) -> Path:
    """A project holding copies of a few stdlib modules."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.qualitygate]\n", encoding="utf-8")
    for name in MODULES:
        shutil.copy(STDLIB / name, root / Path(name).name)
    return root


@pytest.fixture
def check(cli: Run, stdlib_tree: Path, cache: Path) -> Run:
    """``qualitygate check . -f json`` in the stdlib tree, with extra arguments."""

    def run(*extra: str, cwd: Path = stdlib_tree) -> CliResult:
        return cli("check", ".", "-f", "json", *THRESHOLDS, *extra, cwd=cwd)

    return run


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions whose breakdown the cache had to compute afresh (a miss), in order."""
    calls: list[str] = []
    fresh = breakdowns_module.function_breakdown

    def counting(lines: list[str], func: Any, count_asserts: bool = True) -> Any:
        calls.append(func.qualname)
        return fresh(lines, func, count_asserts)

    # The runs here measure 3 files, with no pool: the breakdowns are computed in this process.
    monkeypatch.setattr(breakdowns_module, "function_breakdown", counting)
    return calls


def suggestions(result: CliResult) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = result.json()["suggestions"]
    return found


def breakdowns(cache: Path) -> dict[str, dict[str, Any]]:
    """The stored breakdowns, by the file they were kept with."""
    return {Path(key).name: entry["breakdowns"] for key, entry in stored(cache).items() if "breakdowns" in entry}


def test_a_warm_run_gives_the_cold_runs_advice_and_computes_nothing(
    check: Run, cache: Path, computed: list[str]
) -> None:
    reference = check("--no-cache")
    assert computed  # --no-cache computes every breakdown
    computed.clear()
    cold = check()
    first = list(computed)
    computed.clear()
    warm = check()
    detailed = [s for s in suggestions(reference) if any(w in s["text"] for w in DETAILED)]
    assert len(detailed) >= 10  # the case really exercises statement breakdowns
    assert suggestions(cold) == suggestions(reference)
    assert suggestions(warm) == suggestions(reference)
    assert warm.code == cold.code == reference.code == 1
    assert len(first) == sum(map(len, breakdowns(cache).values())) >= 10  # the cold run stored them
    assert computed == []  # the warm run parsed no function again
    assert warm.err == ""


# Cognitive complexity 10 (for +1, if +2, for +3, if +4); `other` comes first so editing
# `process` moves none of its lines.
OTHER = """\
def other(rows):
    for row in rows:
        if row:
            while row:
                if row.next:
                    row = row.next
    return rows
"""
# The advisor tests' function, two lines down.
PROCESS = "\n\n" + SUGGESTIONS_PROCESS
# The same function with its deepest block moved up a level and a new `if` chain in front.
PROCESS_EDITED = """\


def process(rows, limit):
    total = 0
    if not rows:
        return 0
    elif limit is None:
        return -1
    for row in rows:
        for cell in row:
            if cell > limit and row.ok:
                total += 1
    return total
"""
# The same name on the same lines, its statements in another order: the breakdown differs.
PROCESS_REORDERED = PROCESS.replace(
    "        if row.ok:\n            for cell in row:\n",
    "        for cell in row:\n            if row.ok:\n",
)
ARGS = ("check", ".", "-f", "json", "--cognitive-threshold", "4", "--complexity-threshold", "3")


def test_an_edited_function_gets_a_fresh_breakdown(
    cli: Run, project: Callable[..., Path], cache: Path, computed: list[str]
) -> None:
    # Breakdowns are kept with the file's entry: an edit recomputes that file's only.
    root = project({"pyproject.toml": "", "mod.py": PROCESS, "other.py": OTHER})
    before = suggestions(cli(*ARGS, cwd=root))
    assert sorted(breakdowns(cache)) == ["mod.py", "other.py"]
    (root / "mod.py").write_text(PROCESS_EDITED, encoding="utf-8")
    computed.clear()
    after = suggestions(cli(*ARGS, cwd=root))
    assert computed == ["process"]  # `other` is in an unchanged file and comes from the cache
    reference = suggestions(cli(*ARGS, "--no-cache", cwd=root))
    assert len(breakdowns(cache)["mod.py"]) == 1  # the old bytes' breakdown went with their entry
    assert after == reference
    texts = {s["text"] for s in before if s["qualname"] == "process"}
    assert texts and texts.isdisjoint(s["text"] for s in after if s["qualname"] == "process")


def test_an_edited_file_is_never_advised_from_its_old_breakdown(
    cli: Run, project: Callable[..., Path], cache: Path, computed: list[str]
) -> None:
    """Same function name on the same lines, other statements: the old breakdown must not serve."""
    assert PROCESS_REORDERED != PROCESS
    root = project({"pyproject.toml": "", "mod.py": PROCESS})
    before = suggestions(cli(*ARGS, cwd=root))
    [old] = breakdowns(cache)["mod.py"].values()
    (root / "mod.py").write_text(PROCESS_REORDERED, encoding="utf-8")
    computed.clear()
    after = suggestions(cli(*ARGS, cwd=root))
    assert computed == ["process"]
    assert after == suggestions(cli(*ARGS, "--no-cache", cwd=root)) != before
    [new] = breakdowns(cache)["mod.py"].values()
    assert new != old  # the entry of the new bytes carries the new breakdown only


def test_advice_from_bytes_the_cache_did_not_measure_is_not_kept(
    cli: Run, project: Callable[..., Path], cache: Path, computed: list[str]
) -> None:
    """A merge advises from the files as they are now, which may not be the bytes the cache
    measured: what it computes must not be served once the file is back to the cached bytes."""
    root = project({"pyproject.toml": "", "mod.py": PROCESS})
    reference = suggestions(cli(*ARGS, "--shard", "1/1", "-f", "json:shard.json", cwd=root))
    (root / "mod.py").write_text(PROCESS_REORDERED, encoding="utf-8")
    computed.clear()
    merged = cli("merge", "shard.json", "-f", "json", cwd=root)
    assert computed == ["process"] and suggestions(merged) != reference
    (root / "mod.py").write_text(PROCESS, encoding="utf-8")  # reverted: the cached bytes again
    computed.clear()
    assert suggestions(cli(*ARGS, cwd=root)) == reference and computed == []


def _breakdown_rows(change: Callable[[list[Any]], object]) -> Callable[[Path], None]:
    """Damage that edits the first stored summary of every breakdown."""

    def damage(cache: Path) -> None:
        def edit(entry: dict[str, Any]) -> None:
            for rows in entry.get("breakdowns", {}).values():
                change(rows)

        for name in MODULES:
            edit_entry(cache, Path(name).name, edit)

    return damage


def _buckets(content: bytes) -> Callable[[Path], None]:
    """Damage that replaces each bucket file holding a breakdown."""

    def damage(cache: Path) -> None:
        for bucket in {locate(cache, name)[0] for name in breakdowns(cache)}:
            bucket.write_bytes(content)

    return damage


@pytest.mark.parametrize(
    ("damage", "warning"),
    [
        (_buckets(b'{"format": 1, "entries": {'), "cannot read the cache file"),
        (_buckets(b'{"format": 99, "entries": {}}'), "is not in the expected format"),
        (_breakdown_rows(lambda rows: rows[0].__setitem__(SUMMARY.index("line"), "line one")), "is malformed"),
        (_breakdown_rows(lambda rows: rows[0].__setitem__(SUMMARY.index("kind"), 7)), "is malformed"),
        (_breakdown_rows(lambda rows: rows[0].__setitem__(SUMMARY.index("top"), 1)), "is malformed"),
        (_breakdown_rows(lambda rows: rows[0].pop()), "is malformed"),
        (_breakdown_rows(lambda rows: rows[0].__setitem__(SUMMARY.index("lines"), None)), "is malformed"),
        (_breakdown_rows(lambda rows: rows.__setitem__(0, {})), "is malformed"),
        (_breakdown_rows(lambda rows: rows.clear()), "is malformed"),
    ],
    ids=["bad-json", "other-format", "bad-row", "number-for-a-name", "number-for-a-bool",
         "short-row", "null-in-a-row", "row-not-a-list", "no-statements"],
)  # fmt: skip
def test_a_damaged_breakdown_is_a_warning_and_the_same_advice(
    check: Run, cache: Path, computed: list[str], damage: Callable[[Path], None], warning: str
) -> None:
    reference = check()
    kept = breakdowns(cache)
    damage(cache)
    damaged = check()
    assert warning in damaged.err
    assert suggestions(damaged) == suggestions(reference)
    assert damaged.code == reference.code
    assert breakdowns(cache) == kept  # stored again: the next run is warm again
    computed.clear()
    assert check().err == "" and computed == []


def _read_only_file_system(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    def refuse(path: Path, text: str, **_: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(buckets, "write_atomic", refuse)


def _file_in_the_way(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("not a folder\n", encoding="utf-8")  # the cache folder cannot be created


@pytest.mark.parametrize("block", [_read_only_file_system, _file_in_the_way], ids=["erofs", "file"])
def test_an_unwritable_cache_is_a_warning_never_a_failure(
    check: Run, cache: Path, monkeypatch: pytest.MonkeyPatch,
    block: Callable[[pytest.MonkeyPatch, Path], None],
) -> None:  # fmt: skip
    reference = check("--no-cache")
    block(monkeypatch, cache)
    result = check()
    assert "cannot write the cache in" in result.err
    assert suggestions(result) == suggestions(reference)
    assert result.code == reference.code
    assert not list(cache.parent.glob("**/metrics-*/??.json"))


def test_no_cache_neither_reads_nor_writes_the_breakdowns(
    check: Run, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check()
    damaged = sorted({locate(cache, name)[0] for name in breakdowns(cache)})
    for bucket in damaged:
        bucket.write_bytes(b"garbage")
    result = check("--no-cache")
    assert result.err == ""  # not read
    assert damaged and all(bucket.read_bytes() == b"garbage" for bucket in damaged)  # not written
    assert any(w in s["text"] for s in suggestions(result) for w in DETAILED)
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("QUALITYGATE_CACHE_DIR", str(fresh))
    check("--no-cache")
    assert not fresh.exists()


def test_a_run_without_function_violations_does_not_load_it(
    cli: Run, project: Callable[..., Path], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    real = MetricsCache.breakdowns

    def spy(self: MetricsCache, path: str, digest: str) -> dict[str, Any]:
        asked.append(path)
        return real(self, path, digest)

    monkeypatch.setattr(MetricsCache, "breakdowns", spy)
    root = project({"pyproject.toml": "", "mod.py": OTHER + PROCESS})
    passing = cli("check", ".", "-f", "json", "--threshold", "0", cwd=root)
    file_only = cli("check", ".", "-f", "json", "--threshold", "100", cwd=root)
    assert passing.code == 0 and passing.json()["suggestions"] == []
    assert [s["rule"] for s in suggestions(file_only)] == ["QG003"]
    assert stored(cache) and asked == [] and breakdowns(cache) == {}
    cli(*ARGS, cwd=root)  # a function violation does ask
    assert asked and breakdowns(cache)


def test_merge_advises_as_one_run_with_the_cache_warm(
    check: Run, cli: Run, stdlib_tree: Path, cache: Path, computed: list[str]
) -> None:
    whole = check()
    for k in (1, 2):
        check("--shard", f"{k}/2", "-f", f"json:shard{k}.json")
    computed.clear()
    merged = cli("merge", "shard1.json", "shard2.json", "-f", "json", cwd=stdlib_tree)
    assert suggestions(merged) == suggestions(whole)
    assert computed == []  # the whole run's breakdowns served the merged advice
