"""``report.html``: the run at a glance, as one self-contained page.

Everything on the page is an aggregate computed in SQL (figures, histograms,
top 20 lists), so its size does not grow with the number of records: a run
over 10 million records gives a page of the same few hundred kilobytes at
most. Charts are inline SVG drawn here; the one small inline script only wires
the copy buttons. A Content-Security-Policy in the page forbids every network
request, so opening it never reaches out (no CDN, no web fonts).

Each of the largest contacts and of the most shared values links to a section
of the same page with its explanation pre-rendered (the chain of links that
joined the contact, what was kept apart from it and why), and to the
``idmerge explain`` command that gives the full one. Identifier values are
masked (``j***@example.com``, ``+38067*****67``) unless ``show_values``.
"""

from __future__ import annotations

import html
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matchers.db import Database
from matchers.explain import ContactExplanation, Link, Show, attach_engine, explain_contacts, settings_from_report
from matchers.load import FILE_STRIDE, source_sql
from matchers.report import FINDING_KINDS

#: Contacts and values listed in the "largest" and "most shared" tables.
TOP = 20
#: Links of a contact's tree drawn in its section (the command shows them all).
TREE_LINKS = 12
#: Findings listed in a contact's section.
KEPT_APART = 8
#: Longest chart label drawn in full.
MAX_LABEL = 26
#: Contact-size buckets: (lowest size, label).
SIZE_BUCKETS = (
    (1, "1"),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, "5"),
    (6, "6–10"),
    (11, "11–20"),
    (21, "21–50"),
    (51, "51–100"),
    (101, "101–1,000"),
    (1001, "over 1,000"),
)
KIND_LABELS = {
    "conflict": "conflict",
    "moved": "moved",
    "limit": "limit",
    "blocked": "junk",
    "invalid": "invalid",
    "over_shared": "over-shared",
    "no_identifier": "no identifier",
    "consent_changed": "consent changed",
}
KIND_MEANING = {
    "conflict": "shared by contacts that cannot be one (two key values, or two owners of a device)",
    "moved": "a device or anonymous value that stayed with the contact seen with it last",
    "limit": "linking through it would give one contact too many values",
    "blocked": "a placeholder or junk value; never links",
    "invalid": "fails email syntax or phone-number validation; never links",
    "over_shared": "carried by records of too many different customers (a hub); never links",
    "no_identifier": "a record with no usable identifier; kept as its own contact",
    "consent_changed": "records of one contact disagreed on a channel's subscription; the strictest status holds",
}


@dataclass
class Bar:
    """One row of a bar chart: stacked segments (value, CSS class, legend name)."""

    label: str
    segments: list[tuple[float, str, str]]
    #: Short text after the bar; ``detail`` is the tooltip.
    note: str
    detail: str = ""
    href: str | None = None


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _n(value: float) -> str:
    return f"{int(value):,}"


def _pct(part: float, whole: float) -> str:
    if not whole:
        return "0%"
    share = 100 * part / whole
    return f"{share:.1f}%" if share < 10 else f"{share:.0f}%"


def _mask_function(show_values: bool) -> Show:
    if show_values:
        return lambda identifier, value: value
    # check.py imports the pipeline, which imports this module: import when used.
    from matchers.check import mask

    return mask


# --- charts -----------------------------------------------------------------------------------


