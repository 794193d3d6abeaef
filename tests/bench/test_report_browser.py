"""The multi-run report in a real browser: headless Chromium lays the page out at a desktop and
a phone width, and a probe script reads the layout back (the page never scrolls sideways,
every figure decodes and fits, wide figures span the page). Skipped where no Chromium is
installed (`apt-get install chromium-headless-shell` gives one)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest

from bench.cli.app import main
from bench.results.multi_report import STEM

BROWSER = next(
    (found for name in ("chromium-headless-shell", "chromium", "google-chrome") if (found := shutil.which(name))),
    None,
)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium on this machine")

PROBE = """<script>
window.addEventListener("load", () => {
  const section = document.querySelector("section").getBoundingClientRect().width;
  const images = [...document.images].map(i => {
    const box = i.getBoundingClientRect();
    return {alt: i.alt, decoded: i.naturalWidth > 0, width: box.width, right: box.right,
            wide: i.closest("figure").classList.contains("wide")};
  });
  document.body.dataset.probe = JSON.stringify(
    {scroll: document.documentElement.scrollWidth, viewport: innerWidth, section, images});
});
</script></body>"""


def layout(page, width: int) -> dict:
    """What the probe measured on `page` in a `width` px wide window."""
    probed = page.with_name("probed.html")
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE), encoding="utf-8")
    shown = subprocess.run(
        [BROWSER, "--no-sandbox", "--disable-gpu", f"--window-size={width},900", "--dump-dom", probed.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'data-probe="([^"]*)"', shown.stdout)
    assert found, f"the probe did not run (rc {shown.returncode}): {shown.stderr[-500:]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_fits_a_desktop_and_a_phone(tiny_run, tmp_path, width):
    a = shutil.copytree(tiny_run, tmp_path / "a")
    b = shutil.copytree(tiny_run, tmp_path / "b")
    info = json.loads((b / "run.json").read_text())
    info["data"]["fingerprint"] = "different"  # side by side: the longest page
    (b / "run.json").write_text(json.dumps(info))
    assert main(["report", str(a), str(b)]) == 0
    seen = layout(a / f"{STEM}.html", width)
    assert seen["scroll"] <= seen["viewport"], "the page scrolls sideways (a table or figure is too wide)"
    assert seen["images"], "no figures on the page"
    for image in seen["images"]:
        assert image["decoded"], f"{image['alt']} did not decode"
        assert image["right"] <= seen["viewport"], f"{image['alt']} runs off the page"
        if image["wide"]:
            assert image["width"] >= 0.95 * seen["section"], f"{image['alt']} does not use the page's width"
