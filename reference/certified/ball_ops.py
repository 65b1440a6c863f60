"""The ball backend of the proof audit's measurement layer: the ``ops`` contract over numpy arrays of balls.

:class:`BallOps` supplies every name of the backend contract of
``reference.theory.proofs.ops`` (docs/proofs.md, "The backend contract") over
numpy arrays of ``dtype=object`` holding python-flint balls (``arb``): each
function returns balls that provably contain the exact result for every point of
its arguments, so a quantity or a check written with ``ops`` becomes a ball
around its exact value. Float64 inputs (the dataset, a float constant) are taken
as the exact binary numbers they store. The operations run at the precision of
the enclosing ``with K.precision():`` block.

Three conventions make the float semantics exact: a value undefined by construction
is :data:`reference.certified.UNDEFINED` (:mod:`reference.certified.ball_guard`), never
a merely wide ball; ``midpoint(x)``, for structural choices, is a float64 inside the
ball that is 0 only for an exact 0 (and infinite only for an exact infinity), so a
term dropped because its midpoint is 0 is exactly 0; conditions are ternary
(:mod:`reference.certified.ball_conditions`).
"""

import math
import numbers
from fractions import Fraction

import numpy as np

from .ball_conditions import BallConditions
from .ball_guard import _le, _lt, ball_float, UNDEFINED

__all__ = ["BallOps"]


