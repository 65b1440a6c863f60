"""The numeric backend of the proof audit: every arithmetic operation a quantity or a check performs.

The backend contract
--------------------
Quantities (:mod:`reference.theory.proofs.measure`) and checks (the step modules)
never call ``numpy`` or ``math`` for arithmetic. They receive an ``ops`` namespace
and use

* Python operators ``+ - * / **`` and unary ``-`` on the values they are given,
* indexing, slicing, ``reshape`` and ``[..., None]`` (structure, not arithmetic),
* the functions below, all elementwise or reducing over ``axis``.

A backend is any object with these names. :data:`FLOAT64` is the float64 backend
(numpy arrays of dtype float64, IEEE semantics: overflow gives ``inf``, ``0/0``
gives ``nan``; the audit reports a non-finite value as *undefined*, never drops
it). A ball-arithmetic backend (python-flint ``arb``, mpmath ``iv``) supplies the
same names over numpy arrays of ``dtype=object`` holding balls; ``asarray`` turns
the recorded float64 iterates (exact binary numbers) into exact point balls.

===================  ==========================================================
name                 meaning
===================  ==========================================================
``name``             backend label (``"float64"``)
``pi``, ``e``        the constants
``asarray(x)``       the backend's array of ``x`` (float64 input is exact)
``midpoint(x)``      a float64 array near ``x``, for structural choices only (which
                     position is the most attended, which terms are zero); a ball
                     backend returns 0 only for an exact 0
``zeros(shape)``     array of zeros
``exp, log, log1p``  elementwise functions
``expm1, sqrt, abs``
``sum(x, axis)``     sums (``axis`` an int, a tuple or None)
``cumsum(x, axis)``  running sums
``max, min``         reductions: a scale (any value is correct there: the algebra is
``maximum``          exact for every choice) or a value (a ball backend returns an
                     enclosure of the maximum); ``maximum`` is elementwise
``where(c, a, b)``   ``c`` is a boolean numpy array (a structural choice)
``logsumexp(x, axis, mask=None)``  ``log sum exp(x)`` over ``axis`` (entries with
                     ``mask`` False excluded; ``-inf`` for an empty sum)
``log_softmax(x, axis, mask=None)``  ``x - logsumexp(x)`` computed relative to the largest
                     entry (so equal entries get exactly equal values; ``-inf`` off ``mask``)
``softplus(x)``      ``log(1 + e^x)``
``log_softplus(x)``  ``log(log(1 + e^x))``, exact where ``softplus`` underflows
``dot(a, b, ndim)``  Frobenius inner product over the last ``ndim`` axes
``norm(a, ndim)``    Frobenius norm over the last ``ndim`` axes
``matmul(a, b)``     ``a @ b`` (batched over leading axes)
``einsum(spec, *x)`` ``numpy.einsum``
``segment_sum(w, index, size)``  ``out[..., j] = sum_{k: index[k] = j} w[..., k]``
``append_nan(x)``    ``x`` with one undefined slice appended along axis 0 (per-step
                     quantities ``t -> t+1`` are undefined at the last iterate)
``exact``            False here; True for a ball backend (verdicts decided on balls)
``ge, le, gt, lt``   ``ge(a, b)``: the condition ``a >= b`` elementwise (for conditions
                     and statements' conditions only; see below)
``all_of(*c)``       conjunction of conditions; ``any_of(*c)`` disjunction
``tol(x)``           a float64 rounding tolerance ``x`` (0 in an exact backend)
===================  ==========================================================

Comparisons are never made by a check: a check returns the two sides of its
relation (:class:`reference.theory.proofs.registry.Check`) and the audit judges
them, so a certified backend can judge with ball comparisons. Conditions
(:mod:`reference.theory.proofs.conditions`) compare through ``ops.ge`` .. ``ops.lt``
and combine through ``ops.all_of`` / ``ops.any_of``: here they are numpy bool arrays;
in an exact backend (``reference.certified.BallOps``) they are ternary (proved,
undecided, refuted), so a condition is decided on balls like a relation. A
tolerance that only absorbs float64 rounding is written ``ops.tol(x)``.
"""

import math

import numpy as np

__all__ = ["Float64Ops", "FLOAT64"]


