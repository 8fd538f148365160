"""Stage 4: link records by key, then by personal and source-key identifiers.

Implements "How records are linked" of MATCHING.md. Every identifier is taken
as a whole (all its links together), so the row order cannot change the
result:

1. Records with the same key value form one group; a record with two key
   values is reported as a ``conflict`` and stays on its own.
2. For each personal or source-key identifier, in priority order: a value
   whose holders would together fail the merge test is set aside and reported;
   the remaining shared values join groups into components, and a component
   becomes one group only if the merged group passes the test (at most one
   key value, within the limits); otherwise none of its links are made and its
   shared values are reported.
"""

from __future__ import annotations

from matchers import graph
from matchers.config import Config
from matchers.db import Database


def link_keys(db: Database, config: Config) -> int:
    """Group records by key value; returns how many records joined another."""
    key = config.key
    if key is None:
        return 0
    before = graph.group_count(db)
    db.run(
        """CREATE OR REPLACE TABLE key_recs AS
        SELECT rec, min(norm) AS norm, count(*) AS n FROM uv WHERE ident = ? GROUP BY rec""",
        [key],
    )
    graph.note(
        db,
        """SELECT DISTINCT 'conflict', ?, u.norm FROM uv u
        JOIN key_recs k USING (rec) WHERE u.ident = ? AND k.n > 1""",
        [key, key],
    )
    db.run(
        """CREATE OR REPLACE TABLE regroup AS
        SELECT rec AS gid, min(rec) OVER (PARTITION BY norm) AS new_gid FROM key_recs WHERE n = 1"""
    )
    db.run(
        """UPDATE grp SET gid = regroup.new_gid FROM regroup
        WHERE grp.gid = regroup.gid AND regroup.gid <> regroup.new_gid"""
    )
    return before - graph.group_count(db)


def link_identifier(db: Database, config: Config, name: str) -> int:
    """One personal or source-key step; returns how many groups it merged away."""
    before = graph.group_count(db)
    db.run(
        """CREATE OR REPLACE TABLE edges AS
        WITH e AS (SELECT DISTINCT g.gid, u.norm FROM uv u JOIN grp g USING (rec) WHERE u.ident = ?)
        SELECT * FROM e WHERE norm IN (SELECT norm FROM e GROUP BY norm HAVING count(*) > 1)""",
        [name],
    )
    if not db.one("SELECT count(*) FROM edges"):
        return 0
    # A value whose own holders cannot be one contact is set aside first, so
    # that it does not poison the component of values that could link.
    db.run("CREATE OR REPLACE TABLE cand AS SELECT norm AS cid, gid FROM edges")
    graph.failing_candidates(db, config.key, strict_key=True)
    graph.note(
        db,
        "SELECT CASE WHEN conflict THEN 'conflict' ELSE 'limit' END, ?, cid FROM verdict",
        [name],
    )
    db.run("DELETE FROM edges WHERE norm IN (SELECT cid FROM verdict)")
    if not db.one("SELECT count(*) FROM edges"):
        return 0
    graph.components(db, "edges")
    db.run("CREATE OR REPLACE TABLE cand AS SELECT comp AS cid, gid FROM comp_g")
    graph.failing_candidates(db, config.key, strict_key=True)
    graph.note(
        db,
        """SELECT CASE WHEN v.conflict THEN 'conflict' ELSE 'limit' END, ?, c.norm
        FROM comp_v c JOIN verdict v ON c.comp = v.cid""",
        [name],
    )
    db.run(
        """CREATE OR REPLACE TABLE passing AS
        SELECT DISTINCT comp FROM comp_g WHERE comp NOT IN (SELECT cid FROM verdict)"""
    )
    graph.merge_components(db, "passing")
    return before - graph.group_count(db)
