"""`bench report` on a tiny run: every section, every figure embedded, markdown alongside."""

from __future__ import annotations

import base64
import re
import shutil
from html import escape
from pathlib import Path

import pytest
from rich.console import Console

from bench.cli.app import main
from bench.results.leaderboard import Board, boards, render_html, render_markdown
from bench.results.records import TrialRecord
from bench.results.report import FIGURES, SECTIONS, constant_loss
from bench.results.store import RunStore

EMBEDDED = re.compile(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


@pytest.fixture
def run(tiny_run, tmp_path) -> Path:
    """A private copy of the tiny run (the report writes into the run folder)."""
    return Path(shutil.copytree(tiny_run, tmp_path / tiny_run.name))


def test_a_board_renders_to_escaped_html_with_best_values_and_baselines_marked():
    board = Board(
        "scores <of> A & B",
        ["model", "song R²"],
        [["mean", "0.100"], ["<cnn>", "0.500"]],
        highlight={(1, 1)},
        baseline_rows={0},
        notes=["n < 3 seeds"],
    )
    html = render_html(board)
    assert "<caption>scores &lt;of&gt; A &amp; B</caption>" in html
    assert '<tr class="baseline"><td>mean</td>' in html
    assert "<td>&lt;cnn&gt;</td><td><strong>0.500</strong></td>" in html
    assert '<p class="note">n &lt; 3 seeds</p>' in html


@pytest.mark.parametrize(
    ("recorded", "drawn"),
    [
        ({"train": 0.12, "validation": 0.1}, 0.1),
        ({"validation": 1}, 1.0),
        (None, None),  # a record written before the level was kept
        ({"validation": "0.1"}, None),  # a crafted record: only a finite number is drawn
        ({"validation": float("nan")}, None),
        ({"validation": True}, None),
        ([0.1], None),
    ],
)
def test_the_constant_level_is_drawn_only_from_a_finite_number(recorded, drawn):
    extra = {} if recorded is None else {"constant_loss": recorded}
    record = TrialRecord("t", "ok", "danceability", "2dspec", "mel", "song", 0, extra=extra)
    assert constant_loss(record, "validation") == drawn


def test_the_training_constant_level_is_read_apart_from_the_validation_one():
    extra = {"constant_loss": {"train": 0.12, "validation": 0.1}}
    record = TrialRecord("t", "ok", "danceability", "2dspec", "mel", "song", 0, extra=extra)
    assert (constant_loss(record, "train"), constant_loss(record, "validation")) == (0.12, 0.1)


@pytest.mark.integration
def test_report_has_every_section_and_every_figure_embedded(run, capsys):
    assert main(["report", str(run)]) == 0
    assert "report.html" in capsys.readouterr().out
    html = (run / "report.html").read_text()
    for section, title in SECTIONS.items():
        assert f'<section id="{section}"><h2>{escape(title)}</h2>' in html

    # One bar chart, a forest of paired differences, a leak dumbbell, the histograms, a scatter per
    # model, learning curves for the Keras model, one cost chart.
    images = dict(EMBEDDED.findall(html))
    scatters = {f"danceability-{m}-scatter" for m in ("mean-dsp", "dsp-ridge-dsp", "2dspec-mel")}
    per_target = {f"danceability-{s}" for s in ("primary", "differences", "leak", "distributions", "costs")}
    assert set(images) == per_target | {"danceability-2dspec-mel-learning"} | scatters
    for name, data in images.items():
        png = base64.b64decode(data)
        assert png.startswith(PNG) and len(png) > 5_000, name
        section = name.rsplit("-", 1)[1]  # every figure's name ends with its section
        assert (
            html.index(f'<section id="{section}">')
            < html.index(f'alt="{name}"')
            < html.index("</section>", html.index(f'<section id="{section}">'))
        )
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing to fetch: it works offline

    # The leaderboard section is the same boards `bench leaderboard` shows.
    run_boards = boards(RunStore(run))
    assert len(run_boards) == 3  # scores, costs, leak report
    assert html.count("<table>") == html.count('<div class="table">') == len(run_boards) + 1  # and the folds
    for board in run_boards:
        assert render_html(board) in html

    markdown = (run / "report.md").read_text()
    for title in SECTIONS.values():
        assert f"\n## {title}\n" in markdown
    for board in run_boards:
        assert render_markdown(board) in markdown
    links = re.findall(rf"!\[([^\]]+)\]\(({FIGURES}/[^)]+\.png)\)", markdown)
    assert {name for name, _ in links} == set(images)
    for name, link in links:
        assert (run / link).read_bytes() == base64.b64decode(images[name])


@pytest.mark.integration
def test_report_of_a_run_without_keras_trials_and_with_a_failure_says_so(run):
    store = RunStore(run)
    for path in store.trials_dir.glob("*2dspec*"):
        path.unlink()
    broken = store.read_record("danceability--mean--dsp--window--seed1")
    broken.status, broken.error = "failed", "RuntimeError: planted <failure>"
    store.write_record(broken)
    assert main(["report", str(run)]) == 0
    html = (run / "report.html").read_text()
    assert "No trial recorded a training history" in html
    assert "<code>danceability--mean--dsp--window--seed1</code>: RuntimeError: planted &lt;failure&gt;" in html
    # Both models left are baselines: no paired difference, so no forest plot.
    figures = {"primary", "leak", "distributions", "mean-dsp-scatter", "dsp-ridge-dsp-scatter", "costs"}
    assert {name for name, _ in EMBEDDED.findall(html)} == {f"danceability-{f}" for f in figures}
    assert "| 1 (1 failed) |" in (run / "report.md").read_text()
