"""bench/run.py measured for real: the generator, idmerge and the references on a small generated file."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


def _bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN), "--sizes", "2000", "--no-splink", "--quiet", "--data", str(tmp_path / "d"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_repeat_reports_the_median_of_runs_that_take_turns(tmp_path: Path) -> None:
    result = _bench(tmp_path, "--repeat", "3", "--json", str(tmp_path / "r.json"), "--work", str(tmp_path / "work"))
    assert result.returncode == 0, result.stderr
    row = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert row["repeat"] == 3
    for name, wall, peak in (
        ("idmerge", "wall_s", "peak_rss_mb"),
        ("floor", "floor_s", "floor_rss_mb"),
        ("cc", "cc_s", "cc_rss_mb"),
    ):
        runs = row["runs"][name]
        assert len(runs["wall_s"]) == 3 and len(runs["peak_rss_mb"]) == 3
        assert row[wall] == round(statistics.median(runs["wall_s"]), 3)
        assert row[peak] == round(statistics.median(runs["peak_rss_mb"]), 1)
    assert row["records_per_s"] == round(2000 / row["wall_s"])
    assert row["ratio_to_floor"] == round(row["wall_s"] / row["floor_s"], 2)
    # every run of every command left its own log, in turn
    logs = sorted(p.name for p in (tmp_path / "work" / "n2000_csv").glob("*.log"))
    assert logs == sorted(f"{n}.{k}.log" for n in ("idmerge", "floor", "cc") for k in (1, 2, 3))
    # scored once: the outputs of every run are the same
    assert row["precision"] == 1.0 and 0 < row["recall"] <= 1


def test_one_run_keeps_no_list_of_runs(tmp_path: Path) -> None:
    result = _bench(tmp_path, "--json", str(tmp_path / "r.json"), "--no-cc")
    assert result.returncode == 0, result.stderr
    row = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert row["repeat"] == 1 and "runs" not in row
    assert row["wall_s"] > 0 and row["floor_s"] > 0 and "cc_s" not in row


def test_repeat_below_one_is_refused(tmp_path: Path) -> None:
    result = _bench(tmp_path, "--repeat", "0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("error: --repeat must be at least 1")
