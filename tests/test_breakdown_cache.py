"""The statement breakdowns cached on disk: a warm run advises exactly as a cold one, parsing nothing."""
from __future__ import annotations

import errno
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qualitygate.store.cache_format import checksummed
from qualitygate.suggestions import breakdown_cache, pipeline

from .conftest import STDLIB, CliResult
from .test_suggestions_rules import PROCESS as SUGGESTIONS_PROCESS

# Real code nobody here wrote, with functions well over the thresholds below.
MODULES = ("ntpath.py", "base64.py", "re/_compiler.py")
THRESHOLDS = ("--complexity-threshold", "5", "--cognitive-threshold", "8")
# Words only a statement breakdown writes (brief advice has none of them).
DETAILED = ("contributes", "decision points", "longest block", "spread over")

Run = Callable[..., CliResult]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder QUALITYGATE_CACHE_DIR names for the run (the metrics cache shares it)."""
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
    fresh = breakdown_cache.function_breakdown

    def counting(lines: list[str], func: Any) -> Any:
        calls.append(func.qualname)
        return fresh(lines, func)

    monkeypatch.setattr(breakdown_cache, "function_breakdown", counting)
    return calls


def suggestions(result: CliResult) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = result.json()["suggestions"]
    return found


def breakdown_file(cache: Path) -> Path:
    files = sorted(cache.glob("breakdowns-*.json"))
    assert len(files) == 1, files
    return files[0]


def entries(cache: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(breakdown_file(cache).read_bytes())["entries"]
    return found


def today() -> int:
    return int(time.time() // breakdown_cache.SECONDS_PER_DAY)


@pytest.fixture
def sources_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The source files the suggestion stage reads, in order."""
    read: list[str] = []
    load = pipeline.SourceFiles._load

    def counting(self: pipeline.SourceFiles, path: str) -> Any:
        read.append(path)
        return load(self, path)

    monkeypatch.setattr(pipeline.SourceFiles, "_load", counting)
    return read


def test_a_warm_run_gives_the_cold_runs_advice_and_computes_nothing(
    check: Run, cache: Path, computed: list[str], sources_read: list[str]
) -> None:
    reference = check("--no-cache")
    cold = check()
    first = list(computed)
    computed.clear()
    assert sources_read  # cold runs read the offenders' files to break them down
    sources_read.clear()
    warm = check()
    assert sources_read == []  # keyed by the digests the metrics cache has: nothing to read
    detailed = [s for s in suggestions(reference) if any(w in s["text"] for w in DETAILED)]
    assert len(detailed) >= 10  # the case really exercises statement breakdowns
    assert suggestions(cold) == suggestions(reference)
    assert suggestions(warm) == suggestions(reference)
    assert warm.code == cold.code == reference.code == 1
    assert len(first) == len(entries(cache)) >= 10  # the cold run stored what it computed
    assert computed == []  # the warm run parsed no function again
    assert "breakdown cache" not in warm.err


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
# The advisor tests' function, two lines down (its line numbers are part of the key).
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


def test_an_edited_function_gets_a_fresh_breakdown(
    cli: Run, project: Callable[..., Path], cache: Path, computed: list[str]
) -> None:
    # Breakdowns are keyed by the bytes of the whole file: an edit recomputes that file's only.
    root = project({"pyproject.toml": "", "mod.py": PROCESS, "other.py": OTHER})
    args = ("check", ".", "-f", "json", "--cognitive-threshold", "4", "--complexity-threshold", "3")
    before = suggestions(cli(*args, cwd=root))
    assert len(entries(cache)) == 2
    (root / "mod.py").write_text(PROCESS_EDITED, encoding="utf-8")
    computed.clear()
    after = suggestions(cli(*args, cwd=root))
    reference = suggestions(cli(*args, "--no-cache", cwd=root))
    assert computed == ["process"]  # `other` is in an unchanged file and comes from the cache
    assert len(entries(cache)) == 3  # the old bytes' entry stays until 30 days unseen
    assert after == reference
    texts = {s["text"] for s in before if s["qualname"] == "process"}
    assert texts and texts.isdisjoint(s["text"] for s in after if s["qualname"] == "process")


