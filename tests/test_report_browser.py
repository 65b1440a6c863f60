"""``report.html`` in a real browser: headless Chromium renders it without a console error, and not blank.

Chromium (Debian's package ``chromium``; ``.ci/run`` installs it where it runs as root with apt)
renders the page of ``python -m reference verify --out DIR`` to a PNG; the screenshot must not be
blank (its pixel values vary) and the browser's log must hold no console message (the page has
no script, so any message is an error: a resource refused, a parse error). A planted page with a
script error and nothing visible shows that both checks can fail. Where Chromium is absent the
tests are skipped with that reason.
"""

import shutil
import struct
import subprocess
import zlib

import numpy as np
import pytest

#: The browser: Debian's package installs ``chromium``; other systems name it differently.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: A first render (profile creation, fonts) takes a few seconds on a slow machine.
TIMEOUT = 180
#: Standard deviation of the screenshot's grey levels (0..255) below which it counts as blank:
#: a white page is 0; a page of text and figures is tens.
BLANK_STD = 2.0


def _browser():
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


def _render(page, tmp_path, size=(1200, 2000)):
    """Screenshot ``page`` with headless Chromium: ``(grey pixels, console lines)``."""
    exe = _browser()
    shot = tmp_path / "shot.png"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", f"--window-size={size[0]},{size[1]}",
           "--enable-logging=stderr", "--v=0", page.as_uri()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    assert shot.is_file(), f"chromium wrote no screenshot (exit {out.returncode}):\n{out.stderr[-2000:]}"
    console = [ln for ln in out.stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
    return _grey(shot.read_bytes()), console


def _grey(png):
    """Grey levels of an 8-bit RGB or RGBA PNG: a minimal decoder (chunks, zlib, the five row filters of the
    PNG specification), so that the check needs neither Pillow nor matplotlib."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, head = 8, b"", None
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", png[pos + 8:pos + 8 + n])
        elif kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + n]
        pos += 12 + n
    w, h, depth, color, _, _, interlace = head
    assert depth == 8 and color in (2, 6) and not interlace, f"unexpected PNG format {head}"
    ch = 3 if color == 2 else 4
    stride = w * ch
    raw = zlib.decompress(idat)
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        cur = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(ch, stride):
                cur[i] = (cur[i] + cur[i - ch]) & 255
        elif f == 2:
            cur = bytearray((a + b) & 255 for a, b in zip(cur, prev))
        elif f == 3:
            for i in range(stride):
                cur[i] = (cur[i] + ((cur[i - ch] if i >= ch else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = cur[i - ch] if i >= ch else 0
                b, c = prev[i], (prev[i - ch] if i >= ch else 0)
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(cur)
        prev = cur
    rgb = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(h, w, ch)[..., :3]
    return rgb.mean(axis=2)


@pytest.fixture(scope="module")
def browser():
    if _browser() is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it): "
                    "report.html is not rendered in a browser here")
    return _browser()


def test_report_renders_without_console_errors_and_is_not_blank(browser, verify_report, tmp_path):
    grey, console = _render(verify_report[0] / "report.html", tmp_path)
    assert not console, "the page raised console messages:\n" + "\n".join(console)
    assert grey.std() > BLANK_STD, f"the screenshot is blank (grey-level std {grey.std():.2f})"


def test_the_browser_checks_can_fail(browser, tmp_path):
    """A page that shows nothing and throws: blank, and its error is in the log (the checks are not vacuous)."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><script>undefined_function();</script></body></html>')
    grey, console = _render(page, tmp_path, size=(400, 300))
    assert grey.std() <= BLANK_STD
    assert any("undefined_function" in ln for ln in console), console
