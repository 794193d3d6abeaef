"""The numba cache race behind issue 9's segfaults, reproduced (run by hand; minutes per trial).

For each trial it compiles librosa's beat tracker into a fresh NUMBA_CACHE_DIR, once with one
writer and once with two processes compiling at the same time, then loads the cache in a later
process. Measured here (2 cores, numba 0.68, librosa 0.11): one writer, the later loader ran
(3 of 3); two writers, the later loader died from SIGSEGV (3 of 3), and one of the writers
itself in 2 of 3. Hence bench.features.numba_cache: one cache folder of the harness's own, compiled by
one process at a time under a file lock, cleared when a probe crashes on it.

    python tools/diagnostics/numba_cache_race.py TRIALS
"""

import os
import shutil
import subprocess
import sys
import time

PY = sys.executable
CODE = r"""
import numpy as np, librosa
sr = 8000
y = librosa.clicks(times=np.arange(0, 10, 0.5), sr=sr, length=10 * sr).astype(np.float32)
y += 0.01 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
o = librosa.onset.onset_strength(y=y, sr=sr, hop_length=128)
librosa.beat.beat_track(onset_envelope=o, sr=sr, hop_length=128)
print("ok")
"""


def run(cache, n):
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    procs = [
        subprocess.Popen([PY, "-c", CODE], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) for _ in range(n)
    ]
    return [p.wait() for p in procs]


for trial in range(int(sys.argv[1])):
    for writers in (1, 2):
        cache = f"/tmp/numba-race/cache-{writers}-{trial}"
        shutil.rmtree(cache, ignore_errors=True)
        t = time.time()
        w = run(cache, writers)
        t = time.time() - t
        r = run(cache, 1)
        print(
            f"trial {trial} writers={writers}: writer exit codes {w} ({t:.0f} s), later loader exit code {r}",
            flush=True,
        )
