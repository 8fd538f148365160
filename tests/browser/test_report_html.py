"""``report.html``: opened in a real headless browser, plus what can be checked without one.

The browser is Debian's ``chromium`` (``.ci/run`` installs it; set
``IDMERGE_CHROMIUM`` to use another binary). The page counts script errors
and blocked requests on ``<html data-errors>`` from its first script and sets
``data-ready`` at the end of its last one; ``--dump-dom`` gives the DOM after
the scripts ran, so the test reads both, and the figures the page shows.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from matchers import RunOptions, run

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [ROOT / "sample_data" / "esputnik_export.csv", ROOT / "sample_data" / "mailchimp_export.csv"]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: What chromium needs to run headless as root in a container, with no network of its own.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    found = os.environ.get("IDMERGE_CHROMIUM") or next((b for b in map(shutil.which, BROWSERS) if b), None)
    if not found:
        pytest.skip("chromium not found; install it with `apt-get install -y chromium` (.ci/run does)")
    return found


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM of ``page`` after its scripts ran, from a fresh browser profile."""
    profile.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


def html_attribute(dom: str, name: str) -> str | None:
    tag = re.search(r"<html\b[^>]*>", dom)
    assert tag is not None
    found = re.search(rf'\s{name}="([^"]*)"', tag.group(0))
    return found.group(1) if found else None


def card(dom: str, label: str) -> str:
    found = re.search(rf'data-figure="{re.escape(label)}"><div class="fig">([^<]*)</div>', dom)
    assert found, label
    return found.group(1)


@pytest.fixture(scope="module")
def sample_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "result"
    run(SAMPLES, RunOptions(out=out))
    return out


def test_report_renders_in_chromium_without_script_errors(sample_result: Path, tmp_path: Path) -> None:
    dom = dump_dom(sample_result / "report.html", tmp_path / "profile")
    assert html_attribute(dom, "data-errors") == "0", html_attribute(dom, "data-error-log")
    assert html_attribute(dom, "data-ready") == "1"
    assert card(dom, "Records in") == "65"
    assert card(dom, "Contacts out") == "45"
    assert card(dom, "Duplicates merged") == "20"
    assert card(dom, "Conflicts") == "4"
    assert card(dom, "Moved devices") == "1"
    assert card(dom, "Junk values") == "15"
    assert dom.count('<svg class="chart"') == 5
    # Contacts by size: 35 single records, 4 pairs, 4 of three, 2 of five (sample_data/README.md).
    for note in ("35 · 78%", "4 · 8.9%", "2 · 4.4%"):
        assert f">{note}</text>" in dom, note
    assert ">esputnik_export.csv</text>" in dom and ">40 · 52% merged</text>" in dom
    # Each of the largest contacts links to its explanation on the page.
    targets = re.findall(r'<tr><td><a href="#(c-c[0-9a-f]+)">', dom)
    assert len(targets) == 10
    for target in set(re.findall(r'<a href="#(c-c[0-9a-f]+)">', dom)):
        assert f'id="{target}"' in dom
    assert "olenakoval@gmail.com" not in dom and "o***@gmail.com" in dom


def test_the_error_probe_catches_script_errors_and_network_requests(sample_result: Path, tmp_path: Path) -> None:
    page = (sample_result / "report.html").read_text(encoding="utf-8")
    broken = page.replace("</body>", '<img src="https://example.com/pixel.png"><script>notAFunction();</script></body>')
    path = tmp_path / "broken.html"
    path.write_text(broken, encoding="utf-8")
    dom = dump_dom(path, tmp_path / "profile")
    log = html_attribute(dom, "data-error-log") or ""
    assert html_attribute(dom, "data-errors") == "2", log
    assert "notAFunction" in log and "blocked: https://example.com/pixel.png" in log


def test_page_is_self_contained(sample_result: Path) -> None:
    page = (sample_result / "report.html").read_text(encoding="utf-8")
    assert re.findall(r'(?:src|href)="(?!#)[^"]*"', page) == []
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page


def test_page_size_does_not_grow_with_the_records(tmp_path: Path) -> None:
    rows = [
        {"external_id": f"E{i // 3}", "email": f"p{i}@shop.ua", "phone": "n/a" if i % 7 else "", "cookie": f"k{i}"}
        for i in range(6000)
    ]
    src = tmp_path / "big.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    run([src], RunOptions(out=tmp_path / "out"))
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert len(page.encode()) < 120_000
    assert page.count('<tr><td><a href="#c-') == 20
    assert "6,000 records" in page or ">6,000<" in page
