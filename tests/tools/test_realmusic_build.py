"""The pure helpers of tools/realmusic/build.py: reserved packages, music selection, excerpts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "realmusic" / "build.py"
_spec = importlib.util.spec_from_file_location("realmusic_build", SCRIPT)
build = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = build  # dataclasses look the module up by name
_spec.loader.exec_module(build)


def test_reserved_file_skips_comments_and_blanks(tmp_path):
    path = tmp_path / "reserved.txt"
    path.write_text("# reserved\n\nalpha-music\n  beta-data  # why\n")
    assert build.read_reserved(path) == {"alpha-music", "beta-data"}


def test_reserved_package_is_refused_by_name():
    with pytest.raises(build.BuildError, match="beta-data: reserved"):
        build.refuse_reserved(["zaz-data", "beta-data"], {"beta-data"}, Path("reserved.txt"))
    build.refuse_reserved(["zaz-data"], {"beta-data"}, Path("reserved.txt"))


def test_missing_reserved_file_named_on_the_command_line_is_an_error(tmp_path):
    with pytest.raises(build.BuildError, match="not found"):
        build.reserved_packages(tmp_path / "absent.txt")


def test_builtin_packages_avoid_the_reserved_list():
    reserved, source = build.reserved_packages(None)
    if source is None:
        pytest.skip("no shared/reserved-debian-packages.txt beside this checkout")
    assert reserved, source
    assert not {spec.name for spec in build.PACKAGES} & reserved


def test_builtin_package_names_are_unique():
    names = [spec.name for spec in build.PACKAGES]
    assert len(names) == len(set(names))


def test_music_pattern_and_exclusions():
    kart = next(spec for spec in build.PACKAGES if spec.name == "supertuxkart-data")
    assert build.is_music("/usr/share/games/supertuxkart/data/music/celtic.ogg", kart)
    assert not build.is_music("/usr/share/games/supertuxkart/data/music/celtic_fast.ogg", kart)
    assert not build.is_music("/usr/share/games/supertuxkart/data/music/celtic.music", kart)
    assert not build.is_music("/usr/share/games/supertuxkart/data/sfx/horn.ogg", kart)


def test_generic_rule_for_packages_outside_the_list():
    spec = build.chosen_specs(["other-data"])[0]
    assert build.is_music("/usr/share/games/other/Music/theme.OGG", spec)
    assert not build.is_music("/usr/share/games/other/sounds/boom.ogg", spec)


def test_clip_names_are_paths_below_the_common_folder():
    names = build.clip_names(["a/music/forest/theme.ogg", "a/music/ice/theme.ogg", "a/music/ice/cave 2.ogg"])
    assert names == {
        "a/music/forest/theme.ogg": "forest-theme",
        "a/music/ice/theme.ogg": "ice-theme",
        "a/music/ice/cave 2.ogg": "ice-cave_2",
    }
    assert build.clip_names(["x/music/one.ogg"]) == {"x/music/one.ogg": "one"}


def test_middle_window():
    assert build.middle_window(100 * 44100, 44100, 30) == (35 * 44100, 30 * 44100)
    assert build.middle_window(30 * 48000, 48000, 30) == (0, 30 * 48000)
    with pytest.raises(ValueError, match="shorter"):
        build.middle_window(29 * 44100, 44100, 30)


def test_danceability_scale():
    assert build.scale_danceability(1.5) == 0.5
    assert build.scale_danceability(3.4) == 1.0
    assert build.scale_danceability(-0.1) == 0.0


def test_deb_file_name_quotes_the_epoch():
    assert build.deb_filename_glob("widelands-data", "2:1.1-3") == "widelands-data_2%3a1.1-3_*.deb"
    assert build.deb_filename_glob("supertuxkart-data", "1.4+dfsg-2") == "supertuxkart-data_1.4+dfsg-2_*.deb"
