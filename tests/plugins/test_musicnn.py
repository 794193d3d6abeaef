"""The musicnn port: its checkpoint mapping, input, feature transforms and weight fetching on a
small fixture checkpoint (no wheel needed), and, marked `integration`, the real checkpoints
against musicnn's own TF1 graph and its tagger on synthetic clips (the wheel, from PyPI)."""

from __future__ import annotations

import dataclasses
import os
import sys
import zipfile
from pathlib import Path

import librosa
import numpy as np
import pytest

from bench.features.identity import content_hash
from bench.profiles import PAPER, QUICK
from bench_plugins import pretrained
from bench_plugins.features import musicnn
from bench_plugins.features.musicnn import feature, network, spectrogram, weights

# The model variables of musicnn 0.1.0's MSD_musicnn and MTT_musicnn checkpoints (both alike).
MUSICNN_VARIABLES = {
    "batch_normalization": 1, "batch_normalization_1": 204, "batch_normalization_2": 204,
    "batch_normalization_3": 51, "batch_normalization_4": 51, "batch_normalization_5": 51,
    "batch_normalization_6": 64, "batch_normalization_7": 64, "batch_normalization_8": 64,
    "batch_normalization_9": 1506, "batch_normalization_10": 200,
}  # fmt: skip
MUSICNN_KERNELS = {
    "conv2d": (7, 38, 1, 204), "conv2d_1": (7, 67, 1, 204), "conv2d_2": (128, 1, 1, 51), "conv2d_3": (64, 1, 1, 51),
    "conv2d_4": (32, 1, 1, 51), "conv2d_5": (7, 561, 1, 64), "conv2d_6": (7, 64, 1, 64), "conv2d_7": (7, 64, 1, 64),
    "dense": (1506, 200), "dense_1": (200, 50),
}  # fmt: skip


def musicnn_layout() -> dict[str, tuple[int, ...]]:
    shapes = {}
    for scope, width in MUSICNN_VARIABLES.items():
        shapes.update({f"{scope}/{v}": (width,) for v in ("gamma", "beta", "moving_mean", "moving_variance")})
    for scope, kernel in MUSICNN_KERNELS.items():
        shapes.update({f"{scope}/kernel": kernel, f"{scope}/bias": (kernel[-1],)})
    return shapes


def write_checkpoint(prefix: Path, shapes: dict[str, tuple[int, ...]], seed: int = 0) -> dict[str, np.ndarray]:
    """A TF checkpoint at `prefix` holding random float32 variables of `shapes` (variances positive)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    values = {name: rng.normal(0, 0.1, shape).astype(np.float32) for name, shape in shapes.items()}
    values.update({n: np.abs(v) + 0.5 for n, v in values.items() if n.endswith("moving_variance")})
    names = sorted(values)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    tf.raw_ops.SaveV2(
        prefix=str(prefix), tensor_names=names, shape_and_slices=[""] * len(names), tensors=[values[n] for n in names]
    )
    return values


@pytest.fixture(scope="module")
def fixture_checkpoint(tmp_path_factory):
    """A random checkpoint with musicnn's variable names and shapes, plus optimiser state."""
    prefix = tmp_path_factory.mktemp("musicnn") / "MSD_musicnn" / "model"
    layout = musicnn_layout() | {"conv2d/kernel/Adam": MUSICNN_KERNELS["conv2d"], "beta1_power": ()}
    return prefix, write_checkpoint(prefix, layout)


@pytest.fixture(scope="module")
def fixture_model(fixture_checkpoint):
    return network.pretrained(fixture_checkpoint[0], spectrogram.PATCH_FRAMES)


@pytest.fixture
def fixture_encoders(fixture_checkpoint, fixture_model, monkeypatch):
    """Both feature transforms run the fixture model (no wheel, no download)."""
    monkeypatch.setattr(feature, "_encoders", {"MSD_musicnn": fixture_model, "MTT_musicnn": fixture_model})


