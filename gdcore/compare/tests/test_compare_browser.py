"""report.html in a real browser: headless Chromium loads it without console errors.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``); the
test skips, saying so, where no Chromium is installed.  The page has no
script of its own; the test adds a probe that, once the page has loaded,
counts the images that failed to decode and writes the count into the DOM,
which ``--dump-dom`` returns.
"""

import re
import shutil
import subprocess

import pytest

from gdcore.compare import run
from gdcore.compare.report_content import SECTIONS

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PROBE = """<script>window.addEventListener("load", function () {
  var imgs = document.images, broken = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (!(imgs[i].complete && imgs[i].naturalWidth > 0)) broken++;
  }
  document.body.setAttribute("data-probe", imgs.length + " images, " + broken + " broken");
});</script>"""


def _browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium to render report.html: apt-get install -y chromium")


def _chromium(browser, *args):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
           "--virtual-time-budget=5000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_renders_in_headless_chromium(tmp_path):
    browser = _browser()
    pytest.importorskip("matplotlib")
    out = tmp_path / "r"
    run("iris", out_dir=str(out), n_splits=2, n_sizes=3, progress=False)
    page = (out / "report.html").read_text()
    probe = out / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"))
    done = _chromium(browser, "--dump-dom", probe.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    console = [ln for ln in done.stderr.splitlines() if ":CONSOLE" in ln]
    assert console == [], console
    assert 'data-probe="5 images, 0 broken"' in done.stdout
    for section in SECTIONS:
        assert re.search(f'<section id="{section}">\\s*<h[12]>', done.stdout), section


def test_probe_sees_console_errors_and_broken_images(tmp_path):
    """The check above can fail: a broken page trips it."""
    browser = _browser()
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="nowhere.png"><script>nope();</script>'
                   + PROBE + "</body></html>")
    done = _chromium(browser, "--dump-dom", bad.as_uri())
    assert any(":CONSOLE" in ln for ln in done.stderr.splitlines())
    assert 'data-probe="1 images, 1 broken"' in done.stdout