def _garbage(file: Path) -> None:
    file.write_bytes(b'{"layout": 2, "entries": {')


def _other_layout(file: Path) -> None:
    file.write_text('{"layout": 99, "entries": {}}', encoding="utf-8")


def _write(file: Path, document: dict) -> None:
    """Write ``document`` as the cache would: its crc32 matches, only the entries' checks can tell."""
    body = json.dumps(document["entries"], separators=(",", ":")).encode("ascii")
    file.write_bytes(checksummed(document["layout"], document["key"], body))


def _hand_edit(file: Path) -> None:
    data = file.read_bytes()
    file.write_bytes(data.replace(b"],[", b"], [", 1))  # still JSON, still well-formed: not the same bytes


def _rows_changed(change: Callable[[list[Any]], None]) -> Callable[[Path], None]:
    """Damage that edits the first stored summary of every entry."""

    def damage(file: Path) -> None:
        document = json.loads(file.read_bytes())
        for entry in document["entries"].values():
            change(entry[1][0])
        _write(file, document)

    return damage


_bad_row = _rows_changed(lambda row: row.__setitem__(0, "line one"))  # a string for the line
_number_for_a_name = _rows_changed(lambda row: row.__setitem__(1, 7))  # a number for the kind
_short_row = _rows_changed(lambda row: row.pop())
_null_in_a_row = _rows_changed(lambda row: row.__setitem__(4, None))


def _no_statements(file: Path) -> None:
    document = json.loads(file.read_bytes())
    document["entries"] = {key: [day, []] for key, (day, _) in document["entries"].items()}
    _write(file, document)


def _bad_entry(file: Path) -> None:
    document = json.loads(file.read_bytes())
    document["entries"] = {key: ["today", rows] for key, (_, rows) in document["entries"].items()}
    _write(file, document)


@pytest.mark.parametrize(
    ("damage", "warning"),
    [
        (_garbage, "cannot read the breakdown cache"),
        (_other_layout, "is not in the expected format"),
        (_hand_edit, "its checksum does not match"),
        (_bad_row, "has a malformed entry; computing it again"),
        (_number_for_a_name, "has a malformed entry; computing it again"),
        (_short_row, "has a malformed entry; computing it again"),
        (_null_in_a_row, "has a malformed entry; computing it again"),
        (_no_statements, "has a malformed entry; computing it again"),
        (_bad_entry, "malformed entries; ignoring them"),
    ],
    ids=["bad-json", "other-layout", "hand-edit", "bad-row", "number-for-a-name", "short-row",
         "null-in-a-row", "no-statements", "bad-entry"],
)
def test_a_damaged_cache_is_a_warning_and_the_same_advice(
    check: Run, cache: Path, damage: Callable[[Path], None], warning: str
) -> None:
    reference = check()
    count = len(entries(cache))
    damage(breakdown_file(cache))
    damaged = check()
    assert warning in damaged.err
    assert suggestions(damaged) == suggestions(reference)
    assert damaged.code == reference.code
    assert len(entries(cache)) == count  # rewritten whole: the next run is warm again
    assert "breakdown cache" not in check().err


