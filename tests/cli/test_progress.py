"""Progress on a terminal: each stage with records/s and the time left; nothing when not a
terminal. Ctrl-C: exit 130 and no output."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from matchers import RunOptions, run
from matchers.check import CheckOptions, check
from matchers.pipeline import CHECK_STAGE_WEIGHTS, STAGE_WEIGHTS, STAGES, Stage

SAMPLE = Path(__file__).parent.parent.parent / "sample_data"
IDMERGE = Path(sys.executable).parent / "idmerge"


def test_the_engine_reports_every_stage_with_its_share_and_speed(tmp_path: Path) -> None:
    seen: list[Stage] = []
    run(
        [SAMPLE / "esputnik_export.csv", SAMPLE / "mailchimp_export.csv"],
        RunOptions(out=tmp_path / "out"),
        seen.append,
    )
    assert [s.name for s in seen] == list(STAGES)
    assert [s.number for s in seen] == list(range(1, len(STAGES) + 1))
    assert seen[0].records == 0 and seen[0].eta is None and seen[0].records_per_second is None
    assert all(s.records == 65 for s in seen[1:])
    dones = [s.done for s in seen]
    assert dones == sorted(dones) and dones[0] == 0 and dones[-1] == pytest.approx(1 - STAGE_WEIGHTS["write"])
    assert all(s.eta is not None and s.eta >= 0 for s in seen[1:])
    assert all(s.records_per_second and s.records_per_second > 0 for s in seen[1:])


def test_a_check_reports_its_own_six_stages_and_shares() -> None:
    # idmerge check writes nothing and makes no merged rows: its progress counts six
    # stages, not seven, and the time left comes from check's own shares.
    seen: list[Stage] = []
    check([SAMPLE / "esputnik_export.csv", SAMPLE / "mailchimp_export.csv"], RunOptions(), CheckOptions(), seen.append)
    assert [s.name for s in seen] == list(STAGES[:-1]) == list(CHECK_STAGE_WEIGHTS)
    assert [(s.number, s.total) for s in seen] == [(n, 6) for n in range(1, 7)]
    assert sum(CHECK_STAGE_WEIGHTS.values()) == pytest.approx(1)
    assert [s.done for s in seen] == pytest.approx([0, 0.06, 0.21, 0.45, 0.80, 0.98])


@pytest.mark.skipif(shutil.which("script") is None or not IDMERGE.exists(), reason="needs util-linux script")
def test_a_terminal_shows_stages_speed_and_time_left(tmp_path: Path) -> None:
    command = (
        f"{IDMERGE} run {SAMPLE / 'esputnik_export.csv'} {SAMPLE / 'mailchimp_export.csv'} --out {tmp_path / 'out'}"
    )
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm"}
    done = subprocess.run(
        ["script", "-qec", command, "/dev/null"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", done.stdout).replace("\r", "\n")
    assert re.search(r"\b[a-z]+ \([2-7]/7\) 65 records .* [\d,]+ records/s · (about \d+:\d\d left|finishing)", screen)
    assert "Records in" in screen


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(IDMERGE), "run", str(SAMPLE / "esputnik_export.csv"), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert done.stderr == ""


def test_ctrl_c_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    # Enough records to be still running half a second after the command starts.
    src = tmp_path / "people.csv"
    duckdb.sql(
        f"""COPY (SELECT 'p' || range || '@ukr.net' AS Email, '+38067' || lpad((range % 9999991)::VARCHAR, 7, '0')
        AS Phone FROM range(300000)) TO '{src}' (FORMAT csv, HEADER true)"""
    )
    out = tmp_path / "out"
    # As a terminal's Ctrl-C reaches it, even where this test's runner ignores SIGINT.
    proc = subprocess.Popen(
        [str(IDMERGE), "run", str(src), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert (proc.returncode, stderr, stdout) == (130, "Interrupted; no output was changed.\n", "")
    assert not out.exists() or list(out.iterdir()) == []
