"""``idmerge inspect`` (what was detected in the inputs, what looks wrong) and ``idmerge init`` (a config from it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.console import err, out, user_errors
from matchers.check import printable
from matchers.inspect import FileProfile, Inspection, InspectOptions, Problem
from matchers.inspect import init as init_engine
from matchers.inspect import inspect as inspect_engine

STYLES = {"error": "bold red", "warning": "yellow"}

Files = Annotated[
    list[Path], typer.Argument(help="Contact exports (CSV, Excel, Parquet, or a zip of them); each file is a source.")
]
PresetOption = Annotated[
    str | None, typer.Option(help="Read every input as this export layout (default: detected per file).")
]
ConfigOption = Annotated[Path | None, typer.Option(help="idmerge.toml with column mapping and rule overrides.")]
RegionOption = Annotated[
    str | None, typer.Option(help="Default phone region (e.g. UA) for numbers without a country code.")
]
EncodingOption = Annotated[str | None, typer.Option(help="Input encoding (default: detected).")]
DelimiterOption = Annotated[
    str | None, typer.Option(help="CSV delimiter (default: detected among , ; tab |); 'tab' for tab.")
]


def inspect(
    files: Files,
    preset: PresetOption = None,
    config: ConfigOption = None,
    region: RegionOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document to stdout.")] = False,
    show_values: Annotated[bool, typer.Option("--show-values", help="Show values unmasked.")] = False,
) -> None:
    """Show what idmerge detects in FILES (preset, columns, fill rates) and what looks wrong; writes nothing."""
    options = InspectOptions(config, region, preset, encoding, delimiter, show_values)
    with user_errors():
        report = inspect_engine(files, options)
    if json_output:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    render(report)


def init(
    files: Files,
    output: Annotated[Path, typer.Option("--output", "-o", help="Config file to write.")] = Path("idmerge.toml"),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing config file.")] = False,
    preset: PresetOption = None,
    config: ConfigOption = None,
    region: RegionOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
) -> None:
    """Write a commented idmerge.toml with the mapping detected in FILES, to edit and pass to run --config."""
    options = InspectOptions(config, region, preset, encoding, delimiter)
    with user_errors():
        result = init_engine(files, options, output, force=force)
    mapped = sum(
        1 for f in result.inspection.files for c in f.columns if c.identifier or c.field or c.consent is not None
    )
    sources = len(result.inspection.files)
    out.print(
        Text(f"Wrote {output}: {mapped} mapped columns from {sources} file{'s' if sources != 1 else ''}"),
        soft_wrap=True,
    )
    for note in result.disagreements:
        err.print(Text(f"Note: {note} (see the comment in {output})"), soft_wrap=True)
    errors = result.inspection.count("error")
    if errors:
        err.print(
            Text(f"{errors} problem(s) would stop or mislead a run; see `idmerge inspect` or the file's comments"),
            soft_wrap=True,
        )


def render(report: Inspection) -> None:
    """One table per file, its problems under it, then the totals."""
    for number, profile in enumerate(report.files):
        if number:
            out.print()
        out.print(Text(_title(profile), "bold"), soft_wrap=True)
        out.print(_table(profile))
        for problem in profile.all_problems:
            out.print(_problem(problem), soft_wrap=True)
    errors, warnings = report.count("error"), report.count("warning")
    out.print()
    if report.region:
        how = "inferred from numbers written with +" if report.region_inferred else "given"
        out.print(Text(f"Phone region: {report.region} ({how})"))
    out.print(
        Text(
            f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''} "
            f"in {len(report.files)} file{'s' if len(report.files) != 1 else ''}",
            STYLES["error"] if errors else ("yellow" if warnings else "green"),
        )
    )
    if report.masked:
        out.print(Text("Values are masked; pass --show-values to see them.", "dim"))


def _title(profile: FileProfile) -> str:
    parts = [f"preset {profile.preset}" if profile.preset else "no preset", profile.format]
    if profile.encoding:
        parts.append(profile.encoding)
    if profile.delimiter:
        parts.append("delimiter " + {"\t": "tab"}.get(profile.delimiter, repr(profile.delimiter)))
    if profile.sheet:
        parts.append(f"sheet {profile.sheet!r}")
    parts.append(f"{profile.records:,} records")
    if profile.rejected:
        parts.append(f"{profile.rejected:,} rejected")
    return f"{profile.name}: " + ", ".join(parts)


def _table(profile: FileProfile) -> Table:
    table = Table(box=None, padding=(0, 2), pad_edge=False, header_style="bold")
    for name, justify in (
        ("column", "left"),
        ("role", "left"),
        ("filled", "right"),
        ("distinct", "right"),
        ("samples", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for column in profile.columns:
        role = column.role or ("ignore" if column.ignored else "")
        if column.split:
            role += f" (split {column.split!r})"
        problems = column.problems
        style = STYLES["error"] if any(p.severity == "error" for p in problems) else ("yellow" if problems else "")
        table.add_row(
            Text(printable(column.header, escape=True), style),
            Text(role),
            f"{column.fill_rate * 100:.0f}%",
            f"{column.distinct:,}",
            Text(", ".join(printable(sample, escape=True) for sample in column.samples)),
        )
    return table


def _problem(problem: Problem) -> Text:
    return Text.assemble((f"{problem.severity}: ", STYLES[problem.severity]), problem.message)
