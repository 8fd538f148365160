"""Stage 7: findings and the figures of the run (MATCHING.md, "Findings").

``findings`` has one row per (kind, identifier, value): ``blocked``,
``invalid`` and ``over_shared`` from screening, ``conflict`` and ``limit``
from linking, ``moved`` from ownership, and ``no_identifier`` for records
with no usable identifier (value ``<file>:<row>``), and ``consent_changed``
for contacts whose records disagreed on a channel's subscription status
(identifier ``<channel>_status``, value the merged status). ``contacts`` lists the
first :data:`MAX_LISTED` contact ids it touched; ``contact_count`` says how
many there are in all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from matchers.config import Config
from matchers.db import Database
from matchers.load import Source
from matchers.screen import placeholder_expr

MAX_LISTED = 100
FINDING_KINDS = (
    "conflict",
    "moved",
    "limit",
    "blocked",
    "invalid",
    "over_shared",
    "no_identifier",
    "consent_changed",
)


def build_findings(db: Database) -> None:
    """The ``findings`` table, ordered by kind, identifier and value."""
    kinds = ", ".join(f"'{k}'" for k in FINDING_KINDS)
    db.run(
        f"""CREATE OR REPLACE TABLE findings AS
        WITH carried AS (
            SELECT CASE WHEN v.status = 'blocked' AND {placeholder_expr()} THEN lower(v.raw) ELSE v.norm END
                   AS value, v.status AS kind, v.ident, v.rec
            FROM vals v WHERE v.status <> 'ok'
            UNION ALL
            SELECT n.norm, n.kind, n.ident, v.rec
            FROM (SELECT DISTINCT kind, ident, norm FROM notes) n
            JOIN vals v ON v.ident = n.ident AND v.norm = n.norm
            UNION ALL
            SELECT m.norm, 'moved', m.ident, v.rec
            FROM (SELECT DISTINCT ident, norm FROM moves) m
            JOIN vals v ON v.ident = m.ident AND v.norm = m.norm
            UNION ALL
            SELECT source || ':' || "row", 'no_identifier', NULL, rec FROM recs
            WHERE rec NOT IN (SELECT rec FROM vals WHERE status = 'ok')
            UNION ALL
            SELECT cc.status, 'consent_changed', cc.channel || '_status', c.rec
            FROM cconsent cc JOIN grp g USING (gid) JOIN consent c ON c.rec = g.rec AND c.channel = cc.channel
            WHERE cc.changed
        ),
        agg AS (
            SELECT kind, ident, value, count(DISTINCT c.rec) AS records,
                   list(DISTINCT m.contact_id ORDER BY m.contact_id) AS ids
            FROM carried c JOIN membership m USING (rec) GROUP BY ALL
        ),
        moved AS (
            SELECT mv.ident, mv.norm AS value,
                   string_agg(DISTINCT cf.contact_id, ';' ORDER BY cf.contact_id) AS moved_from,
                   min(ct.contact_id) AS moved_to
            FROM moves mv
            JOIN membership cf ON cf.rec = mv.from_gid
            JOIN membership ct ON ct.rec = mv.to_gid
            GROUP BY ALL
        )
        SELECT a.kind, a.ident AS identifier, a.value, a.records,
               array_to_string(list_slice(a.ids, 1, {MAX_LISTED}), ';') AS contacts,
               len(a.ids) AS contact_count,
               m.moved_from, m.moved_to
        FROM agg a LEFT JOIN moved m ON a.kind = 'moved' AND m.ident = a.ident AND m.value = a.value
        ORDER BY list_position([{kinds}], a.kind), a.ident NULLS FIRST, a.value"""
    )


@dataclass
class IdentifierStats:
    name: str
    kind: str
    columns: int
    records_with_value: int
    fill_rate: float
    distinct_values: int
    usable_values: int
    records_matched_by: int
    groups_merged: int


@dataclass
class Summary:
    """Every figure of the terminal summary and report.json."""

    records: int
    contacts: int
    duplicates_merged: int
    conflicts: int
    moved: int
    junk_values: int
    invalid_values: int
    over_shared_values: int
    limit_values: int
    no_identifier: int
    rejected_rows: int
    unreadable_dates: int
    region: str | None
    region_inferred: bool
    phones_without_region: int
    #: contacts whose records disagreed on a channel's status, so merging changed it
    consent_changed: int = 0
    #: channel -> contacts per merged status
    consent: dict[str, dict[str, int]] = field(default_factory=dict)
    #: status cells that read as no known word (counted as "unknown")
    unreadable_statuses: int = 0
    findings_by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    identifiers: list[IdentifierStats] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise(
    db: Database,
    config: Config,
    sources: list[Source],
    merges: dict[str, int],
    *,
    unreadable_dates: int,
    unreadable_statuses: int = 0,
    region: str | None,
    region_inferred: bool,
    phones_without_region: int,
) -> Summary:
    records = int(db.one("SELECT count(*) FROM recs"))
    contacts = int(db.one("SELECT count(*) FROM contacts"))
    by_kind: dict[str, dict[str, int]] = {k: {"values": 0, "records": 0} for k in FINDING_KINDS}
    for kind, values, recs in db.rows("SELECT kind, count(*), sum(records) FROM findings GROUP BY kind"):
        by_kind[kind] = {"values": int(values), "records": int(recs or 0)}
    fill = {
        ident: (int(n), int(d), int(u))
        for ident, n, d, u in db.rows(
            """WITH per_value AS (SELECT ident, norm, bool_or(status = 'ok') AS ok FROM vals GROUP BY ident, norm),
            per_record AS (SELECT ident, count(*) AS n FROM (SELECT DISTINCT ident, rec FROM vals) GROUP BY ident)
            SELECT ident, any_value(r.n), count(*), count(*) FILTER (WHERE ok)
            FROM per_value JOIN per_record r USING (ident) GROUP BY ident"""
        )
    }
    matched = dict(db.rows("SELECT matched_by, count(*) FROM membership WHERE matched_by IS NOT NULL GROUP BY 1"))
    present = {role for s in sources for role in s.roles.values()}
    stats = []
    for ident in config.identifiers:
        if ident.name not in present:
            continue
        n, distinct, usable = fill.get(ident.name, (0, 0, 0))
        stats.append(
            IdentifierStats(
                name=ident.name,
                kind=ident.kind,
                columns=sum(1 for s in sources for r in s.roles.values() if r == ident.name),
                records_with_value=n,
                fill_rate=round(n / records, 4) if records else 0.0,
                distinct_values=distinct,
                usable_values=usable,
                records_matched_by=int(matched.get(ident.name, 0)),
                groups_merged=merges.get(ident.name, 0),
            )
        )
    consent: dict[str, dict[str, int]] = {}
    for channel, status, n in db.rows("SELECT channel, status, count(*) FROM cconsent GROUP BY ALL ORDER BY ALL"):
        consent.setdefault(channel, {})[status] = int(n)
    changed = int(db.one("SELECT count(DISTINCT gid) FROM cconsent WHERE changed"))
    return Summary(
        records=records,
        contacts=contacts,
        duplicates_merged=records - contacts,
        conflicts=by_kind["conflict"]["values"],
        moved=by_kind["moved"]["values"],
        junk_values=by_kind["blocked"]["values"],
        invalid_values=by_kind["invalid"]["values"],
        over_shared_values=by_kind["over_shared"]["values"],
        limit_values=by_kind["limit"]["values"],
        no_identifier=by_kind["no_identifier"]["records"],
        rejected_rows=sum(s.rejected for s in sources),
        unreadable_dates=unreadable_dates,
        region=region,
        region_inferred=region_inferred,
        phones_without_region=phones_without_region,
        consent_changed=changed,
        consent=consent,
        unreadable_statuses=unreadable_statuses,
        findings_by_kind=by_kind,
        identifiers=stats,
    )