def bar_chart(title: str, bars: list[Bar], *, scale: float | None = None) -> str:
    """A horizontal bar chart as inline SVG (one row per bar, stacked segments)."""
    if not bars:
        return f'<p class="empty">No data for “{_e(title)}”.</p>'
    # Room for the longest label and note at ~7 px a character (12 px system font).
    labels = [b.label if len(b.label) <= MAX_LABEL else b.label[: MAX_LABEL - 1] + "…" for b in bars]
    label_w = min(max(8 + 7 * max(len(t) for t in labels), 60), 200)
    note_w = min(max(16 + 7 * max(len(b.note) for b in bars), 40), 200)
    width, row_h = 560, 24
    bar_w = width - label_w - note_w
    height = row_h * len(bars) + 8
    top = scale or max((sum(v for v, _, _ in b.segments) for b in bars), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" style="max-width: {width}px" '
        f'role="img" aria-label="{_e(title)}" preserveAspectRatio="xMinYMin meet">'
    ]
    for i, bar in enumerate(bars):
        y = 4 + i * row_h
        label = _e(labels[i])
        text = f'<text class="label" x="{label_w - 10}" y="{y + 17}" text-anchor="end">{label}</text>'
        if bar.href:
            text = f'<a href="{_e(bar.href)}">{text}</a>'
        parts.append(f"<g><title>{_e(bar.label)}: {_e(bar.detail or bar.note)}</title>{text}")
        parts.append(f'<rect class="track" x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row_h - 8}" rx="3"/>')
        x = float(label_w)
        for value, cls, _ in bar.segments:
            if value <= 0:
                continue
            w = max(bar_w * value / top, 2.0)
            parts.append(
                f'<rect class="seg {_e(cls)}" x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" rx="3"/>'
            )
            x += w
        parts.append(f'<text class="note" x="{label_w + bar_w + 10}" y="{y + 17}">{_e(bar.note)}</text></g>')
    parts.append("</svg>")
    legend = {(cls, name) for b in bars for _, cls, name in b.segments if name}
    keys = ""
    if len(legend) > 1:
        ordered = []
        for b in bars:
            for _, cls, name in b.segments:
                if name and (cls, name) not in ordered:
                    ordered.append((cls, name))
        keys = (
            '<p class="legend">'
            + "".join(f'<span><i class="swatch {_e(c)}"></i>{_e(n)}</span>' for c, n in ordered)
            + "</p>"
        )
    return "".join(parts) + keys


# --- aggregates -------------------------------------------------------------------------------


def _size_histogram(db: Database) -> list[Bar]:
    lows = [low for low, _ in SIZE_BUCKETS]
    case = " ".join(f"WHEN n >= {low} THEN {i}" for i, low in reversed(list(enumerate(lows))))
    rows = db.rows(
        f"""SELECT CASE {case} END AS bucket, count(*) AS contacts, sum(n) AS records
        FROM h_sizes GROUP BY bucket"""
    )
    found = {int(b): (int(c), int(r)) for b, c, r in rows}
    if not found:
        return []
    total = sum(c for c, _ in found.values())
    last = max(found)
    bars = []
    for i in range(last + 1):
        contacts, records = found.get(i, (0, 0))
        label = SIZE_BUCKETS[i][1] + (" record" if SIZE_BUCKETS[i][0] == 1 else " records")
        bars.append(
            Bar(
                label,
                [(contacts, "c-size", "contacts")],
                f"{_n(contacts)} · {_pct(contacts, total)}",
                f"{_n(contacts)} contacts ({_pct(contacts, total)} of contacts) holding {_n(records)} records",
            )
        )
    return bars


def _per_source(db: Database, sources: list[str]) -> list[Bar]:
    rows = db.rows(
        f"""SELECT any_value({source_sql(sources)}), count(*) AS records,
               count(*) FILTER (WHERE s.n = 1) AS alone,
               count(*) FILTER (WHERE s.n > 1 AND NOT s.across) AS within,
               count(*) FILTER (WHERE s.across) AS across
        FROM members m JOIN h_sizes s USING (contact_id) GROUP BY m.rec // {FILE_STRIDE}"""
    )
    order = {name: i for i, name in enumerate(sources)}
    bars = []
    for source, records, alone, within, across in sorted(rows, key=lambda r: (order.get(r[0], len(order)), r[0])):
        merged = int(within) + int(across)
        bars.append(
            Bar(
                source,
                [
                    (int(across), "c-across", "merged across files"),
                    (int(within), "c-within", "merged within the file"),
                    (int(alone), "c-alone", "one record alone"),
                ],
                f"{_n(records)} · {_pct(merged, records)} merged",
                f"{_n(records)} records: {_n(across)} merged with records of another file, "
                f"{_n(within)} merged within the file, {_n(alone)} alone",
            )
        )
    return bars