class Float64Ops:
    """The float64 backend (numpy), with the log-space primitives the saturated regime needs.

    Every function returns float64 arrays; numerical warnings are the caller's to silence
    (the audit evaluates quantities and checks under ``numpy.errstate(all="ignore")``
    and reports non-finite values as undefined).
    """

    name = "float64"
    exact = False
    pi = math.pi
    e = math.e

    @staticmethod
    def asarray(x):
        """``x`` as a float64 numpy array."""
        return np.asarray(x, dtype=np.float64)

    @staticmethod
    def midpoint(x):
        """``x`` as float64 (for structural choices; the float64 backend's values are their own midpoints)."""
        return np.asarray(x, dtype=np.float64)

    @staticmethod
    def zeros(shape):
        """A float64 array of zeros."""
        return np.zeros(shape)

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    expm1 = staticmethod(np.expm1)
    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)

    @staticmethod
    def sum(x, axis=None):
        """``numpy.sum``."""
        return np.sum(x, axis=axis)

    @staticmethod
    def cumsum(x, axis=0):
        """``numpy.cumsum``."""
        return np.cumsum(x, axis=axis)

    @staticmethod
    def max(x, axis=None):
        """``numpy.max`` (a scale choice only)."""
        return np.max(x, axis=axis)

    @staticmethod
    def min(x, axis=None):
        """``numpy.min`` (a scale choice only)."""
        return np.min(x, axis=axis)

    @staticmethod
    def maximum(a, b):
        """``numpy.maximum`` (a scale choice only)."""
        return np.maximum(a, b)

    @staticmethod
    def where(c, a, b):
        """``numpy.where`` with a boolean numpy condition."""
        return np.where(c, a, b)

    @staticmethod
    def logsumexp(x, axis=-1, mask=None):
        """``log sum_{mask} exp(x)`` over ``axis``, shifted by the maximum; ``-inf`` for an empty sum."""
        x = np.asarray(x, dtype=np.float64)
        if mask is not None:
            x = np.where(mask, x, -np.inf)
        m = np.max(x, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        with np.errstate(divide="ignore"):                  # an empty sum: log 0 = -inf
            s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        return np.squeeze(s, axis=axis)

    @staticmethod
    def log_softmax(x, axis=-1, mask=None):
        """``x - logsumexp(x)`` along ``axis`` as ``(x - max) - log sum exp(x - max)`` (no large cancellation)."""
        x = np.asarray(x, dtype=np.float64)
        if mask is not None:
            x = np.where(mask, x, -np.inf)
        m = np.max(x, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        z = x - m
        with np.errstate(divide="ignore", invalid="ignore"):
            return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))

    @staticmethod
    def softplus(x):
        """``log(1 + e^x)`` without overflow."""
        return np.logaddexp(0.0, x)

    @staticmethod
    def log_softplus(x):
        """``log(log(1 + e^x))``; for ``x < -30`` it is ``x - e^x/2`` to float64 accuracy."""
        x = np.asarray(x, dtype=np.float64)
        small = x < -30.0
        return np.where(small, x - 0.5 * np.exp(np.minimum(x, 0.0)), np.log(np.logaddexp(0.0, np.maximum(x, -30.0))))

    @staticmethod
    def dot(a, b, ndim=2):
        """``<a, b>``: the Frobenius inner product over the last ``ndim`` axes."""
        prod = np.asarray(a) * np.asarray(b)
        return np.sum(prod, axis=tuple(range(-ndim, 0)))

    @staticmethod
    def norm(a, ndim=2):
        """``||a||``: the Frobenius norm over the last ``ndim`` axes."""
        a = np.asarray(a)
        return np.sqrt(np.sum(a * a, axis=tuple(range(-ndim, 0))))

    matmul = staticmethod(np.matmul)

    @staticmethod
    def einsum(spec, *operands):
        """``numpy.einsum`` (optimised contraction order)."""
        return np.einsum(spec, *operands, optimize=True)

    @staticmethod
    def segment_sum(w, index, size):
        """``out[..., j] = sum_{k: index[k] = j} w[..., k]`` (a sparse matrix product)."""
        from scipy import sparse                               # SciPy only where it is used
        w = np.asarray(w, dtype=np.float64)
        index = np.asarray(index, dtype=np.intp)
        S = sparse.csr_matrix((np.ones(index.size), (np.arange(index.size), index)), shape=(index.size, size))
        flat = w.reshape(-1, index.size)
        return np.asarray((S.T @ flat.T).T).reshape(w.shape[:-1] + (size,))

    @staticmethod
    def append_nan(x):
        """``x`` with one slice of nan appended along axis 0."""
        x = np.asarray(x, dtype=np.float64)
        return np.concatenate([x, np.full((1,) + x.shape[1:], np.nan)])


    # ---------------------------------------------------------------- conditions
    @staticmethod
    def ge(a, b):
        """The condition ``a >= b`` (a numpy bool array)."""
        return np.asarray(a >= b)

    @staticmethod
    def le(a, b):
        """The condition ``a <= b``."""
        return np.asarray(a <= b)

    @staticmethod
    def gt(a, b):
        """The condition ``a > b``."""
        return np.asarray(a > b)

    @staticmethod
    def lt(a, b):
        """The condition ``a < b``."""
        return np.asarray(a < b)

    @staticmethod
    def all_of(*conds):
        """Conjunction of conditions (broadcast)."""
        out = np.asarray(conds[0], dtype=bool)
        for c in conds[1:]:
            out = out & np.asarray(c, dtype=bool)
        return out

    @staticmethod
    def any_of(*conds):
        """Disjunction of conditions (broadcast)."""
        out = np.asarray(conds[0], dtype=bool)
        for c in conds[1:]:
            out = out | np.asarray(c, dtype=bool)
        return out

    @staticmethod
    def tol(x):
        """A rounding tolerance: ``x`` itself in float64."""
        return x


#: The float64 backend used by default.
FLOAT64 = Float64Ops()
