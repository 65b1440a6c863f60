"""Conditions on balls: ternary comparisons (proved, undecided, refuted) and their Kleene logic.

In the backend contract (docs/proofs.md) a condition compares through ``ops.ge(a, b)``
(``le``, ``gt``, ``lt``) and combines through ``ops.all_of`` / ``ops.any_of``. On balls
a comparison is *ternary* per element, a ``numpy.int8``: 1 where it holds for every point
of the balls (proved), -1 where it holds for none (refuted), 0 otherwise (undecided).
Conjunction is the minimum, disjunction the maximum; a bool (array) is an exact
condition (True 1, False -1). ``tol(x)`` is 0: a float64 rounding tolerance has no place
in exact arithmetic. An undefined value (:data:`reference.certified.UNDEFINED`) fails a
condition, as ``nan`` does in float64.
"""

import functools

import numpy as np

from .ball_guard import _ge, _gt, _le, _lt, UNDEFINED

__all__ = ["BallConditions", "PROVED_C", "UNDECIDED_C", "REFUTED_C"]

#: Ternary values of a condition in an exact backend.
PROVED_C, UNDECIDED_C, REFUTED_C = np.int8(1), np.int8(0), np.int8(-1)


class BallConditions:
    """The condition part of :class:`reference.certified.BallOps` (needs ``asarray``, ``arb``, ``_vec``)."""

    # ---------------------------------------------------------------- conditions (ternary)
    def _compare(self, key, d, strict):
        def f(v):
            if v is UNDEFINED:                       # undefined by construction: the condition fails (nan)
                return REFUTED_C
            if not isinstance(v, self.arb) or v.is_nan():
                return UNDECIDED_C
            if _gt(v, 0) if strict else _ge(v, 0):
                return PROVED_C
            if _le(v, 0) if strict else _lt(v, 0):
                return REFUTED_C
            return UNDECIDED_C
        if key not in self._vec:
            self._vec[key] = np.frompyfunc(f, 1, 1)
        d = self.asarray(d)
        if isinstance(d, np.ndarray):
            return self._vec[key](d).astype(np.int8) if d.size else np.zeros(d.shape, dtype=np.int8)
        return np.int8(f(d))

    def ge(self, a, b):
        """Ternary ``a >= b`` (1 proved, 0 undecided, -1 refuted), elementwise."""
        return self._compare("ge", self.asarray(a) - self.asarray(b), False)

    def le(self, a, b):
        """Ternary ``a <= b``."""
        return self._compare("ge", self.asarray(b) - self.asarray(a), False)

    def gt(self, a, b):
        """Ternary ``a > b``."""
        return self._compare("gt", self.asarray(a) - self.asarray(b), True)

    def lt(self, a, b):
        """Ternary ``a < b``."""
        return self._compare("gt", self.asarray(b) - self.asarray(a), True)

    @staticmethod
    def ternary(c):
        """A condition as a ternary int8 array: a bool (array) is exact (True 1, False -1)."""
        c = np.asarray(c)
        if c.dtype == bool:
            return np.where(c, PROVED_C, REFUTED_C).astype(np.int8)
        return c.astype(np.int8)

    def all_of(self, *conds):
        """Ternary conjunction (Kleene): the minimum."""
        return functools.reduce(np.minimum, [self.ternary(c) for c in conds]).astype(np.int8)

    def any_of(self, *conds):
        """Ternary disjunction (Kleene): the maximum."""
        return functools.reduce(np.maximum, [self.ternary(c) for c in conds]).astype(np.int8)

    @staticmethod
    def tol(x):
        """A float64 rounding tolerance: 0 in exact arithmetic."""
        return 0.0