def _fill_rates(db: Database, identifiers: list[dict[str, Any]], records: int) -> list[Bar]:
    usable = {
        ident: (int(any_value), int(ok))
        # fill (made by summarise): per identifier and file, records with a value and with a usable one.
        for ident, any_value, ok in db.rows("SELECT ident, sum(records), sum(usable) FROM fill GROUP BY ident")
    }
    bars = []
    for ident in identifiers:
        filled, ok = usable.get(ident["name"], (0, 0))
        bars.append(
            Bar(
                ident["name"],
                [(ok, "c-ok", "usable value"), (filled - ok, "c-junk", "only junk or invalid values")],
                f"{_pct(filled, records)} · {_pct(ok, records)} usable",
                f"{_n(filled)} records have a value ({_pct(filled, records)}), "
                f"{_n(ok)} a usable one ({_pct(ok, records)})",
            )
        )
    return bars


def _merges(identifiers: list[dict[str, Any]]) -> list[Bar]:
    return [
        Bar(
            i["name"],
            [(int(i["groups_merged"]), f"k-{i['kind']}", i["kind"].replace("_", " "))],
            _n(i["groups_merged"]),
            f"{_n(i['groups_merged'])} groups joined at the {i['name']} step; "
            f"{_n(i['records_matched_by'])} records matched by it",
        )
        for i in identifiers
    ]


def _findings_by_kind(by_kind: dict[str, dict[str, int]]) -> list[Bar]:
    bars = []
    for kind in FINDING_KINDS:
        figures = by_kind.get(kind, {"values": 0, "records": 0})
        count = figures["records"] if kind == "no_identifier" else figures["values"]
        unit = ("record" if kind == "no_identifier" else "value") + ("" if count == 1 else "s")
        bars.append(
            Bar(
                KIND_LABELS[kind],
                [(count, f"f-{kind}", "")],
                f"{_n(count)} {unit}",
                f"{_n(count)} {unit} on {_n(figures['records'])} records: {KIND_MEANING[kind]}",
                href="#shared" if count and kind != "no_identifier" else None,
            )
        )
    return bars


def _largest(db: Database) -> list[tuple[str, int, int]]:
    return [
        (c, int(n), int(f))
        for c, n, f in db.rows(
            f"""WITH top AS (SELECT contact_id, n FROM h_sizes WHERE n > 1 ORDER BY n DESC, contact_id LIMIT {TOP})
            SELECT t.contact_id, t.n, count(DISTINCT m.source) AS files
            FROM top t JOIN membership m USING (contact_id) GROUP BY ALL ORDER BY t.n DESC, t.contact_id"""
        )
    ]


def _most_shared(db: Database) -> list[tuple[str, str | None, str, int, int, str]]:
    kinds = "[" + ", ".join(f"'{k}'" for k in FINDING_KINDS) + "]"
    return [
        (k, i, v, int(r), int(c), cs or "")
        for k, i, v, r, c, cs in db.rows(
            f"""SELECT kind, identifier, value, records, contact_count, contacts FROM findings
            WHERE kind <> 'no_identifier'
            ORDER BY contact_count DESC, records DESC, list_position({kinds}, kind), identifier, value
            LIMIT {TOP}"""
        )
    ]


# --- sections ---------------------------------------------------------------------------------


def _command(out: Path, query: str) -> str:
    text = f"idmerge explain {shlex.quote(str(out))} {shlex.quote(query)}"
    return f'<p class="cmd"><code>{_e(text)}</code><button type="button" class="copy">copy</button></p>'


def _tree(explanation: ContactExplanation, show: Show) -> str:
    links = explanation.links[:TREE_LINKS]
    children: dict[str, list[Link]] = {}
    for link in links:
        children.setdefault(link.parent, []).append(link)

    def node(ref: str) -> str:
        below = children.get(ref, [])
        inner = "".join(
            f'<li><span class="via"><b class="k">{_e(link.identifier)}</b> '
            f"<code>{_e(show(link.identifier, link.value))}</code></span> → "
            f"<code>{_e(link.child)}</code>{node(link.child)}</li>"
            for link in below
        )
        return f"<ul>{inner}</ul>" if inner else ""

    more = len(explanation.links) - len(links)
    tail = f'<p class="muted">… and {_n(more)} more links (run the command below).</p>' if more > 0 else ""
    return f'<div class="tree"><code>{_e(explanation.root)}</code>{node(explanation.root)}</div>{tail}'


