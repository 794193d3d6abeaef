"""The report's flag on models whose predictions collapsed, and its page-wide figures, checked
on the parsed HTML (no browser: there is none on this machine)."""

from __future__ import annotations

from html.parser import HTMLParser

from bench.results.records import SongPredictions, TrialRecord
from bench.results.report import COLLAPSED_SPREAD, CSS, collapse_notes, collapsed, html_report
from bench.results.stats import Cell
from bench.results.store import RunStore

TRUE = [0.1, 0.3, 0.5, 0.7, 0.9]


def trial(model: str, pred: list[float], seed: int = 0) -> TrialRecord:
    return TrialRecord(
        id=f"danceability--{model}--mel--song--seed{seed}",
        status="ok",
        target="danceability",
        model=model,
        feature="mel",
        split="song",
        seed=seed,
        songs=SongPredictions([f"t{i}" for i in range(len(TRUE))], TRUE, pred),
    )


def test_a_trial_collapsed_when_its_spread_is_under_a_tenth_of_the_labels():
    spread = 0.2828  # np.std(TRUE)
    assert collapsed(trial("flat", [0.5 + d * COLLAPSED_SPREAD * spread * 0.9 for d in (-1, 1, -1, 1, 0)]))
    assert not collapsed(trial("fine", [0.2, 0.3, 0.45, 0.6, 0.8]))
    one = trial("one song", [0.5])
    one.songs = SongPredictions(["t0"], [0.5], [0.5])
    assert not collapsed(one) and not collapsed(TrialRecord("x", "failed", "d", "m", "f", "s", 0))


class Sections(HTMLParser):
    """The text of every <section id=...> and the classes of its figures."""

    def __init__(self):
        super().__init__()
        self.text: dict[str, str] = {}
        self.current = ""

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.current = dict(attrs)["id"]
            self.text[self.current] = ""

    def handle_data(self, data):
        if self.current:
            self.text[self.current] += data


def test_the_report_flags_the_collapsed_cell_by_name_escaped(tmp_path):
    store = RunStore(tmp_path / "run")
    store.dir.mkdir()
    store.write_info(
        {
            "run_id": "run",
            "status": "complete",
            "config": {"seeds": 2, "source": "synthetic"},
            "profile": {"name": "quick", "window_seconds": 5.0, "hop_seconds": 5.0},
        }
    )
    name = "<b>flat</b>"
    cells = [
        Cell(
            ("danceability", name, "mel", "song"),
            [trial(name, [0.5] * 5), trial(name, [0.2, 0.4, 0.5, 0.6, 0.7], 1)],
            [],
        ),
        Cell(("danceability", "fine", "mel", "song"), [trial("fine", [0.2, 0.3, 0.45, 0.6, 0.8])], []),
    ]
    assert len(collapse_notes(cells)) == 1
    html = html_report(store, cells, [], [])
    assert "<b>flat</b>" not in html and "&lt;b&gt;flat&lt;/b&gt;" in html
    parser = Sections()
    parser.feed(html)
    flagged = parser.text["collapsed"]
    assert f"{name} (mel) on split song: predictions collapsed in 1 of 2 trials" in flagged
    assert "fine" not in flagged


def test_figures_take_the_page_width():
    assert "figure img { width: 100%; height: auto; }" in CSS
    assert "grid-column: 1 / -1" in CSS  # wide figures and every table span the page
