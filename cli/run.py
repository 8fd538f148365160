"""``idmerge run``: resolve duplicates and write merged contacts and reports."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from cli.console import out, progress_printer, user_errors
from cli.memory import MemoryLimit, TempDir, with_memory
from matchers import RunOptions
from matchers import run as run_engine
from matchers.report import Summary
from matchers.target import parse_size

FormatOption = Literal["csv", "parquet"]


def run(
    files: Annotated[
        list[Path],
        typer.Argument(help="Contact exports (CSV, Excel, Parquet, or a zip of them); each file is a source."),
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the results into.")],
    region: Annotated[
        str | None, typer.Option(help="Default phone region (e.g. UA) for numbers without a country code.")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="idmerge.toml with column mapping and rule overrides.")] = None,
    fmt: Annotated[
        FormatOption | None,
        typer.Option("--format", help="Output format; default: the format of the first input."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite results in a non-empty --out folder.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    encoding: Annotated[
        str | None, typer.Option(help="Input encoding (default: detected; e.g. utf-8, utf-16, cp1251).")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV delimiter (default: detected among , ; tab |); 'tab' for tab.")
    ] = None,
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="Set malformed rows aside in rejects.csv instead of stopping.")
    ] = False,
    preset: Annotated[
        str | None, typer.Option(help="Read every input as this export layout (default: detected per file).")
    ] = None,
    prefer: Annotated[
        list[str] | None,
        typer.Option(help="A source (file or preset name) whose values survive first; repeat for an order."),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Also write contacts in this ESP's import layout, e.g. esputnik.")
    ] = None,
    split_size: Annotated[
        str | None,
        typer.Option(help="Split --to files below this size (e.g. 50MB; default: the target's import limit)."),
    ] = None,
    memory_limit: MemoryLimit = None,
    temp_dir: TempDir = None,
    no_html: Annotated[bool, typer.Option("--no-html", help="Do not write report.html.")] = False,
    show_values: Annotated[
        bool, typer.Option("--show-values", help="Show identifier values unmasked in report.html.")
    ] = False,
) -> None:
    """Merge duplicate contacts of FILES and write contacts, membership, findings, links, report.json and .html."""
    started = time.perf_counter()
    options = RunOptions(
        out=out_dir,
        format=fmt,
        force=force,
        config=config,
        region=region,
        encoding=encoding,
        delimiter=delimiter,
        skip_bad_rows=skip_bad_rows,
        preset=preset,
        prefer=tuple(prefer or ()),
        to=to,
        html=not no_html,
        show_values=show_values,
    )
    update, stop = progress_printer(not quiet)
    with user_errors():
        if split_size is not None:
            options = replace(options, split_bytes=parse_size(split_size, "--split-size"))
        options = with_memory(options, memory_limit, temp_dir)
        try:
            result = run_engine(files, options, update)
        finally:
            stop()
    if not quiet:
        render_summary(result.summary, time.perf_counter() - started, out_dir)


def render_summary(summary: Summary, seconds: float, out_dir: Path) -> None:
    """The short summary printed after a run."""
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = [
        ("Records in", summary.records),
        ("Contacts out", summary.contacts),
        ("Duplicates merged", summary.duplicates_merged),
        ("Conflicts", summary.conflicts),
        ("Moved devices", summary.moved),
        ("Junk values ignored", summary.junk_values),
        ("Invalid values", summary.invalid_values),
        ("Over-shared values", summary.over_shared_values),
        ("Records with no identifier", summary.no_identifier),
    ]
    if summary.consent:
        rows.append(("Contacts whose consent changed by merging", summary.consent_changed))
    if summary.unreadable_statuses:
        rows.append(("Unreadable status values (read as unknown)", summary.unreadable_statuses))
    if summary.rejected_rows:
        rows.append(("Rejected rows (rejects.csv)", summary.rejected_rows))
    if summary.unreadable_dates:
        rows.append(("Unreadable dates (treated as missing)", summary.unreadable_dates))
    for label, value in rows:
        table.add_row(label, f"{value:,}")
    table.add_row("Time", f"{seconds:.1f} s")
    out.print(table)
    if summary.phones_without_region:
        out.print(
            f"{summary.phones_without_region:,} phone values have no country code and no region is known: "
            "they are treated as invalid; pass --region (e.g. --region UA)."
        )
    out.print(f"Results in {out_dir}/")