class BallOps(BallConditions):
    """The proof audit's backend contract over numpy object arrays of python-flint balls.

    Parameters
    ----------
    K : reference.certified.FlintBalls
        The ball library (its precision applies inside ``with K.precision():``).

    Attributes
    ----------
    name : str
        ``"arb"``.
    exact : bool
        True: conditions are ternary, rounding tolerances are 0, verdicts are decided on balls.
    overrides : dict
        Quantity name -> ``compute(q, ops)`` replacing the catalogue's computation
        (filled by the certified audit, reference.audit.certified).
    """

    name = "arb"
    exact = True

    def __init__(self, K):
        self.K = K
        self.arb = K.arb
        self.overrides = {}
        self._vec = {}

    # ---------------------------------------------------------------- conversions
    def _ball(self, x):
        """One element as a ball (exact for floats, ints and fractions), or UNDEFINED for nan."""
        arb = self.arb
        if isinstance(x, arb) or x is UNDEFINED:
            return x
        if isinstance(x, (bool, np.bool_)):
            return arb(int(x))
        if isinstance(x, numbers.Integral):
            return arb(int(x))
        if isinstance(x, Fraction):
            return arb(x.numerator) / arb(x.denominator)
        if isinstance(x, numbers.Real):
            x = float(x)
            return UNDEFINED if math.isnan(x) else arb(x)
        if type(x).__name__ == "fmpq":
            return arb(int(x.p)) / arb(int(x.q))
        raise TypeError(f"cannot make a ball of {x!r}")

    def _map(self, key, fn, x):
        """``fn`` elementwise over ``x`` (a ball, a number or an array), UNDEFINED absorbing."""
        if key not in self._vec:
            self._vec[key] = np.frompyfunc(lambda v: v if v is UNDEFINED else fn(v), 1, 1)
        x = self.asarray(x)
        if isinstance(x, np.ndarray):
            return self._vec[key](x).astype(object) if x.size else x
        return x if x is UNDEFINED else fn(x)

    def asarray(self, x):
        """``x`` as balls: a ball stays, a number becomes an exact ball (nan: UNDEFINED), an array an object array."""
        if isinstance(x, np.ndarray):
            if x.dtype == object:
                if all(isinstance(v, self.arb) or v is UNDEFINED for v in x.flat):
                    return x
            if not x.size:
                return np.empty(x.shape, dtype=object)
            return np.frompyfunc(self._ball, 1, 1)(x).astype(object)
        if isinstance(x, (list, tuple)):
            return self.asarray(np.array(x, dtype=object))
        return self._ball(x)

    def midpoint(self, x):
        """A float64 inside each ball: 0 only for an exact 0, infinite only for an exact infinity, nan for UNDEFINED.

        For structural choices only (which position is the most attended, which terms are zero).
        """
        def mid(v):
            if v is UNDEFINED:
                return math.nan
            if not isinstance(v, self.arb):
                return float(v)
            m = ball_float(v.mid())
            if v.is_exact() or math.isinf(m):        # an infinite midpoint: the ball is that infinity
                return m
            if not v.is_finite():                      # [m +/- inf]: too wide, not undefined
                return m if m != 0.0 else (math.nan if v.is_nan() else 1.0)
            if m == 0.0:
                r = ball_float(v.rad())
                return r if r > 0.0 else 5e-324
            return m
        x = self.asarray(x)
        with np.errstate(all="ignore"):                # nan and inf are values here, not floating-point errors
            if isinstance(x, np.ndarray):
                return np.frompyfunc(mid, 1, 1)(x).astype(np.float64) if x.size else np.zeros(x.shape)
            return np.float64(mid(x))

    def zeros(self, shape):
        """An object array of exact zero balls."""
        out = np.empty(shape, dtype=object)
        out.fill(self.arb(0))
        return out

    @property
    def pi(self):
        """A ball containing pi (at the working precision)."""
        return self.arb.pi()

    @property
    def e(self):
        """A ball containing e (at the working precision)."""
        return self.arb.const_e()

    # ---------------------------------------------------------------- elementwise functions
    def exp(self, x):
        """Balls containing ``exp`` (no overflow or underflow; ``exp(-inf) = 0``)."""
        return self._map("exp", lambda v: v.exp(), x)

    def _log1(self, v):
        if v.is_exact() and v.is_zero():
            return -self.arb.pos_inf()
        r = v.log()
        if r.is_nan() and not _le(v, 0):
            return self.arb("0 +/- inf")             # reaches 0 only because it is wide: too wide, not undefined
        return r

    def log(self, x):
        """Balls containing ``log`` (``-inf`` at an exact 0; a ball reaching 0 gives the too-wide ``[+/- inf]``)."""
        return self._map("log", self._log1, x)

    def log1p(self, x):
        """Balls containing ``log(1 + x)`` (accurate for tiny ``x``)."""
        def f(v):
            if v.is_exact() and (v + 1).is_zero():
                return -self.arb.pos_inf()
            r = v.log1p()
            return self.arb("0 +/- inf") if r.is_nan() and not _le(v, -1) else r
        return self._map("log1p", f, x)

    def expm1(self, x):
        """Balls containing ``e^x - 1`` (accurate for tiny ``x``)."""
        return self._map("expm1", lambda v: v.expm1(), x)

    def sqrt(self, x):
        """Balls containing the square root (of the non-negative part of a ball reaching below 0 only by its width)."""
        def f(v):
            r = v.sqrt()
            return v.nonnegative_part().sqrt() if r.is_nan() and not _lt(v, 0) else r
        return self._map("sqrt", f, x)

    def abs(self, x):
        """Balls containing ``|x|``."""
        return self._map("abs", abs, x)

    # ---------------------------------------------------------------- reductions
    def sum(self, x, axis=None):
        """Sums over ``axis`` (UNDEFINED absorbing)."""
        x = self.asarray(x)
        if not isinstance(x, np.ndarray):
            return x
        return self.asarray(np.sum(x, axis=axis, initial=self.arb(0)))

    def cumsum(self, x, axis=0):
        """Running sums along ``axis``."""
        x = self.asarray(x)
        return np.cumsum(x, axis=axis).astype(object) if x.size else x

    def _reduce(self, x, axis, key, pick):
        x = self.asarray(x)
        if not isinstance(x, np.ndarray):
            return x
        if key not in self._vec:
            self._vec[key] = np.frompyfunc(
                lambda a, b: UNDEFINED if a is UNDEFINED or b is UNDEFINED else pick(a, b), 2, 1)
        axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in np.atleast_1d(axis))
        rest = [a for a in range(x.ndim) if a not in axes]
        y = np.transpose(x, rest + list(axes)).reshape([x.shape[a] for a in rest] + [-1])
        out = self._vec[key].reduce(y, axis=-1)
        return out.astype(object) if isinstance(out, np.ndarray) else out

    def max(self, x, axis=None):
        """A ball containing the maximum over ``axis`` (a rigorous enclosure, valid as a scale and as a value)."""
        return self._reduce(x, axis, "max", lambda a, b: a.max(b))

    def min(self, x, axis=None):
        """A ball containing the minimum over ``axis``."""
        return self._reduce(x, axis, "min", lambda a, b: a.min(b))

    def maximum(self, a, b):
        """Elementwise balls containing ``max(a, b)``."""
        if "maximum" not in self._vec:
            self._vec["maximum"] = np.frompyfunc(
                lambda u, v: UNDEFINED if u is UNDEFINED or v is UNDEFINED else u.max(v), 2, 1)
        a, b = self.asarray(a), self.asarray(b)
        out = self._vec["maximum"](a, b)
        return out.astype(object) if isinstance(out, np.ndarray) else out

    def where(self, c, a, b):
        """``numpy.where`` with a boolean numpy condition (a structural choice)."""
        a, b = self.asarray(a), self.asarray(b)
        out = np.empty(np.broadcast_shapes(np.shape(c), np.shape(a), np.shape(b)), dtype=object)
        out[...] = np.where(c, np.asarray(a, dtype=object), np.asarray(b, dtype=object))
        return out if out.ndim else out[()]

    def _shift(self, x, axis, mask):
        """``(x with -inf off the mask, an exact shift: the largest midpoint per slice, 0 if none is finite)``."""
        x = self.asarray(x)
        if mask is not None:
            x = self.where(mask, x, -math.inf)
        mid = self.midpoint(x)
        with np.errstate(invalid="ignore"):
            m = np.max(np.where(np.isnan(mid), -np.inf, mid), axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        return x, self.asarray(m)

    def logsumexp(self, x, axis=-1, mask=None):
        """``log sum exp(x)`` over ``axis`` (``mask`` False excluded), shifted exactly; ``-inf`` if empty."""
        x, m = self._shift(x, axis, mask)
        s = self.sum(self.exp(x - m), axis=axis)
        return self.log(s) + np.squeeze(m, axis=axis)

    def log_softmax(self, x, axis=-1, mask=None):
        """``z - log sum exp(z)``, ``z = x - m`` with an exact shift ``m`` (equal entries get equal balls)."""
        x, m = self._shift(x, axis, mask)
        z = x - m
        out = z - np.expand_dims(self.log(self.sum(self.exp(z), axis=axis)), axis)
        return out if mask is None else self.where(mask, out, -math.inf)

    def softplus(self, x):
        """``log(1 + e^x)`` (balls have no overflow)."""
        return self.log1p(self.exp(x))

    def log_softplus(self, x):
        """``log(log(1 + e^x))``, exact where the float value underflows."""
        return self.log(self.softplus(x))

    def dot(self, a, b, ndim=2):
        """``<a, b>`` over the last ``ndim`` axes."""
        prod = self.asarray(a) * self.asarray(b)
        return self.sum(prod, axis=tuple(range(-ndim, 0)))

    def norm(self, a, ndim=2):
        """Frobenius norm over the last ``ndim`` axes (the square root of the non-negative part of the sum)."""
        a = self.asarray(a)
        return self.sqrt(self.sum(a * a, axis=tuple(range(-ndim, 0))))

    def matmul(self, a, b):
        """``a @ b`` on balls (batched over leading axes)."""
        out = np.matmul(self.asarray(a), self.asarray(b))
        return out.astype(object) if isinstance(out, np.ndarray) else out

    def einsum(self, spec, *operands):
        """``numpy.einsum`` on balls."""
        out = np.einsum(spec, *[self.asarray(o) for o in operands], optimize=True)
        return self.asarray(out) if isinstance(out, np.ndarray) else self.asarray(out)

    def segment_sum(self, w, index, size):
        """``out[..., j] = sum_{k: index[k] = j} w[..., k]``."""
        w = self.asarray(w)
        index = np.asarray(index, dtype=np.intp)
        out = self.zeros(w.shape[:-1] + (size,))
        for k, j in enumerate(index.tolist()):
            out[..., j] = out[..., j] + w[..., k]
        return out

    def append_nan(self, x):
        """``x`` with one slice of UNDEFINED appended along axis 0."""
        x = self.asarray(x)
        pad = np.empty((1,) + x.shape[1:], dtype=object)
        pad.fill(UNDEFINED)
        return np.concatenate([x, pad]).astype(object)
