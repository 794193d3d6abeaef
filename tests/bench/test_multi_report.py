"""`bench report RUN RUN`: one page, merged where the runs' data match and side by side where
not, checked on the parsed HTML (test_report_browser.py lays it out in Chromium)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from html.parser import HTMLParser

from bench.cli.app import main
from bench.results.multi_report import FIGURES, STEM
from bench.results.report import SECTIONS


class Page(HTMLParser):
    """Section ids, h2 texts and image names of a page."""

    def __init__(self):
        super().__init__()
        self.sections, self.h2, self.images, self.notes = [], [], [], []
        self._tag = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._tag = "note" if tag == "p" and attrs.get("class") == "note" else tag
        if tag == "section":
            self.sections.append(attrs["id"])
        if tag == "img":
            assert attrs["src"].startswith("data:image/png;base64,")  # inline: the page works offline
            self.images.append(attrs["alt"])

    def handle_data(self, data):
        if self._tag == "h2":
            self.h2.append(data)
        elif self._tag == "note":
            self.notes.append(data)

    def handle_endtag(self, tag):
        self._tag = ""


def parse(path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_runs_with_the_same_data_share_one_leaderboard(tiny_run, tmp_path):
    a = shutil.copytree(tiny_run, tmp_path / "a")
    b = shutil.copytree(tiny_run, tmp_path / "b")
    assert main(["report", str(a), str(b)]) == 0
    page = parse(a / f"{STEM}.html")
    assert page.sections == list(SECTIONS)
    assert any("kept once" in note for note in page.notes)  # the merge says what it dropped
    markdown = (a / f"{STEM}.md").read_text()
    for name in page.images:
        assert (a / FIGURES / f"{name}.png").exists() and f"({FIGURES}/" in markdown


def test_runs_on_different_data_are_side_by_side_with_names_escaped(tiny_run, tmp_path):
    a = shutil.copytree(tiny_run, tmp_path / "a")
    b = shutil.copytree(tiny_run, tmp_path / "<script>other&")
    info = json.loads((b / "run.json").read_text())
    info["data"]["fingerprint"] = "different"
    info["data"]["labels"] = {"danceability": "different"}
    (b / "run.json").write_text(json.dumps(info))
    assert main(["report", str(a), str(b)]) == 0
    html = (a / f"{STEM}.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;other&amp;" in html
    page = parse(a / f"{STEM}.html")
    assert page.h2 == ["Run a", "Run <script>other&"]
    assert any("side by side, not merged" in note for note in page.notes)
    assert len(page.sections) == 2 * len(SECTIONS) and max(Counter(page.sections).values()) == 1
    assert len(page.images) == len(set(page.images)) and len(page.images) > 2
