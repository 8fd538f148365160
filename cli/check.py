"""``idmerge check``: a data-quality gate for CI; exit 0 pass, 1 failed checks, 2 usage or input error."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cli.console import out, progress_printer, user_errors
from cli.memory import MemoryLimit, TempDir, with_memory
from matchers import RunOptions
from matchers.check import METRIC_BY_NAME, CheckOptions, CheckReport, FailOn, describe_threshold, format_measured
from matchers.check import check as check_engine
from matchers.check_formats import append_step_summary, check_writable, github_annotations, write_json, write_junit

#: Exit code of a gate that failed (2 is a usage or input error, as for every command).
EXIT_FAILED = 1
THRESHOLDS = "Thresholds (VALUE: 0.02 or 2% for rates, a whole number for counts; warn:VALUE, off)"
OUTPUTS = "Outputs"
STYLES = {"fail": "bold red", "warn": "yellow", "pass": "green", "skip": "dim"}
LABELS = {"fail": "FAIL", "warn": "WARN", "pass": "pass", "skip": "off"}


def _threshold(name: str) -> Any:
    metric = METRIC_BY_NAME[name]
    default = describe_threshold(metric.default, metric.unit, "max")
    return typer.Option(
        metric.option,
        metavar="RATE" if metric.unit == "rate" else "N",
        help=f"Maximum of {metric.meaning} (default: {default}).",
        rich_help_panel=THRESHOLDS,
        show_default=False,
    )


def check(
    files: Annotated[
        list[Path], typer.Argument(help="Contact exports (CSV, Excel, Parquet or a zip of them) to check.")
    ],
    config: Annotated[Path | None, typer.Option(help="idmerge.toml; its \\[check] table sets thresholds.")] = None,
    region: Annotated[str | None, typer.Option(help="Default phone region (e.g. UA).")] = None,
    encoding: Annotated[str | None, typer.Option(help="Input encoding (default: detected).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: detected).")] = None,
    preset: Annotated[
        str | None, typer.Option(help="Read every input as this export layout (default: detected per file).")
    ] = None,
    memory_limit: MemoryLimit = None,
    temp_dir: TempDir = None,
    max_duplicate_rate: Annotated[str | None, _threshold("duplicate_rate")] = None,
    max_duplicates: Annotated[str | None, _threshold("duplicates")] = None,
    max_invalid_email_rate: Annotated[str | None, _threshold("invalid_email_rate")] = None,
    max_invalid_phone_rate: Annotated[str | None, _threshold("invalid_phone_rate")] = None,
    max_junk_values: Annotated[str | None, _threshold("junk_values")] = None,
    max_conflicts: Annotated[str | None, _threshold("conflicts")] = None,
    max_moved_devices: Annotated[str | None, _threshold("moved_devices")] = None,
    max_over_shared_values: Annotated[str | None, _threshold("over_shared_values")] = None,
    require_column: Annotated[
        list[str] | None,
        typer.Option(
            metavar="IDENTIFIER",
            help="Every file must have a column for IDENTIFIER (warn:IDENTIFIER to only warn); repeatable.",
            rich_help_panel=THRESHOLDS,
        ),
    ] = None,
    min_fill_rate: Annotated[
        list[str] | None,
        typer.Option(
            metavar="IDENTIFIER=RATE",
            help="Minimum share of records with a non-junk IDENTIFIER value, e.g. email=0.9; repeatable.",
            rich_help_panel=THRESHOLDS,
        ),
    ] = None,
    fail_on: Annotated[
        FailOn | None, typer.Option(help="Exit 1 on errors only (default), or on warnings too.", show_default=False)
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="JSON of an earlier check: fail only where a figure got worse."),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write every check as JSON.", rich_help_panel=OUTPUTS)
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write JUnit XML, one test case per check.", rich_help_panel=OUTPUTS),
    ] = None,
    github: Annotated[
        bool,
        typer.Option(
            "--github",
            help="Print GitHub annotations and add a summary to $GITHUB_STEP_SUMMARY.",
            rich_help_panel=OUTPUTS,
        ),
    ] = False,
    show_values: Annotated[
        bool,
        typer.Option("--show-values", help="Show emails, phones and ids unmasked.", rich_help_panel=OUTPUTS),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no table.", rich_help_panel=OUTPUTS)] = False,
) -> None:
    """Check contact FILES against data-quality thresholds; exit 1 when a check fails (2 on bad input)."""
    given = {
        "duplicate_rate": max_duplicate_rate,
        "duplicates": max_duplicates,
        "invalid_email_rate": max_invalid_email_rate,
        "invalid_phone_rate": max_invalid_phone_rate,
        "junk_values": max_junk_values,
        "conflicts": max_conflicts,
        "moved_devices": max_moved_devices,
        "over_shared_values": max_over_shared_values,
    }
    options = CheckOptions(
        thresholds={name: text for name, text in given.items() if text is not None},
        require_columns=tuple(require_column or ()),
        min_fill_rates=tuple(min_fill_rate or ()),
        fail_on=fail_on,
        baseline=baseline,
        show_values=show_values,
    )
    run_options = RunOptions(config=config, region=region, encoding=encoding, delimiter=delimiter, preset=preset)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY") if github else None
    with user_errors():
        run_options = with_memory(run_options, memory_limit, temp_dir)
        for path, option in ((json_path, "--json"), (junit, "--junit")):
            if path is not None:
                check_writable(path, option)
        update, stop = progress_printer(not quiet)
        try:
            report = check_engine(files, run_options, options, update)
        finally:
            stop()
        if json_path is not None:
            write_json(report, json_path)
        if junit is not None:
            write_junit(report, junit)
        if summary_file:
            append_step_summary(report, Path(summary_file))
    if not quiet:
        render(report)
    if github:
        for line in github_annotations(report):
            typer.echo(line)
    raise typer.Exit(0 if report.passed else EXIT_FAILED)


def render(report: CheckReport) -> None:
    """The checks table, what lies behind each problem, and the verdict."""
    files = "file" if len(report.inputs) == 1 else "files"
    out.print(f"{report.records:,} records, {report.contacts:,} contacts in {len(report.inputs)} {files}")
    table = Table(box=None, padding=(0, 2), pad_edge=False, header_style="bold")
    for column in ("status", "check", "measured", "threshold"):
        table.add_column(column)
    for r in report.results:
        threshold = describe_threshold(r.threshold, r.unit, r.direction)
        table.add_row(Text(LABELS[r.status], STYLES[r.status]), r.name, format_measured(r), threshold)
    out.print(table)
    for r in report.results:
        if r.status in ("fail", "warn"):
            out.print(Text(f"{r.name}: {r.message}", STYLES[r.status]), soft_wrap=True)
            for example in r.figure.examples:
                out.print(Text(f"  {example}"), soft_wrap=True)
    warnings = report.count("warn")
    counts = (
        f"{report.count('fail')} failed, {warnings} {'warning' if warnings == 1 else 'warnings'}, "
        f"{report.count('pass')} passed, {report.count('skip')} off"
    )
    if report.passed:
        out.print(Text(f"Passed: {counts}", "bold green"))
    else:
        why = " (--fail-on warn)" if report.fail_on == "warn" and not report.count("fail") else ""
        out.print(Text(f"Failed{why}: {counts}", "bold red"))
    if report.masked and any(r.figure.examples for r in report.results if r.status in ("fail", "warn")):
        out.print(Text("Values are masked; pass --show-values to see them.", "dim"))