def _contact_section(explanation: ContactExplanation, out: Path, show: Show) -> str:
    sources = ", ".join(f"{_e(s)} {_n(n)}" for s, n in explanation.sources.items())
    joined = ", ".join(f"{_e(i)} {_n(n)}" for i, n in explanation.links_by_identifier.items()) or "nothing"
    kept = explanation.kept_apart[:KEPT_APART]
    items = "".join(
        f'<li><span class="badge f-{_e(k.kind)}">{_e(KIND_LABELS.get(k.kind, k.kind))}</span> '
        f"<b>{_e(k.identifier or 'record')}</b> <code>{_e(show(k.identifier, k.value))}</code>: {_e(k.reason)}</li>"
        for k in kept
    )
    more = explanation.kept_apart_total - len(kept)
    if more > 0:
        items += f'<li class="muted">… and {_n(more)} more</li>'
    kept_html = f'<h4>Kept apart</h4><ul class="kept">{items}</ul>' if items else ""
    return (
        f'<section class="explain" id="c-{_e(explanation.contact_id)}">'
        f"<h3>{_e(explanation.contact_id)} <small>{_n(explanation.records_total)} records: {sources}</small></h3>"
        f"<p>Links per identifier: {joined}.</p>{_tree(explanation, show)}{kept_html}"
        f"{_command(out, explanation.contact_id)}"
        f'<p><a href="#largest">back to the list</a></p></section>'
    )


def _value_section(
    n: int, row: tuple[str, str | None, str, int, int, str], out: Path, show: Show, sections: set[str]
) -> str:
    kind, identifier, value, records, contacts, ids = row
    listed = [c for c in ids.split(";") if c][:5]
    links = ", ".join(
        f'<a href="#c-{_e(c)}"><code>{_e(c)}</code></a>' if c in sections else f"<code>{_e(c)}</code>" for c in listed
    )
    more = f" and {_n(contacts - len(listed))} more" if contacts > len(listed) else ""
    # The command names the value only where the page may show it; else its first contact.
    query = value if show(identifier, value) == value else listed[0] if listed else None
    command = _command(out, query) if query else ""
    return (
        f'<section class="explain" id="v-{n}">'
        f'<h3><span class="badge f-{_e(kind)}">{_e(KIND_LABELS.get(kind, kind))}</span> '
        f"{_e(identifier or '')} <code>{_e(show(identifier, value))}</code></h3>"
        f"<p>{_e(KIND_MEANING.get(kind, kind))}. On {_n(records)} records in {_n(contacts)} contacts: "
        f"{links}{more}.</p>{command}"
        f'<p><a href="#shared">back to the list</a></p></section>'
    )


def _cards(summary: dict[str, Any]) -> str:
    records, contacts = summary["records"], summary["contacts"]
    cards = [
        ("Records in", records, ""),
        ("Contacts out", contacts, ""),
        (
            "Duplicates merged",
            summary["duplicates_merged"],
            f"{_pct(summary['duplicates_merged'], records)} of records",
        ),
        ("Conflicts", summary["conflicts"], "values kept apart"),
        ("Moved devices", summary["moved"], ""),
        ("Junk values", summary["junk_values"], "ignored"),
        ("Invalid values", summary["invalid_values"], ""),
        ("Over-shared values", summary["over_shared_values"], ""),
        ("Limit reached", summary["limit_values"], "values"),
        ("No identifier", summary["no_identifier"], "records"),
    ]
    if summary.get("rejected_rows"):
        cards.append(("Rejected rows", summary["rejected_rows"], "in rejects.csv"))
    if summary.get("unreadable_dates"):
        cards.append(("Unreadable dates", summary["unreadable_dates"], "treated as missing"))
    if summary.get("consent"):
        cards.append(("Consent changed", summary["consent_changed"], "contacts, strictest status kept"))
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card" data-figure="{_e(label)}"><div class="fig">{_n(value)}</div>'
            f'<div class="cap">{_e(label)}</div><div class="sub">{_e(sub)}</div></div>'
            for label, value, sub in cards
        )
        + "</div>"
    )


