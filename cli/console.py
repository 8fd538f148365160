"""Consoles: data and summaries to stdout, diagnostics and progress to stderr."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from matchers import IdmergeError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

#: Exit codes: 0 success, 1 failed checks, 2 usage or input error, 3 internal error, 130 Ctrl-C.
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
#: Set to 1 to see the traceback of an internal error.
DEBUG_ENV = "IDMERGE_DEBUG"


def fail(message: str) -> NoReturn:
    """Print one error line to stderr and exit 2."""
    err.print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(EXIT_USAGE)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the engine's user errors and Ctrl-C into one line and an exit code."""
    try:
        yield
    except IdmergeError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        err.print("Interrupted; no output was changed.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except MemoryError:
        err.print("[bold red]Error:[/] out of memory; run on fewer or smaller files, or on a larger machine")
        raise typer.Exit(EXIT_INTERNAL) from None
    except Exception as exc:  # a bug: one line, not a traceback, unless asked
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        first = escape(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        err.print(
            f"[bold red]Internal error:[/] {type(exc).__name__}: {first} "
            f"(please report it; set {DEBUG_ENV}=1 for the traceback)",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


def progress_printer(enabled: bool) -> tuple[Callable[[str, int, int], None], Callable[[], None]]:
    """A stage progress display on stderr (off when quiet or not a terminal)."""
    if not enabled or not err.is_terminal:
        return (lambda stage, n, total: None), (lambda: None)
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("starting", total=1)
    bar.start()

    def update(stage: str, number: int, total: int) -> None:
        bar.update(task, description=stage, completed=number - 1, total=total)

    return update, bar.stop
