"""Which test modules cover a function (issue 13, item 2): those that import its module, found by
reading their imports, never by running them."""
from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

TEST_FOLDERS = ("tests", "test")
# Not copied for a test run, nor searched for tests: version control, caches, virtual environments
# and build output.
IGNORED = (".git", ".hg", ".svn", ".qualitygate_cache", "__pycache__", ".venv", "venv", ".tox",
           ".nox", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist")  # fmt: skip
_SKIPPED = frozenset((*IGNORED, "site-packages"))


def _is_test_file(path: Path, root: Path) -> bool:
    """pytest's default names (``test_*.py``, ``*_test.py``) anywhere, or any module in a tests folder."""
    name = path.name
    if name.startswith("test_") or name.endswith("_test.py"):
        return True
    parts = path.relative_to(root).parts
    return name != "conftest.py" and any(part in TEST_FOLDERS for part in parts[:-1])


def test_files(root: Path) -> list[Path]:
    """Every test module of the project, sorted."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED and not d.startswith("."))
        here = Path(folder)
        found += [here / f for f in files if f.endswith(".py") and _is_test_file(here / f, root)]
    return sorted(found)


def module_name(path: Path, roots: tuple[str, ...]) -> str | None:
    """The dotted name ``path`` is imported by, from the deepest source root holding it."""
    absolute = Path(os.path.abspath(path))
    for folder in sorted(roots, key=len, reverse=True):
        try:
            parts = list(absolute.relative_to(folder).with_suffix("").parts)
        except ValueError:
            continue
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None
    return None


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The module a ``from`` import reads, relative imports resolved against ``package``."""
    if not node.level:
        return node.module or ""
    base = package.split(".")[: max(len(package.split(".")) - node.level + 1, 0)] if package else []
    return ".".join([*base, *([node.module] if node.module else [])])


def imported(tree: ast.AST, package: str) -> Iterator[str]:
    """Every module name an import in ``tree`` may load: ``a.b`` for ``import a.b``; ``a`` and
    ``a.c`` for ``from a import c`` (``c`` may be a submodule)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            yield module
            yield from (f"{module}.{alias.name}" if module else alias.name for alias in node.names)


def imports_module(path: Path, target: str, roots: tuple[str, ...]) -> bool:
    """Whether the test module at ``path`` imports ``target`` (or a submodule of it)."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError):
        return False
    own = module_name(path, roots) or ""
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    return any(name == target or name.startswith(f"{target}.") for name in imported(tree, package))


def covering(root: Path, target: str | None, roots: tuple[str, ...]) -> list[Path]:
    """The project's test modules that import ``target``; [] when none does or it has no name."""
    if not target:
        return []
    return [path for path in test_files(root) if imports_module(path, target, roots)]
