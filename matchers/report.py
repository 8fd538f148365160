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
from matchers.graph import iids_sql
from matchers.load import FILE_STRIDE, Source
from matchers.normalise import several_values
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


def blocked_values() -> str:
    """SQL for the blocked rows of ``vals`` as ``(rec, iid, ident, norm, vid, value)``, the value
    written as findings and links write it: a placeholder lower-cased, else normalised.

    Blocked values repeat (``n/a`` on thousands of records), so what is a placeholder
    is told once per distinct raw text, not once per row.
    """
    return f"""SELECT v.rec, v.iid, v.ident, v.norm, v.vid,
            CASE WHEN p.placeholder THEN lower(v.raw) ELSE v.norm END AS value
        FROM (SELECT *, coalesce(written, norm) AS raw FROM vals WHERE status = 'blocked') v JOIN (
            SELECT raw, {placeholder_expr()} AS placeholder
            FROM (SELECT DISTINCT coalesce(written, norm) AS raw FROM vals WHERE status = 'blocked')
        ) p ON p.raw IS NOT DISTINCT FROM v.raw"""


def build_findings(db: Database) -> None:
    """The ``findings`` table, ordered by kind, identifier and value.

    Reported values are found among every record's values (``vals``) by their
    number, not by identifier and text: at 4.5M records the scans of 15M rows
    then hash no strings. A record with no usable value has no value of its
    own either, so it is looked for only among those (``unowned``, kept from
    :func:`matchers.survive.hash_rows`: 6,189 of 4.5M records), not among all
    of them against every usable value (1.2 s less at 4.5M).
    """
    kinds = ", ".join(f"'{k}'" for k in FINDING_KINDS)
    db.run(
        f"""CREATE OR REPLACE TABLE findings AS
        WITH carried AS (
            SELECT b.value, 'blocked' AS kind, b.ident, b.rec FROM ({blocked_values()}) b
            UNION ALL
            SELECT v.norm, v.status, v.ident, v.rec FROM vals v WHERE v.status NOT IN ('ok', 'blocked')
            UNION ALL
            SELECT n.norm, n.kind, n.ident, v.rec
            FROM (SELECT DISTINCT kind, ident, norm, vid FROM notes) n
            JOIN vals v ON v.vid = n.vid
            UNION ALL
            SELECT m.norm, 'moved', m.ident, v.rec
            FROM (SELECT DISTINCT ident, norm, vid FROM moves) m
            JOIN vals v ON v.vid = m.vid
            UNION ALL
            SELECT source || ':' || "row", 'no_identifier', NULL, rec FROM membership
            WHERE rec IN (SELECT rec FROM unowned)
                AND rec NOT IN (SELECT rec FROM vals WHERE status = 'ok' AND rec IN (SELECT rec FROM unowned))
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
        SELECT a.kind, a.ident::VARCHAR AS identifier, a.value, a.records,
               array_to_string(list_slice(a.ids, 1, {MAX_LISTED}), ';') AS contacts,
               len(a.ids) AS contact_count,
               m.moved_from, m.moved_to
        FROM agg a LEFT JOIN moved m ON a.kind = 'moved' AND m.ident = a.ident AND m.value = a.value
        ORDER BY list_position([{kinds}], a.kind), a.ident NULLS FIRST, a.value"""
    )


def build_fill(db: Database, config: Config, sources: list[Source]) -> None:
    """The ``fill`` table: per identifier and input file (``file``, the source's index),
    the records with a value (``records``), with a usable one (``usable``), with an
    invalid one (``invalid``) and with one that is not blocked (``filled``).

    One pass over ``vals`` for the figures the summary, ``idmerge check`` and
    report.html each count per record; grouped by the identifier's number
    (``prio``), not its name. Only identifiers a record can hold several values
    of (:func:`matchers.normalise.several_values`) are grouped per record first;
    the others have one row per record already (at 4.5M records, 0.3 s against 2 s).
    """
    several_iids = iids_sql(config, {n for s in sources for n in several_values(s)})
    db.run(
        f"""CREATE OR REPLACE TABLE fill AS
        SELECT p.ident, x.file, x.records, x.usable, x.invalid, x.filled
        FROM (
            SELECT iid, rec // {FILE_STRIDE} AS file, count(*) AS records,
                   count(*) FILTER (WHERE ok) AS usable, count(*) FILTER (WHERE invalid) AS invalid,
                   count(*) FILTER (WHERE filled) AS filled
            FROM (
                SELECT iid, rec, status = 'ok' AS ok, status = 'invalid' AS invalid, status <> 'blocked' AS filled
                FROM vals WHERE iid NOT IN ({several_iids})
                UNION ALL
                SELECT iid, rec, bool_or(status = 'ok') AS ok, bool_or(status = 'invalid') AS invalid,
                       bool_or(status <> 'blocked') AS filled
                FROM vals WHERE iid IN ({several_iids}) GROUP BY iid, rec
            )
            GROUP BY iid, file
        ) x JOIN prio p ON p.prio = x.iid"""
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
    records = int(db.one("SELECT count(*) FROM members"))
    contacts = int(db.one("SELECT count(*) FROM contact"))
    by_kind: dict[str, dict[str, int]] = {k: {"values": 0, "records": 0} for k in FINDING_KINDS}
    for kind, values, recs in db.rows("SELECT kind, count(*), sum(records) FROM findings GROUP BY kind"):
        by_kind[kind] = {"values": int(values), "records": int(recs or 0)}
    build_fill(db, config, sources)
    with_value = {ident: int(n) for ident, n in db.rows("SELECT ident, sum(records) FROM fill GROUP BY ident")}
    fill = {
        ident: (with_value.get(ident, 0), int(d), int(u))
        for ident, d, u in db.rows("SELECT p.ident, x.n, x.ok FROM value_counts x JOIN prio p ON p.prio = x.iid")
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