def test_every_checkpoint_variable_lands_on_its_named_layer(fixture_checkpoint, fixture_model):
    _, values = fixture_checkpoint
    for layer_name, scope in network.CHECKPOINT_SCOPES.items():
        layer = fixture_model.get_layer(layer_name)
        names = network.VARIABLES[type(layer).__name__]
        for weight, variable in zip(layer.weights, names, strict=True):
            np.testing.assert_array_equal(np.asarray(weight.numpy()), values[f"{scope}/{variable}"])
    assert len(network.CHECKPOINT_SCOPES) == len(MUSICNN_VARIABLES) + len(MUSICNN_KERNELS)


def test_outputs_are_the_embedding_and_the_tags(fixture_model):
    x = np.random.default_rng(0).random((2, spectrogram.PATCH_FRAMES, spectrogram.N_MELS), dtype=np.float32)
    out = fixture_model(x, training=False)
    assert tuple(out["penultimate"].shape) == (2, 200) and tuple(out["tags"].shape) == (2, 50)
    tags = np.asarray(out["tags"])
    assert ((tags > 0) & (tags < 1)).all()


def test_a_missing_variable_is_named(tmp_path):
    layout = musicnn_layout()
    del layout["conv2d_5/kernel"]
    write_checkpoint(tmp_path / "model", layout)
    with pytest.raises(network.CheckpointError, match=r"no variable 'conv2d_5/kernel' for layer 'midend_conv1'"):
        network.pretrained(tmp_path / "model")


def test_a_wrong_shape_is_named(tmp_path):
    write_checkpoint(tmp_path / "model", musicnn_layout() | {"dense_1/kernel": (200, 10)})
    with pytest.raises(network.CheckpointError, match=r"'dense_1/kernel' has shape \(200, 10\), but layer 'tagger'"):
        network.pretrained(tmp_path / "model")


def test_a_variable_the_port_would_ignore_is_refused(tmp_path):
    write_checkpoint(tmp_path / "model", musicnn_layout() | {"dense_2/kernel": (50, 50)})
    with pytest.raises(network.CheckpointError, match="variables the port does not use: dense_2/kernel"):
        network.pretrained(tmp_path / "model")


def test_an_unreadable_checkpoint_names_its_file(tmp_path):
    with pytest.raises(network.CheckpointError, match=f"musicnn checkpoint {tmp_path / 'nothing'}: unreadable"):
        network.pretrained(tmp_path / "nothing")


# ---------------------------------------------------------------------------- input
def test_a_patch_is_three_seconds_of_librosas_frames():
    frames = librosa.time_to_frames(spectrogram.PATCH_SECONDS, sr=spectrogram.SR, n_fft=spectrogram.FFT_SIZE,
                                    hop_length=spectrogram.FFT_HOP)  # fmt: skip
    assert spectrogram.PATCH_FRAMES == int(frames) + 1


def test_log_mel_is_musicnns_compression_of_librosas_mel():
    audio = (0.1 * np.random.default_rng(0).standard_normal(spectrogram.SR * 2)).astype(np.float32)
    power = librosa.feature.melspectrogram(
        y=audio, sr=16000, hop_length=256, n_fft=512, n_mels=96, pad_mode="reflect"
    ).T.astype(np.float16)
    expected = np.log10(10000 * power.astype(np.float32) + 1)  # numpy 1.x promoted float16 * 10000 to float32
    np.testing.assert_allclose(spectrogram.log_mel(audio), expected, rtol=1e-5, atol=1e-5)


def test_loud_tones_stay_finite():
    """In float16, 10000 * x overflows above x = 6.55, which a -6 dBFS tone's mel power exceeds."""
    t = np.arange(spectrogram.SR * 3) / spectrogram.SR
    out = spectrogram.log_mel((0.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32))
    assert np.isfinite(out).all() and out.max() > np.log10(10000 * 6.55)


def test_patches_cover_the_window_evenly():
    assert spectrogram.PATCH_FRAMES == 187
    frames = np.arange(313, dtype=np.float32)[:, None].repeat(96, axis=1)  # a 5 s window at 16 kHz
    cut = spectrogram.patches(frames)
    assert cut.shape == (2, 187, 96) and cut[0, 0, 0] == 0 and cut[1, -1, 0] == 312
    assert spectrogram.patches(frames[:374]).shape == (2, 187, 96)  # exactly two patches, back to back
    assert spectrogram.musicnn_patches(frames).shape == (1, 187, 96)  # musicnn drops the tail


