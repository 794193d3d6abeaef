"""One BLAS thread per feature transform call.

The feature stage already runs one worker process per core; OpenBLAS's own threads on top of
that oversubscribe the cores, and its spinning threads then wait on each other: on a loaded
2-core machine the 128 x 513 by 513 x 157 mel-filterbank product of a quick `dsp` window took
32 ms with OpenBLAS's default 2 threads and 0.55 ms with one (docs/performance.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import threadpoolctl

Compute = TypeVar("Compute", bound=Callable)


@functools.cache
def _controller() -> threadpoolctl.ThreadpoolController:
    return threadpoolctl.ThreadpoolController()  # finding the loaded BLAS libraries costs ms: once per process


def one_blas_thread(compute: Compute) -> Compute:
    """`compute` run with BLAS limited to one thread (about 10 µs a call)."""

    @functools.wraps(compute)
    def limited(*args, **kwargs):
        with _controller().limit(limits=1, user_api="blas"):
            return compute(*args, **kwargs)

    return limited  # type: ignore[return-value]
