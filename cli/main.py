"""The ``idmerge`` command: the app, ``--version`` and error handling."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import check as check_command
from cli import explain as explain_command
from cli import inspect as inspect_command
from cli import run as run_command
from matchers import __version__

app = typer.Typer(
    name="idmerge",
    help="Find and merge duplicate contacts in ESP/CRM exports (CSV, Parquet).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"idmerge {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Find and merge duplicate contacts in ESP/CRM exports (CSV, Parquet)."""


app.command("run")(run_command.run)
app.command("check")(check_command.check)
app.command("explain")(explain_command.explain)
app.command("inspect")(inspect_command.inspect)
app.command("init")(inspect_command.init)

__all__ = ["app"]