def test_a_short_window_is_repeated_to_one_patch():
    frames = np.arange(100, dtype=np.float32)[:, None].repeat(96, axis=1)
    cut = spectrogram.patches(frames)
    assert cut.shape == (1, 187, 96) and cut[0, 100, 0] == 0 and cut[0, 186, 0] == 86


@pytest.mark.parametrize("rate", [8000, 16000, 22050])
def test_windows_at_any_rate_become_16k(rate):
    seconds = 2.0
    tone = np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate).astype(np.float32)
    audio = spectrogram.to_16k(tone, rate)
    assert len(audio) == int(16000 * seconds)
    assert abs(np.argmax(np.abs(np.fft.rfft(audio))) / seconds - 440) < 1


# ---------------------------------------------------------------------------- features
class WindowFieldsOnly:
    """A profile that raises on any field besides the window's own (what PROFILE_FIELDS = () allows)."""

    def __init__(self, profile):
        self._profile = profile

    def __getattr__(self, name):
        if name in ("sample_rate", "window_seconds", "hop_seconds", "window_samples", "hop_samples"):
            return getattr(self._profile, name)
        raise AttributeError(f"undeclared profile field {name}")


@pytest.mark.parametrize("name", musicnn.NAMES)
@pytest.mark.parametrize("profile", [QUICK, PAPER.replace(window_seconds=4.0, hop_seconds=4.0)], ids=["quick", "paper"])
def test_feature_is_the_mean_embedding_of_its_window(name, profile, fixture_encoders):
    spec = {s.name: s for s in musicnn.specs()}[name]
    window = (0.1 * np.random.default_rng(0).standard_normal((2, profile.window_samples))).astype(np.float32)
    out = spec.compute(window, WindowFieldsOnly(profile))
    assert out.shape == tuple(spec.shape(WindowFieldsOnly(profile))) == (200,)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_array_equal(out, spec.compute(window, WindowFieldsOnly(profile)))
    mono = window.mean(axis=0)
    patches = spectrogram.window_patches(mono, profile.sample_rate)
    np.testing.assert_allclose(out, feature.run("MSD_musicnn", patches)["penultimate"].mean(axis=0), rtol=1e-5)


def test_silence_gives_a_finite_embedding(fixture_encoders):
    silence = np.zeros((2, QUICK.window_samples), np.float32)
    assert np.isfinite(feature.compute_msd(silence, QUICK)).all()


