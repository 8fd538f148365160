"""The output files: their row order, and the figures of report.json against them."""

from __future__ import annotations

import bisect
import errno
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from matchers import screen, survive, write
from matchers.db import Database
from matchers.pipeline import RunOptions, run
from matchers.survive import SORT_BOUNDS
from tests.engine.helpers import read_csv, resolve_files

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [ROOT / "sample_data" / "esputnik_export.csv", ROOT / "sample_data" / "mailchimp_export.csv"]


def test_contacts_are_written_by_contact_id_and_membership_in_input_order(tmp_path: Path) -> None:
    # Contacts are sorted as they are written, a range of contact_id at a time;
    # membership is not sorted: it relies on its table being made in this order.
    result = resolve_files(tmp_path, SAMPLES)
    ids = [c["contact_id"] for c in result.contacts]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    files = [p.name for p in SAMPLES]
    refs = [(files.index(m["source"]), int(m["row"])) for m in result.membership]
    assert refs == sorted(refs)


def test_parquet_contacts_are_the_csv_rows_by_contact_id(tmp_path: Path) -> None:
    # Contacts are written a sorted range of contact_id at a time: to CSV as
    # files appended in order, to Parquet as row groups of one file.
    run(SAMPLES, RunOptions(out=tmp_path / "csv", region="UA", format="csv"))
    run(SAMPLES, RunOptions(out=tmp_path / "pq", region="UA", format="parquet"))
    rows = pq.read_table(tmp_path / "pq" / "contacts.parquet").to_pylist()
    ids = [r["contact_id"] for r in rows]
    assert ids == sorted(ids) and len(ids) > len(SORT_BOUNDS)
    written = read_csv(tmp_path / "csv" / "contacts.csv")
    assert [{k: v or "" for k, v in r.items()} for r in rows] == written


def test_parquet_written_in_parts_holds_the_rows_of_one_statement_in_fixed_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Parquet outputs of several parts are written through Arrow: contacts a
    # part at a time, links (beyond write.RECORDS_PER_LINKS_PART records) as
    # DuckDB makes its rows. The rows and their order must be those of one
    # statement (links of a small run: one range, one COPY); every row group of
    # links but the last must hold write.PARQUET_GROUP_ROWS rows wherever
    # ranges and batches end; the same input must give the very same bytes.
    whole = tmp_path / "whole"
    run(SAMPLES, RunOptions(out=whole, region="UA", format="parquet"))
    monkeypatch.setattr(write, "RECORDS_PER_LINKS_PART", 7)
    monkeypatch.setattr(write, "PARQUET_GROUP_ROWS", 10)
    parts = [tmp_path / "parts", tmp_path / "again"]
    for out in parts:
        run(SAMPLES, RunOptions(out=out, region="UA", format="parquet"))
    for name in ("contacts.parquet", "links.parquet"):
        rows = pq.read_table(whole / name).to_pylist()
        assert pq.read_table(parts[0] / name).to_pylist() == rows, name
        assert (parts[1] / name).read_bytes() == (parts[0] / name).read_bytes(), name
    meta = pq.ParquetFile(parts[0] / "links.parquet").metadata
    groups = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert groups[:-1] == [10] * (len(groups) - 1) and 0 < groups[-1] <= 10, groups
    links = pq.read_table(parts[0] / "links.parquet").to_pylist()
    assert len({(r["source"], r["row"]) for r in links}) > 3 * 7, "links should make several ranges"
    assert not [p.name for p in parts[0].iterdir() if p.name.startswith(".")], "no part file is left behind"


