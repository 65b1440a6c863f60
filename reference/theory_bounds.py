"""Every statement of the paper's Sections 4-6 as a pure function of its constants (PAPER.md Section 7).

This module holds the common parts (:class:`Bound`, the named constants, the
three ``C_0``, :func:`log_threshold`) and the stage-1 statements (Section 4.2);
the stage-2 and Section-6 statements live in :mod:`reference.theory_stage2`.
:mod:`reference.theory` gathers both.

Each function takes the constants a statement is phrased in (``abs(V)``,
``N``, ``L_max``, ``||W*_ov||``, ``||W*_kq||``, ``eta0``, ``eta``, ``T``) and
the iterates ``t`` (an array), and returns a tuple of :class:`Bound`: one per
inequality, with the bound and whether the statement's conditions hold at
every ``t``. :mod:`reference.audit` evaluates them on a trajectory.

=====================  ======================  ==========================================
paper                  code                    meaning
=====================  ======================  ==========================================
``C_0`` (Theorem 2)    :func:`C0_thm2`         ``eta0 / (4 ||W*_ov||^2)``; ``Delta = T C_0``
``C_1`` (Theorem 2)    :func:`C1_thm2`         ``eta / (4 L_max ||W*_kq||^2)``
``C_0`` (Thm 1 sketch) :func:`C0_thm1_sketch`  the common stage-1 margin the sketch fixes
``C_0`` (Theorem 3)    :func:`C0_thm3`         the linear-growth constant of the gaps
``t_0`` (Lemma 7)      :func:`lemma7_t0`       ``ceil(8 L_max ||W*_kq||^2 / eta)``
=====================  ======================  ==========================================

**Library rule (conditions "t >= K log^p t").** Read literally such a
condition also holds at ``t = 1`` (``log 1 = 0``) and then fails until ``t``
is large; the paper means "t large enough". The library reads it as
``t >= log_threshold(K, p)``: the point after which it holds for every larger
``t`` (see docs/theory.md).
"""

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Bound", "PROP1_C_MAIN", "PROP1_C_APPENDIX", "COR1_C", "THM2_C_T", "THM2_C_t", "THM1_C_DIR",
    "log_threshold", "C0_thm2", "C1_thm2", "C0_thm1_sketch", "C0_thm3", "theorem3_predicted_C", "lemma1",
    "proposition1", "proposition1_loss_exponent", "lemma3", "corollary1_condition", "corollary1",
]

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
        The bound at each ``t``.
    conditions : ndarray of bool, shape (len(t),)
        Whether the statement's conditions hold at each ``t``.
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
    value: np.ndarray
    conditions: np.ndarray
    printed: str
    erratum: str = ""
    corrects: str = ""

    @property
    def name(self):
        """``"statement: quantity"``, the row's key in the audit."""
        return f"{self.statement}: {self.quantity}"


def _t(t):
    return np.atleast_1d(np.asarray(t, dtype=np.float64))


def _full(t, flag):
    return np.full(t.shape, bool(flag))


