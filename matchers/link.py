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
from matchers.ownership import own_identifier

#: Passes over the identifiers before linking stops even if the last pass still merged.
MAX_PASSES = 10


def link_all(db: Database, config: Config) -> dict[str, int]:
    """Link by key, then pass over the other identifiers until nothing more merges.

    One pass is MATCHING.md's order: each personal and source-key identifier,
    then each device and anonymous one. A merge made late in a pass can change
    what an earlier identifier may do: a value whose component failed the test
    because a group then had no key can link once that group has its key (or
    the other way round). A second run over idmerge's own output would make
    those links, so the passes repeat until one merges nothing, under the same
    test every time; that is what makes a rerun merge nothing more. Values
    reported by a pass are forgotten when the next pass starts, so the
    findings describe the final contacts (key conflicts and moves stay).
    Returns how many groups each identifier merged away, over all passes.
    """
    merges: dict[str, int] = {}
    if config.key:
        merges[config.key] = link_keys(db, config)
    for _ in range(MAX_PASSES):
        db.run("DELETE FROM notes WHERE ident IS DISTINCT FROM ?", [config.key])
        merged = 0
        for ident in config.identifiers:
            if ident.kind in ("personal", "source_key"):
                n = link_identifier(db, config, ident.name)
            elif ident.kind in ("device", "anonymous"):
                n = own_identifier(db, config, ident.name)
            else:
                continue
            merges[ident.name] = merges.get(ident.name, 0) + n
            merged += n
        if not merged:
            break
    return merges


def link_keys(db: Database, config: Config) -> int:
    """Group records by key value; returns how many records joined another."""
    key = config.key
    if key is None:
        return 0
    db.run(
        """CREATE OR REPLACE TABLE key_recs AS
        SELECT rec, min(vid) AS vid, count(*) AS n FROM uv WHERE iid = ? GROUP BY rec""",
        [graph.iid(config, key)],
    )
    graph.note(
        db,
        """SELECT DISTINCT 'conflict', u.vid FROM uv u
        JOIN key_recs k USING (rec) WHERE u.iid = ? AND k.n > 1""",
        [graph.iid(config, key)],
    )
    db.run(
        """CREATE OR REPLACE TABLE regroup AS
        SELECT rec AS gid, min(rec) OVER (PARTITION BY vid) AS new_gid FROM key_recs WHERE n = 1"""
    )
    # Every record is still its own group here, so groups merged away = records that joined another.
    return graph.apply_regroup(db)


def link_identifier(db: Database, config: Config, name: str) -> int:
    """One personal or source-key step; returns how many groups it merged away."""
    key = graph.key_iid(config)
    db.run(
        """CREATE OR REPLACE TABLE edges AS
        WITH e AS (SELECT DISTINCT g.gid, s.vid FROM sv s JOIN grp g USING (rec) WHERE s.iid = ?)
        SELECT * FROM e WHERE vid IN (SELECT vid FROM e GROUP BY vid HAVING count(*) > 1)""",
        [graph.iid(config, name)],
    )
    if not db.one("SELECT count(*) FROM edges"):
        return 0
    # A value whose own holders cannot be one contact is set aside first, so
    # that it does not poison the component of values that could link.
    db.run("CREATE OR REPLACE TABLE cand AS SELECT vid AS cid, gid FROM edges")
    graph.failing_candidates(db, key, strict_key=True)
    graph.note(db, "SELECT CASE WHEN conflict THEN 'conflict' ELSE 'limit' END, cid FROM verdict")
    db.run("DELETE FROM edges WHERE vid IN (SELECT cid FROM verdict)")
    if not db.one("SELECT count(*) FROM edges"):
        return 0
    graph.components(db, "edges")
    # A component of one value holds exactly that value's holders, whose merge
    # passed the test above: only components of several values are tested again.
    db.run(
        """CREATE OR REPLACE TABLE cand AS
        SELECT comp AS cid, gid FROM comp_g
        WHERE comp IN (SELECT comp FROM comp_v GROUP BY comp HAVING count(*) > 1)"""
    )
    graph.failing_candidates(db, key, strict_key=True)
    graph.note(
        db,
        """SELECT CASE WHEN v.conflict THEN 'conflict' ELSE 'limit' END, c.vid
        FROM comp_v c JOIN verdict v ON c.comp = v.cid""",
    )
    db.run(
        """CREATE OR REPLACE TABLE passing AS
        SELECT DISTINCT comp FROM comp_g WHERE comp NOT IN (SELECT cid FROM verdict)"""
    )
    return graph.merge_components(db, "passing")
