"""The arguments the dataset generators share: integer and rate checks, the ``rng``, the vocabulary.

Used by :mod:`reference.structure.generate` (prefix-closed corpora) and
:mod:`reference.structure.generate_samples` (sample sets); each check raises
:class:`ConfigError` naming the parameter before anything is drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.vocabulary import Vocabulary
from ..errors import ConfigError

__all__ = ["integer_arg", "rate_arg", "draw_vocabulary", "check_rng"]


def integer_arg(name: str, value: Any, lo: int, hi: int | None = None, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        rng_txt = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ConfigError(f"{name} = {value} must be {rng_txt}{why}")
    return int(value)


def rate_arg(name: str, value: Any, hi_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not 0 <= value <= 1 or (hi_open and value == 1):
        raise ConfigError(f"{name} must be a number in [0, 1{')' if hi_open else ']'}, got {value!r}")
    return float(value)


def draw_vocabulary(n_tokens, d, rng):
    tokens = [f"t{i}" for i in range(n_tokens)]
    if d is None or d == n_tokens:
        d is None or integer_arg("d", d, n_tokens)
        return Vocabulary(tokens)
    d = integer_arg("d", d, n_tokens, why=" (Assumption 2 needs d >= abs(V) orthonormal embeddings)")
    return Vocabulary.random_orthonormal(tokens, d, rng=rng)


def check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise ConfigError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(seed)")
