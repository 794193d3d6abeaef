"""The research-dataset sources (DEAM, emoMusic, PMEmo, Ballroom, GiantSteps Tempo, Music4All)
on header-exact copies of each dataset's layout: tracks, labels, groups and problems, the
variants each reader tolerates, and `bench validate` on each copy."""

from __future__ import annotations

import shutil

import dataset_fixtures as data
import pytest
from rich.console import Console

from bench.cli.app import main
from bench.features.labels import LabelError
from bench_plugins.sources import annotated, ballroom, deam, emomusic, giantsteps, music4all, pmemo

BUILDERS = {
    "deam": data.deam_tree,
    "emomusic": data.emomusic_tree,
    "pmemo": data.pmemo_tree,
    "ballroom": data.ballroom_tree,
    "giantsteps": data.giantsteps_tree,
    "music4all": data.music4all_tree,
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """tree(name, bad=True): that dataset's copy, built once per module."""
    made = {}

    def get(name: str, bad: bool = True):
        if (name, bad) not in made:
            made[name, bad] = BUILDERS[name](tmp_path_factory.mktemp(f"{name}-{'bad' if bad else 'clean'}"), bad)
        return made[name, bad]

    return get


def found(catalog):
    return [(p.where, p.what, p.action) for p in catalog.problems]


def duplicate(where, track_id, first):
    return (where, f"duplicate id {track_id!r} (first seen at {first}, which counts)", "dropped")


def groups(catalog):
    return {t.id: t.group for t in catalog.tracks}


# ---------------------------------------------------------------------------- helpers
def test_headers_match_whatever_their_case_spacing_and_punctuation(tmp_path):
    path = data.write_lines(tmp_path / "t.csv", ["song_id, Valence(mean) ,AROUSAL_MEAN", "12.0,0.5,0.25"])
    table = annotated.open_table(path)
    assert annotated.column(table, "valence_mean") == 1 and annotated.column(table, "arousal mean") == 2
    assert annotated.column(table, "tempo", required=False) is None
    with pytest.raises(LabelError, match=r"t.csv: no 'tempo' column; its columns are song_id, Valence\(mean\)"):
        annotated.column(table, "tempo")
    assert [e.id for e in annotated.table_entries(table, ("song_id",), {"valence": ("valence_mean",)})] == ["12"]
    twice = annotated.open_table(data.write_lines(tmp_path / "u.csv", ["id\tID \tx", "1\t2\t3"]))
    with pytest.raises(LabelError, match="columns 'id', 'ID' all match 'id'"):
        annotated.column(twice, "id")


# ---------------------------------------------------------------------------- DEAM
def test_deam_reads_both_annotation_files_and_the_artists(tree):
    root = tree("deam")
    catalog = deam.load({"deam_dir": root, "targets": ["arousal"]})
    assert [t.id for t in catalog.tracks] == ["2", "3", "4", "2001", "2002"]
    by_id = {t.id: t for t in catalog.tracks}
    assert by_id["2"].labels == {"valence": 3.1, "arousal": 3.0} and by_id["2001"].labels["arousal"] == 6.8
    assert by_id["2"].path == root / "MEMD_audio" / "2.mp3"
    assert groups(catalog) == {"2": "Artist A", "3": "Artist A", "4": "Artist B", "2001": "Artist C", "2002": "2002"}
    assert {(t.name, t.low, t.high) for t in catalog.targets.values()} == {("valence", 1, 9), ("arousal", 1, 9)}
    first = "static_annotations_averaged_songs_1_2000.csv"
    assert found(catalog) == [
        (f"{first} line 5", "arousal 9.6 is outside 1..9", "dropped"),
        (f"{first} line 6", f"id '7': no audio file {root / 'MEMD_audio' / '7.mp3'}", "dropped"),
        duplicate(f"{first} line 7", "3", f"{first} line 3"),
    ]
    assert catalog.description == "deam: 5 songs, static valence and arousal 1..9"
    valence_only = deam.load({"deam_dir": root, "targets": ["valence"]})
    assert {t.id: t.labels for t in valence_only.tracks}["5"] == {"valence": 4.4}  # its bad arousal left out


def test_deam_tolerates_one_file_a_nested_unpacking_another_audio_folder_and_no_metadata(tree, tmp_path):
    source = tree("deam")
    root = tmp_path / "DEAM"
    shutil.copytree(source / "annotations", root / "DEAM_Annotations" / "annotations")
    (next(root.rglob("static_annotations_averaged_songs_2000_2058.csv"))).unlink()
    catalog = deam.load({"deam_dir": root, "deam_audio": source / "MEMD_audio", "targets": ["valence"]})
    assert [t.id for t in catalog.tracks] == ["2", "3", "4", "5"]
    assert set(groups(catalog).values()) == {"2", "3", "4", "5"}
    assert found(catalog)[0] == (str(root / "metadata"), "no metadata_*.csv: every song is its own group", "ignored")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"deam_dir": None}, "this source needs --deam-dir"),
        ({"targets": ["tempo"]}, "source deam: no target 'tempo'; it has: valence, arousal"),
        ({"deam_audio": "/nonexistent"}, r"none of the 5 annotated tracks has its audio .*--deam-audio"),
    ],
)
def test_deam_bad_options_are_one_clear_error(tree, options, message):
    with pytest.raises(ValueError, match=message):
        deam.load({"deam_dir": tree("deam", bad=False), **options})


