"""Errors a user can fix. Each message is one line that names the file, column
or option at fault and says how to fix it; the CLI prints it and exits 2
(:class:`DiskFull`, a machine's limit rather than the input's, exits 3 as
running out of memory does)."""

from __future__ import annotations


class IdmergeError(Exception):
    """A problem with the user's input, config or output folder."""


class InputError(IdmergeError):
    """An input file cannot be read as contacts."""


class ConfigError(IdmergeError):
    """The config file or an option is wrong."""


class OutputError(IdmergeError):
    """The output folder cannot be written as asked."""


class DiskFull(Exception):
    """A disk filled up while DuckDB wrote to it (spilled data or an output)."""

    def __init__(self, path: str | None) -> None:
        super().__init__(path or "")
        #: the file DuckDB could not write, when its message names one
        self.path = path
