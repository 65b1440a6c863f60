"""The paper's named constants, its ``C_0`` (one symbol, five meanings) and ``C_1``, and how a statement is returned.

The common vocabulary of :mod:`reference.theory.stage1` (stage 1) and
:mod:`reference.theory.stage2` (stage 2, Section 6): the :class:`Bound` record
each statement function returns, the printed constants (docs/paper.md section 7),
the different ``C_0`` the paper writes with one symbol (the sketch's is in
:mod:`reference.theory.sketch`), and the Library rule on conditions of the form
``t >= K log^p t``.

=======================  ==============================  ==========================================
paper                    code                            meaning
=======================  ==============================  ==========================================
``C_0`` (Theorem 2)      :func:`C0_thm2`                 ``eta0 / (4 ||W*_ov||^2)``; ``Delta = T C_0``
``C_1`` (Theorem 2)      :func:`C1_thm2`                 ``eta / (4 L_max ||W*_kq||^2)``
``C_0`` (Thm 1 sketch)   ``sketch.C0_thm1_sketch``       the constant of Step 3's inequality (p.8)
``C_0`` (Theorem 3)      :func:`C0_thm3`                 the linear-growth constant of the gaps
``C_0`` (p.7)            ``proposition1_loss_exponent``  the rate in ``L_0 = O(exp(-C_0 t))``
``C_0`` (Eq. 11)         (a bound of the proof)          a score-gap threshold in Lemma 7's proof
=======================  ==============================  ==========================================

**Library rule (conditions "t >= K log^p t").** Read literally such a
condition also holds at ``t = 1`` (``log 1 = 0``) and then fails until ``t``
is large; the paper means "t large enough". The library reads it as
``t >= log_threshold(K, p)``: the point after which it holds for every larger
``t`` (see docs/theory.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ConfigError

__all__ = ["Bound", "PROP1_C_MAIN", "PROP1_C_APPENDIX", "COR1_C", "THM2_C_T", "THM2_C_t", "THM1_C_DIR",
           "log_threshold", "C0_thm2", "C1_thm2", "C0_thm3", "theorem3_predicted_C"]

#: Proposition 1's direction constant as printed in the main text and in the appendix (Proposition 3).
PROP1_C_MAIN = 5.0
PROP1_C_APPENDIX = 12.0
#: Corollary 1's constant in ``T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0``.
COR1_C = 384.0
#: Theorem 2's ``c_0`` made explicit by its proof: 384 in the condition on T, 1696 in the one on t.
THM2_C_T = 384.0
THM2_C_t = 1696.0
#: Theorem 1's direction constant: ``54 N L_max^4 ||W*_kq||^4 log^2 t / (t eta)``.
THM1_C_DIR = 54.0
#: Newton steps polishing the Lambert-W root of :func:`log_threshold`: the principal
#: evaluation is accurate to ~1e-12 except next to the branch point; each step squares
#: the relative error, so 4 steps reach float64 resolution from 1e-4.
_NEWTON_STEPS = 4


@dataclass(frozen=True)
class Bound:
    """One inequality of one statement, evaluated at the iterates ``t``.

    Attributes
    ----------
    statement : str
        e.g. ``"Lemma 1"``.
    quantity : str
        What is measured, e.g. ``"||W_ov^(t)|| upper"``; the row's name is ``statement: quantity``.
    field : str
        The trajectory measure the bound applies to (see :data:`reference.audit.MEASURES`).
    sense : str
        ``"<="`` (measured <= value) or ``">="`` (measured >= value).
    value : ndarray, shape (len(t),)
        The bound at each ``t`` (float64; balls, an object array, with an exact backend ``ops``).
    conditions : ndarray of bool, shape (len(t),)
        Whether the statement's conditions hold at each ``t`` (ternary int8 with an exact backend:
        1 proved, 0 undecided, -1 refuted; :mod:`reference.theory.arith`).
    printed : str
        The inequality as the paper prints it.
    erratum : str
        Non-empty if docs/theory.md records the printed inequality as false: the erratum's key.
    corrects : str
        For a corrected statement: the name of the printed row it replaces.
    """

    statement: str
    quantity: str
    field: str
    sense: str
    value: NDArray[np.float64] | NDArray[np.object_]
    conditions: NDArray[np.bool_] | NDArray[np.int8]
    printed: str
    erratum: str = ""
    corrects: str = ""

    @property
    def name(self) -> str:
        """``"statement: quantity"``, the row's key in the audit."""
        return f"{self.statement}: {self.quantity}"


def _t(t: ArrayLike) -> NDArray[np.float64]:
    return np.atleast_1d(np.asarray(t, dtype=np.float64))


def _positive(**named: float) -> None:
    """Raise ConfigError naming the first constant that is not a finite number > 0.

    Every statement is phrased for steps ``eta0, eta > 0``, ``||W*|| > 0`` (``W*_kq = 0``
    means no ordered pair: the stage-2 statements say nothing) and counts >= 1.
    """
    for name, x in named.items():
        if hasattr(x, "mid") and hasattr(x, "rad"):      # a ball of a certified run (validated there)
            continue
        if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) \
                or not math.isfinite(x) or x <= 0:
            raise ConfigError(f"{name} must be a finite number > 0, got {x!r}")


def _full(t: NDArray[np.float64], flag: bool) -> NDArray[np.bool_]:
    return np.full(t.shape, bool(flag))