def test_deam_without_annotations_names_the_expected_file(tmp_path):
    with pytest.raises(LabelError, match=r"song_level/static_annotations_averaged_songs_1_2000.csv: not found"):
        deam.load({"deam_dir": tmp_path})


# ---------------------------------------------------------------------------- emoMusic
def test_emomusic_tracks_labels_artists_and_problems(tree):
    root = tree("emomusic")
    catalog = emomusic.load({"emomusic_dir": root})
    assert [t.id for t in catalog.tracks] == ["2", "3", "4", "5"]
    assert catalog.tracks[0].labels == {"valence": 3.0, "arousal": 3.1}
    assert catalog.tracks[0].path == root / "clips_45seconds" / "2.mp3"
    assert groups(catalog) == {"2": "Artist X", "3": "Artist X", "4": "Artist Y", "5": "5"}
    assert found(catalog) == [
        ("static_annotations.csv line 6", "valence is missing", "dropped"),
        ("static_annotations.csv line 7", f"id '8': no audio file {root / 'clips_45seconds' / '8.mp3'}", "dropped"),
        duplicate("static_annotations.csv line 8", "2", "static_annotations.csv line 2"),
    ]
    assert catalog.targets["valence"].low == 1.0 and catalog.targets["valence"].high == 9.0


def test_emomusic_finds_songs_info_in_annotations_and_does_without_it(tree, tmp_path):
    root = shutil.copytree(tree("emomusic", bad=False), tmp_path / "emoMusic")
    (root / "songs_info.csv").rename(root / "annotations" / "songs_info.csv")
    assert groups(emomusic.load({"emomusic_dir": root}))["3"] == "Artist X"
    (root / "annotations" / "songs_info.csv").unlink()
    catalog = emomusic.load({"emomusic_dir": root})
    assert set(groups(catalog).values()) == {"2", "3", "4", "5"}
    assert found(catalog) == [(str(root / "songs_info.csv"), "not found: every track is its own group", "ignored")]


# ---------------------------------------------------------------------------- PMEmo
def test_pmemo_tracks_labels_artists_and_problems(tree):
    root = tree("pmemo")
    catalog = pmemo.load({"pmemo_dir": root, "targets": ["arousal"]})
    assert [t.id for t in catalog.tracks] == ["1", "4", "5", "6"]
    assert catalog.tracks[0].labels == {"valence": 0.575, "arousal": 0.4}
    assert catalog.tracks[0].path == root / "chorus" / "1.mp3"
    assert groups(catalog) == {"1": "Artist P", "4": "Artist P", "5": "Artist Q", "6": "6"}
    assert found(catalog) == [
        ("static_annotations.csv line 6", "arousal 1.2 is outside 0..1", "dropped"),
        ("static_annotations.csv line 7", f"id '9': no audio file {root / 'chorus' / '9.mp3'}", "dropped"),
        duplicate("static_annotations.csv line 8", "4", "static_annotations.csv line 3"),
    ]
    assert (catalog.targets["arousal"].low, catalog.targets["arousal"].high) == (0.0, 1.0)


def test_pmemo_with_unreadable_metadata_groups_each_song_alone(tree, tmp_path):
    root = shutil.copytree(tree("pmemo", bad=False), tmp_path / "PMEmo2019")
    (root / "metadata.csv").write_text("musicId,fileName,title\n1,1.mp3,Song\n")
    catalog = pmemo.load({"pmemo_dir": root})
    assert groups(catalog)["1"] == "1"
    ((where, what, action),) = found(catalog)
    assert where == str(root / "metadata.csv") and "no 'artist' column" in what and action == "ignored"


