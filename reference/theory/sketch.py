"""The proof sketch of Theorem 1 (Section 5.3, p.8): Step 3's inequality and its constant ``C_0``.

Step 3 of the sketch states, "for some constant ``C_0``",

    <grad L(theta^(t)), W_kq^(t)>
        >=  (1 + C_0 log||W_kq^(t)|| / ||W_kq^(t)||) <grad L(theta^(t)), W*_kq> ||W_kq^(t)|| / ||W*_kq||,

the informal form of Lemma 7 (p.23), whose factor is ``1 + alpha_t`` with
``alpha_t = 4 N L_max^2 ||W*_kq||^2 (1 + log(2 L_max ||W_kq^(t)||)) / ||W_kq^(t)||``. This ``C_0`` is a
constant of its own: the paper also writes ``C_0`` for Theorem 2's ``eta0 / (4||W*_ov||^2)``
(:func:`~reference.theory.C0_thm2`), Theorem 3's growth constant (:func:`~reference.theory.C0_thm3`), the
decay rate of ``L_0`` after Proposition 1 (p.7) and the threshold of Eq. (11) (p.23).

:func:`C0_thm1_sketch` is the constant for which Lemma 7 implies the sketch wherever
``||W_kq^(t)|| >= e``: since ``1 + log(2 L_max ||W||) = log(2 e L_max) + log||W|| <= (1 + log(2 e L_max))
log||W||`` when ``log||W|| >= 1``, ``alpha_t <= C_0 log||W|| / ||W||`` with ``C_0 = 4 N L_max^2 ||W*_kq||^2
(1 + log(2 e L_max))``, and ``<grad, W*_kq> <= 0`` turns the larger factor into the weaker bound. (From
``t_0`` on Lemma 6 gives ``||W_kq^(t)|| >= 4 ||W*_kq|| >= 2 sqrt 2 > e``.) :func:`sketch_C0_needed` is the
smallest constant a run needs at each ``t``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .constants import _positive

__all__ = ["C0_thm1_sketch", "sketch_alpha", "sketch_C0_needed"]


def C0_thm1_sketch(N: int, L_max: int, star_norm_kq: float) -> float:
    """``C_0`` of the sketch's Step 3 (p.8): ``4 N L_max^2 ||W*_kq||^2 (1 + log(2 e L_max))``.

    The constant for which Lemma 7 implies the sketch's inequality at every ``t >= t_0`` with
    ``||W_kq^(t)|| >= e`` (module docstring); the sketch says only "some constant".

    Parameters
    ----------
    N, L_max : int
        Number of distinct sentences, longest sentence.
    star_norm_kq : float
        ``||W*_kq||`` (Eq. 3).

    Returns
    -------
    float

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.

    Notes
    -----
    Serves the proof sketch of Theorem 1 (row ``SKETCH`` of the proof audit).
    """
    _positive(N=N, L_max=L_max, star_norm_kq=star_norm_kq)
    return 4.0 * N * L_max ** 2 * star_norm_kq ** 2 * (1.0 + math.log(2.0 * math.e * L_max))


def sketch_alpha(norm_kq: float | NDArray[np.float64], C0: float, xp: Any = np) -> float | NDArray[np.float64]:
    """The sketch's ``C_0 log||W_kq^(t)|| / ||W_kq^(t)||`` (p.8), the counterpart of Lemma 7's ``alpha_t``.

    Parameters
    ----------
    norm_kq : ndarray, shape (n,), or float
        ``||W_kq^(t)||``.
    C0 : float
        The sketch's constant (:func:`C0_thm1_sketch`).
    xp : module or backend, optional
        Supplies ``log``.

    Returns
    -------
    array, shape (n,)
    """
    return C0 * xp.log(norm_kq) / norm_kq


def sketch_C0_needed(ugrad_W: ArrayLike, ugrad_Wstar: ArrayLike, norm_kq: ArrayLike, star_norm_kq: float
                     ) -> NDArray[np.float64]:
    """The smallest ``C_0`` for which the sketch's inequality holds at each ``t`` (p.8).

    With ``g = grad / ||grad||`` and ``<g, W*_kq> < 0``, ``log||W_kq^(t)|| > 0``, the inequality reads
    ``C_0 >= (<g, W^(t)> / (<g, W*_kq> r_t) - 1) ||W^(t)|| / log||W^(t)||``, ``r_t = ||W^(t)|| / ||W*_kq||``.

    Parameters
    ----------
    ugrad_W, ugrad_Wstar : array_like, shape (n,)
        ``<g, W_kq^(t)>`` and ``<g, W*_kq>``.
    norm_kq : array_like, shape (n,)
        ``||W_kq^(t)||``.
    star_norm_kq : float

    Returns
    -------
    ndarray, shape (n,)
        nan where ``<g, W*_kq> >= 0`` or ``||W_kq^(t)|| <= 1`` (no constant is defined by the inequality there).

    Raises
    ------
    ConfigError
        ``star_norm_kq`` not a finite number > 0.
    """
    _positive(star_norm_kq=star_norm_kq)
    gw, gs, w = (np.asarray(x, dtype=np.float64) for x in (ugrad_W, ugrad_Wstar, norm_kq))
    with np.errstate(all="ignore"):
        need = (gw / (gs * w / star_norm_kq) - 1.0) * w / np.log(w)
        return np.where((gs < 0) & (w > 1), need, np.nan)
