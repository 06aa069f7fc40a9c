"""A real browser: the Bokeh server page of `python -m mimir.plot` in
headless Chromium (Debian's /usr/bin/chromium, driven by playwright)."""
import os
import shutil
import subprocess
import sys
import time

import pytest

from conftest import free_port

CHROMIUM = os.environ.get("MIMIR_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-quic", "--no-first-run",
                 "--disable-component-update", "--disable-sync"]

POINTS = """() => {
  const doc = window.Bokeh && Bokeh.documents && Bokeh.documents[0];
  if (!doc) return -1;
  const source = doc.get_model_by_name('mimir:training_error');
  return source ? source.get_length() : -2;
}"""
COLUMN = """(name) => Array.from(
  Bokeh.documents[0].get_model_by_name('mimir:training_error').data.get
    ? Bokeh.documents[0].get_model_by_name('mimir:training_error').data.get(name)
    : Bokeh.documents[0].get_model_by_name('mimir:training_error').data[name])"""
STATUS = "() => Bokeh.documents[0].get_model_by_name('mimir:status').text"


@pytest.fixture
def chromium():
    # Fails, never skips: the browser test is part of the suite.
    assert os.path.exists(CHROMIUM) or shutil.which(CHROMIUM), (
        "Chromium not found at {}: install Debian's chromium package "
        "(apt-get install chromium) or set MIMIR_TEST_CHROMIUM".format(CHROMIUM))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                    headless=True)
        yield browser
        browser.close()


@pytest.fixture
def plot_server(demo):
    d = demo(100000, 10)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mimir.plot", "iteration", "training_error",
         "--pub-port", str(d.pub_port), "--snapshot-port", str(d.snapshot_port),
         "--port", str(port)], stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline()  # printed once the server listens
    assert "http://127.0.0.1:{}/".format(port) in line, line
    yield "http://127.0.0.1:{}/".format(port), server
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    server.stderr.close()


def wait_points(page, n, timeout=20):
    deadline = time.monotonic() + timeout
    got = page.evaluate(POINTS)
    while got < n and time.monotonic() < deadline:
        time.sleep(0.2)
        got = page.evaluate(POINTS)
    return got


def test_the_page_plots_the_run_live(plot_server, chromium, tmp_path):
    url, server = plot_server
    page = chromium.new_page(viewport={"width": 1000, "height": 600})
    page.goto(url)
    assert wait_points(page, 60) >= 60, page.evaluate(STATUS)
    first = page.evaluate(COLUMN, "iteration")
    # More points keep coming into the open page.
    assert wait_points(page, len(first) + 30) >= len(first) + 30
    iterations = page.evaluate(COLUMN, "iteration")
    assert iterations[:len(first)] == first
    assert iterations == list(range(iterations[0], iterations[0] + len(iterations)))
    assert "live:" in page.evaluate(STATUS)
    shot = tmp_path / "plot.png"
    page.screenshot(path=str(shot))
    # The line was drawn: pixels of its colour (Category10's first blue,
    # #1f77b4) along a curve, not just a page of text.
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    pixels = image.tobytes()
    blue = sum(1 for i in range(0, len(pixels), 3)
               if abs(pixels[i] - 0x1f) < 40 and abs(pixels[i + 1] - 0x77) < 40
               and abs(pixels[i + 2] - 0xb4) < 40)
    assert blue > 500, blue

    # A second tab gets its own document with every point so far.
    other = chromium.new_page()
    other.goto(url)
    assert wait_points(other, len(iterations)) >= len(iterations)
    again = other.evaluate(COLUMN, "iteration")
    assert again[0] == iterations[0]
    assert server.poll() is None