# ---------------------------------------------------------------------------- Ballroom
def test_ballroom_tempi_albums_and_problems(tree):
    root = tree("ballroom")
    catalog = ballroom.load({"ballroom_dir": root, "targets": ["tempo"]})
    assert {t.id: t.labels["tempo"] for t in catalog.tracks} == {
        "Albums-Cafe_Paradiso-05": 111.0,
        "Albums-Cafe_Paradiso-06": 124.0,
        "Albums-Chrisanne3-07": 180.5,
        "Media-104401": 176.0,
    }
    assert catalog.tracks[0].path == root / "BallroomData" / "ChaChaCha" / "Albums-Cafe_Paradiso-05.wav"
    assert list(groups(catalog).values()) == ["Cafe_Paradiso", "Cafe_Paradiso", "Chrisanne3", "Media-104401"]
    truth = root / "BallroomAnnotations" / "ballroomGroundTruth"
    twice = "BallroomData/Rumba-American/Albums-Twice-01.wav, BallroomData/Samba/Albums-Twice-01.wav"
    assert found(catalog) == [
        (str(truth), "1 excerpt(s) have no tempo: Media-105901", "ignored"),
        ("ballroomGroundTruth/Albums-Missing-01.bpm",
         "id 'Albums-Missing-01': needs exactly one audio file <Style>/Albums-Missing-01.wav, found none", "dropped"),
        ("ballroomGroundTruth/Albums-Twice-01.bpm",
         f"id 'Albums-Twice-01': needs exactly one audio file <Style>/Albums-Twice-01.wav, found {twice}", "dropped"),
        ("ballroomGroundTruth/Media-105902.bpm", "tempo is not a finite number ('n/a')", "dropped"),
    ]  # fmt: skip
    styles = ballroom.load({"ballroom_dir": root, "ballroom_group": "style"})
    assert list(groups(styles).values()) == ["ChaChaCha", "ChaChaCha", "Viennese waltz", "Jive"]


def test_ballroom_reads_a_one_file_listing(tree, tmp_path):
    root = tree("ballroom", bad=False)
    listing = data.write_lines(
        tmp_path / "tempi.txt",
        [
            "file\tbpm",
            "ChaChaCha/Albums-Cafe_Paradiso-05.wav\t111",
            "Albums-Cafe_Paradiso-06,124",
            "Jive\\Media-104401.wav 176",
            "Albums-Chrisanne3-07.bpm 180.5",
            "Albums-Cafe_Paradiso-05 99",
        ],
    )
    catalog = ballroom.load({"ballroom_dir": root, "ballroom_tempi": listing, "ballroom_group": "track"})
    assert [t.labels["tempo"] for t in catalog.tracks] == [111.0, 124.0, 176.0, 180.5]
    assert all(t.group == t.id for t in catalog.tracks)
    assert found(catalog) == [duplicate("tempi.txt line 6", "Albums-Cafe_Paradiso-05", "tempi.txt line 2")]


def test_ballroom_without_annotations_says_which_flag_gives_them(tmp_path):
    data.clip(tmp_path / "BallroomData" / "Jive" / "Media-104401.wav", 0)
    with pytest.raises(LabelError, match="no ballroomGroundTruth/ folder .* --ballroom-tempi"):
        ballroom.load({"ballroom_dir": tmp_path})


# ---------------------------------------------------------------------------- GiantSteps Tempo
def test_giantsteps_v2_by_default_v1_on_request(tree):
    root = tree("giantsteps")
    catalog = giantsteps.load({"giantsteps_dir": root})
    tempi = {t.id: t.labels["tempo"] for t in catalog.tracks}
    assert tempi == {"1030011": 130, "1034123": 174, "1060032": 128, "1069271": 70}
    assert catalog.tracks[0].path == root / "audio" / "1030011.LOFI.mp3" and groups(catalog)["1034123"] == "1034123"
    v2 = "annotations_v2/tempo"
    assert found(catalog) == [
        duplicate(f"{v2}/1030011.bpm", "1030011", f"{v2}/1030011.LOFI.bpm"),
        (f"{v2}/1111111.LOFI.bpm", f"id '1111111': no audio file {root / 'audio' / '1111111.LOFI.mp3'}", "dropped"),
        (f"{v2}/1222222.LOFI.bpm", "tempo is missing", "dropped"),
        (f"{v2}/1333333.LOFI.bpm", "tempo 400 is outside 0..250", "dropped"),
    ]  # fmt: skip
    v1 = giantsteps.load({"giantsteps_dir": root, "giantsteps_annotations": "v1"})
    assert [t.labels["tempo"] for t in v1.tracks] == [130, 87, 128, 140]
    assert v1.description == "giantsteps: 4 tracks with their v1 tempo"


