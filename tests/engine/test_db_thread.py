"""A Database runs its statements on a thread of its own (so that Ctrl-C stops them at
once); that thread must not keep the Database, or its memory, alive."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import duckdb
import pytest

from matchers.db import Database


def _new_threads(before: set[int | None]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.ident not in before]


def _wait_until_no_new_threads(before: set[int | None]) -> list[threading.Thread]:
    deadline = time.monotonic() + 5
    while _new_threads(before) and time.monotonic() < deadline:
        time.sleep(0.01)
    return _new_threads(before)


def test_a_database_no_one_holds_is_collected_and_its_thread_ends() -> None:
    before = {t.ident for t in threading.enumerate()}
    db = Database()
    db.run("CREATE TABLE t AS SELECT range AS n FROM range(10)")
    assert db.rows("SELECT count(*) FROM t") == [(10,)]
    assert db.arrow("SELECT n FROM t").num_rows == 10
    assert len(_new_threads(before)) == 1
    held = weakref.ref(db)
    del db
    gc.collect()
    assert held() is None
    assert _wait_until_no_new_threads(before) == []


def test_close_ends_the_thread() -> None:
    before = {t.ident for t in threading.enumerate()}
    db = Database()
    assert db.one("SELECT 42") == 42
    db.close()
    assert _wait_until_no_new_threads(before) == []


def test_errors_reach_the_caller_and_the_connection_goes_on() -> None:
    db = Database()
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        db.run("SELECT * FROM no_such_table")
    assert db.one("SELECT 7") == 7
    db.close()
