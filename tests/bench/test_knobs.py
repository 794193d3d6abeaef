"""Plugins' own knobs: a value per profile, handed to the plugin on its profile, keyed and recorded."""

from __future__ import annotations

import dataclasses
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from bench import hookimpl
from bench.features.cache import FeatureCache, read_values
from bench.features.extraction import view
from bench.pipeline.provenance import model_provenance
from bench.profiles import PAPER, QUICK, Knob, Profile, UndeclaredKnob
from bench.registry import PluginError, load_registry
from bench.specs import FeatureSpec, ModelSpec

REGISTRY = load_registry()
HOPS = Knob("hops", "frames per row", 4, {"paper": 16})


def banded(window, profile):
    return np.zeros((profile.knob("hops"), 2), np.float32)


BANDED = FeatureSpec("banded", "zeros, hops x 2", "1", banded, lambda p: (p.knob("hops"), 2), (), knobs=(HOPS,))


def test_a_knob_has_a_value_per_profile_and_a_default():
    assert (HOPS.value("quick"), HOPS.value("paper")) == (4, 16)
    assert QUICK.with_knobs([HOPS]).knob("hops") == 4 and PAPER.with_knobs([HOPS]).knob("hops") == 16


def test_a_knob_refuses_an_unknown_profile_and_a_value_that_is_no_scalar():
    with pytest.raises(ValueError, match="unknown profile fast"):
        Knob("hops", "", 4, {"fast": 2})
    with pytest.raises(ValueError, match="a value is one of str, int, float, bool"):
        Knob("hops", "", [4])


def test_reading_an_undeclared_knob_names_it_and_the_declared_ones():
    with pytest.raises(UndeclaredKnob, match=r"profile.knob\('kernel'\).*it declares: hops.*Knob\('kernel', ...\)"):
        QUICK.with_knobs([HOPS]).knob("kernel")


def test_a_feature_reads_its_knobs_through_its_view_and_they_key_its_cache(tmp_path):
    assert view(QUICK, BANDED).knob("hops") == 4
    assert BANDED.shape(view(PAPER, BANDED)) == (16, 2)
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF")
    cache = FeatureCache(tmp_path)
    wider = dataclasses.replace(BANDED, knobs=(Knob("hops", "frames per row", 8),))
    assert cache.key(audio, BANDED, QUICK, "pad") != cache.key(audio, wider, QUICK, "pad")
    assert read_values(BANDED, QUICK) == {**read_values(dataclasses.replace(BANDED, knobs=()), QUICK), "knob.hops": 4}


def test_the_cnns_knobs_keep_the_numbers_the_profiles_carried():
    def knobs(name, profile):
        return {k.name: k.value(profile.name) for k in REGISTRY.models[name].knobs}

    assert knobs("1dwav", QUICK) == {"wav_kernel": 100, "wav_stride": 8}
    assert knobs("1dwav", PAPER) == {"wav_kernel": 100, "wav_stride": 1}
    assert knobs("2dwav", QUICK) == {"wav_slices": 100, "wav_stride": 8}
    assert knobs("3dspec", PAPER) == {"spec_slices": 38}
    assert knobs("3dspec-beats", QUICK) == knobs("3dspec", QUICK)
    source = REGISTRY.sources["synthetic"]
    assert {k.name: k.value("quick") for k in source.knobs} == {"songs": 288, "seconds": 10.0}
    assert {k.name: k.value("paper") for k in source.knobs} == {"songs": 66, "seconds": 300.0}


def test_run_json_records_each_models_knobs():
    code = model_provenance(REGISTRY, ["1dwav", "mean"], PAPER)
    assert code["1dwav"]["knobs"] == {"wav_kernel": 100, "wav_stride": 1} and code["mean"]["knobs"] == {}


def test_a_profile_from_an_older_run_drops_the_fields_that_left_it():
    old = {**QUICK.to_dict(), "wav_kernel": 100, "synthetic_songs": 288}
    old.pop("knobs")
    assert Profile.from_dict(old) == QUICK


def test_a_spec_with_two_knobs_of_one_name_is_refused(monkeypatch):
    module = types.ModuleType("twice")
    twice = ModelSpec("twice", "d", "dsp", lambda s, p: None, "sklearn", knobs=(HOPS, HOPS))
    module.bench_models = hookimpl(lambda: [twice])
    monkeypatch.setitem(sys.modules, "twice", module)
    with pytest.raises(PluginError, match="Plugin 'twice': ModelSpec 'twice': knobs must be bench.profiles.Knob"):
        load_registry(["twice"])


def test_a_trial_hands_the_framework_the_models_knobs(tmp_path):
    from bench.pipeline.config import RunConfig
    from bench.pipeline.runner import plan

    config = RunConfig(models=["1dwav", "mean"], seeds=1, targets=["danceability"])
    specs = {s.model: s for s in plan(REGISTRY, config, Path(tmp_path), ["song"])}
    assert specs["1dwav"].profile["knobs"] == {"wav_kernel": 100, "wav_stride": 8}
    assert specs["mean"].profile["knobs"] == {}