def build_html(db: Database, report: dict[str, Any], *, out: Path, show_values: bool = False) -> str:
    """The page for a resolved run (the engine's tables must still be in ``db``)."""
    show = _mask_function(show_values)
    summary = report["summary"]
    settings = settings_from_report(report)
    identifiers = summary.get("identifiers", [])
    sources = [i["file"] for i in report.get("inputs", [])]
    attach_engine(db)
    # Each contact's size, once: the histogram, the sources chart and the top list read it.
    # Files are told apart by the number of each record (members), not by their names
    # in membership: at 4.5M records 0.55 s against 0.85 s.
    db.run(
        f"""CREATE OR REPLACE TEMP TABLE h_sizes AS
        SELECT contact_id, count(*) AS n, min(rec // {FILE_STRIDE}) <> max(rec // {FILE_STRIDE}) AS across
        FROM members GROUP BY contact_id"""
    )
    largest = _largest(db)
    explained = explain_contacts(db, settings, [c for c, _, _ in largest], show=show)
    shared = _most_shared(db)
    fill_rates = _fill_rates(db, identifiers, summary["records"])

    largest_rows = "".join(
        f'<tr><td><a href="#c-{_e(c)}"><code>{_e(c)}</code></a></td><td class="num">{_n(n)}</td>'
        f'<td class="num">{_n(f)}</td><td>{_e(", ".join(x.links_by_identifier))}</td>'
        f'<td class="num">{_n(x.kept_apart_total)}</td></tr>'
        for (c, n, f), x in zip(largest, explained, strict=True)
    )
    shared_rows = "".join(
        f'<tr><td><span class="badge f-{_e(k)}">{_e(KIND_LABELS.get(k, k))}</span></td><td>{_e(i or "")}</td>'
        f'<td><a href="#v-{n}"><code>{_e(show(i, v))}</code></a></td>'
        f'<td class="num">{_n(r)}</td><td class="num">{_n(c)}</td></tr>'
        for n, (k, i, v, r, c, _) in enumerate(shared, 1)
    )
    inputs = "".join(
        f"<tr><td>{_e(i['file'])}</td><td>{_e(i['format'])}</td><td>{_e(i.get('encoding') or '')}</td>"
        f'<td>{_e(i.get("delimiter") or "")}</td><td class="num">{_n(i["records"])}</td>'
        f"<td>{_e(', '.join(sorted({c['identifier'] for c in i['columns'] if c['identifier']})))}</td></tr>"
        for i in report.get("inputs", [])
    )
    rules = "".join(
        f"<tr><td>{r.priority}</td><td>{_e(r.name)}</td><td>{_e(r.kind.replace('_', ' '))}</td>"
        f'<td class="num">{r.limit}</td></tr>'
        for r in settings.identifiers
    )
    masked = (
        "Identifier values are shown as they are (<code>--show-values</code>)."
        if show_values
        else "Identifier values are masked; run with <code>--show-values</code> to see them."
    )
    region = summary.get("region") or "none"
    region_note = " (detected)" if summary.get("region_inferred") else ""
    body = f"""
<header>
  <h1>idmerge report</h1>
  <p class="lead">{_n(summary["records"])} records from {len(sources)} file{"s" if len(sources) != 1 else ""}
  became <b>{_n(summary["contacts"])} contacts</b>. {masked}</p>
  <nav><a href="#sizes">Sizes</a><a href="#sources">Sources</a><a href="#identifiers">Identifiers</a>
  <a href="#findings">Findings</a><a href="#largest">Largest contacts</a><a href="#shared">Most shared values</a>
  <a href="#settings">Settings</a></nav>
</header>
<main>
<section id="summary">{_cards(summary)}</section>
<div class="grid">
<section id="sizes"><h2>Contacts by size</h2><p class="muted">How many records each contact holds.</p>
{bar_chart("Contacts by size", _size_histogram(db))}</section>
<section id="sources"><h2>Records per source</h2><p class="muted">What happened to each file's records.</p>
{bar_chart("Records per source", _per_source(db, sources))}</section>
<section id="identifiers"><h2>Identifier fill rates</h2><p class="muted">Records with a value, and with a usable one
(not junk, invalid or over-shared).</p>
{bar_chart("Identifier fill rates", fill_rates, scale=summary["records"])}</section>
<section id="merges"><h2>Merges per identifier</h2><p class="muted">Groups each identifier's step joined, in
priority order.</p>
{bar_chart("Merges per identifier", _merges(identifiers))}</section>
<section id="findings" class="wide"><h2>Findings by kind</h2><p class="muted">Values that did not link, and why
(details in findings).</p>
{bar_chart("Findings by kind", _findings_by_kind(summary.get("findings_by_kind", {})))}</section>
</div>
<section id="largest"><h2>Largest contacts</h2>
{
        f'''<table><thead><tr><th>contact</th><th class="num">records</th><th class="num">files</th>
<th>joined by</th><th class="num">kept apart</th></tr></thead><tbody>{largest_rows}</tbody></table>'''
        if largest
        else '<p class="empty">No contact has more than one record.</p>'
    }
</section>
<section id="shared"><h2>Most shared values</h2><p class="muted">Findings on the most contacts: values
that were seen with many contacts but did not join them.</p>
{
        f'''<table><thead><tr><th>kind</th><th>identifier</th><th>value</th><th class="num">records</th>
<th class="num">contacts</th></tr></thead><tbody>{shared_rows}</tbody></table>'''
        if shared
        else '<p class="empty">No findings.</p>'
    }
</section>
<section id="explanations"><h2>Explanations</h2>
<p class="muted">Why each of the contacts above is one contact (the chain of links, highest-priority identifier
first) and what was kept apart from it. The command gives the full explanation.</p>
{"".join(_contact_section(x, out, show) for x in explained)}
{"".join(_value_section(n, row, out, show, {x.contact_id for x in explained}) for n, row in enumerate(shared, 1))}
</section>
<section id="settings"><h2>Inputs and settings</h2>
<table><thead><tr><th>file</th><th>format</th><th>encoding</th><th>delimiter</th><th class="num">records</th>
<th>identifiers</th></tr></thead><tbody>{inputs}</tbody></table>
<table><thead><tr><th>priority</th><th>identifier</th><th>kind</th><th class="num">limit</th></tr></thead>
<tbody>{rules}</tbody></table>
<p class="muted">Phone region: {_e(region)}{region_note}. Over-shared above {settings.over_shared} key values.
Gmail rules {"on" if settings.gmail_rules else "off"}. idmerge {_e(report.get("version", ""))}.</p>
</section>
</main>"""
    # Not held while the outputs are written (94 MB at 4.5M records).
    db.run("DROP TABLE h_sizes")
    return PAGE.format(csp=CSP, style=STYLE, head_script=HEAD_SCRIPT, body=body, script=SCRIPT)


