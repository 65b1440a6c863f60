"""The stage-2 statements (Section 5: Lemmas 5-7, Theorems 1-2) and Proposition 2's closed form.

Pure functions of the constants, each returning :class:`~reference.theory_bounds.Bound`
rows; see :mod:`reference.theory_bounds` for the conventions (conditions per
iterate, the Library rule on ``t >= K log^p t``) and the named constants.
"""

import math

import numpy as np

from .theory_bounds import (THM1_C_DIR, THM2_C_T, THM2_C_t, Bound, C0_thm2, C1_thm2, _full, _log_pos, _t,
                            log_threshold)

__all__ = ["lemma5", "lemma6", "lemma7_t0", "lemma7_alpha", "lemma7", "theorem1", "theorem2_conditions",
           "theorem2", "proposition2_closed_form"]


def lemma5(t, *, L_max, zero_init, assumption3):
    """Lemma 5: optimal attention never drops, ``phi_+`` non-decreasing, optimal >= non-optimal.

    Conditions: Assumptions 1-3, zero initialisation of both stages.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    L_max : int
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.

    Returns
    -------
    tuple of Bound
        One per inequality; ``value`` and ``conditions`` have shape ``(len(t),)``.
    """
    t = _t(t)
    c = _full(t, zero_init and assumption3)
    z = np.zeros(t.shape)
    return (Bound("Lemma 5", "phi_l^(n,t) >= 1/L_max (optimal l)", "opt_att_min", ">=", z + 1.0 / L_max, c,
                  "phi_l^(n,t) >= phi_l^(n,0) >= 1/L_max"),
            Bound("Lemma 5", "phi_l^(n,0) - phi_l^(n,t) (optimal l)", "opt_drop_max", "<=", z, c,
                  "phi_l^(n,t) >= phi_l^(n,0)"),
            Bound("Lemma 5", "phi_+^(n,t-1) - phi_+^(n,t)", "phi_plus_decrease_max", "<=", z, c & (t >= 1),
                  "phi_+^(n,t) non-decreasing in t"),
            Bound("Lemma 5", "min opt - max non-opt attention", "opt_minus_nonopt_min", ">=", z, c,
                  "optimal positions never get less attention than non-optimal ones"))


def lemma6(t, *, eta, L_max, star_norm_kq, phi_plus_min, init_norm=0.0, zero_init, assumption3):
    """Lemma 6: ``t eta + ||W^(0)|| >= ||W_kq^(t)|| >= t eta / (2 L_max ||W*_kq||) - ||W^(0)||``,
    and ``<grad/||grad||, W_bar*_kq> <= -min_n phi_+^(n,t) / (2||W*_kq||)``.

    Conditions: Assumptions 1-3, zero initialisation (the lower bounds use Lemma 5).

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    eta, star_norm_kq : float
        Stage-2 step and ``||W*_kq||`` (Eq. 3).
    L_max : int
    phi_plus_min : array_like, shape (n,)
        Measured ``min_n phi_+^(n,t)``.
    init_norm : float
        ``||W_kq^(0)||``.
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.

    Returns
    -------
    tuple of Bound
        One per inequality; ``value`` and ``conditions`` have shape ``(len(t),)``.
    """
    t = _t(t)
    c = _full(t, zero_init and assumption3)
    phi_plus_min = np.broadcast_to(np.asarray(phi_plus_min, dtype=np.float64), t.shape)
    return (Bound("Lemma 6", "||W_kq^(t)|| upper", "norm_kq", "<=", t * eta + init_norm, _full(t, True),
                  "||W_kq^(t)|| <= t eta + ||W_kq^(0)||"),
            Bound("Lemma 6", "||W_kq^(t)|| lower", "norm_kq", ">=",
                  t * eta / (2 * L_max * star_norm_kq) - init_norm, c,
                  "||W_kq^(t)|| >= t eta / (2 L_max ||W*_kq||) - ||W_kq^(0)||"),
            Bound("Lemma 6", "<grad/||grad||, W_bar*_kq>", "ugrad_star", "<=",
                  -phi_plus_min / (2 * star_norm_kq), c,
                  "<grad/||grad||, W_bar*_kq> <= -min_n phi_+^(n,t) / (2||W*_kq||)"))


def lemma7_t0(eta, L_max, star_norm_kq):
    """``t_0 = ceil(8 L_max ||W*_kq||^2 / eta)`` of Lemma 7."""
    return int(math.ceil(8.0 * L_max * star_norm_kq ** 2 / eta))