def test_listing_plugins_imports_neither_tensorflow_nor_keras():
    import subprocess

    script = (
        "import sys; from bench.registry import load_registry; r = load_registry();"
        "assert {'musicnn-msd', 'musicnn-mtt'} <= set(r.features), sorted(r.features);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------------------- weights
def fake_wheel(path: Path) -> Path:
    """A wheel-shaped zip with both checkpoints' members (tiny contents)."""
    with zipfile.ZipFile(path, "w") as archive:
        for model in weights.MODELS:
            for suffix in (".index", ".data-00000-of-00001", ".meta"):
                archive.writestr(f"musicnn/{model}/{suffix}", f"{model}{suffix}")
    return path


def test_weights_come_from_the_wheel_once_and_are_checked(tmp_path, monkeypatch):
    wheel = fake_wheel(tmp_path / weights.WHEEL.file)
    monkeypatch.setenv("AFB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(weights.WHEEL.env, str(wheel))
    monkeypatch.setattr(weights, "WHEEL", dataclasses.replace(weights.WHEEL, sha256=content_hash(wheel)))
    monkeypatch.setattr(weights, "_checked", {})
    pinned = {
        (model, name): __import__("hashlib").sha256(f"{model}{suffix}".encode()).hexdigest()
        for model in weights.MODELS
        for name, suffix in weights.PARTS.items()
    }
    monkeypatch.setattr(weights, "FILE_SHA256", pinned)
    prefix = weights.checkpoint("MTT_musicnn")
    assert prefix == tmp_path / "cache" / "pretrained" / "musicnn-0.1.0" / "MTT_musicnn" / "model"
    assert sorted(p.name for p in prefix.parent.iterdir()) == ["model.data-00000-of-00001", "model.index"]
    assert (prefix.parent.parent / "MSD_musicnn" / "model.index").is_file()  # one download serves both

    (prefix.parent / "model.index").write_text("damaged")
    monkeypatch.setattr(weights, "_checked", {})
    assert weights.checkpoint("MTT_musicnn") == prefix and (prefix.parent / "model.index").read_text() != "damaged"
    with pytest.raises(weights.WeightsError, match="no model 'XYZ_musicnn'; known: MSD_musicnn, MTT_musicnn"):
        weights.checkpoint("XYZ_musicnn")


def test_a_wheel_with_another_checksum_is_refused(tmp_path, monkeypatch):
    wheel = fake_wheel(tmp_path / weights.WHEEL.file)
    monkeypatch.setenv(weights.WHEEL.env, str(tmp_path))  # the folder holding it
    expected = f"is not the published {weights.WHEEL.file}: sha256 {weights.WHEEL.sha256} expected. Received: "
    with pytest.raises(pretrained.WheelUnavailable, match=f"{expected}{content_hash(wheel)}"):
        weights.WHEEL.path()


def test_a_failed_download_says_what_to_run_by_hand(tmp_path, monkeypatch):
    monkeypatch.delenv(weights.WHEEL.env, raising=False)
    monkeypatch.setenv("AFB_CACHE_DIR", str(tmp_path))
    failing = [sys.executable, "-c", "import sys; sys.exit('ERROR: No matching distribution found for musicnn==0.1.0')"]
    monkeypatch.setattr(pretrained.PinnedWheel, "pip_command", lambda self, folder: failing)
    with pytest.raises(pretrained.WheelUnavailable) as caught:
        weights.WHEEL.path()
    message = str(caught.value)
    assert "failed (exit code 1: ERROR: No matching distribution found for musicnn==0.1.0)" in message
    assert "python -m pip download --no-deps --only-binary=:all: musicnn==0.1.0 --dest DIR" in message
    assert f"{weights.WHEEL.env}=DIR/{weights.WHEEL.file}" in message


def test_the_pip_command_downloads_the_pinned_wheel_only():
    command = weights.WHEEL.pip_command("/somewhere")
    assert command[:4] == [sys.executable, "-m", "pip", "download"] and "--no-deps" in command
    assert command[-1] == "musicnn==0.1.0"


# ---------------------------------------------------------------------------- the real checkpoints
@pytest.fixture(scope="module")
def real_wheel(request, tmp_path_factory):
    """musicnn 0.1.0's wheel: $AFB_MUSICNN_WHEEL, else downloaded once into pytest's cache."""
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    folder = Path(cache.mkdir("musicnn-wheel")) if cache is not None else tmp_path_factory.mktemp("musicnn-wheel")
    try:
        if os.environ.get(weights.WHEEL.env):
            return weights.WHEEL.path()
        found = folder / weights.WHEEL.file
        return weights.WHEEL.verified(found, "pytest's cache") if found.is_file() else weights.WHEEL.download(folder)
    except pretrained.WheelUnavailable as exc:
        pytest.skip(str(exc))


def tf1_outputs(wheel: Path, model: str, x: np.ndarray, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """musicnn's own TF1 graph (import_meta_graph + restore) on the patches x: (penultimate, tags)."""
    import tensorflow as tf
    from tensorflow.core.protobuf import meta_graph_pb2

    prefix = weights.extract(wheel, model, folder, weights.PARTS | weights.GRAPH)
    meta = meta_graph_pb2.MetaGraphDef()
    meta.ParseFromString(prefix.with_suffix(".meta").read_bytes())
    for node in meta.graph_def.node:  # TF 1.12 recorded shapes its own gradient ops no longer agree with
        node.attr.pop("_output_shapes", None)
    graph = tf.Graph()
    with graph.as_default():
        saver = tf.compat.v1.train.import_meta_graph(meta)
        with tf.compat.v1.Session(graph=graph) as session:
            saver.restore(session, str(prefix))
            return session.run(
                ["model/batch_normalization_10/batchnorm/add_1:0", "model/Sigmoid:0"],
                {"model/Placeholder:0": x, "model/Placeholder_2:0": False},
            )


def drum_loop(seconds: float = 12.0, bpm: float = 120.0, sr: int = spectrogram.SR) -> np.ndarray:
    """Kick on every beat, snare on 2 and 4, hi-hat on every eighth."""
    rng, out = np.random.default_rng(1), np.zeros(int(seconds * sr), np.float32)

    def place(sound, start):
        s = int(start * sr)
        out[s : s + len(sound)] += sound[: len(out) - s]

    t = np.arange(int(0.3 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 * t + 100 * (1 - np.exp(-t * 30)) / 30)) * np.exp(-t * 12)
    t = np.arange(int(0.2 * sr)) / sr
    snare = (0.6 * rng.standard_normal(len(t)) + 0.4 * np.sin(2 * np.pi * 190 * t)) * np.exp(-t * 20)
    t = np.arange(int(0.05 * sr)) / sr
    hat = 0.3 * np.diff(rng.standard_normal(len(t) + 1)) * np.exp(-t * 80)
    beat = 60.0 / bpm
    for i in range(int(seconds / beat)):
        place(kick, i * beat)
        place(hat, i * beat)
        place(hat, (i + 0.5) * beat)
        if i % 2:
            place(snare, i * beat)
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def piano(seconds: float = 12.0, sr: int = spectrogram.SR) -> np.ndarray:
    """Arpeggios of struck, decaying, slightly inharmonic tones (8 partials), one note a second."""
    out, notes = np.zeros(int(seconds * sr), np.float32), [60, 64, 67, 72, 67, 64, 62, 65, 69, 74, 69, 65]
    t = np.arange(2 * sr) / sr
    for i in range(int(seconds)):
        f0 = 440 * 2 ** ((notes[i % len(notes)] - 69) / 12)
        partials = (
            np.sin(2 * np.pi * k * f0 * t * (1 + 4e-4 * k * k)) * np.exp(-t * (1.5 + 0.8 * k)) / k for k in range(1, 9)
        )
        tone = sum(partials) * (1 - np.exp(-t * 400))
        out[i * sr : i * sr + len(tone)] += tone[: len(out) - i * sr]
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def noise(seconds: float = 12.0, sr: int = spectrogram.SR) -> np.ndarray:
    return (0.2 * np.random.default_rng(2).standard_normal(int(seconds * sr))).astype(np.float32)


@pytest.mark.integration
@pytest.mark.parametrize("model", weights.MODELS)
def test_the_port_computes_musicnns_own_graph(model, real_wheel, tmp_path):
    x = np.concatenate([spectrogram.window_patches(clip(), spectrogram.SR) for clip in (drum_loop, piano, noise)])
    penultimate, tags = tf1_outputs(real_wheel, model, x, tmp_path)
    ported = network.pretrained(weights.extract(real_wheel, model, tmp_path / "port"), spectrogram.PATCH_FRAMES)
    out = ported(x, training=False)
    np.testing.assert_allclose(np.asarray(out["penultimate"]), penultimate, rtol=0, atol=1e-4)
    np.testing.assert_allclose(np.asarray(out["tags"]), tags, rtol=0, atol=1e-5)


@pytest.mark.integration
@pytest.mark.parametrize(
    "clip, expected",
    [(drum_loop, {"beat", "drums", "techno"}), (piano, {"piano"}), (noise, {"loud"})],
    ids=["drum loop", "piano", "noise"],
)
def test_the_mtt_tagger_hears_what_a_listener_would(clip, expected, real_wheel, tmp_path, monkeypatch):
    from bench_plugins.features.musicnn import tags

    prefix = weights.extract(real_wheel, "MTT_musicnn", tmp_path)
    monkeypatch.setattr(feature, "_encoders", {"MTT_musicnn": network.pretrained(prefix, spectrogram.PATCH_FRAMES)})
    top = {tag for tag, _ in tags.top_tags(clip(), "MTT_musicnn", 5)}
    assert expected <= top, top
