"""Timing helpers of the benchmarks: interleaved repetitions, min/median, a least-squares fit.

A shared 2-core machine is noisy: every figure is the min and the median over
repetitions, and the workloads compared in a ratio run interleaved (one call of
each in turn), so that a burst of load hits all of them alike. Wall-clock time
is ``time.perf_counter``; CPU time is ``time.process_time`` (all threads of the
process, so a multi-threaded peer's CPU time counts every thread).
"""

import math
import statistics
import time

import numpy as np


class Timed:
    """Wall and CPU seconds of repeated calls of one workload."""

    def __init__(self, name):
        self.name, self.wall, self.cpu = name, [], []

    def add(self, wall, cpu):
        self.wall.append(wall)
        self.cpu.append(cpu)

    @property
    def med(self):
        return statistics.median(self.wall)

    @property
    def med_cpu(self):
        return statistics.median(self.cpu)

    @property
    def min(self):
        return min(self.wall)

    def fmt(self, unit=1e-3, name="ms"):
        return (f"{self.min / unit:.3g}/{self.med / unit:.3g} {name} (CPU median {self.med_cpu / unit:.3g} {name})")


#: Untimed calls before each timed block last at least this long (at least one call): after the
#: PyTorch peer streamed its 230-390 MB, a single call of the engine's step left it 20-25% slower
#: than in a training loop (its ~10 MB of index arrays and temporaries only partly back in the
#: caches); about five calls restore the steady state of consecutive steps.
WARM_S = 0.005


def interleaved(fns, reps, inner=None, warm_s=WARM_S):
    """Run every callable of ``fns`` (name -> f) in turn, ``reps`` rounds; return name -> Timed.

    In each round a workload is first called untimed for at least ``warm_s`` seconds (at least
    once: its data back in the caches after the others ran, as in consecutive calls), then timed
    over ``inner[name]`` calls (default 1); the figure is per call.
    """
    out = {k: Timed(k) for k in fns}
    inner = inner or {}
    for _ in range(reps):
        for k, f in fns.items():
            t_end = time.perf_counter() + warm_s
            f()
            while time.perf_counter() < t_end:
                f()
            n = inner.get(k, 1)
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n):
                f()
            out[k].add((time.perf_counter() - t0) / n, (time.process_time() - c0) / n)
    return out


def fit(X, y):
    """Least squares ``y ~ X c``: ``(c, R^2)``."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    c, *_ = np.linalg.lstsq(X, y, rcond=None)
    ss = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y - X @ c) ** 2)) / ss if ss > 0 else math.nan
    return c, r2


def verdict(ok):
    return "met" if ok else "NOT MET"