# --- page template ----------------------------------------------------------------------------

#: No network: everything is inline, and the page may not load anything else.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>idmerge report</title>
<style>{style}</style>
<script>{head_script}</script>
</head>
<body>{body}
<script>{script}</script>
</body>
</html>
"""

#: Runs first: any later script error (or a blocked request) is counted on <html>,
#: so a browser test can tell a page that rendered cleanly from one that did not.
HEAD_SCRIPT = """
(function () {
  var root = document.documentElement;
  root.setAttribute("data-errors", "0");
  function note(message) {
    root.setAttribute("data-errors", String(Number(root.getAttribute("data-errors")) + 1));
    root.setAttribute("data-error-log", (root.getAttribute("data-error-log") || "") + message + "\\n");
  }
  window.addEventListener("error", function (e) { note("error: " + (e.message || e.type)); });
  document.addEventListener("securitypolicyviolation", function (e) { note("blocked: " + e.blockedURI); });
})();
"""

SCRIPT = """
(function () {
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.previousElementSibling.textContent;
      var done = function () { button.textContent = "copied"; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else {
        var range = document.createRange();
        range.selectNodeContents(button.previousElementSibling);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
    });
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
"""

STYLE = """
:root {
  --bg: #f6f7f9; --panel: #ffffff; --ink: #1d2330; --muted: #5d6675; --line: #e3e6eb; --track: #eef0f3;
  --accent: #2f6fde; --accent2: #7aa7f0; --accent3: #c9daf8; --ok: #2f9e6e; --junk: #c3c8d0;
  --conflict: #d64545; --moved: #e0982b; --limit: #e46f2f; --blocked: #8c94a3; --invalid: #9b59b6;
  --over_shared: #c2407a; --no_identifier: #53657d;
  --key: #2f6fde; --personal: #2f9e6e; --source_key: #7b61c9; --device: #e0982b; --anonymous: #8c94a3;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171c; --panel: #1c2027; --ink: #e6e9ee; --muted: #9aa3b2; --line: #2c323c; --track: #262b33;
          --accent3: #34507e; --junk: #4a505b; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { margin: 0 0 4px; font-size: 26px; letter-spacing: -0.01em; }
h2 { margin: 0 0 2px; font-size: 18px; }
h3 { margin: 0 0 8px; font-size: 16px; }
h3 small { font-weight: normal; color: var(--muted); margin-left: 8px; }
h4 { margin: 12px 0 4px; font-size: 14px; }
.lead { margin: 0 0 12px; color: var(--muted); }
.lead b { color: var(--ink); }
nav { display: flex; flex-wrap: wrap; gap: 6px 16px; padding: 8px 0 18px; border-bottom: 1px solid var(--line); }
nav a, a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px;
          margin: 18px 0; }
#summary { background: none; border: 0; padding: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .fig { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .cap { font-weight: 600; }
.card .sub { color: var(--muted); font-size: 13px; min-height: 1.2em; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 18px; }
.grid section { margin: 0 0 18px; }
.grid .wide { grid-column: 1 / -1; }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
.muted, .empty { color: var(--muted); margin: 0 0 10px; font-size: 13px; }
svg.chart { display: block; font-size: 12px; }
svg.chart text { fill: var(--ink); }
svg.chart text.note { fill: var(--muted); }
svg.chart rect.track { fill: var(--track); }
.c-size, .c-across { fill: var(--accent); background: var(--accent); }
.c-within { fill: var(--accent2); background: var(--accent2); }
.c-alone { fill: var(--accent3); background: var(--accent3); }
.c-ok { fill: var(--ok); background: var(--ok); }
.c-junk { fill: var(--junk); background: var(--junk); }
.k-key { fill: var(--key); background: var(--key); }
.k-personal { fill: var(--personal); background: var(--personal); }
.k-source_key { fill: var(--source_key); background: var(--source_key); }
.k-device { fill: var(--device); background: var(--device); }
.k-anonymous { fill: var(--anonymous); background: var(--anonymous); }
.f-conflict { fill: var(--conflict); background: var(--conflict); }
.f-moved { fill: var(--moved); background: var(--moved); }
.f-limit { fill: var(--limit); background: var(--limit); }
.f-blocked { fill: var(--blocked); background: var(--blocked); }
.f-invalid { fill: var(--invalid); background: var(--invalid); }
.f-over_shared { fill: var(--over_shared); background: var(--over_shared); }
.f-no_identifier { fill: var(--no_identifier); background: var(--no_identifier); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12.5px; color: var(--muted); margin: 6px 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; }
.badge { display: inline-block; color: #fff; border-radius: 4px; padding: 0 6px; font-size: 12px;
         line-height: 18px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 6px 0 10px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12.5px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.explain { scroll-margin-top: 12px; border: 1px solid var(--line); margin: 12px 0; }
.explain:target { outline: 2px solid var(--accent); }
#explanations > .explain { background: var(--bg); }
.tree ul { list-style: none; margin: 2px 0 2px 10px; padding-left: 16px; border-left: 1px solid var(--line); }
.tree li { margin: 3px 0; }
.via { color: var(--muted); }
.via b { color: var(--ink); font-weight: 600; }
ul.kept { margin: 0; padding-left: 18px; }
ul.kept li { margin: 3px 0; }
.cmd { display: flex; gap: 8px; align-items: center; margin: 10px 0 4px; }
.cmd code { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
button.copy { font: inherit; font-size: 12px; border: 1px solid var(--line); background: var(--panel);
              color: var(--ink); border-radius: 6px; padding: 3px 8px; cursor: pointer; }
"""
