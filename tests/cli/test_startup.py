"""What the command loads before it has work to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_command_starts_without_scipy() -> None:
    # SciPy took 0.25 s of every command's start, `idmerge --help` included. idmerge no
    # longer uses it (test_a_run_does_not_import_scipy) and does not install it; the
    # tests do, so a module importing it at the top would still load it here.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, cli.main; print(sorted(m for m in sys.modules if m.startswith('scipy')))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert loaded.stdout.strip() == "[]"


def test_a_run_does_not_import_scipy(tmp_path: Path) -> None:
    # Components of linking (graph.component_labels) and the explanation trees of
    # report.html (explain._Forest) are made without SciPy: a run of the sample
    # exports, which links by every rule and writes report.html, loads none of it.
    root = Path(__file__).resolve().parents[2]
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from matchers import run, RunOptions\n"
        f"paths = sorted(Path({str(root / 'sample_data')!r}).glob('*.csv'))\n"
        f"result = run(paths, RunOptions(out=Path({str(tmp_path / 'out')!r})))\n"
        "print(result.summary.contacts, [p.name for p in result.outputs if p.suffix == '.html'],"
        " sorted(m for m in sys.modules if m.startswith('scipy')))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root)
    assert loaded.stdout.strip() == "45 ['report.html'] []"
