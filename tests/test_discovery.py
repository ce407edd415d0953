"""File discovery: symlinks, .gitignore, include/exclude globs, named paths, unreadable folders."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualitygate.discovery.files import DEFAULT_EXCLUDED_DIRS, PYTHON_SUFFIXES, discover
from qualitygate.errors import UsageError
from qualitygate.paths import display_path

from .conftest import STDLIB

pytestmark = pytest.mark.crossversion  # also run on every other supported Python (.ci/run)

TREE = {
    ".gitignore": "gen/\n/top_only.py\n",
    "a.py": "",
    "b.pyi": "",
    "notes.txt": "",
    "top_only.py": "",
    "gen/g.py": "",
    "pkg.py/inner.py": "",
    "src/m.py": "",
    "src/top_only.py": "",
    "src/legacy/old.py": "",
    "src/legacy/keep.py": "",
    "nested/.gitignore": "*.py\n!n.py\n",
    "nested/n.py": "",
    "nested/other.py": "",
    ".venv/v.py": "",
    "build/b.py": "",
}
SYMLINK_ERRORS = {
    "broken.py": "broken symlink",
    "loop_a.py": "symlink loop",
    "loop_b.py": "symlink loop",
}
# link.py is a symlink to a.py: one file, measured once under its own name (issue 12).
EVERYTHING = [
    "a.py", "b.pyi", "nested/n.py", "pkg.py/inner.py",
    "src/legacy/keep.py", "src/legacy/old.py", "src/m.py", "src/top_only.py",
]  # fmt: skip


@pytest.fixture
def tree(project, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TREE plus symlinks: to a file, dangling, a loop, and to a folder (never entered)."""
    root = project(TREE)
    (root / "link.py").symlink_to(root / "a.py")
    (root / "broken.py").symlink_to(root / "missing.py")
    (root / "loop_a.py").symlink_to(root / "loop_b.py")
    (root / "loop_b.py").symlink_to(root / "loop_a.py")
    (root / "dirlink").symlink_to(root / "src")
    (root / "dirlink.py").symlink_to(root / "src")
    monkeypatch.chdir(root)
    return root


def _run(paths: list[str], root: Path, include=(), exclude=(), gitignore=True):
    found = discover([Path(p) for p in paths], root, include, exclude, gitignore)
    return [display_path(p) for p in found.files], {e.path: e.message for e in found.errors}


