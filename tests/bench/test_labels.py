"""Label tables: multi-row headers read with the stdlib, and every rule for bad rows."""

from __future__ import annotations

import numpy as np
import pytest

from bench.features.labels import LabelError, RowRules, Table, range_outliers, requested_targets, target_for
from bench.specs import Target

FOUR_ROW = (
    ",echonest,echonest,echonest\n"
    ",audio_features,audio_features,metadata\n"
    ",danceability,tempo,artist_name\n"
    "track_id,,,\n"
    '2,0.5,120.0,"Some,\nArtist"\n'
    "\n"
    "3,0.25,90.0,Other\n"
)


def write(tmp_path, text, name="table.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_multi_row_headers_become_column_tuples_and_rows_stream(tmp_path):
    table = Table(write(tmp_path, FOUR_ROW), header_rows=4)
    assert table.columns[1] == ("echonest", "audio_features", "danceability", "")
    assert table.require("track_id") == 0 and table.require("echonest", "audio_features", "tempo") == 2
    assert table.find("echonest", "audio_features", "energy") is None
    rows = list(table.rows())
    assert [r.cells[0] for r in rows] == ["2", "3"]
    assert [r.line for r in rows] == [6, 8]  # a quoted newline spans lines 5-6; line 7 is blank
    assert rows[0].cell(3) == "Some,\nArtist" and rows[0].cell(9) == ""


def test_an_unusable_table_stops_the_run_naming_the_file(tmp_path):
    with pytest.raises(LabelError, match="missing.csv: label table not found"):
        Table(tmp_path / "missing.csv")
    with pytest.raises(LabelError, match="expected 4 header row"):
        Table(write(tmp_path, "a,b\n"), header_rows=4)
    with pytest.raises(LabelError, match=r"table.csv: no column 'set/split'"):
        Table(write(tmp_path, FOUR_ROW), header_rows=4).require("set", "split")
    targets = {"danceability": target_for("danceability")}
    with pytest.raises(LabelError, match="no label column 'energy'; it has: danceability"):
        requested_targets({"targets": ["energy"]}, targets, Table(write(tmp_path, "id,danceability\n")))


def test_overlong_rows_are_dropped(tmp_path):
    table = Table(write(tmp_path, "id,danceability\na,0.5\nb,0.5,extra\n"))
    assert [r.cells[0] for r in table.rows()] == ["a"]
    assert [(p.where, p.what, p.action) for p in table.problems] == [
        ("table.csv line 3", "3 cells, the header has 2", "dropped")
    ]


def test_row_rules():
    targets = {"danceability": Target("danceability"), "energy": Target("energy")}
    rules = RowRules(targets, requested={"danceability"})
    assert rules.check("t line 2", "a", {"danceability": "0.5", "energy": "0.7"}) == {
        "danceability": 0.5,
        "energy": 0.7,
    }
    assert rules.check("t line 3", "b", {"danceability": "0.4", "energy": "loud"}) == {
        "danceability": 0.4
    }  # not requested
    for line, cells in enumerate(
        [{"danceability": ""}, {"danceability": "x"}, {"danceability": "nan"}, {"danceability": "1.2"}], 4
    ):
        assert rules.check(f"t line {line}", f"id{line}", cells) is None
    assert rules.check("t line 8", "a", {"danceability": "0.1"}) is None
    assert rules.check("t line 9", "", {"danceability": "0.1"}) is None
    assert [(p.where, p.what) for p in rules.problems] == [
        ("t line 4", "danceability is missing"),
        ("t line 5", "danceability is not a finite number ('x')"),
        ("t line 6", "danceability is not a finite number ('nan')"),
        ("t line 7", "danceability 1.2 is outside 0..1"),
        ("t line 8", "duplicate id 'a' (first seen at t line 2, which counts)"),
        ("t line 9", "no track id"),
    ]
    assert {p.action for p in rules.problems} == {"dropped"}


def test_a_row_lists_every_bad_requested_label_in_one_line():
    rules = RowRules({"danceability": Target("danceability"), "energy": Target("energy")}, {"danceability", "energy"})
    assert rules.check("t line 2", "a", {"danceability": "", "energy": "-1"}) is None
    assert rules.problems[0].what == "danceability is missing; energy -1 is outside 0..1"


def test_ranges():
    assert target_for("valence") == Target("valence", 0.0, 1.0)
    assert target_for("tempo") == Target("tempo", 0.0, 250.0)
    assert target_for("mood", [3.0, -1.0, 2.0]) == Target("mood", -1.0, 3.0, observed=True)
    assert target_for("constant", [4.0, 4.0]) == Target("constant", 4.0, 5.0, observed=True)


def test_a_table_that_is_not_utf8_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,danceability\nBeyonc\u00e9,0.5\n".encode("latin-1"))
    with pytest.raises(LabelError, match=r"latin1.csv: not UTF-8 text \(line 2 has byte 0xe9\); re-save it as UTF-8"):
        list(Table(path).rows())
    path.write_bytes("id,danc\u00e9\n".encode("cp1252"))
    with pytest.raises(LabelError, match="latin1.csv: not UTF-8 text .line 1"):
        Table(path)
    path.write_bytes("\ufeffid,danceability\nBeyonc\u00e9,0.5\n".encode())  # UTF-8 with a byte-order mark
    assert [r.cells[0] for r in Table(path).rows()] == ["Beyonc\u00e9"]


def test_a_range_set_by_a_few_extreme_rows_is_reported():
    cells = [(f"t.csv line {i + 2}", 1 + i / 10) for i in range(40)] + [("t.csv line 42", 1e9)]
    problem = range_outliers("mood", cells, "t.csv")
    assert problem.where == "t.csv" and problem.action == "kept"
    assert "target 'mood': its range 1..1e+09 is set by 1 extreme row(s) (t.csv line 42: 1e+09)" in problem.what
    assert "the other 40 lie in 1..4.9" in problem.what
    assert range_outliers("mood", cells[:40], "t.csv") is None  # no outlier
    spread = [(f"line {i}", float(v)) for i, v in enumerate(np.random.default_rng(0).lognormal(0, 1, 200))]
    assert range_outliers("skewed", spread, "t.csv") is None  # a long tail is data, not a typo
    assert range_outliers("danceability", cells, "t.csv") is None  # a documented range is not observed


def test_the_folder_source_reports_an_outlying_custom_target(tmp_path):
    from bench_plugins.sources import folder

    rows = "".join(f"c{i},{0.1 * i:.1f}\n" for i in range(30))
    (tmp_path / "audio").mkdir()
    labels = write(tmp_path, "id,mood\n" + rows + "c30,1e9\n")
    catalog = folder.load({"audio_dir": tmp_path / "audio", "labels": labels})
    [problem] = [p for p in catalog.problems if "mood" in p.what]
    assert "table.csv line 32: 1e+09" in problem.what


def test_an_observed_range_is_retaken_from_training_labels_and_a_documented_one_kept():
    observed = target_for("mood", [1.0, 9.0, 100.0])
    assert observed.fitted_on(np.array([2.0, np.nan, 5.0])) == Target("mood", 2.0, 5.0, observed=True)
    assert observed.fitted_on(np.array([3.0, 3.0])) == Target("mood", 3.0, 4.0, observed=True)
    assert target_for("tempo").fitted_on(np.array([90.0, 120.0])) == Target("tempo", 0.0, 250.0)
