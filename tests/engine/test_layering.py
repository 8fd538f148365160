"""The engine's layering, read from its source: no CLI library in matchers/, DuckDB only in db.py."""

from __future__ import annotations

import ast
from pathlib import Path

MATCHERS = Path(__file__).resolve().parents[2] / "matchers"


def _imports(path: Path) -> set[str]:
    """The top-level packages a module imports, wherever in it the import stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_engine_imports_no_command_line_library() -> None:
    modules = sorted(MATCHERS.rglob("*.py"))
    assert len(modules) > 20
    offenders = {p.name: _imports(p) & {"typer", "rich", "click"} for p in modules}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_only_db_py_imports_duckdb() -> None:
    importers = sorted(p.name for p in MATCHERS.rglob("*.py") if "duckdb" in _imports(p))
    assert importers == ["db.py"]
