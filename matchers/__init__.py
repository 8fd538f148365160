"""idmerge's engine: find and merge duplicate contacts in ESP/CRM exports.

No command-line code lives here; :mod:`cli` calls :func:`run`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("idmerge")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

from matchers.errors import ConfigError, IdmergeError, InputError, OutputError  # noqa: E402
from matchers.pipeline import RunOptions, RunResult, resolve, run  # noqa: E402

__all__ = [
    "ConfigError",
    "IdmergeError",
    "InputError",
    "OutputError",
    "RunOptions",
    "RunResult",
    "__version__",
    "resolve",
    "run",
]
