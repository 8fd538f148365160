"""Where a Database spills what does not fit in its memory limit: the system's
temporary folder, or the folder it is given; never the current folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from matchers.db import Database

#: A table DuckDB cannot hold under the limit below (about 200 MB of text), so it spills.
BIG = "CREATE TABLE t AS SELECT range AS n, repeat(md5(range::VARCHAR), 3) AS s FROM range(2000000)"


def _spill(db: Database) -> list[Path]:
    db.run(BIG)
    return [Path(p) for (p,) in db.rows("SELECT path FROM duckdb_temporary_files()")]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A current folder and a system temporary folder of the test's own."""
    cwd, system = tmp_path / "cwd", tmp_path / "system"
    cwd.mkdir()
    system.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(tempfile, "tempdir", str(system))
    return cwd, system


def test_without_a_temp_dir_it_spills_into_the_systems_temporary_folder(elsewhere: tuple[Path, Path]) -> None:
    cwd, system = elsewhere
    db = Database(memory_limit="64MB")
    files = _spill(db)
    assert files, "nothing spilled: the test would prove nothing"
    assert {f.parent.resolve() for f in files} == {system.resolve()}
    assert list(cwd.iterdir()) == []
    db.close()
    assert list(system.iterdir()) == []  # DuckDB removes its files on closing


def test_a_given_temp_dir_is_where_it_spills(elsewhere: tuple[Path, Path], tmp_path: Path) -> None:
    cwd, system = elsewhere
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    db = Database(memory_limit="64MB", temp_dir=str(chosen))
    files = _spill(db)
    assert files
    assert {f.parent.resolve() for f in files} == {chosen.resolve()}
    assert list(cwd.iterdir()) == [] and list(system.iterdir()) == []
    db.close()