def test_giantsteps_without_v2_says_so(tree, tmp_path):
    root = shutil.copytree(tree("giantsteps", bad=False), tmp_path / "gs")
    shutil.rmtree(root / "annotations_v2")
    with pytest.raises(LabelError, match=r"annotations_v2/tempo: no .bpm files \(giantsteps: the v2 annotations"):
        giantsteps.load({"giantsteps_dir": root})
    assert len(giantsteps.load({"giantsteps_dir": root, "giantsteps_annotations": "v1"}).tracks) == 4


# ---------------------------------------------------------------------------- Music4All
def test_music4all_spotify_features_artists_and_problems(tree):
    root = tree("music4all")
    catalog = music4all.load({"music4all_dir": root, "targets": ["energy"]})
    assert [t.id for t in catalog.tracks] == list(data.M4A_IDS)
    assert catalog.tracks[0].labels == {"danceability": 0.515, "energy": 0.43, "valence": 0.0927, "tempo": 121.07}
    assert catalog.tracks[0].path == root / "audios" / f"{data.M4A_IDS[0]}.mp3"
    assert list(groups(catalog).values()) == ["The Artist", "The Artist", "Other Artist", data.M4A_IDS[3]]
    assert {(t.name, t.high) for t in catalog.targets.values()} == {
        ("danceability", 1),
        ("energy", 1),
        ("valence", 1),
        ("tempo", 250),
    }
    missing = root / "audios" / "00NOaudio0000001.mp3"
    assert found(catalog) == [
        ("id_metadata.csv line 6", "energy 1.3 is outside 0..1", "dropped"),
        ("id_metadata.csv line 7", f"id '00NOaudio0000001': no audio file {missing}", "dropped"),
        duplicate("id_metadata.csv line 8", data.M4A_IDS[0], "id_metadata.csv line 2"),
    ]


def test_music4all_reads_a_comma_separated_copy_too(tree, tmp_path):
    root = shutil.copytree(tree("music4all", bad=False), tmp_path / "m4a", ignore=shutil.ignore_patterns("*.mp3"))
    shutil.copytree(tree("music4all", bad=False) / "audios", root / "audios", dirs_exist_ok=True)
    path = root / "id_metadata.csv"
    path.write_text(path.read_text().replace("\t", ","))
    catalog = music4all.load({"music4all_dir": root})
    assert [t.id for t in catalog.tracks] == list(data.M4A_IDS) and not catalog.problems
    assert groups(catalog)[data.M4A_IDS[0]] == "The Artist"


# ---------------------------------------------------------------------------- bench validate
FLAGS = {
    "deam": "--deam-dir",
    "emomusic": "--emomusic-dir",
    "pmemo": "--pmemo-dir",
    "ballroom": "--ballroom-dir",
    "giantsteps": "--giantsteps-dir",
    "music4all": "--music4all-dir",
}
# What `bench validate` must print for each bad copy.
VALIDATE_BAD = {
    "deam": ["arousal 9.6 is outside 1..9", "id '7': no audio file", "duplicate id '3'"],
    "emomusic": ["valence is missing", "id '8': no audio file", "duplicate id '2'"],
    "pmemo": ["arousal 1.2 is outside 0..1", "id '9': no audio file", "duplicate id '4'"],
    "ballroom": ["tempo is not a finite number ('n/a')", "found none", "1 excerpt(s) have no tempo"],
    "giantsteps": ["tempo is missing", "tempo 400 is outside 0..250", "duplicate id '1030011'"],
    "music4all": ["energy 1.3 is outside 0..1", "no audio file", "duplicate id '0009fFIM1eYThaPg'"],
}


@pytest.fixture
def wide_console(monkeypatch, isolated):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=400))


@pytest.mark.integration
@pytest.mark.parametrize("name", list(FLAGS))
def test_validate_passes_a_clean_copy_and_lists_every_problem_of_a_bad_one(name, tree, wide_console, capsys):
    assert main(["validate", "--source", name, FLAGS[name], str(tree(name, bad=False))]) == 0
    out = capsys.readouterr().out
    assert "✓ every file and label is usable" in out and "problem(s)" not in out
    assert main(["validate", "--source", name, FLAGS[name], str(tree(name))]) == 1
    out = capsys.readouterr().out
    for message in VALIDATE_BAD[name]:
        assert message in out, message
    assert f"✗ {4 if name == 'giantsteps' else 3} dropped" in out
