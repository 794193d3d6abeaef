"""Probes on a frozen embedding: a ridge regression and a small MLP, for any embedding feature
(the HEAR / MARBLE protocol for comparing an architecture with a pretrained encoder).

A probe is a scikit-learn pipeline (centre, then regress) and a grid of its hyperparameters.
The embedding keeps its own scale: per-dimension standardising turns units that are nearly
constant on the training windows (a frozen encoder has many) into unit-variance inputs, and a
test window that does fire them into a wild prediction (docs/pretrained.md).

The `probe` framework fits each candidate on the trial's training windows, scores it on its
validation windows (cut from the training songs by the split's own rule, so a song split
never scores on songs it fits; the test windows are never read), keeps the best (window-level
R², ties to the more regularised) and refits it on training plus validation, as the `sklearn`
framework fits `dsp-ridge`. A trial too small for validation windows fits the grid's default.
The record says what was chosen (`probe_params`, `probe_validation_r2`).

`probe_specs(feature)` makes the two models for any feature: `<feature>-ridge`, `<feature>-mlp`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import threadpoolctl

from bench.frameworks import Fitted, Framework, ModelContractError
from bench.profiles import Profile
from bench.specs import FrameworkSpec, ModelSpec

RIDGE_ALPHAS = tuple(float(a) for a in np.logspace(4, -2, 13))  # most regularised first: ties keep it
MLP_GRID = tuple(
    {"mlpregressor__alpha": alpha, "mlpregressor__hidden_layer_sizes": (units,)}
    for alpha in (100.0, 10.0, 1.0, 0.1)
    for units in (64, 256)
)
MLP_ITERATIONS = 300


class ValidationSearch:
    """A scikit-learn estimator and a grid of its parameters: `select` picks the candidate that
    scores best on validation windows, `fit` fits the chosen (or default) one."""

    def __init__(self, estimator, grid: tuple[dict, ...], default: int = 0):
        if not grid:
            raise ValueError("a probe needs at least one candidate in its grid. Received: an empty grid")
        self.estimator, self.grid, self.default = estimator, tuple(grid), default
        self.chosen_: dict = dict(self.grid[default])
        self.validation_r2_: float | None = None
        self.model_ = None

    def seed(self, seed: int) -> None:
        """Seed every step that draws random numbers (an MLP's initial weights)."""
        names = [k for k in self.estimator.get_params() if k.endswith("random_state")]
        self.estimator.set_params(**dict.fromkeys(names, seed))

    def _fitted(self, params: dict, x: np.ndarray, y: np.ndarray):
        from sklearn.base import clone
        from sklearn.exceptions import ConvergenceWarning

        model = clone(self.estimator).set_params(**params)
        with warnings.catch_warnings(), one_blas_thread():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed iteration budget is part of the probe
            return model.fit(x, y)

    def select(self, x_train, y_train, x_validation, y_validation) -> list[float]:
        """Fit each candidate on training windows, score it (R²) on validation windows, keep the
        best (the earlier on a tie); returns every candidate's score."""
        from sklearn.metrics import r2_score

        scores = [
            float(r2_score(y_validation, self._fitted(params, x_train, y_train).predict(x_validation)))
            for params in self.grid
        ]
        best = int(np.nanargmax(scores)) if not np.isnan(scores).all() else self.default
        self.chosen_, self.validation_r2_ = dict(self.grid[best]), scores[best]
        return scores

    def fit(self, x: np.ndarray, y: np.ndarray) -> ValidationSearch:
        self.model_ = self._fitted(self.chosen_, x, y)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.model_ is None:
            raise ModelContractError("the probe predicts before it was fitted")
        with one_blas_thread():
            return self.model_.predict(x)


def one_blas_thread():
    """BLAS on one thread: trials already run one per core, and OpenBLAS's spinning threads on
    top of them made an MLP probe's fit several times slower (docs/pretrained.md)."""
    return threadpoolctl.threadpool_limits(1, user_api="blas")


def build_ridge(input_shape: tuple[int, ...], profile: Profile) -> ValidationSearch:
    """Centred embedding -> ridge regression, its penalty chosen on validation windows."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    centre = StandardScaler(with_std=False)
    return ValidationSearch(make_pipeline(centre, Ridge()), tuple({"ridge__alpha": a} for a in RIDGE_ALPHAS))


def build_mlp(input_shape: tuple[int, ...], profile: Profile) -> ValidationSearch:
    """Centred embedding -> one hidden ReLU layer, width and L2 penalty chosen on validation windows."""
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    mlp = MLPRegressor(max_iter=MLP_ITERATIONS, learning_rate_init=1e-3, random_state=0)
    return ValidationSearch(make_pipeline(StandardScaler(with_std=False), mlp), MLP_GRID)


def _flat(reader, rows: np.ndarray) -> np.ndarray:
    return reader.read(rows).reshape(len(rows), -1)


def _jsonable(params: dict) -> dict:
    return {k.split("__")[-1]: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


class ProbeFramework(Framework):
    """Drives a `ValidationSearch`: hyperparameters chosen on the validation windows, refitted
    on training plus validation; fed each window's feature flattened, unnormalised (the probe
    centres its own input); saved with joblib. Predictions are not bounded to 0..1."""

    name = "probe"
    suffix = ".joblib"
    bounded = False
    normalized_input = False

    def build(self, spec, input_shape, profile, seed):
        probe = spec.build(input_shape, profile)
        if not isinstance(probe, ValidationSearch):
            raise ModelContractError(
                f"build() returned {type(probe).__name__}, but framework 'probe' drives a "
                "bench_plugins.models.probes.ValidationSearch"
            )
        probe.seed(seed)
        return probe

    def fit(self, model, profile, reader, train, validation, y, seed):
        rows = train
        if validation is not None and len(validation):
            model.select(_flat(reader, train), y[train], _flat(reader, validation), y[validation])
            rows = np.concatenate([train, validation])
        model.fit(_flat(reader, rows), y[rows])
        return Fitted({"probe_params": _jsonable(model.chosen_), "probe_validation_r2": model.validation_r2_})

    def predict_array(self, model, x, profile):
        return np.asarray(model.predict(x.reshape(len(x), -1)), dtype=np.float64).reshape(-1)

    def save(self, model, path: Path):
        import joblib

        joblib.dump(model, path)

    def load(self, path, spec, input_shape, profile):
        import joblib

        return joblib.load(path)

    def count_params(self, model):
        """Learned numbers of the fitted pipeline (attributes ending in '_', over every step)."""
        steps = [step for _, step in model.model_.steps] if model.model_ is not None else []
        arrays = [v for step in steps for k, v in vars(step).items() if k.endswith("_") and not k.startswith("_")]
        flat = [a for v in arrays for a in (v if isinstance(v, list) else [v])]
        return int(sum(np.size(a) for a in flat if isinstance(a, (np.ndarray, float, np.floating))))


FRAMEWORKS = [
    FrameworkSpec("probe", "scikit-learn probe, hyperparameters chosen on validation windows", ProbeFramework)
]


def probe_specs(feature: str, about: str, opt_in: bool = True) -> list[ModelSpec]:
    """`<feature>-ridge` and `<feature>-mlp`: the two probes on the embedding feature `feature`
    (`about` says what it is, for the descriptions)."""
    return [
        ModelSpec(f"{feature}-ridge", f"ridge probe on {about}", feature, build_ridge, "probe", opt_in=opt_in),
        ModelSpec(
            f"{feature}-mlp", f"MLP probe (1 hidden layer) on {about}", feature, build_mlp, "probe", opt_in=opt_in
        ),
    ]


def musicnn_probes() -> list[ModelSpec]:
    """The built-in probes on the musicnn embeddings (bench_plugins.features.musicnn), all opt-in."""
    about = {"musicnn-msd": "the frozen musicnn MSD embedding", "musicnn-mtt": "the frozen musicnn MTT embedding"}
    return [spec for feature, what in about.items() for spec in probe_specs(feature, what)]