@pytest.mark.parametrize("rows", [0, 25])
def test_streamed_parquet_parts_keep_their_columns_and_rows_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    # With no rows at all (a links of records with no value) the file still has the columns.
    monkeypatch.setattr(write, "PARQUET_GROUP_ROWS", 10)
    queries = [
        f"SELECT range AS n, 'row ' || range AS text FROM range({a}, {b}) ORDER BY n"
        for a, b in ((0, rows // 2), (rows // 2, rows))
    ]
    with write.AtomicWriter(tmp_path / "out") as writer:
        write.write_parts(Database(), writer, "parts.parquet", queries, "parquet", stream=True)
    table = pq.read_table(tmp_path / "out" / "parts.parquet")
    assert table.column_names == ["n", "text"]
    assert table.to_pylist() == [{"n": n, "text": f"row {n}"} for n in range(rows)]
    meta = pq.ParquetFile(tmp_path / "out" / "parts.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == ([10, 10, 5] if rows else [])


def test_an_error_writing_parquet_stops_the_making_of_parts_and_is_raised(tmp_path: Path) -> None:
    # Arrow writes on a thread of its own while the next part is made; its error must
    # reach the caller, and the parts after it must not all be made for nothing.
    made = []

    def tables() -> Iterator[tuple[pa.Table, int | None]]:
        yield pa.table({"n": [1, 2]}), None
        yield pa.table({"n": ["not a number"]}), None
        for k in range(100):
            made.append(k)
            yield pa.table({"n": [k]}), None

    with pytest.raises(ValueError, match="schema"):
        write._write_behind(tmp_path / "x.parquet", tables())
    assert len(made) < 5


def test_an_error_writing_streamed_parquet_is_raised_and_leaves_the_connection_usable(tmp_path: Path) -> None:
    # The rows were being read a batch at a time when Arrow failed: the error reaches
    # the caller, and the connection runs the next statement.
    db = Database()
    target = tmp_path / "taken.parquet"
    target.mkdir()  # Arrow cannot open a folder as its file
    queries = [f"SELECT range AS n FROM range({a}, {a + 50})" for a in (0, 50)]
    with pytest.raises(OSError):
        write.write_parquet_parts(db, queries, target, stream=True)
    assert db.one("SELECT 42") == 42


def test_identifier_and_quality_figures_agree_with_links(tmp_path: Path) -> None:
    result = resolve_files(tmp_path, SAMPLES)
    report = json.loads((result.out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["records"] == len(result.membership)
    statuses: dict[str, dict[tuple[str, str], set[str]]] = {}
    for link in read_csv(result.out / "links.csv"):
        statuses.setdefault(link["identifier"], {}).setdefault((link["source"], link["row"]), set()).add(link["status"])
    records = report["summary"]["records"]
    for stats in report["summary"]["identifiers"]:
        held = statuses.get(stats["name"], {})
        assert stats["records_with_value"] == len(held), stats["name"]
        filled = sum(1 for s in held.values() if s - {"blocked"})
        assert report["quality"][f"fill_rate:{stats['name']}"] == filled / records, stats["name"]
    for ident in ("email", "phone"):
        held = statuses[ident]
        invalid = sum(1 for s in held.values() if "invalid" in s)
        assert invalid and report["quality"][f"invalid_{ident}_rate"] == invalid / len(held)


def test_a_memory_limit_changes_no_output_byte(tmp_path: Path) -> None:
    # Under a limit the contacts are sorted in ranges of contact_id (survive.SORT_BOUNDS)
    # and appended; the files must be the very bytes of an unlimited run.
    free = tmp_path / "free"
    limited = tmp_path / "limited"
    run(SAMPLES, RunOptions(out=free, region="UA", force=True, format="csv"))
    run(
        SAMPLES, RunOptions(out=limited, region="UA", force=True, format="csv", memory_limit="200MB", temp_dir=tmp_path)
    )
    ids = [c["contact_id"] for c in read_csv(limited / "contacts.csv")]
    ranges = {bisect.bisect_right(SORT_BOUNDS, i) for i in ids}
    assert len(ranges) == len(SORT_BOUNDS) + 1, "the sample's contacts should fall in every range"
    for name in ("contacts.csv", "membership.csv", "findings.csv", "links.csv"):
        assert (limited / name).read_bytes() == (free / name).read_bytes(), name


def test_contacts_built_in_parts_change_no_output_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Big runs build the contacts' identifier columns a range of gid at a time
    # (survive.CONTACTS_PER_PART), tell the records to hash a range at a time
    # (survive.RECORDS_PER_PART), group the values by number a range at a time
    # (screen.VALUES_PER_GROUPING), and write links.csv a range of records at a
    # time (write.RECORDS_PER_LINKS_PART); the files must be the very bytes of
    # one part. The import layout also reads the primary phone those parts hold.
    whole = tmp_path / "whole"
    parts = tmp_path / "parts"
    run(SAMPLES, RunOptions(out=whole, region="UA", force=True, format="csv", to="esputnik"))
    monkeypatch.setattr(survive, "CONTACTS_PER_PART", 4)
    monkeypatch.setattr(survive, "RECORDS_PER_PART", 4)
    monkeypatch.setattr(screen, "VALUES_PER_GROUPING", 10)
    monkeypatch.setattr(write, "RECORDS_PER_LINKS_PART", 4)
    run(SAMPLES, RunOptions(out=parts, region="UA", force=True, format="csv", to="esputnik"))
    contacts = read_csv(parts / "contacts.csv")
    assert len(contacts) > 8 * survive.CONTACTS_PER_PART, "the sample's contacts should make several parts"
    assert len(read_csv(parts / "membership.csv")) > 8 * write.RECORDS_PER_LINKS_PART
    # The value counts (distinct and usable values per identifier) are summed over the groupings' ranges.
    summaries = [json.loads((out / "report.json").read_text(encoding="utf-8"))["summary"] for out in (whole, parts)]
    assert summaries[0] == summaries[1]
    assert all(i["distinct_values"] for i in summaries[1]["identifiers"])
    assert not list(parts.glob(".*")), "no part file is left behind"
    # report.json and report.html name the folder and the timings.
    files = sorted(p.relative_to(whole) for p in whole.rglob("*") if p.is_file() and not p.name.startswith("report."))
    assert Path("contacts.csv") in files and any(f.parts[0] == "esputnik" for f in files if len(f.parts) > 1)
    for name in files:
        assert (parts / name).read_bytes() == (whole / name).read_bytes(), name


def _partial_copy_then_failure(source: int, target: int, count: int, offset_src: int, offset_dst: int) -> int:
    """os.copy_file_range as a file system might behave: a few bytes, then an error."""
    if offset_src >= 5:
        raise OSError(18, "Invalid cross-device link")
    data = os.pread(source, min(count, 2), offset_src)
    return os.pwrite(target, data, offset_dst)


@pytest.mark.parametrize("kernel", ["real", "absent", "partial"])
def test_a_part_is_appended_whole_with_or_without_the_kernels_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel: str
) -> None:
    # Parts of contacts and links are appended by os.copy_file_range where the
    # system has it; where it is absent or stops with an error part-way, the
    # rest is copied through a buffer.
    if kernel == "absent":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    elif kernel == "partial":
        monkeypatch.setattr(os, "copy_file_range", _partial_copy_then_failure, raising=False)
    monkeypatch.setattr(write, "PART_COPY_BUFFER", 3)
    head, tail = b"id,name\nc1,\xd0\x86\xd0\xbd\xd0\xbd\xd0\xb0\n", bytes(range(256)) * 3
    path, part = tmp_path / "contacts.csv", tmp_path / "part"
    path.write_bytes(head)
    part.write_bytes(tail)
    write.append_file(part, path)
    assert path.read_bytes() == head + tail
    assert part.read_bytes() == tail


#: Three parts of a CSV output, each larger than a pipe's buffer (64 KB on Linux).
PARTS = [
    f"SELECT range AS n, 'row ' || range AS text FROM range({a}, {b}) ORDER BY n"
    for a, b in ((0, 9000), (9000, 20000), (20000, 31000))
]
WHOLE = b"n,text\n" + b"".join(f"{n},row {n}\n".encode() for n in range(31000))


def _write(tmp_path: Path, name: str, queries: list[str]) -> Path:
    with write.AtomicWriter(tmp_path / name) as writer:
        write.write_parts(Database(), writer, "parts.csv", queries, "csv")
    return tmp_path / name / "parts.csv"


def _refuse_pipe(path: object, mode: int = 0o666) -> None:
    """os.mkfifo in a folder whose file system has no named pipes."""
    raise OSError(errno.EPERM, "Operation not permitted", str(path))


#: What each system lacks: functions of ``os`` absent (None) or replaced.
SYSTEMS: dict[str, dict[str, object]] = {
    "pipe": {},
    "pipe without splice": {"splice": None},
    "no pipes": {"mkfifo": None},
    "folder without pipes": {"mkfifo": _refuse_pipe},
}


@pytest.mark.parametrize("system", SYSTEMS)
def test_parts_are_written_whole_and_in_order_with_or_without_a_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, system: str
) -> None:
    # DuckDB writes the parts of a CSV output into a named pipe that a thread empties
    # into the file (os.splice on Linux, reads and writes elsewhere); where there are no
    # named pipes (Windows) or the folder's file system refuses one, each part goes to a
    # file of its own, appended to the output.
    for name, replacement in SYSTEMS[system].items():
        if replacement is None:
            monkeypatch.delattr(os, name, raising=False)
        else:
            monkeypatch.setattr(os, name, replacement, raising=False)
    path = _write(tmp_path, "out", PARTS)
    assert path.read_bytes() == WHOLE
    assert sorted(p.name for p in path.parent.iterdir()) == ["parts.csv"]


def test_a_part_that_fails_raises_its_error_and_leaves_no_file(tmp_path: Path) -> None:
    # One statement fails before DuckDB opens the pipe (a wrong column), one while
    # writing into it (an error raised by a row): neither leaves the thread that empties
    # the pipe waiting for ever, and the output folder holds nothing.
    before = threading.active_count()
    with pytest.raises(duckdb.BinderException):
        _write(tmp_path, "before", [PARTS[0], "SELECT no_such_column FROM range(10)"])
    failing = "SELECT CASE WHEN range < 20000 THEN range ELSE error('row 20000 is wrong') END AS n FROM range(30000)"
    with pytest.raises(duckdb.InvalidInputException, match="row 20000 is wrong"):
        _write(tmp_path, "during", [PARTS[0], failing])
    assert [list((tmp_path / name).iterdir()) for name in ("before", "during")] == [[], []]
    assert threading.active_count() <= before + 2  # at most the two Databases' own threads, not collected yet


def test_a_full_disk_while_a_part_is_written_is_an_os_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The disk fills while the thread moves a part into the file: the pipe is closed
    # under DuckDB, so its statement stops too, and the disk's error (ENOSPC, which the
    # CLI tells as a full disk) is raised with the output file's name.
    moved = {"calls": 0}

    def fills_up(source: int, target: int, count: int) -> int:
        moved["calls"] += 1
        if moved["calls"] > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_splice(source, target, min(count, 1000))

    real_splice = getattr(os, "splice", None)
    if real_splice is None or not hasattr(os, "mkfifo"):
        pytest.skip("needs named pipes and os.splice (Linux)")
    monkeypatch.setattr(os, "splice", fills_up)
    started = time.perf_counter()
    with pytest.raises(OSError) as raised:
        _write(tmp_path, "out", PARTS)
    assert raised.value.errno == errno.ENOSPC
    assert Path(raised.value.filename).parent == tmp_path / "out"
    assert list((tmp_path / "out").iterdir()) == []
    assert time.perf_counter() - started < 10