CASES = [
    # (paths, include, exclude, gitignore, files)
    pytest.param(["."], (), (), True, EVERYTHING, id="everything"),
    pytest.param(
        ["."], (), (), False, sorted([*EVERYTHING, "gen/g.py", "nested/other.py", "top_only.py"]),
        id="without-gitignore",
    ),
    pytest.param(
        ["."], ("src/**",), (), True,
        ["src/legacy/keep.py", "src/legacy/old.py", "src/m.py", "src/top_only.py"], id="include",
    ),
    pytest.param(
        ["."], (), ("src/legacy/*.py", "!src/legacy/keep.py"), True,
        [f for f in EVERYTHING if f != "src/legacy/old.py"], id="exclude-with-negation",
    ),
    pytest.param(
        ["."], (), ("legacy/", "*.pyi"), True,
        [f for f in EVERYTHING if "legacy" not in f and f != "b.pyi"], id="exclude-folder-anywhere",
    ),
    pytest.param(
        ["gen", "notes.txt", "src/m.py"], ("gen/**",), (), True, ["gen/g.py", "notes.txt", "src/m.py"],
        id="named-paths-beat-include-and-gitignore",
    ),
    pytest.param(["src/legacy/old.py"], (), ("legacy/",), True, [], id="exclude-beats-a-named-file"),
    pytest.param(["src", "src/m.py", ".", "src"], (), (), True, EVERYTHING, id="duplicates-once"),
    pytest.param(
        ["./src/../src/"], (), (), True,
        ["src/../" + f for f in EVERYTHING if f.startswith("src/")], id="dots-kept-as-given",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("paths", "include", "exclude", "gitignore", "files"), CASES)
def test_discover(tree: Path, paths, include, exclude, gitignore, files) -> None:
    found, errors = _run(paths, tree, include, exclude, gitignore)
    assert found == files
    if paths == ["."]:
        assert {path: message.split(":")[0] for path, message in errors.items()} == SYMLINK_ERRORS


def test_symlink_problems_named_explicitly(tree: Path) -> None:
    assert _run(["loop_a.py", "link.py"], tree) == (["link.py"], {"loop_a.py": "symlink loop"})


def test_gitignore_above_the_root_does_not_apply(project, monkeypatch: pytest.MonkeyPatch) -> None:
    outer = project({".gitignore": "ignored.py\n", "proj/ignored.py": "", "proj/kept.py": ""})
    monkeypatch.chdir(outer)
    assert _run(["proj"], outer / "proj")[0] == ["proj/ignored.py", "proj/kept.py"]
    assert _run(["proj"], outer)[0] == ["proj/kept.py"]


def test_a_malformed_gitignore_line_is_left_out_and_the_rest_applies(project, monkeypatch) -> None:
    """git matches nothing with a line like ``[z-a]`` or a trailing backslash; the other lines
    of the file still apply (the whole file used to be ignored, or to crash the run)."""
    root = project({".gitignore": "gen/\n[z-a].py\nbad\\\n*.tmp.py\n", "gen/g.py": "", "a.tmp.py": "",
                    "kept.py": "", "z.py": "", "a.py": ""})  # fmt: skip
    monkeypatch.chdir(root)
    assert _run(["."], root)[0] == ["a.py", "kept.py", "z.py"]


def test_globs_outside_the_root_are_relative_to_the_named_folder(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    for name in ("o.py", "tests/t.py", "sub/tests/u.py"):
        (outside / name).parent.mkdir(parents=True, exist_ok=True)
        (outside / name).write_text("")
    found, errors = _run([str(outside)], tree, exclude=("/tests/",))
    assert found == [(outside / name).as_posix() for name in ("o.py", "sub/tests/u.py")]
    assert errors == {}


def test_missing_path_is_a_usage_error(tree: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.py: no such file or directory"):
        discover([Path("nope.py")], tree)


@pytest.mark.parametrize("blocked", [{"a_dir"}, {"z_dir"}, {"a_dir", "z_dir"}, {"top"}])
def test_unreadable_folders_are_errors(project, monkeypatch: pytest.MonkeyPatch, blocked) -> None:
    """Every folder that cannot be listed is reported, the first, the last and the named one."""
    everything = ["top/a_dir/x.py", "top/m_dir/x.py", "top/t.py", "top/z_dir/x.py"]
    root = project(dict.fromkeys(everything, ""))
    monkeypatch.chdir(root)
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(path) in blocked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found, errors = _run(["top"], root)
    unlisted = {f"top/{name}" if name != "top" else "top" for name in blocked}
    assert errors == dict.fromkeys(sorted(unlisted), "cannot list directory: Permission denied")
    assert found == [f for f in everything if not any(f.startswith(u + "/") for u in unlisted)]


@pytest.mark.parametrize(
    ("path", "cwd", "shown"),
    [
        ("a/b.py", "/work", "a/b.py"),
        (".", "/work", "."),
        ("/work/a.py", "/work", "a.py"),
        ("/work", "/work", "."),
        ("/elsewhere/a.py", "/work", "/elsewhere/a.py"),
    ],
)
def test_display_path(path: str, cwd: str, shown: str) -> None:
    assert display_path(Path(path), Path(cwd)) == shown


@pytest.mark.skipif(not STDLIB.is_dir(), reason="no stdlib folder")
def test_same_files_as_os_walk_on_the_stdlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scandir walk finds exactly what a plain os.walk does, in display-path order."""
    monkeypatch.chdir(tmp_path)
    skip = {"test", "tests", "idle_test", "site-packages", "__pycache__"} | DEFAULT_EXCLUDED_DIRS
    expected = []
    for dirpath, dirnames, filenames in os.walk(STDLIB):
        dirnames[:] = [d for d in dirnames if d not in skip]
        names = [n for n in filenames if n.endswith(PYTHON_SUFFIXES)]
        expected += [display_path(Path(dirpath) / n) for n in names]
    found = discover([STDLIB], tmp_path, (), [f"{name}/" for name in sorted(skip)], True)
    assert [display_path(p) for p in found.files] == sorted(expected)


@pytest.mark.parametrize("spelling", [".", "./src", "src/../src/", "ROOT", "./src/m.py"])
def test_shown_paths_are_the_display_paths(tree: Path, spelling: str) -> None:
    """Reports name files by ``shown``; it must be what ``display_path`` says of each file."""
    given = tree if spelling == "ROOT" else Path(spelling)
    found = discover([given], tree)
    assert found.files and len(found.shown) == len(found.files)
    assert list(found.shown) == [display_path(f) for f in found.files]
    assert list(found.shown) == sorted(found.shown)


TANGLED = "def t(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(11)) + "    return -1\n"
CLEAN = "def ok():\n    return 1\n"


@pytest.mark.parametrize("failing", ["byte", "backslash"])
def test_two_files_that_once_printed_alike_are_both_gated(cli, tmp_path: Path, failing: str) -> None:
    """A name holding the byte 0xff and a name spelled ``bad\\xff.py``: each is its own file, and
    whichever fails, the gate fails (issue 12: one of them used to be dropped)."""
    byte_name, literal = os.fsencode(tmp_path) + b"/bad\xff.py", tmp_path / "bad\\xff.py"
    try:
        Path(os.fsdecode(byte_name)).write_text(TANGLED if failing == "byte" else CLEAN)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    literal.write_text(TANGLED if failing == "backslash" else CLEAN)
    for extra in ([], ["--no-cache"]):
        result = cli("check", ".", "-f", "json", *extra, cwd=tmp_path)
        report = result.json()
        assert result.code == 1 and report["summary"]["files"] == 2
        paths = sorted(f["path"] for f in report["files"])
        assert paths == ["bad\\\\xff.py", "bad\\xff.py"]  # the literal backslash is doubled
        failed = {v["path"] for v in report["violations"] if v["rule"] == "QG001"}
        assert failed == {"bad\\xff.py" if failing == "byte" else "bad\\\\xff.py"}


def test_one_file_named_twice_is_measured_once(cli, tmp_path: Path) -> None:
    """``check d d/../d`` and a symlink to a file: identity is the real path (issue 12)."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "m.py").write_text(TANGLED)
    (tmp_path / "link.py").symlink_to(tmp_path / "d" / "m.py")
    report = cli("check", "d", "d/../d", "d/m.py", "link.py", "-f", "json", cwd=tmp_path).json()
    assert [f["path"] for f in report["files"]] == ["d/m.py"]
    assert report["summary"]["violations"] == 2  # QG001 and QG003, counted once


def test_real_paths_resolved_per_folder_equal_realpath(tmp_path: Path) -> None:
    """Discovery resolves each folder once and joins the file's name (files.py, _RealPaths): the
    same as ``os.path.realpath`` for plain files, file symlinks, symlinked folders and ``..``."""
    from qualitygate.discovery.files import _RealPaths

    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "e" / "a.py").write_text("x = 1\n")
    (tmp_path / "d" / "b.py").symlink_to(tmp_path / "d" / "e" / "a.py")
    (tmp_path / "linked").symlink_to(tmp_path / "d")
    names = ["d/e/a.py", "d/b.py", "linked/e/a.py", "linked/b.py", "d/e/../b.py", "linked/../d/e/a.py", "d/missing.py"]
    real = _RealPaths()
    for name in names * 2:  # the second round is answered from resolved folders
        path = tmp_path / name
        assert real(path) == os.path.realpath(path), name
