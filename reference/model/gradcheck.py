"""Public gradient checkers, for this library and for other implementations.

Three tiers (in the manner of HIPS/autograd ``test_util``):

1. :func:`check_grad_directional` (the default): central differences along a
   few random unit directions, Richardson-extrapolated, compared with
   ``<grad, u>``. Cheap (4 evaluations of ``f`` per direction), works for any
   real ``f``.
2. :func:`check_grad_complex_step`: ``Im f(x + i h e_k) / h`` for every entry
   ``k``, exact to rounding for a complex-safe ``f`` (no subtraction, so ``h``
   can be 1e-20). The near-exact oracle.
3. :func:`check_grad_entrywise`: a central difference for every entry, to
   locate a wrong derivative; reports the worst entries.

``x`` is one array or a tuple of arrays (then ``f(*x)`` and ``grad(*x)``
return / take the blocks in order, e.g. ``(W_ov, W_kq)``). ``grad`` is a
callable with the signature of ``f``, or the gradient array(s) themselves.
Every checker returns a :class:`GradCheckResult`; with ``raise_on_fail=True``
a failure raises :class:`GradientCheckError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import ReferenceValueError

__all__ = ["GradCheckResult", "GradientCheckError", "check_grad_directional",
           "check_grad_complex_step", "check_grad_entrywise", "DIRECTIONAL_H",
           "DIRECTIONAL_RTOL", "N_DIRECTIONS", "COMPLEX_STEP_H", "COMPLEX_STEP_RTOL",
           "ENTRYWISE_H", "ENTRYWISE_RTOL", "FD_SCALE_FLOOR"]

#: Step along a unit direction. Richardson-extrapolated central differences
#: have truncation error O(h^4 f^(5)) ~ 1e-12 for O(1) derivatives and
#: round-off ~ eps |f| / h ~ 2e-13 |f|; both far below DIRECTIONAL_RTOL.
DIRECTIONAL_H = 1e-3
#: Accepted |numeric - <grad, u>| / ||grad||. A gradient off by 0.1% (scaled,
#: or one O(max) entry off) moves <grad, u> by ~1e-3 / sqrt(size) ||grad||,
#: i.e. >= 1e-5 for the sizes used here, a hundred times this tolerance; the
#: measured error of a correct gradient at O(1) weights is ~1e-10.
DIRECTIONAL_RTOL = 1e-7
#: Random directions per check: one direction can be nearly orthogonal to a
#: wrong entry; three make that very unlikely (the entrywise tiers are exact).
N_DIRECTIONS = 3
#: Complex step: no subtraction happens, so any tiny h works; 1e-20 keeps the
#: O(h^2) truncation below 1e-40 while h * |x| stays far above the denormals.
COMPLEX_STEP_H = 1e-20
#: Accepted max_k |cs_k - g_k| / max_k |cs_k|. Both sides are exact to a few
#: hundred ulps (the rounding of sums of O(1) terms); 1e-10 leaves a factor
#: ~1e4 of slack and still rejects a 0.1% error in any entry >= 1e-7 max.
COMPLEX_STEP_RTOL = 1e-10
#: Entrywise step (absolute, per coordinate); Richardson-extrapolated as above.
ENTRYWISE_H = 1e-3
#: Accepted max_k |fd_k - g_k| / max_k |fd_k| for the entrywise difference:
#: same error budget as DIRECTIONAL_RTOL.
ENTRYWISE_RTOL = 1e-7
#: Finite differences cannot resolve derivatives below ~eps |f| / h ~ 1e-12 |f|;
#: errors are measured relative to max(||grad||, FD_SCALE_FLOOR |f(x)|) so a
#: correct zero gradient does not fail on round-off (1e-12/1e-4 = 1e-8 < RTOL).
FD_SCALE_FLOOR = 1e-4


#: numpy >= 1.25 has numpy.exceptions; 1.24 keeps the warning at the top level.
_ComplexWarning = getattr(getattr(np, "exceptions", np), "ComplexWarning")


class GradientCheckError(ReferenceValueError):
    """A gradient disagrees with its numerical check, or the check cannot run."""


@dataclass(frozen=True)
class GradCheckResult:
    """Outcome of one gradient check.

    Attributes
    ----------
    ok : bool
        ``error <= tolerance``.
    error : float
        The method's relative error (see each checker).
    tolerance : float
    method : str
        "directional", "complex_step" or "entrywise".
    details : dict
        Per-method data: the directional derivatives, or the worst entries as
        ``(block, index, analytic, numeric, error)`` tuples, worst first.
    """

    ok: bool
    error: float
    tolerance: float
    method: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        return f"{self.method} gradient check {verdict}: error {self.error:.3e} (tolerance {self.tolerance:.1e})"


# ----------------------------------------------------------------- plumbing
def _as_blocks(x):
    single = not isinstance(x, (tuple, list))
    xs = (x,) if single else tuple(x)
    out = []
    for k, a in enumerate(xs):
        a = np.asarray(a)
        if a.dtype.kind not in "iuf":
            raise GradientCheckError(f"x block {k} must be a real numeric array, got dtype {a.dtype}")
        out.append(a.astype(np.float64))
    return out, single


def _gradient(grad, xs, single):
    g = grad(*xs) if callable(grad) else grad
    gs = (g,) if single or not isinstance(g, (tuple, list)) else tuple(g)
    if len(gs) != len(xs):
        raise GradientCheckError(f"grad has {len(gs)} block(s), x has {len(xs)}")
    out = []
    for k, (gk, xk) in enumerate(zip(gs, xs)):
        gk = np.asarray(gk)
        if gk.shape != xk.shape or gk.dtype.kind not in "iuf":
            raise GradientCheckError(
                f"grad block {k} has shape {gk.shape} and dtype {gk.dtype}; x block {k} has shape {xk.shape}")
        out.append(gk.astype(np.float64))
    return out


def _value(f, xs):
    v = f(*xs)
    if np.ndim(v) != 0:
        raise GradientCheckError(f"f must return a scalar, got shape {np.shape(v)}")
    return v


def _richardson(f, xs, ds, h):
    """``(4 D(h/2) - D(h)) / 3`` with ``D(h) = (f(x + h d) - f(x - h d)) / 2h``: error O(h^4)."""
    def D(t):
        plus = [a + t * d for a, d in zip(xs, ds)]
        minus = [a - t * d for a, d in zip(xs, ds)]
        return (float(_value(f, plus)) - float(_value(f, minus))) / (2 * t)
    return (4 * D(h / 2) - D(h)) / 3


def _finish(method, error, tolerance, details, raise_on_fail):
    res = GradCheckResult(bool(error <= tolerance), float(error), float(tolerance), method, details)
    if raise_on_fail and not res.ok:
        msg = str(res)
        if "worst" in details:
            msg += "; worst entries (block, index, analytic, numeric, error): " + repr(details["worst"][:3])
        raise GradientCheckError(msg)
    return res


def _worst(xs, gs, ns, scale, n_worst):
    errs = [np.abs(n - g) / scale for g, n in zip(gs, ns)]
    rows = [(k, tuple(int(i) for i in idx), float(gs[k][idx]), float(ns[k][idx]), float(e[idx]))
            for k, e in enumerate(errs) for idx in np.ndindex(e.shape)]
    rows.sort(key=lambda r: -r[4])
    return (rows[0][4] if rows else 0.0), rows[:n_worst]


# ----------------------------------------------------------------- the three checkers
def check_grad_directional(f: Callable[..., Any], grad: Callable[..., Any] | ArrayLike | Sequence[ArrayLike],
                           x: ArrayLike | Sequence[ArrayLike], *, rng: np.random.Generator,
                           h: float = DIRECTIONAL_H, rtol: float = DIRECTIONAL_RTOL,
                           n_directions: int = N_DIRECTIONS, raise_on_fail: bool = False) -> GradCheckResult:
    """Random-direction check: ``(f(x + h u) - f(x - h u)) / 2h`` (Richardson) against ``<grad f(x), u>``.

    Parameters
    ----------
    f : callable, ``f(*x) -> float``
    grad : callable with the signature of ``f``, or array(s) shaped like ``x``
    x : ndarray or tuple of ndarrays (any shapes)
        Real; check at an ordinary point, not at zero.
    rng : numpy.random.Generator
        Draws the unit directions ``u`` (jointly unit-norm over all blocks).
    h : float, default :data:`DIRECTIONAL_H`
    rtol : float, default :data:`DIRECTIONAL_RTOL`
    n_directions : int, default :data:`N_DIRECTIONS`
    raise_on_fail : bool, default False

    Returns
    -------
    GradCheckResult
        ``error = max_u |numeric - <grad, u>| / max(||grad||, FD_SCALE_FLOOR |f(x)|)``;
        ``details = {"analytic": [...], "numeric": [...]}``.

    Raises
    ------
    GradientCheckError
        Mismatched shapes, a non-real ``x``, an ``f`` that is not scalar; a
        failed check when ``raise_on_fail`` (the error and tolerance named).

    Notes
    -----
    The default tier of the three; serves every gradient of the paper
    (Eq. 5, Eq. 6) and any other implementation's.
    """
    if not isinstance(rng, np.random.Generator):
        raise GradientCheckError("rng must be a numpy.random.Generator")
    xs, single = _as_blocks(x)
    gs = _gradient(grad, xs, single)
    scale = max(np.sqrt(sum(float(np.sum(g * g)) for g in gs)),
                FD_SCALE_FLOOR * abs(float(_value(f, xs))), np.finfo(float).tiny)
    analytic, numeric = [], []
    for _ in range(n_directions):
        us = [rng.standard_normal(a.shape) for a in xs]
        norm = np.sqrt(sum(float(np.sum(u * u)) for u in us))
        us = [u / norm for u in us]
        analytic.append(sum(float(np.sum(g * u)) for g, u in zip(gs, us)))
        numeric.append(_richardson(f, xs, us, h))
    error = max(abs(n - a) for a, n in zip(analytic, numeric)) / scale
    return _finish("directional", error, rtol, {"analytic": analytic, "numeric": numeric},
                   raise_on_fail)


def check_grad_complex_step(f: Callable[..., Any], grad: Callable[..., Any] | ArrayLike | Sequence[ArrayLike],
                            x: ArrayLike | Sequence[ArrayLike], *, h: float = COMPLEX_STEP_H,
                            rtol: float = COMPLEX_STEP_RTOL, n_worst: int = 5,
                            raise_on_fail: bool = False) -> GradCheckResult:
    """Entrywise complex-step check: ``Im f(x + i h e_k) / h`` against ``grad_k`` for every entry ``k``.

    ``f`` must be complex-safe (analytic in ``x``, no ``abs``/``max`` of
    complex values, no cast to real); every function of
    :mod:`reference.model.transformer` and ``loss``/``loss0`` are. Costs one
    evaluation of ``f`` per entry of ``x``.

    Parameters
    ----------
    f : callable, ``f(*x) -> scalar``, complex-safe
    grad : callable with the signature of ``f``, or array(s) shaped like ``x``
    x : ndarray or tuple of ndarrays (any shapes)
        Real; the point where the gradient is checked.
    h : float, default :data:`COMPLEX_STEP_H`
    rtol : float, default :data:`COMPLEX_STEP_RTOL`
    n_worst : int, default 5
        How many of the worst entries ``details["worst"]`` lists.
    raise_on_fail : bool, default False

    Returns
    -------
    GradCheckResult
        ``error = max_k |cs_k - grad_k| / max_k |cs_k|``; ``details["worst"]``
        lists the worst entries, ``details["numeric"]`` the complex-step gradient.

    Raises
    ------
    GradientCheckError
        ``f`` fails on or returns a real value for complex input (not
        complex-safe); mismatched shapes; a failed check when ``raise_on_fail``
        (the worst entries named).

    Notes
    -----
    The near-exact oracle of the three tiers (``Im f(x + i h e_k) / h`` has no
    subtraction); serves Eq. (5), Eq. (6) and the ``W_ov`` gradient of ``L``.
    """
    xs, single = _as_blocks(x)
    gs = _gradient(grad, xs, single)
    ns = []
    for k, a in enumerate(xs):
        n_k = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            xc = [b.astype(np.complex128) for b in xs]
            xc[k][idx] += 1j * h
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", _ComplexWarning)
                    v = _value(f, xc)
            except (ReferenceValueError, TypeError, _ComplexWarning) as e:
                raise GradientCheckError(f"f is not complex-safe: it failed on complex input ({e})") from e
            if not np.iscomplexobj(v):
                raise GradientCheckError("f is not complex-safe: it returned a real value for complex input")
            n_k[idx] = np.imag(v) / h
        ns.append(n_k)
    scale = max(max((float(np.max(np.abs(n))) for n in ns if n.size), default=0.0), np.finfo(float).tiny)
    error, worst = _worst(xs, gs, ns, scale, n_worst)
    return _finish("complex_step", error, rtol, {"worst": worst, "numeric": ns if not single else ns[0]},
                   raise_on_fail)


def check_grad_entrywise(f: Callable[..., Any], grad: Callable[..., Any] | ArrayLike | Sequence[ArrayLike],
                         x: ArrayLike | Sequence[ArrayLike], *, h: float = ENTRYWISE_H,
                         rtol: float = ENTRYWISE_RTOL, n_worst: int = 5,
                         raise_on_fail: bool = False) -> GradCheckResult:
    """Entrywise central differences (Richardson) against ``grad``, to locate a wrong entry.

    ``(4 D(h/2) - D(h)) / 3`` with ``D(h) = (f(x + h e_k) - f(x - h e_k)) / 2h``
    for every entry ``k``; four evaluations of ``f`` per entry.

    Parameters
    ----------
    f : callable, ``f(*x) -> float``
    grad : callable with the signature of ``f``, or array(s) shaped like ``x``
    x : ndarray or tuple of ndarrays (any shapes)
        Real; check at an ordinary point, not at zero.
    h : float, default :data:`ENTRYWISE_H`
    rtol : float, default :data:`ENTRYWISE_RTOL`
    n_worst : int, default 5
        How many of the worst entries ``details["worst"]`` lists.
    raise_on_fail : bool, default False

    Returns
    -------
    GradCheckResult
        ``error = max_k |fd_k - grad_k| / max(max_k |fd_k|, FD_SCALE_FLOOR |f(x)|)``;
        ``details["worst"]`` lists ``(block, index, analytic, numeric, error)``
        worst first, ``details["numeric"]`` the finite-difference gradient.

    Raises
    ------
    GradientCheckError
        Mismatched shapes, a non-real ``x``, an ``f`` that is not scalar; a
        failed check when ``raise_on_fail`` (the worst entries named).

    Notes
    -----
    The locating tier of the three: use it once a check has failed.
    """
    xs, single = _as_blocks(x)
    gs = _gradient(grad, xs, single)
    ns = []
    for k, a in enumerate(xs):
        n_k = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            e = [np.zeros_like(b) for b in xs]
            e[k][idx] = 1.0
            n_k[idx] = _richardson(f, xs, e, h)
        ns.append(n_k)
    scale = max(max((float(np.max(np.abs(n))) for n in ns if n.size), default=0.0),
                FD_SCALE_FLOOR * abs(float(_value(f, xs))), np.finfo(float).tiny)
    error, worst = _worst(xs, gs, ns, scale, n_worst)
    return _finish("entrywise", error, rtol, {"worst": worst, "numeric": ns if not single else ns[0]},
                   raise_on_fail)
