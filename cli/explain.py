"""``idmerge explain``: why records are one contact, and what was kept apart from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text
from rich.tree import Tree

from cli.console import err, out, user_errors
from matchers.explain import ContactExplanation, Explanation, QueryNotFound, Record
from matchers.explain import explain as explain_result

#: Exit code when nothing matches the query (like grep).
EXIT_NOT_FOUND = 1
STATUS_STYLE = {"blocked": "yellow", "invalid": "magenta", "over_shared": "red", "moved": "blue"}
KIND_STYLE = {
    "conflict": "bold red",
    "moved": "bold blue",
    "limit": "bold yellow",
    "blocked": "yellow",
    "invalid": "magenta",
    "over_shared": "red",
    "no_identifier": "dim",
}


def explain(
    result_dir: Annotated[
        Path, typer.Argument(metavar="RESULT_DIR", help="The --out folder of idmerge run (CSV or Parquet).")
    ],
    query: Annotated[
        str,
        typer.Argument(
            metavar="QUERY",
            help="A contact id, an input reference SOURCE:ROW, or an identifier value (email, phone…).",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
) -> None:
    """Show a contact's records, the chain of links that joined them, and what was kept apart and why."""
    missing: QueryNotFound | None = None
    with user_errors():
        try:
            result = explain_result(result_dir, query)
        except QueryNotFound as exc:
            missing = exc
    if missing is not None:
        err.print(Text.assemble(("Not found: ", "bold red"), str(missing)), soft_wrap=True)
        raise typer.Exit(EXIT_NOT_FOUND)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    render(result)


def render(result: Explanation) -> None:
    """The explanation as text and trees on stdout."""
    if result.matched_as == "value":
        for match in result.matches:
            status = "" if match.status == "ok" else f" ({match.status})"
            out.print(
                Text.assemble(
                    (match.identifier, "bold"),
                    " ",
                    match.value,
                    (status, STATUS_STYLE.get(match.status, "")),
                    f": on {match.records:,} record{'s' if match.records != 1 else ''} "
                    f"in {match.contacts:,} contact{'s' if match.contacts != 1 else ''}",
                ),
                soft_wrap=True,
            )
        if result.contact_count > len(result.contacts):
            out.print(
                f"Showing the {len(result.contacts)} contacts with the most records of {result.contact_count:,}; "
                "pass a contact id to see another."
            )
        out.print()
    for contact in result.contacts:
        render_contact(contact)
        out.print()


def _values(record: Record, skip: tuple[str, str] | None = None) -> Text:
    text = Text(style="dim")
    for value in record.values:
        if (value.identifier, value.value) == skip:
            continue
        if text:
            text.append(" · ")
        text.append(f"{value.identifier} {value.value}")
        if value.status != "ok":
            text.append(f" ({value.status})", style=STATUS_STYLE.get(value.status, ""))
    return text


def render_contact(contact: ContactExplanation) -> None:
    files = ", ".join(f"{source} {n:,}" for source, n in contact.sources.items())
    out.print(
        Text.assemble(
            ("Contact ", "bold"),
            (contact.contact_id, "bold cyan"),
            f" · {contact.records_total:,} record{'s' if contact.records_total != 1 else ''} ({files})",
        ),
        soft_wrap=True,
    )
    records = {r.ref: r for r in contact.records}
    root = records.get(contact.root)
    label = Text.assemble((contact.root, "bold cyan"))
    if root is not None and root.values:
        label.append("\n")
        label.append_text(_values(root))
    tree = Tree(label, guide_style="dim")
    nodes = {contact.root: tree}
    for link in contact.links:
        child = records.get(link.child)
        text = Text.assemble(
            (link.identifier, "bold green"),
            (f" #{link.priority} ", "dim"),
            link.value,
            " → ",
            (link.child, "cyan"),
        )
        if child is not None and len(child.values) > 1:
            text.append("\n")
            text.append_text(_values(child, (link.identifier, link.value)))
        nodes[link.child] = nodes[link.parent].add(text)
    if contact.links:
        joined = ", ".join(f"{name} {n:,}" for name, n in contact.links_by_identifier.items())
        out.print(f"Joined by (links per identifier, highest priority first): {joined}", soft_wrap=True)
    else:
        out.print("A single record: nothing joined it." if contact.records_total == 1 else "No links found.")
    out.print(tree)
    hidden = contact.records_total - 1 - len(contact.links) - len(contact.unlinked)
    if hidden > 0:
        out.print(f"… and {hidden:,} more records (see --json for the first {len(contact.records):,})")
    if contact.unlinked:
        out.print(Text(f"Not reached by any link: {', '.join(contact.unlinked)}", style="yellow"), soft_wrap=True)
    if contact.kept_apart:
        out.print(Text("Kept apart", style="bold"))
        for item in contact.kept_apart:
            # Screened values name no contact in their reason; say how far they reach.
            others = ""
            if item.other_count and item.kind in ("blocked", "invalid", "over_shared"):
                others = f" (also on {item.other_count:,} other contact{'s' if item.other_count != 1 else ''})"
            out.print(
                Text.assemble(
                    "  ",
                    (item.kind, KIND_STYLE.get(item.kind, "")),
                    " ",
                    (item.identifier or "record", "bold"),
                    " ",
                    item.value,
                    ": ",
                    item.reason,
                    (others, "dim"),
                ),
                soft_wrap=True,
            )
        if contact.kept_apart_total > len(contact.kept_apart):
            out.print(f"  … and {contact.kept_apart_total - len(contact.kept_apart):,} more (see --json)")