def _log_pos(t: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log t`` for ``t >= 1`` and nan below (where the statements are not phrased)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t >= 1, np.log(np.maximum(t, 1.0)), np.nan)


def log_threshold(K: float, p: int) -> float:
    """Smallest ``t0 >= 1`` with ``t >= K (log t)^p`` for every real ``t >= t0`` (Library rule above).

    With ``u = log t`` the condition reads ``exp(u/p) >= c u``, ``c = K^(1/p)``; the
    left side is convex, so it fails on one interval of ``u`` or nowhere. It holds
    everywhere iff ``c p <= e``; otherwise ``t0 = exp(u0)`` with
    ``u0 = -p W_{-1}(-1/(c p))`` its larger root (``W_{-1}`` the lower branch of
    Lambert's W), polished by Newton steps on ``u/p - log u - log c = 0``.
    Serves the conditions of Corollary 1 (``p = 1``) and Theorem 2 (``p = 1, 2``).

    Parameters
    ----------
    K : float
        The constant (finite; ``K <= 0`` means the condition always holds).
    p : int
        Power of the logarithm (1 or 2 in the paper), ``p >= 1``.

    Returns
    -------
    t0 : float
        1.0 when the condition holds for all ``t >= 1``.

    Raises
    ------
    ConfigError
        ``K`` not finite or ``p < 1``.
    """
    if not math.isfinite(K) or isinstance(p, bool) or p < 1:
        raise ConfigError(f"log_threshold needs a finite K and p >= 1, got K={K!r}, p={p!r}")
    if K <= 0:
        return 1.0
    log_c = math.log(K) / p
    log_cp = log_c + math.log(p)
    if log_cp <= 1.0:                                   # c p <= e: no crossing
        return 1.0
    from scipy.special import lambertw                         # SciPy only where it is used
    u = float(np.real(-p * lambertw(-math.exp(-log_cp), -1)))
    for _ in range(_NEWTON_STEPS):                      # f(u) = u/p - log u - log c, f' = 1/p - 1/u > 0
        u -= (u / p - math.log(u) - log_c) / (1.0 / p - 1.0 / u)
    return math.exp(u)


# ---------------------------------------------------------------- Theorem 2's and Theorem 3's C_0, and C_1

def C0_thm2(eta0: float, star_norm_ov: float) -> float:
    """``C_0 = eta0 / (4 ||W*_ov||^2)`` of Theorem 2 (also Corollary 1's ``Delta = T C_0``).

    Parameters
    ----------
    eta0 : float
        Stage-1 step of Algorithm 1.
    star_norm_ov : float
        ``||W*_ov||`` (Eq. 2), ``sqrt(|V| - 1)`` under Assumption 2.

    Returns
    -------
    float

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    _positive(eta0=eta0, star_norm_ov=star_norm_ov)
    return eta0 / (4.0 * star_norm_ov ** 2)


def C1_thm2(eta: float, L_max: int, star_norm_kq: float) -> float:
    """``C_1 = eta / (4 L_max ||W*_kq||^2)`` of Theorem 2 (the rate of ``phi_+ -> 1`` in Eq. 4).

    Parameters
    ----------
    eta : float
        Stage-2 step of Algorithm 1.
    L_max : int
        Longest sentence of ``D_0``.
    star_norm_kq : float
        ``||W*_kq||`` (Eq. 3).

    Returns
    -------
    float

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    _positive(eta=eta, L_max=L_max, star_norm_kq=star_norm_kq)
    return eta / (4.0 * L_max * star_norm_kq ** 2)


def C0_thm3(gap: ArrayLike, t: ArrayLike, tail: float = 0.5) -> float:
    """``C`` of Theorem 3 measured: ``min gap(t) / t`` over the last ``tail`` fraction of ``t``.

    Theorem 3 claims ``gap(t) >= C t`` with ``C > 0`` for ``t`` large; a positive
    value over the tail is the finite-run witness of that claim.

    Parameters
    ----------
    gap : array_like, shape (n,)
        ``min (x* - x0)^T W_kq^(t) x_q`` or ``min (x0 - x)^T W_kq^(t) x_q`` at each ``t`` (nan: undefined).
    t : array_like, shape (n,)
        The iterates.
    tail : float in (0, 1]
        Share of the run (the last iterates) the minimum is taken over.

    Returns
    -------
    float
        nan if no finite ``gap`` with ``t > 0`` lies in the tail.
    """
    gap, t = np.asarray(gap, dtype=np.float64), _t(t)
    keep = (t >= (1 - tail) * t.max()) & (t > 0) & np.isfinite(gap)
    return float(np.min(gap[keep] / t[keep])) if keep.any() else np.nan


def theorem3_predicted_C(eta: float, gap_star: float, star_norm_kq: float) -> float:
    """The slope ``eta gap(W*_kq) / ||W*_kq||`` that direction convergence predicts for Theorem 3's gaps.

    If ``W_kq^(t) ~ t eta W*_kq / ||W*_kq||`` (Theorem 1 with ``||W_kq^(t)|| ~ t eta``),
    a gap that is linear in ``W`` grows like ``t eta gap(W*_kq) / ||W*_kq||``.

    Parameters
    ----------
    eta : float
        Stage-2 step.
    gap_star : float
        The gap of ``W*_kq``.
    star_norm_kq : float
        ``||W*_kq||``.

    Returns
    -------
    float
    """
    return eta * gap_star / star_norm_kq
