"""Errors a user can fix. Each message is one line that names the file, column
or option at fault and says how to fix it; the CLI prints it and exits 2."""

from __future__ import annotations


class IdmergeError(Exception):
    """A problem with the user's input, config or output folder."""


class InputError(IdmergeError):
    """An input file cannot be read as contacts."""


class ConfigError(IdmergeError):
    """The config file or an option is wrong."""


class OutputError(IdmergeError):
    """The output folder cannot be written as asked."""
