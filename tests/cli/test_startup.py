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


def test_resolving_does_not_import_scipy() -> None:
    # Linking labels components with NumPy (graph.component_labels): resolving the
    # sample exports, which links by every rule, loads no SciPy, so neither does
    # `idmerge check`; only the explanation trees (explain, report.html) use it.
    root = Path(__file__).resolve().parents[2]
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from matchers.pipeline import resolve, RunOptions\n"
        f"paths = sorted(Path({str(root / 'sample_data')!r}).glob('*.csv'))\n"
        "resolution = resolve(paths, RunOptions())\n"
        "print(resolution.summary.contacts, sorted(m for m in sys.modules if m.startswith('scipy')))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root)
    assert loaded.stdout.strip() == "45 []"