def lemma7_alpha(norm_kq, *, N, L_max, star_norm_kq):
    """``alpha_t = 4 N L_max^2 ||W*_kq||^2 (1 + log(2 L_max ||W_kq^(t)||)) / ||W_kq^(t)||`` (Lemma 7)."""
    w = np.asarray(norm_kq, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 4.0 * N * L_max ** 2 * star_norm_kq ** 2 * (1 + np.log(2 * L_max * w)) / w


def lemma7(t, *, eta, N, L_max, star_norm_kq, norm_kq, ugrad_Wstar, zero_init, assumption3):
    """Lemma 7: ``<g, W^(t)> >= (1 + alpha_t) <g, W*_kq> ||W^(t)|| / ||W*_kq||`` for ``t >= t_0``.

    Written for the unit gradient ``g = grad/||grad||``; ``ugrad_Wstar = <g, W*_kq>`` and
    ``norm_kq = ||W_kq^(t)||`` are measured. Conditions: Assumptions 1-3, zero init, ``t >= t_0``.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    eta, star_norm_kq : float
    N, L_max : int
    norm_kq, ugrad_Wstar : array_like, shape (n,)
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.

    Returns
    -------
    tuple of Bound
        One per inequality; ``value`` and ``conditions`` have shape ``(len(t),)``.
    """
    t = _t(t)
    w = np.broadcast_to(np.asarray(norm_kq, dtype=np.float64), t.shape)
    g = np.broadcast_to(np.asarray(ugrad_Wstar, dtype=np.float64), t.shape)
    alpha = lemma7_alpha(w, N=N, L_max=L_max, star_norm_kq=star_norm_kq)
    with np.errstate(invalid="ignore"):
        value = (1 + alpha) * g * w / star_norm_kq
    c = (t >= lemma7_t0(eta, L_max, star_norm_kq)) & bool(zero_init and assumption3)
    return (Bound("Lemma 7", "<g, W_kq^(t)>", "ugrad_W", ">=", value, c,
                  "<grad, W^(t)> >= (1 + alpha_t) <grad, W*_kq> ||W^(t)|| / ||W*_kq||"),)


def theorem1(t, *, eta, N, L_max, star_norm_kq, zero_init, assumption3):
    """Theorem 1: ``t eta / (2||W*_kq||) <= ||W_kq^(t)|| <= t eta`` and direction error
    ``<= 54 N L_max^4 ||W*_kq||^4 log^2 t / (t eta)``.

    Conditions: Assumptions 1-3, zero init, ``eta <= ||W*_kq|| / e`` (the proof's reading of
    ``eta < O(1)``), ``t >= 2``. The printed lower norm bound lacks the ``1/L_max`` of
    Lemma 6, which is all its proof gives; a second row carries Lemma 6's form. The
    printed form is not known to be false (docs/theory.md: a proof gap).

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    eta, star_norm_kq : float
    N, L_max : int
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.

    Returns
    -------
    tuple of Bound
        One per inequality; ``value`` and ``conditions`` have shape ``(len(t),)``.
    """
    t = _t(t)
    c = (t >= 2) & bool(zero_init and assumption3 and eta <= star_norm_kq / math.e)
    err = THM1_C_DIR * N * L_max ** 4 * star_norm_kq ** 4 * _log_pos(t) ** 2 / (np.maximum(t, 1) * eta)
    return (Bound("Theorem 1", "||W_kq^(t)|| lower (printed)", "norm_kq", ">=", t * eta / (2 * star_norm_kq), c,
                  "||W_kq^(t)|| >= t eta / (2||W*_kq||)"),
            Bound("Theorem 1", "||W_kq^(t)|| lower (Lemma 6's form)", "norm_kq", ">=",
                  t * eta / (2 * L_max * star_norm_kq), c,
                  "||W_kq^(t)|| >= t eta / (2 L_max ||W*_kq||) (what Lemma 6 proves)"),
            Bound("Theorem 1", "||W_kq^(t)|| upper", "norm_kq", "<=", t * eta, c, "||W_kq^(t)|| <= t eta"),
            Bound("Theorem 1", "direction error", "dir_err_kq", "<=", err, c,
                  "1 - <W_bar_kq, W_bar*_kq> <= 54 N L_max^4 ||W*_kq||^4 log^2 t / (t eta)"))


def theorem2_conditions(t, *, T, eta0, eta, n_tokens, N, L_max, star_norm_ov, star_norm_kq):
    """Theorem 2's conditions with the proof's constants (Library rule on ``log`` conditions).

    ``T >= 384 ||W*_ov||^5 log|V| log T / eta0`` and
    ``t >= 1696 N L_max^4 ||W*_kq||^6 log^2 t / eta``.

    Returns
    -------
    ok_T : bool
    ok_t : ndarray of bool, shape (len(t),)
    """
    K_T = THM2_C_T * star_norm_ov ** 5 * math.log(n_tokens) / eta0
    K_t = THM2_C_t * N * L_max ** 4 * star_norm_kq ** 6 / eta
    return bool(T >= log_threshold(K_T, 1)), _t(t) >= log_threshold(K_t, 2)


def theorem2(t, *, T, eta0, eta, n_tokens, N, L_max, star_norm_ov, star_norm_kq, zero_init, assumption3):
    """Theorem 2: ``min_n phi_+^(n,t) >= 1/(1 + L_max e^{-C_1 t})`` and
    ``L <= |V| exp(-T C_0 (1 - 2 L_max / (L_max + e^{C_1 t})))`` (Eq. 4), the latter in log form.

    Conditions as printed: Assumptions 1-3, zero init and :func:`theorem2_conditions`.
    Both printed rows are known false (erratum ``theorem2-step-size``: with a huge
    ``eta`` the conditions hold from ``t = 1`` while a sentence whose loss is
    exponentially small gets no share of the normalised step). The corrected rows
    add Theorem 1's step-size condition ``eta <= ||W*_kq|| / e``, which the proof
    inherits.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    T : int
        Stage-1 iterations.
    eta0, eta, star_norm_ov, star_norm_kq : float
    n_tokens, N, L_max : int
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.

    Returns
    -------
    tuple of Bound
        One per inequality; ``value`` and ``conditions`` have shape ``(len(t),)``.
    """
    t = _t(t)
    ok_T, ok_t = theorem2_conditions(t, T=T, eta0=eta0, eta=eta, n_tokens=n_tokens, N=N, L_max=L_max,
                                     star_norm_ov=star_norm_ov, star_norm_kq=star_norm_kq)
    c = ok_t & (ok_T and zero_init and assumption3)
    c_fix = c & (eta <= star_norm_kq / math.e)
    C0, C1 = C0_thm2(eta0, star_norm_ov), C1_thm2(eta, L_max, star_norm_kq)
    e = np.exp(-C1 * t)                                 # e^{-C_1 t}, no overflow
    frac = 2 * L_max * e / (L_max * e + 1)               # 2 L_max / (L_max + e^{C_1 t})
    att, log_loss = 1 / (1 + L_max * e), math.log(n_tokens) - T * C0 * (1 - frac)
    p_att = "min_n phi_+^(n,t) >= 1 / (1 + L_max exp(-C_1 t))"
    p_loss = "L <= |V| exp(-T C_0 (1 - 2 L_max / (L_max + exp(C_1 t))))"
    fix = " (corrected: eta <= ||W*_kq||/e)"
    return (Bound("Theorem 2", "min_n phi_+^(n,t) (printed)", "phi_plus_min", ">=", att, c, p_att,
                  erratum="theorem2-step-size"),
            Bound("Theorem 2", "log L(theta^(t)) (printed)", "log_loss", "<=", log_loss, c, p_loss,
                  erratum="theorem2-step-size"),
            Bound("Theorem 2", "min_n phi_+^(n,t) (corrected)", "phi_plus_min", ">=", att, c_fix, p_att + fix,
                  corrects="Theorem 2: min_n phi_+^(n,t) (printed)"),
            Bound("Theorem 2", "log L(theta^(t)) (corrected)", "log_loss", "<=", log_loss, c_fix, p_loss + fix,
                  corrects="Theorem 2: log L(theta^(t)) (printed)"))


# ---------------------------------------------------------------- Section 6

def proposition2_closed_form(ds, orders=None):
    """Proposition 2's printed closed form of ``W*_kq`` in token coordinates ``A* = E^T W*_kq E``.

    Column ``q``: ``|N|/(|O|+|N|)`` on optimal tokens, ``-|O|/(|O|+|N|)`` on
    non-optimal ones, 0 on non-comparable ones; columns of tokens never a query are 0.

    Returns
    -------
    A : ndarray, shape (|V|, |V|)
        ``A[i, q] = x_i^T W*_kq x_q``.
    """
    from .structure import query_orders
    orders = query_orders(ds) if orders is None else orders
    V = ds.vocab.n_tokens
    A = np.zeros((V, V))
    for q, o in orders.items():
        nO, nN = len(o.optimal), len(o.non_optimal)
        if nO + nN:
            A[list(o.optimal), q] = nN / (nO + nN)
            A[list(o.non_optimal), q] = -nO / (nO + nN)
    return A