def _read_only_file_system(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    def refuse(path: Path, text: str, **_: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(breakdown_cache, "write_atomic", refuse)


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
    assert "cannot write the breakdown cache in" in result.err
    assert suggestions(result) == suggestions(reference)
    assert result.code == reference.code
    assert not list(cache.parent.glob("**/breakdowns-*.json"))


def test_no_cache_neither_reads_nor_writes_the_breakdowns(
    check: Run, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check()
    _garbage(breakdown_file(cache))
    result = check("--no-cache")
    assert "breakdown cache" not in result.err  # not read
    assert breakdown_file(cache).read_bytes() == b'{"layout": 2, "entries": {'  # not written
    assert any(w in s["text"] for s in suggestions(result) for w in DETAILED)
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("QUALITYGATE_CACHE_DIR", str(fresh))
    check("--no-cache")
    assert not fresh.exists()


def test_entries_unseen_for_30_days_are_pruned(
    check: Run, cache: Path, computed: list[str]
) -> None:
    reference = check()
    file = breakdown_file(cache)
    stored, written = file.read_bytes(), os.stat(file)
    check()  # a warm run the same day has nothing to write
    assert (os.stat(file).st_ino, os.stat(file).st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    document = json.loads(stored)
    used = {key: [today() - 31, rows] for key, (_, rows) in document["entries"].items()}
    rows = next(iter(used.values()))[1]
    # Unseen for 31 days: dropped; for 29 days: kept; last seen 31 days ago but used now: kept.
    document["entries"] = {**used, "0" * 64: [today() - 31, rows], "1" * 64: [today() - 29, rows]}
    _write(file, document)
    computed.clear()
    result = check()
    kept = entries(cache)
    assert "0" * 64 not in kept and kept["1" * 64] == [today() - 29, rows]
    assert {key: kept[key] for key in used} == {key: [today(), rows] for key, (_, rows) in used.items()}
    assert computed == [] and suggestions(result) == suggestions(reference)


def test_a_run_without_function_violations_does_not_load_it(
    cli: Run, project: Callable[..., Path], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[Path] = []
    locate = breakdown_cache.breakdowns_file
    monkeypatch.setattr(breakdown_cache, "breakdowns_file", lambda *a: loaded.append(locate(*a)))
    root = project({"pyproject.toml": "", "mod.py": OTHER + PROCESS})
    passing = cli("check", ".", "-f", "json", "--threshold", "0", cwd=root)
    file_only = cli("check", ".", "-f", "json", "--threshold", "100", cwd=root)
    assert passing.code == 0 and passing.json()["suggestions"] == []
    assert [s["rule"] for s in suggestions(file_only)] == ["QG003"]
    assert (cache / "CACHEDIR.TAG").is_file()  # the metrics cache was written...
    assert loaded == [] and not list(cache.glob("breakdowns-*.json"))  # ...not the breakdowns


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


def test_a_file_edited_after_it_was_measured_stores_no_breakdown(tmp_path: Path) -> None:
    """The digest comes from the measurement; advice computed from other bytes is not kept."""
    from qualitygate.metrics.analyze import measure_file
    from qualitygate.metrics.options import MetricOptions
    from qualitygate.models import FileMetrics
    from qualitygate.serialize import record_without_path, with_record

    source = tmp_path / "mod.py"
    source.write_text(PROCESS, encoding="utf-8")
    measured = measure_file(source, str(source), MetricOptions())
    assert isinstance(measured, FileMetrics)
    files = pipeline.SourceFiles(0)
    digest = files.digest(str(source))
    func, lines = measured.functions[0], PROCESS.splitlines(keepends=True)
    expected = breakdown_cache.function_breakdown(lines, func)
    warnings: list[str] = []

    def advise(stamp: str, folder: Path) -> None:
        file = with_record(measured, record_without_path(measured), stamp)
        cache = breakdown_cache.BreakdownCache(folder, MetricOptions(), warnings.append, files.digest)
        assert cache.breakdown(file, func, lambda: lines) == expected
        cache.save()

    advise(digest or "", tmp_path / "same")  # the bytes measured are the bytes read
    assert list(entries(tmp_path / "same")) == [breakdown_cache.source_key(digest or "", func)]
    advise("f" * 64, tmp_path / "edited")  # measured from bytes that have since been replaced
    assert expected and not list((tmp_path / "edited").glob("breakdowns-*.json"))
    assert warnings == []


def test_merge_never_stores_breakdowns_of_metrics_measured_elsewhere(
    check: Run, cli: Run, stdlib_tree: Path, cache: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, computed: list[str],
) -> None:  # fmt: skip
    """A shard report's metrics may come from other bytes than the files here: the merge job
    computes its advice from the files, and keeps none of it for later runs."""
    whole = check("--no-cache")
    for k in (1, 2):
        check("--no-cache", "--shard", f"{k}/2", "-f", f"json:shard{k}.json")
    merge_cache = tmp_path / "merge-cache"
    monkeypatch.setenv("QUALITYGATE_CACHE_DIR", str(merge_cache))
    merged = cli("merge", "shard1.json", "shard2.json", "-f", "json", cwd=stdlib_tree)
    assert suggestions(merged) == suggestions(whole)
    assert computed  # computed from the files, as no cache had them
    assert not list(merge_cache.glob("breakdowns-*.json"))
