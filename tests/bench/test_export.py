"""`bench leaderboard --format csv|json|markdown` parse back to the numbers `summarize` gave."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pytest
from rich.console import Console

from bench.cli.app import main
from bench.results.export import flat_row
from bench.results.leaderboard import run_cells
from bench.results.stats import MIN_TEST_SONGS
from bench.results.store import RunStore

pytestmark = pytest.mark.integration  # every test reads the session's tiny run (~20 s, made once)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


@pytest.fixture(scope="module")
def cells(tiny_run):
    return {c.key: c for c in run_cells(RunStore(tiny_run))}


def leaderboard(run, fmt: str, capsys) -> str:
    assert main(["leaderboard", str(run), "--format", fmt]) == 0
    return capsys.readouterr().out


def number(text: str) -> float:
    return float(text) if text not in ("", "–") else math.nan


def same(a, b) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-12)


def test_csv_has_one_row_per_cell_with_every_summarized_number(tiny_run, cells, capsys):
    rows = list(csv.DictReader(io.StringIO(leaderboard(tiny_run, "csv", capsys))))
    assert [(r["target"], r["model"], r["feature"], r["split"]) for r in rows] == sorted(cells)
    for row in rows:
        cell = cells[(row["target"], row["model"], row["feature"], row["split"])]
        assert int(row["runs"]) == cell.runs == 2 and row["baseline"] == str(cell.baseline)
        assert set(cell.mean) >= {"song.r2", "song.mae", "window.r2"}
        for name in cell.mean:
            assert same(number(row[f"mean.{name}"]), cell.mean[name]), name
            assert same(number(row[f"std.{name}"]), cell.std[name]), name
        for name, value in cell.cost.items():
            assert same(number(row[f"cost.{name}"]), value), name
        assert same(number(row["ci.low"]), cell.interval[0]) and same(number(row["ci.high"]), cell.interval[1])
        for paired in cell.paired:
            assert same(number(row[f"vs.{paired.baseline}.difference"]), paired.difference)
            assert row[f"vs.{paired.baseline}.verdict"] == paired.verdict
    assert any(cell.paired for cell in cells.values())  # the paired columns were checked at all


def test_json_carries_the_same_numbers_and_the_run_context(tiny_run, cells, capsys):
    data = json.loads(leaderboard(tiny_run, "json", capsys))
    run = data["run"]
    assert run["run_id"] == tiny_run.name and run["seeds"] == 2 and run["profile"] == "quick"
    assert "2 seeds" in run["context"] and run["backend"] and run["versions"]["keras"]
    assert data["primary"] == "song.r2" and len(data["cells"]) == len(cells)
    csv_rows = list(csv.DictReader(io.StringIO(leaderboard(tiny_run, "csv", capsys))))
    for row, flat in zip(data["cells"], csv_rows):
        for column, value in flat_row(row).items():
            if isinstance(value, float) or value is None:
                assert same(math.nan if value is None else value, number(flat[column])), column


def test_markdown_shows_the_same_numbers_rounded(tiny_run, cells, capsys):
    tables = markdown_tables(leaderboard(tiny_run, "markdown", capsys))
    scores = next(rows for title, rows in tables.items() if "song-level scores" in title)
    costs = next(rows for title, rows in tables.items() if "cost per trial" in title)
    assert len(scores) == len(costs) == len(cells)
    for row in scores:
        cell = cells[("danceability", row["model"], row["feature"], row["split"].removesuffix(" (leaky)"))]
        for column, name in (("song R²", "song.r2"), ("song MAE", "song.mae"), ("window R²", "window.r2")):
            mean, std = (number(v) for v in row[column].split(" ± "))
            assert mean == pytest.approx(cell.mean[name], abs=5e-4) and std == pytest.approx(cell.std[name], abs=5e-4)
        if cell.songs < MIN_TEST_SONGS:  # the tiny run tests 8 songs at most
            assert row["song R² 95% CI"] == f"too few test songs ({cell.songs})"
            continue
        low, high = (number(v) for v in row["song R² 95% CI"].strip("[]").split(", "))
        assert low == pytest.approx(cell.interval[0], abs=5e-4) and high == pytest.approx(cell.interval[1], abs=5e-4)
    for row in costs:
        cell = cells[("danceability", row["model"], row["feature"], row["split"].removesuffix(" (leaky)"))]
        assert number(row["train s"]) == pytest.approx(cell.cost["train_s"], abs=5e-3)
        assert number(row["peak MiB"]) == pytest.approx(cell.cost["peak_rss_mb"], abs=0.5)


def markdown_tables(text: str) -> dict[str, list[dict]]:
    """Title -> rows (column -> cell text, emphasis removed) of every `### title` table."""
    tables, title, header = {}, None, None
    for line in text.splitlines():
        if line.startswith("### "):
            title, header = line[4:], None
            tables[title] = []
        elif line.startswith("|") and not line.startswith("|---"):
            cells = [re.sub(r"^(\*\*|_)(.*)\1$", r"\2", c.strip()) for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if header is None:
                header = cells
            else:
                tables[title].append(dict(zip(header, cells)))
    return tables
