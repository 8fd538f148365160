"""A record's row is its place in the file, also when DuckDB reads a large file in parallel."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from matchers.config import load_config
from matchers.db import Database
from matchers.load import FILE_STRIDE, LoadOptions, keep_columns, load_sources

#: Enough lines (about 20 MB) for DuckDB to read the file in several parts on two threads.
LINES = 300_000


def _write(path: Path, bad_line: int | None = None) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("external_id,email,note\n")
        for n in range(1, LINES + 1):
            if n == bad_line:
                fh.write(f"E{n},one,too,many\n")
            else:
                fh.write(f"E{n},person{n}@mail.example.org,{'x' * 40}\n")
    return path


@pytest.mark.parametrize("bad_line", [None, 123_457])
def test_each_record_keeps_the_row_it_was_written_on(tmp_path: Path, bad_line: int | None) -> None:
    first = _write(tmp_path / "a.csv")
    second = _write(tmp_path / "b.csv", bad_line)
    db = Database()
    with tempfile.TemporaryDirectory() as work:
        sources = load_sources(db, [first, second], load_config(None), LoadOptions(skip_bad_rows=True), Path(work))
    for source in sources:
        ident = source.column(0)
        wrong = db.one(
            f"""SELECT count(*) FROM {source.table}
            WHERE {ident} <> 'E' || "row" OR rec <> {source.index * FILE_STRIDE} + "row" OR source <> ?""",
            [source.name],
        )
        assert wrong == 0
        assert db.one(f"SELECT count(*) FROM {source.table}") == LINES - (source.index == 1 and bad_line is not None)


@pytest.mark.parametrize("kept", [[3], []])
@pytest.mark.parametrize("bad_line", [None, 3])
def test_kept_columns_stay_with_their_records_and_the_rest_are_let_go(
    tmp_path: Path, bad_line: int | None, kept: list[int]
) -> None:
    # Before linking, only the columns the merged rows take are kept: dropped in
    # place, whether the file is a view of its rows (no rejects) or a table (rejects).
    path = tmp_path / "a.csv"
    lines = ["external_id,email,note,city"] + [f"E{n},p{n}@mail.example.org,note {n},city {n}" for n in range(1, 8)]
    if bad_line is not None:
        lines[bad_line] = "E3,one,too,many,cells"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = Database()
    with tempfile.TemporaryDirectory() as work:
        (source,) = load_sources(db, [path], load_config(None), LoadOptions(skip_bad_rows=True), Path(work))
    keep_columns(db, source, kept)
    # (A file of which no column is kept keeps its records' numbers alone.)
    assert [c for c in db.columns(source.table) if c.startswith("c")] == [source.column(p) for p in kept]
    if bad_line is not None:
        # A file with rejected rows is a table: its file name and row are not stored on every row.
        assert db.columns(source.table) == ["rec", *(source.column(p) for p in kept)]
    records = [n for n in range(1, 8) if n != bad_line]
    recs = db.rows(f"SELECT rec FROM {source.table} ORDER BY rec")
    assert recs == [(FILE_STRIDE * source.index + n,) for n in records]
    if kept:
        rows = db.rows(f"SELECT {source.column(3)} FROM {source.table} ORDER BY rec")
        assert rows == [(f"city {n}",) for n in records]
