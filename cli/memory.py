"""``--memory-limit`` and ``--temp-dir``: the options of every command that resolves files (run, check)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from matchers import RunOptions
from matchers.errors import ConfigError
from matchers.target import parse_size

MemoryLimit = Annotated[
    str | None,
    typer.Option(
        help="Most memory DuckDB may use, e.g. 1GB; beyond it, work spills to the temp dir. "
        "The process as a whole takes 0.1-0.6 GB more (more with more records)."
    ),
]
TempDir = Annotated[
    Path | None,
    typer.Option(help="Folder for spilled data and working files (default: the system's temporary folder)."),
]


def with_memory(options: RunOptions, memory_limit: str | None, temp_dir: Path | None) -> RunOptions:
    """``options`` with the memory limit and temp folder given, each checked (ConfigError: exit 2)."""
    if memory_limit is not None:
        options = replace(options, memory_limit=f"{max(1, parse_size(memory_limit, '--memory-limit') // 10**6)}MB")
    if temp_dir is not None:
        if not temp_dir.is_dir():
            raise ConfigError(f"--temp-dir {temp_dir}: no such folder; create it or choose another")
        options = replace(options, temp_dir=temp_dir)
    return options
