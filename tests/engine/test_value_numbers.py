"""Value numbers (``vals.vid``): one per identifier and normalised value, even when two hashes clash."""

from __future__ import annotations

import tempfile
from pathlib import Path

from matchers.config import load_config
from matchers.db import Database
from matchers.load import LoadOptions, load_sources
from matchers.normalise import build_records, build_values
from matchers.screen import VALUE_NUMBER, number_values, screen_values
from tests.engine.helpers import resolve_rows, write_csv

ROWS = [
    {"email": "Ann@x.com", "phone": "+380671234567"},
    {"email": "ann@x.com", "phone": "0671234567", "cookie": "c1"},
    {"email": "bob@x.com", "cookie": "c1"},
    {"email": "n/a", "phone": "null"},
]


def _screened(tmp_path: Path, rows: list[dict[str, str]] = ROWS, config_path: Path | None = None) -> Database:
    path = write_csv(tmp_path / "a.csv", rows)
    config = load_config(config_path, region="UA")
    db = Database()
    with tempfile.TemporaryDirectory() as work:
        sources = load_sources(db, [path], config, LoadOptions(), Path(work))
        build_records(db, sources, config.prefer)
        build_values(db, sources, config)
    screen_values(db, config)
    return db


def _one_to_one(db: Database) -> bool:
    numbers = db.one("SELECT count(DISTINCT vid) FROM vals")
    values = db.one("SELECT count(*) FROM (SELECT DISTINCT ident, norm FROM vals)")
    pairs = db.one("SELECT count(*) FROM (SELECT DISTINCT vid, ident, norm FROM vals)")
    return bool(numbers == values == pairs)


def test_every_value_has_its_own_number(tmp_path: Path) -> None:
    db = _screened(tmp_path)
    assert _one_to_one(db)
    # Two writings of one email (and of one phone) are one value, so one number.
    assert db.one("SELECT count(DISTINCT vid) FROM vals WHERE ident = 'email' AND norm = 'ann@x.com'") == 1
    assert db.one("SELECT count(*) FROM vals WHERE ident = 'email' AND norm = 'ann@x.com'") == 2


def test_a_clash_is_found_and_the_values_are_numbered_exactly(tmp_path: Path) -> None:
    db = _screened(tmp_path)
    # Give two different values one number, as a hash clash would.
    db.run("UPDATE vals SET vid = 7 WHERE norm IN ('ann@x.com', 'bob@x.com')")
    others = "SELECT rec, ident, norm, vid FROM vals WHERE norm NOT IN ('ann@x.com', 'bob@x.com') ORDER BY ALL"
    before = db.rows(others)
    assert not _one_to_one(db)
    number_values(db)
    assert _one_to_one(db)
    # Only the two values that shared a number were given new ones.
    assert db.rows(others) == before
    assert db.one("SELECT count(DISTINCT vid) FROM vals WHERE norm IN ('ann@x.com', 'bob@x.com')") == 2


def test_exact_numbering_gives_the_same_partition_of_values(tmp_path: Path) -> None:
    db = _screened(tmp_path)
    hashed = db.rows("SELECT rec, ident, norm, vid FROM vals ORDER BY ALL")
    number_values(db, exact=True)
    exact = db.rows("SELECT rec, ident, norm, vid FROM vals ORDER BY ALL")
    assert [r[:3] for r in hashed] == [r[:3] for r in exact]
    assert _one_to_one(db)
    assert {r[3] for r in exact} != {r[3] for r in hashed}


def test_values_duckdb_hashes_alike_are_two_values_and_two_contacts(tmp_path: Path) -> None:
    # The value number (DuckDB's hash()) of these two addresses is one number; they are two people.
    a, b = "oleksii_zakharchenko1970@ukr.net", "oleksii.zakharchenko1979@ukr.net"
    db = Database()
    number = VALUE_NUMBER.replace("ident", "'email'").replace("norm", "?")
    assert db.one(f"SELECT {number} = {number}", [a, b])
    result = resolve_rows(tmp_path, [{"email": a}, {"email": b}, {"email": a.upper()}])
    assert result.groups() == [{1, 3}, {2}]


def _counted_as_defined(db: Database) -> bool:
    """Whether screening's counts for linking (value_parts, shared_vids) are what vals holds now."""
    made = db.rows(
        """SELECT iid, sum(n)::BIGINT, sum(ok)::BIGINT FROM value_parts GROUP BY iid
        HAVING sum(n) <> 0 OR sum(ok) <> 0 ORDER BY iid"""
    )
    defined = db.rows(
        """SELECT iid, count(*), count(*) FILTER (WHERE ok > 0) FROM (
            SELECT vid, any_value(iid) AS iid, count(*) FILTER (WHERE status = 'ok') AS ok FROM vals GROUP BY vid
        ) GROUP BY iid ORDER BY iid"""
    )
    shared = db.rows("SELECT vid FROM shared_vids ORDER BY vid")
    usable = db.rows("SELECT vid FROM vals WHERE status = 'ok' GROUP BY vid HAVING count(*) > 1 ORDER BY vid")
    return made == defined and shared == usable and len(made) > 0


def test_values_are_counted_for_linking_as_they_are_numbered(tmp_path: Path) -> None:
    db = _screened(tmp_path)
    assert _counted_as_defined(db)
    # ann@x.com (two rows) and c1 (two rows) are shared; n/a and null are blocked.
    assert db.one("SELECT count(*) FROM shared_vids") == 3
    db.run("UPDATE vals SET vid = 7 WHERE norm IN ('ann@x.com', 'bob@x.com')")
    number_values(db)
    assert _counted_as_defined(db)
    number_values(db, exact=True)
    assert _counted_as_defined(db)


def test_over_shared_values_are_counted_as_not_usable(tmp_path: Path) -> None:
    config = tmp_path / "idmerge.toml"
    config.write_text("over_shared = 1\n")
    rows = [
        {"external_id": "K1", "phone": "+380671234567", "cookie": "c1"},
        {"external_id": "K2", "phone": "+380671234567", "cookie": "c1"},
        {"external_id": "K3", "email": "a@x.com"},
        {"email": "a@x.com"},
    ]
    db = _screened(tmp_path, rows, config)
    assert db.rows("SELECT DISTINCT ident::VARCHAR FROM vals WHERE status = 'over_shared' ORDER BY 1") == [
        ("cookie",),
        ("phone",),
    ]
    assert _counted_as_defined(db)
    assert db.rows("SELECT DISTINCT v.norm FROM shared_vids JOIN vals v USING (vid)") == [("a@x.com",)]
