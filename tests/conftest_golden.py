"""Shared by the conformance tests: the golden cases of seed 0 (generated once per session) and small helpers."""

import functools

import numpy as np

from reference import conformance as C


@functools.lru_cache(maxsize=1)
def golden():
    """The default golden cases (seed 0), as check() uses them; never modify in place."""
    return C.default_cases()


@functools.lru_cache(maxsize=1)
def parsed():
    return C.parse_cases(golden())


def arr(x):
    return np.array(x, dtype=np.float64)


def dataset(name):
    return next(d for d in golden()["datasets"] if d["name"] == name)
