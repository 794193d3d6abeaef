"""Built-in model frameworks, `keras`, `sklearn`, `frozen` (pretrained models, not trained) and
`floor` (the probe floors), registered like any third party's."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import FrameworkSpec
from bench_plugins.frameworks.floor import FloorFramework
from bench_plugins.frameworks.frozen import FrozenFramework
from bench_plugins.frameworks.keras import KerasFramework
from bench_plugins.frameworks.sklearn import SklearnFramework


@hookimpl
def bench_frameworks() -> list[FrameworkSpec]:
    return [
        FrameworkSpec("keras", "keras.Model with a sigmoid output, trained with early stopping", KerasFramework),
        FrameworkSpec("sklearn", "scikit-learn regressor on flattened windows", SklearnFramework),
        FrameworkSpec("frozen", "pretrained model scored as it is: nothing trained", FrozenFramework),
        FrameworkSpec("floor", "scikit-learn regressor on normalised windows, told validation apart", FloorFramework),
    ]
