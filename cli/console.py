"""Consoles: data and summaries to stdout, diagnostics and progress to stderr."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from matchers import IdmergeError
from matchers.errors import DiskFull
from matchers.pipeline import Stage

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
    except DiskFull as exc:
        disk_full(exc.path)
    except MemoryError:
        err.print(
            "[bold red]Error:[/] out of memory; give --memory-limit a size the machine has free and --temp-dir "
            "a folder with free disk (what does not fit goes there), or run on fewer or smaller files",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None
    except Exception as exc:  # a bug: one line, not a traceback, unless asked
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            disk_full(exc.filename if isinstance(exc.filename, str) else None)
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        first = escape(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        err.print(
            f"[bold red]Internal error:[/] {type(exc).__name__}: {first} "
            f"(please report it; set {DEBUG_ENV}=1 for the traceback)",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


def disk_full(path: str | None) -> NoReturn:
    """Print the disk-full line and exit 3 (a limit of the machine, like memory)."""
    where = f"the disk of {Path(path).parent}" if path else "a disk"
    err.print(
        f"[bold red]Error:[/] {escape(where)} is full; free space there, or give --temp-dir a folder on a disk "
        "with room for what does not fit in memory (about 1 GB per million records under --memory-limit 1GB)",
        soft_wrap=True,
    )
    raise typer.Exit(EXIT_INTERNAL)


def progress_printer(enabled: bool) -> tuple[Callable[[Stage], None], Callable[[], None]]:
    """Progress on stderr: the stage, records/s so far and the time left (off when quiet or not a terminal)."""
    if not enabled or not err.is_terminal:
        return (lambda stage: None), (lambda: None)
    import time

    from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class Speed(ProgressColumn):
        """Records per second and time left; the estimate counts down between stages."""

        def render(self, task: Task) -> Text:
            rate, end = task.fields.get("rate"), task.fields.get("end")
            parts = []
            if rate:
                parts.append(f"{rate:,.0f} records/s")
            if end is not None:
                left = max(0, round(end - time.monotonic()))
                parts.append(f"about {left // 60}:{left % 60:02d} left" if left else "finishing")
            return Text(" · ".join(parts), style="progress.remaining")

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        Speed(),
        console=err,
        transient=True,
    )
    task = bar.add_task("starting", total=100, rate=None, end=None)
    bar.start()

    def update(stage: Stage) -> None:
        records = f" {stage.records:,} records" if stage.records else ""
        eta = stage.eta
        bar.update(
            task,
            description=f"{stage.name} ({stage.number}/{stage.total}){records}",
            completed=round(stage.done * 100),
            rate=stage.records_per_second,
            end=time.monotonic() + eta if eta is not None else None,
        )

    return update, bar.stop
