"""Property: any name a label table or source may hold (a target, a model, a track id) survives
the file-name encoding, the store's write/read round trip, and every renderer, as itself."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from fake_runs import trial, write_run
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from bench.files import MAX_FILE_NAME, file_name, name_from_file
from bench.results.export import FORMULA_STARTS, csv_cell
from bench.results.leaderboard import Board, markdown_text, render_html, render_rich
from bench.results.records import TrialRecord
from bench.results.store import RunStore
from bench.text import visible

HOSTILE = [
    "/",
    "..",
    "../../../../..PWNED",
    "a\\b",
    "\x00\x07\x1b[31m",
    "[/]",
    "[bold]",
    ":x:",
    "<svg onload=1>",
    "=cmd|' /C calc'!A0",
    "\u202eevil\u202c",
    "😀🎵",
    "$\\frac$",
    "x" * 200,
    "",
    ".",
    " ",
]
names = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=200),
    st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=4).map("".join),
)
CI = settings(max_examples=50, derandomize=True, deadline=None)


@CI
@given(names)
def test_a_name_is_one_safe_file_name_that_reads_back(name):
    encoded = file_name(name)
    assert encoded and len(encoded) <= MAX_FILE_NAME
    assert "/" not in encoded and "\\" not in encoded and "\x00" not in encoded and not encoded.startswith(".")
    assert name_from_file(encoded) == name or (name_from_file(encoded) is None and "~" in encoded)


@CI
@given(target=names, model=names, track=names)
def test_the_store_round_trips_any_names(target, model, track):
    record = trial(model, 0, [0.2, 0.5], [0.3, 0.4])
    record.update(target=target, id=f"{target}--{model}--dsp--song--seed0")
    record["songs"]["track"] = [track, track + "2"]
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(write_run(Path(folder) / "r", []))
        store.write_record(TrialRecord.from_dict(record))
        assert [p.parent for p in Path(folder).rglob("*.json") if p.name != "run.json"] == [store.trials_dir]
        back = store.read_record(record["id"])
        assert back is not None and json.loads(json.dumps(record)).items() <= back.to_dict().items()
        assert [r.id for r in store.trials()] == [record["id"]]


@CI
@given(names)
def test_every_renderer_shows_a_name_as_text(name):
    board = Board(name, ["model"], rows=[[name]], highlight={(0, 0)}, notes=[name])
    assert "<" not in markdown_text(name) and "\n" not in markdown_text(name)
    assert "<" not in render_html(board).replace("<", "", 0).split("<caption>")[1].split("</caption>")[0]
    cell = csv_cell(name)
    assert not cell.startswith(FORMULA_STARTS) and "\r" not in cell
    out = io.StringIO()
    render_rich(board, Console(file=out, width=1000, color_system=None, legacy_windows=False))
    text = out.getvalue()
    assert not [c for c in text if not c.isprintable() and c != "\n"]  # no control reaches the terminal
    if name.strip() == name and not {"\n", "\t"} & set(name):
        assert visible(name) in text  # as itself, a control character as its escape
