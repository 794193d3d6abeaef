"""Train one CNN on a finished run's cached features, in this process, for a fixed number of
epochs and with any profile change, printing every epoch's losses and the song-level R² (run by
hand; about 3 minutes for 20 epochs of 2dspec on 2 cores).

It asks whether a CNN that ties with the mean would learn with a longer run or other training
settings, without the harness's early stopping in the way. The split is its own grouped one
(25% of songs for test, 15% of the rest for validation, by `SEED`), the normalisation a
per-window or train-fitted one as in bench.trial.normalization.

    python tools/diagnostics/train_without_early_stopping.py RUN_DIR MODEL SEED CHANGES [NORMALIZATION]

CHANGES is a JSON object of profile fields, e.g. '{"epochs": 20, "patience": 20}';
NORMALIZATION is zscore (the default), paper, none or train.
"""

import json
import sys

import numpy as np
from sklearn.metrics import r2_score

from bench.features.reader import FeatureReader
from bench.features.stage import Dataset
from bench.profiles import QUICK
from bench.registry import load_registry
from bench.trial.backend import limit_threads
from bench.trial.normalization import fit_train, per_window
from bench_plugins.frameworks.training import compile_model

limit_threads(2)
from bench.trial.quiet import keras  # noqa: E402


def main(run_dir: str, model: str, seed: int, changes: dict, normalization: str = "zscore") -> None:
    dataset = Dataset.from_json(json.load(open(f"{run_dir}/dataset.json")))
    spec = load_registry().models[model]
    reader = FeatureReader(dataset.features[spec.feature], dataset.shapes[spec.feature])
    x = reader.read(np.arange(len(reader)))
    y, tracks = dataset.labels("danceability"), dataset.window_track
    songs = np.random.default_rng(seed).permutation(np.unique(tracks))
    n_test = len(songs) // 4
    n_validation = (len(songs) - n_test) * 15 // 100
    test, validation = np.isin(tracks, songs[:n_test]), np.isin(tracks, songs[n_test : n_test + n_validation])
    train = ~(test | validation)
    if normalization == "train":
        x = fit_train(reader, np.flatnonzero(train)).apply(x)
    elif normalization != "none":
        x = np.stack([per_window(row, normalization) for row in x])
    profile = QUICK.replace(**changes)
    keras.utils.set_random_seed(seed)
    network = compile_model(spec.build(x.shape[1:], profile), profile)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=profile.patience, restore_best_weights=True)
    history = network.fit(
        x[train],
        y[train],
        validation_data=(x[validation], y[validation]),
        batch_size=profile.batch_size,
        epochs=profile.epochs,
        callbacks=[stop],
        verbose=0,
    ).history
    predictions = network.predict(x[test], verbose=0).reshape(-1)
    test_songs = np.unique(tracks[test])
    song_pred = [predictions[tracks[test] == s].mean() for s in test_songs]
    song_true = [y[test][tracks[test] == s].mean() for s in test_songs]
    print(
        json.dumps(
            {
                "model": model,
                "seed": seed,
                "changes": changes,
                "normalization": normalization,
                "loss": [round(v, 3) for v in history["loss"]],
                "val_loss": [round(v, 3) for v in history["val_loss"]],
                "song_r2": round(float(r2_score(song_true, song_pred)), 3),
                "prediction_std": round(float(predictions.std()), 3),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4]), *sys.argv[5:])
