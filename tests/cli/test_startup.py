"""What the command loads before it has work to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_command_starts_without_scipy() -> None:
    # SciPy (connected components, explanation trees) took 0.25 s of every command's
    # start, `idmerge --help` included: it is imported by the steps that use it.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, cli.main; print(sorted(m for m in sys.modules if m.startswith('scipy')))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert loaded.stdout.strip() == "[]"
