"""The report as a reader sees it: tests/browser/report.mjs drives Debian's chromium through
puppeteer-core (installed by `make npm-deps` from the committed package-lock.json) and
measures the page at 1280 and 390 pixels wide: no sideways scrolling of the document, no
overlapping text in any chart, no date broken over two lines, no "NaN", "-0", "undefined" in
the visible text, no request but the file itself, no console error.

Pages: the planted 300-call mirror with a --mention pattern, an empty filter, and a later
window with a caseless alternation. CALLMINE_SHOTS=DIR keeps the full-page screenshots.
"""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

import planted
from planted import q
from test_report import ensure_chromium

ROOT = pathlib.Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "browser" / "report.mjs"


@pytest.fixture(scope="module")
def driver():
    ensure_chromium()
    p = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT), "npm-deps",
                        "NPM_DIRS=tests/browser"], capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        pytest.fail(f"make npm-deps failed:\n{p.stderr[-2000:]}")
    return shutil.which("node") or "/usr/bin/node"


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    db, ds = planted.build(tmp, 300)
    return tmp, db, ds


def measure(node, page, shots=None):
    args = [node, str(DRIVER), str(page)] + ([str(shots)] if shots else [])
    p = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=DRIVER.parent)
    assert p.stdout.strip(), p.stderr[-3000:]
    found = json.loads(p.stdout)
    return p.returncode, found


@pytest.mark.parametrize("args", [
    ("--mention", "Clarivox", "-i"),
    ("--rep", "nobody-by-this-name"),
    ("--from", "2024-02-01", "--mention", "(?i)price|pricing|discount"),
], ids=["planted", "empty", "from-feb"])
def test_report_reads_well_at_1280_and_390(driver, mirror, args):
    tmp, db, _ = mirror
    page = tmp / ("r-%d.html" % abs(hash(args)))
    q(db, "report", *args, "-o", page)
    shots = os.environ.get("CALLMINE_SHOTS")  # a folder: keep the screenshots there
    prefix = pathlib.Path(shots) / page.stem if shots else None
    rc, found = measure(driver, page, prefix)
    for width, f in found.items():
        assert f["overflow"] is None, (width, f["overflow"])
        assert f["overlaps"] == [], (width, f["overlaps"][:5])
        assert f["wrappedDates"] == [], (width, f["wrappedDates"][:5])
        assert f["badText"] == [], (width, f["badText"])
        assert f["requests"] == [], (width, f["requests"])
        assert f["consoleErrors"] == [], (width, f["consoleErrors"])
    assert rc == 0
    if "nobody-by-this-name" not in args:
        assert found["1280"]["texts"] > 50  # the charts were there to measure


def test_the_driver_catches_what_it_looks_for(driver, tmp_path):
    # a page with every fault: the checks are not vacuous
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        "<div style='width:3000px'>wide</div><p style='width:40px'>on 2024-01-01 x</p>"
        "<p>NaN and -0 and undefined</p><img src='https://example.invalid/x.png'>"
        "<svg width='200' height='50'><text x='10' y='20'>one</text>"
        "<text x='12' y='22'>two</text></svg></body></html>")
    rc, found = measure(driver, bad)
    f = found["1280"]
    assert rc == 1 and f["overflow"] and f["overlaps"] and f["wrappedDates"]
    assert len(f["badText"]) == 3 and f["requests"]
