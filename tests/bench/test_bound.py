"""bench/bound.py measured for real: idmerge's outputs of the sample exports, written again from tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matchers import RunOptions, run

ROOT = Path(__file__).resolve().parents[2]
BOUND = ROOT / "bench" / "bound.py"
SAMPLES = sorted((ROOT / "sample_data").glob("*.csv"))


def _bound(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BOUND), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_times_each_output_of_a_run_in_its_format(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    result = run(SAMPLES, RunOptions(out=out, format=fmt, html=False))
    done = _bound(str(out), "--repeat", "2", "--json", str(tmp_path / "b.json"))
    assert done.returncode == 0, done.stderr
    figures = json.loads((tmp_path / "b.json").read_text())
    outputs = figures["outputs"]
    assert list(outputs) == ["contacts", "links", "findings", "membership"]
    assert outputs["contacts"]["rows"] == result.summary.contacts == 45
    assert outputs["membership"]["rows"] == result.summary.records == 65
    assert outputs["contacts"]["file"] == f"contacts.{fmt}"
    assert outputs["links"]["bytes"] == (out / f"links.{fmt}").stat().st_size
    assert all(f["write_s"] > 0 for f in outputs.values())
    assert figures["total_s"] == round(sum(f["write_s"] for f in outputs.values()), 3)
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        f"contacts.{fmt}",
        f"links.{fmt}",
        f"findings.{fmt}",
        f"membership.{fmt}",
        "total",
    ]


def test_a_folder_without_outputs_is_refused_with_status_2(tmp_path: Path) -> None:
    missing = _bound(str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert (
        missing.stderr.strip()
        == f"bound.py: {tmp_path / 'nowhere'} is not a folder; give the --out folder of an idmerge run"
    )
    empty = _bound(str(tmp_path))
    assert empty.returncode == 2
    assert "holds none of contacts, links, findings, membership" in empty.stderr
    no_repeat = _bound(str(tmp_path), "--repeat", "0")
    assert no_repeat.returncode == 2
    assert no_repeat.stderr.strip() == "bound.py: --repeat must be at least 1"
