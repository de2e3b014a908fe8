"""The report as a person sees it: opened in Chromium, every image loaded, no console errors.

Needs Debian's `chromium` and Playwright's Python package (the `test` extra); Playwright's own
browser download is not used. Skipped locally when either is missing, with the reason; in CI
(CI=true) a missing browser is a failure, since .ci/run installs it.
"""

import os
import shutil
from pathlib import Path

import pytest

from autograph.tutorial.report import svg_size


CHROMIUM = os.environ.get("AUTOGRAPH_CHROMIUM") or shutil.which("chromium") or \
    shutil.which("chromium-browser")


def _browser_or_skip():
    reasons = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reasons.append("Playwright's Python package is not installed (pip install playwright)")
        sync_playwright = None
    if CHROMIUM is None:
        reasons.append("no chromium on PATH (apt-get install chromium)")
    if reasons:
        if os.environ.get("CI") == "true":
            pytest.fail("the browser test must run in CI: " + "; ".join(reasons))
        pytest.skip("; ".join(reasons))
    return sync_playwright


def test_every_image_loads_and_the_console_is_clean(demo_report):
    sync_playwright = _browser_or_skip()
    folder, ok, _ = demo_report
    assert ok
    screenshot = Path(os.environ.get("AUTOGRAPH_SCREENSHOT", folder / "screenshot.png"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            messages, failures = [], []
            page.on("console", lambda m: messages.append(m) if m.type in ("error", "warning")
                    else None)
            page.on("pageerror", lambda error: failures.append(str(error)))
            page.on("requestfailed", lambda request: failures.append(request.url))
            page.goto((folder / "index.html").resolve().as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, "
                       "i.naturalWidth, i.naturalHeight])")
            shown = dict(page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.clientWidth])"))
            overflowing = page.eval_on_selector_all(
                "pre.wrapped", "ps => ps.filter(p => p.scrollWidth > p.clientWidth + 1)"
                               ".map(p => p.textContent.slice(0, 60))")
            page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()
    assert len(images) >= 10
    broken = [src for src, complete, width, height in images
              if not (complete and width > 0 and height > 0)]
    assert not broken, f"images that did not load: {broken}"
    assert not failures, failures
    # every diagram shown large enough that its smallest text is at least 10 px high
    small = {}
    for src, width in shown.items():
        size = svg_size(folder / src)
        if size is not None and width * size[1] / size[0] < 10 - 0.05:
            small[src] = f"{width} of {size[0]:.0f} px: text {width * size[1] / size[0]:.1f} px"
    assert not small, small
    assert not overflowing, f"verifier output running past its box: {overflowing}"
    assert not [m.text for m in messages if m.type == "error"]
    assert screenshot.stat().st_size > 10_000
