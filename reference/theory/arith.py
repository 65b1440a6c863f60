"""The arithmetic of the statement functions: float64 by default, or an exact backend's (balls).

Every statement function of :mod:`reference.theory` (``lemma1`` .. ``theorem2``) takes an
optional ``ops``: a backend of the proof audit (:mod:`reference.theory.proofs.ops`).
Without one, or with the float64 backend, it computes exactly as it always did
(numpy and ``math`` in float64, conditions as bool arrays). With an *exact* backend
(``ops.exact``: the balls of ``reference.certified.BallOps``) the same formulas run
through ``ops``: the iterates ``t`` and every constant are exact balls, each bound is a
ball around its exact value, and each condition is ternary (proved, undecided,
refuted at each iterate), so a certified audit decides statements like proof steps.

The helpers below take ``ops`` last and choose the branch; a statement function is
written once with them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .constants import log_threshold

__all__: list[str] = []


def _exact(ops):
    """Whether ``ops`` is an exact (ball) backend."""
    return ops is not None and bool(getattr(ops, "exact", False))


def _iterates(t: ArrayLike, ops: Any = None) -> NDArray[Any]:
    """The iterates as float64 (``ops`` float) or as exact balls."""
    if _exact(ops) and isinstance(t, np.ndarray) and t.dtype == object:
        return t
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    return ops.asarray(t) if _exact(ops) else t


def _shape(t):
    return np.shape(t)


def _flag(t, value, ops=None):
    """A condition that is ``value`` (a bool) at every iterate."""
    return np.full(_shape(t), bool(value))


def _both(*conds, ops=None):
    """Conjunction of conditions."""
    if _exact(ops):
        return ops.all_of(*conds)
    out = conds[0]
    for c in conds[1:]:
        out = out & c
    return out


def _ge(a, b, ops=None):
    """The condition ``a >= b``."""
    return ops.ge(a, b) if _exact(ops) else a >= b


def _le(a, b, ops=None):
    """The condition ``a <= b``."""
    return ops.le(a, b) if _exact(ops) else a <= b


def _log(x, ops=None):
    """``log x`` of a constant (``math.log``, or a ball)."""
    return ops.log(ops.asarray(x)) if _exact(ops) else math.log(x)


def _exp(x, ops=None):
    """``exp`` elementwise."""
    return ops.exp(x) if _exact(ops) else np.exp(x)


def _e(ops=None):
    """The constant e."""
    return ops.e if _exact(ops) else math.e


def _log_pos(t, ops=None):
    """``log t`` for ``t >= 1`` and nan (undefined) below."""
    if _exact(ops):
        return ops.where(ops.midpoint(t) >= 1, ops.log(ops.maximum(t, 1.0)), math.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t >= 1, np.log(np.maximum(t, 1.0)), np.nan)


def _max1(t, ops=None):
    """``max(t, 1)`` elementwise."""
    return ops.maximum(t, 1.0) if _exact(ops) else np.maximum(t, 1)


def _zeros(t, ops=None):
    """Zeros of the shape of ``t``."""
    return ops.zeros(_shape(t)) if _exact(ops) else np.zeros(_shape(t))


def _measured(x: ArrayLike, t: NDArray[Any], ops: Any = None) -> NDArray[Any]:
    """A measured series broadcast to the iterates (float64, or balls)."""
    if _exact(ops):
        return np.broadcast_to(ops.asarray(x), _shape(t))
    return np.broadcast_to(np.asarray(x, dtype=np.float64), _shape(t))


def _threshold(t, K, p, ops=None):
    """``t >= log_threshold(K, p)`` (the Library rule on ``t >= K log^p t``, reference.theory.constants).

    Exact branch: with ``c = K^(1/p)``, the rule's threshold is 1 when ``c p <= e``; otherwise
    ``exp(u0)``, ``u0 > p`` the larger root of ``u/p - log(c u) = 0``, which increases for
    ``u > p``. So ``t >= t0`` iff (``c p <= e`` and ``t >= 1``) or (``log t >= p`` and
    ``t >= K (log t)^p``), each decided on balls.
    """
    if not _exact(ops):
        return t >= log_threshold(K, p)
    K = ops.asarray(K)
    lt = ops.log(t)
    cp_small = ops.le(ops.log(K) / p + ops.log(ops.asarray(p)), 1)
    late = ops.all_of(ops.ge(lt, p), ops.ge(t, K * ops.maximum(lt, 0.0) ** p))
    return ops.any_of(ops.all_of(cp_small, ops.ge(t, 1)), late)
