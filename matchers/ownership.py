"""Stage 5: device and anonymous identifiers (MATCHING.md, "Ownership").

For each such identifier, in priority order:

1. A value held by two or more *identified* groups stays with the one that
   holds the most recent record carrying it; it is removed from the others
   (``moved``). It never merges identified groups.
2. Groups that still share a value form components. A component with no
   identified group becomes one anonymous group; with exactly one, it joins
   that group; both only within the limits (else ``limit``). A component that
   reaches two identified groups links nothing (``conflict``).
"""

from __future__ import annotations

from matchers import graph
from matchers.config import Config
from matchers.db import Database


def own_identifier(db: Database, config: Config, name: str) -> int:
    """One device/anonymous step; returns how many groups it merged away."""
    ident = graph.iid(config, name)
    # Only values two or more records carry (``sv``) can be contested or shared.
    db.run(
        """CREATE OR REPLACE TABLE dev AS
        SELECT g.gid, s.vid, max(s.recency) AS newest
        FROM sv s JOIN grp g USING (rec)
        WHERE s.iid = ? GROUP BY g.gid, s.vid""",
        [ident],
    )
    if not db.one("SELECT count(*) FROM dev"):
        return 0
    # Identified groups, among those holding a value of this identifier (all the later steps look at).
    db.run(
        """CREATE OR REPLACE TABLE gident AS
        SELECT DISTINCT g.gid FROM grp g JOIN identified USING (rec)
        WHERE g.gid IN (SELECT gid FROM dev)"""
    )
    # 1. Contested values go to the identified group seen with them last.
    db.run(
        """CREATE OR REPLACE TABLE contested AS
        SELECT d.vid, arg_max(d.gid, d.newest) AS owner
        FROM dev d JOIN gident USING (gid)
        GROUP BY d.vid HAVING count(*) > 1"""
    )
    db.run(
        """CREATE OR REPLACE TABLE losers AS
        SELECT d.gid, d.vid, c.owner FROM dev d JOIN gident USING (gid)
        JOIN contested c USING (vid) WHERE d.gid <> c.owner"""
    )
    if db.one("SELECT count(*) FROM losers"):
        db.run(
            f"""INSERT INTO moves SELECT d.ident, d.norm, l.gid, l.owner, l.vid
            FROM losers l JOIN ({graph.names("SELECT vid FROM losers")}) d USING (vid)"""
        )
        db.run(
            """CREATE OR REPLACE TABLE moved AS
            SELECT s.rec, s.vid FROM sv s JOIN grp g USING (rec)
            JOIN losers l ON l.gid = g.gid AND l.vid = s.vid WHERE s.iid = ?""",
            [ident],
        )
        db.run(
            f"""INSERT INTO moved_vals SELECT m.rec, d.ident, d.norm, m.vid
            FROM moved m JOIN ({graph.names("SELECT vid FROM moved")}) d USING (vid)"""
        )
        db.run("DELETE FROM uv WHERE iid = ? AND (rec, vid) IN (SELECT rec, vid FROM moved)", [ident])
        db.run("DELETE FROM sv WHERE iid = ? AND (rec, vid) IN (SELECT rec, vid FROM moved)", [ident])
        db.run("DELETE FROM dev WHERE (gid, vid) IN (SELECT gid, vid FROM losers)")
    # 2. Components of what is still shared.
    db.run(
        """CREATE OR REPLACE TABLE edges AS
        SELECT gid, vid FROM dev WHERE vid IN (SELECT vid FROM dev GROUP BY vid HAVING count(*) > 1)"""
    )
    if not db.one("SELECT count(*) FROM edges"):
        return 0  # moves alone merge nothing
    graph.components(db, "edges")
    db.run(
        """CREATE OR REPLACE TABLE owners AS
        SELECT comp, count(gident.gid) AS identified FROM comp_g LEFT JOIN gident USING (gid)
        GROUP BY comp"""
    )
    graph.note(db, "SELECT 'conflict', c.vid FROM comp_v c JOIN owners o USING (comp) WHERE o.identified > 1")
    db.run(
        """CREATE OR REPLACE TABLE cand AS
        SELECT comp AS cid, gid FROM comp_g JOIN owners USING (comp) WHERE identified <= 1"""
    )
    graph.failing_candidates(db, graph.key_iid(config), strict_key=False)
    graph.note(db, "SELECT 'limit', c.vid FROM comp_v c JOIN verdict v ON c.comp = v.cid")
    db.run(
        """CREATE OR REPLACE TABLE passing AS
        SELECT DISTINCT cid AS comp FROM cand WHERE cid NOT IN (SELECT cid FROM verdict)"""
    )
    return graph.merge_components(db, "passing")