def _log_pos(t):
    """``log t`` for ``t >= 1`` and nan below (where the statements are not phrased)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t >= 1, np.log(np.maximum(t, 1.0)), np.nan)


def log_threshold(K, p):
    """Smallest ``t0 >= 1`` with ``t >= K log(t)^p`` for every real ``t >= t0`` (Library rule above).

    Parameters
    ----------
    K : float
        Non-negative constant.
    p : int
        Power of the logarithm (1 or 2 in the paper).

    Returns
    -------
    t0 : float
        1.0 when the condition holds for all ``t >= 1``.
    """
    if K <= 0:
        return 1.0
    g = lambda s: math.exp(s) - K * s ** p          # noqa: E731 (s = log t)
    # g(s) -> +inf as s -> inf; find the last sign change on a grid of log t, then bisect
    hi = max(1.0, p * math.log(K + 1.0) + 1.0)
    while g(hi) <= 0 or g(2 * hi) <= 0:
        hi *= 2
    grid = np.linspace(0.0, 2 * hi, 20001)
    neg = [s for s in grid if g(s) < 0]
    if not neg:
        return 1.0
    a, b = neg[-1], neg[-1] + grid[1]
    for _ in range(200):
        m = 0.5 * (a + b)
        a, b = (m, b) if g(m) < 0 else (a, m)
    return math.exp(b)


# ---------------------------------------------------------------- the three C_0 and C_1

def C0_thm2(eta0, star_norm_ov):
    """``C_0 = eta0 / (4 ||W*_ov||^2)`` of Theorem 2 (also Corollary 1's ``Delta = T C_0``)."""
    return eta0 / (4.0 * star_norm_ov ** 2)


def C1_thm2(eta, L_max, star_norm_kq):
    """``C_1 = eta / (4 L_max ||W*_kq||^2)`` of Theorem 2."""
    return eta / (4.0 * L_max * star_norm_kq ** 2)


def C0_thm1_sketch(margins):
    """``C_0`` of the proof sketch of Theorem 1: the common margin ``(e_{In(x)} - e_v)^T W_ov^(T) x``.

    The sketch (after Corollary 1) treats every stage-1 margin as one
    constant; this returns it, or raises if the margins are not all equal.

    Parameters
    ----------
    margins : array_like
        The margins over all ``x`` and ``v != In(x)`` (or just their min and max).

    Raises
    ------
    ValueError
        If the margins differ (the sketch's reading does not apply).
    """
    m = np.asarray(margins, dtype=np.float64)
    if m.size == 0 or m.max() != m.min():
        raise ValueError("C0_thm1_sketch: the stage-1 margins are not all equal")
    return float(m.max())


def C0_thm3(gap, t, tail=0.5):
    """``C`` of Theorem 3 measured: ``min gap(t) / t`` over the last ``tail`` fraction of ``t``.

    Theorem 3 claims ``gap(t) >= C t`` with ``C > 0`` for ``t`` large; a positive
    value over the tail is the finite-run witness of that claim.
    """
    gap, t = np.asarray(gap, dtype=np.float64), _t(t)
    keep = (t >= (1 - tail) * t.max()) & (t > 0) & np.isfinite(gap)
    return float(np.min(gap[keep] / t[keep])) if keep.any() else np.nan


def theorem3_predicted_C(eta, gap_star, star_norm_kq):
    """The slope ``eta gap(W*_kq) / ||W*_kq||`` that direction convergence predicts for Theorem 3's gaps."""
    return eta * gap_star / star_norm_kq


# ---------------------------------------------------------------- stage 1

def lemma1(t, *, eta0, star_norm_ov, init_norm=0.0):
    """Lemma 1: ``t eta0 + ||W_ov^(0)|| >= ||W_ov^(t)|| >= t eta0 / (2||W*_ov||) - ||W_ov^(0)||``.

    Conditions: Assumptions 1-2 (any initialisation), every ``t``.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-1 iterates.
    eta0 : float
        Stage-1 step.
    star_norm_ov : float
        ``||W*_ov||`` (Eq. 2).
    init_norm : float
        ``||W_ov^(0)||``.

    Returns
    -------
    tuple of Bound
        One per inequality; ``value`` and ``conditions`` have shape ``(len(t),)``.
    """
    t = _t(t)
    c = _full(t, True)
    return (Bound("Lemma 1", "||W_ov^(t)|| upper", "norm_ov", "<=", t * eta0 + init_norm, c,
                  "||W_ov^(t)|| <= t eta0 + ||W_ov^(0)||"),
            Bound("Lemma 1", "||W_ov^(t)|| lower", "norm_ov", ">=",
                  t * eta0 / (2 * star_norm_ov) - init_norm, c,
                  "||W_ov^(t)|| >= t eta0 / (2||W*_ov||) - ||W_ov^(0)||"))


def proposition1(t, *, eta0, star_norm_ov, n_tokens, zero_init):
    """Proposition 1: norm bounds and direction error ``<= c ||W*_ov||^3 log(2|V|) log t / (t eta0)``.

    Both printed constants, ``c = 5`` (main text) and ``c = 12`` (appendix), give a row.
    Conditions: Assumptions 1-2, zero initialisation, ``t >= 2``.

    Parameters
    ----------
    t : array_like of int, shape (n,)
    eta0, star_norm_ov : float
        Stage-1 step and ``||W*_ov||``.
    n_tokens : int
        ``|V|``.
    zero_init : bool
        Whether ``W_ov^(0) = 0`` (and Assumptions 1-2 hold).

    Returns
    -------
    tuple of Bound
        One per inequality; ``value`` and ``conditions`` have shape ``(len(t),)``.
    """
    t = _t(t)
    c = (t >= 2) & bool(zero_init)
    err = star_norm_ov ** 3 * math.log(2 * n_tokens) * _log_pos(t) / (np.maximum(t, 1) * eta0)
    return (Bound("Proposition 1", "||W_ov^(t)|| lower", "norm_ov", ">=", t * eta0 / (2 * star_norm_ov), c,
                  "||W_ov^(t)|| >= t eta0 / (2||W*_ov||)"),
            Bound("Proposition 1", "||W_ov^(t)|| upper", "norm_ov", "<=", t * eta0, c,
                  "||W_ov^(t)|| <= t eta0"),
            Bound("Proposition 1", "direction error (c=5, main text)", "dir_err_ov", "<=", PROP1_C_MAIN * err, c,
                  "1 - <W_bar_ov, W_bar*_ov> <= 5 ||W*_ov||^3 log(2|V|) log t / (t eta0)"),
            Bound("Proposition 1", "direction error (c=12, appendix)", "dir_err_ov", "<=",
                  PROP1_C_APPENDIX * err, c,
                  "1 - <W_bar_ov, W_bar*_ov> <= 12 ||W*_ov||^3 log(2|V|) log t / (t eta0)"))


def proposition1_loss_exponent(eta0, star_norm_ov):
    """The exponent of Proposition 1's ``L_0 <= O(exp(-eta0 t / (4||W*_ov||)))``: ``eta0 / (4||W*_ov||)``."""
    return eta0 / (4.0 * star_norm_ov)


def lemma3(t, *, zero_init):
    """Lemma 3: with zero init every wrong logit is equal, ``(e_i - e_i')^T W_ov^(t) x = 0``.

    Parameters
    ----------
    t : array_like of int, shape (n,)
    zero_init : bool

    Returns
    -------
    tuple of Bound
        One per inequality; ``value`` and ``conditions`` have shape ``(len(t),)``.
    """
    t = _t(t)
    return (Bound("Lemma 3", "wrong-logit spread", "wrong_spread", "<=", np.zeros(t.shape),
                  _full(t, zero_init), "(e_i - e_i')^T W_ov^(t) x = 0 for i, i' != In(x)"),)


def corollary1_condition(T, *, eta0, star_norm_ov, n_tokens):
    """Corollary 1's condition ``T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0`` (Library rule), per T."""
    K = COR1_C * star_norm_ov ** 5 * math.log(2 * n_tokens) / eta0
    return _t(T) >= log_threshold(K, 1)


def corollary1(t, *, eta0, star_norm_ov, n_tokens, zero_init):
    """Corollary 1: stage-1 margins in ``(Delta, 3 Delta)``, ``Delta = T eta0 / (4||W*_ov||^2)`` (``T = t``).

    Returns the printed bounds, the corrected upper bound ``4 ||W*_ov|| Delta``
    (erratum ``corollary1-upper``: with zero init every margin equals
    ``T eta0 / ||W*_ov|| = 4 ||W*_ov|| Delta >= 4 Delta``), and the equal-margins
    fact the stage-2 proofs use. Conditions: Assumptions 1-2, zero init, the condition on T.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-1 iterates, each read as Corollary 1's ``T``.
    eta0, star_norm_ov : float
    n_tokens : int
    zero_init : bool

    Returns
    -------
    tuple of Bound
        One per inequality; ``value`` and ``conditions`` have shape ``(len(t),)``.
    """
    t = _t(t)
    delta = t * C0_thm2(eta0, star_norm_ov)
    c = corollary1_condition(t, eta0=eta0, star_norm_ov=star_norm_ov, n_tokens=n_tokens) & bool(zero_init)
    printed_up = "Corollary 1: margin upper (printed 3 Delta)"
    return (Bound("Corollary 1", "margin lower (Delta)", "margin_min", ">=", delta, c,
                  "(e_In(x) - e_i)^T W_ov^(T) x > Delta"),
            Bound("Corollary 1", "margin upper (printed 3 Delta)", "margin_max", "<=", 3 * delta, c,
                  "(e_In(x) - e_i)^T W_ov^(T) x < 3 Delta", erratum="corollary1-upper"),
            Bound("Corollary 1", "margin upper (corrected 4||W*_ov|| Delta)", "margin_max", "<=",
                  4 * star_norm_ov * delta, c, "(corrected) margin <= 4 ||W*_ov|| Delta = T eta0 / ||W*_ov||",
                  corrects=printed_up),
            Bound("Corollary 1", "margins all equal (used by the stage-2 proofs)", "margin_spread", "<=",
                  np.zeros(t.shape), _full(t, zero_init), "max margin - min margin = 0"))

