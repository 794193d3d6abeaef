"""Built-in model frameworks, `keras`, `sklearn` and `probe`, registered like any third party's."""

from __future__ import annotations

from bench import hookimpl
from bench.specs import FrameworkSpec
from plugins.frameworks.keras import KerasFramework
from plugins.frameworks.probe import ProbeFramework
from plugins.frameworks.sklearn import SklearnFramework


@hookimpl
def bench_frameworks() -> list[FrameworkSpec]:
    return [
        FrameworkSpec("keras", "keras.Model with a sigmoid output, trained with early stopping", KerasFramework),
        FrameworkSpec("sklearn", "scikit-learn regressor on flattened windows", SklearnFramework),
        FrameworkSpec("probe", "scikit-learn regressor on normalised windows, told validation apart", ProbeFramework),
    ]
