"""bench/public.py run for real on small datasets in the public datasets' layout (data.csv + truth.csv)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "bench" / "public.py"


def _public(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(PUBLIC), *args], capture_output=True, text=True, timeout=300)


def _dataset(root: Path, name: str, data: str, entities: list[int]) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text(data)
    (folder / "truth.csv").write_text("row,entity_id\n" + "".join(f"{r},{e}\n" for r, e in enumerate(entities, 1)))


def test_scores_idmerge_and_the_exact_baseline_and_checks_shuffled_rows(tmp_path: Path) -> None:
    datasets = tmp_path / "datasets"
    # Entity 1 writes its email in two cases (both link it); entities 2 and 3 share the
    # placeholder "n/a" (the exact baseline merges them, idmerge blocks it); entity 4's
    # gmail dots only idmerge reads as one mailbox; entity 5's second record has no email.
    _dataset(
        datasets,
        "people",
        "name,email\nAnn,a@x.com\nAnn,A@X.COM\nBob,n/a\nCid,n/a\nDan,j.doe@gmail.com\nDan,jdoe@gmail.com\n"
        "Eve,e@y.com\nEve,\n",
        [1, 1, 2, 3, 4, 4, 5, 5],
    )
    _dataset(datasets, "names", "name,city\nAnn,Kyiv\nAnn,Kyiv\n", [1, 1])
    done = _public(str(datasets), "--work", str(tmp_path / "work"), "--json", str(tmp_path / "p.json"))
    assert done.returncode == 0, done.stderr
    names, people = json.loads((tmp_path / "p.json").read_text())
    assert names["dataset"] == "names"
    assert names["skipped"] == (
        f"Error: {datasets / 'names' / 'data.csv'}: no identifier column among 'name', 'city'; "
        'map one in the config, e.g. [columns] "Mail" = "email"'
    )
    assert "idmerge" not in names
    assert people["records"] == 8 and people["entities"] == 5
    assert people["identifiers"] == {"email": "email"}
    assert people["idmerge"] == {
        "predicted_pairs": 2,
        "true_pairs": 3,
        "false_pairs": 0,
        "missed_pairs": 1,
        "false_merge_contacts": 0,
        "precision": 1.0,
        "recall": 0.6667,
        "f1": 0.8,
    }
    assert people["exact"] == {
        "predicted_pairs": 2,
        "true_pairs": 3,
        "false_pairs": 1,
        "missed_pairs": 2,
        "false_merge_contacts": 1,
        "precision": 0.5,
        "recall": 0.3333,
        "f1": 0.4,
    }
    assert people["shuffled_differ"] == 0
    lines = done.stdout.splitlines()
    assert lines[0].startswith("| dataset | records | entities |")
    assert lines[2].startswith("| names | 2 | 1 | — | Error: ")
    assert lines[3] == (
        "| people | 8 | 5 | email → email | 1.0000 / 0.6667 / 0.8000 | 0.5000 / 0.3333 / 0.4000 | same contacts |"
    )


def test_a_folder_without_datasets_is_refused_with_status_2(tmp_path: Path) -> None:
    done = _public(str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == f"public.py: no dataset (a folder with data.csv and truth.csv) in {tmp_path}"
    assert done.stdout == ""
