"""Appendix C.2, p.20-21: the end of Lemma 5's proof, steps P54-P55.2 (update (10) in the attention).

With the signs of the gradient's entries (P50, P53.2, :mod:`reference.theory.proofs.lemma5_gradient`),
``(x_l* - x_l)^T G_t q_n <= 0`` for every position (P54.3); update (10) then raises every optimal
weight (P54) and the odds of every optimal against every non-optimal position (P55), which
closes the induction ``H(t) => H(t+1)`` (P48). Log space; ``x_l*`` is the optimal token of the
sentence; ``(x_l* - x_l)^T g_t q_n`` is read from the unit gradient in token coordinates
(``gtok``). The steps belong to Lemma 5 (:mod:`reference.theory.proofs.lemma5`).
"""

import numpy as np

from .entries import Check
from .lemma5 import step_rounding
from .measure_lemma4 import first_optimal
from .registry import proof_step

__all__ = []

_S = dict(statement="Lemma 5", stage=2)
_U = ("A1", "A2", "A3", "EQM")
_ZI = ("ZI_kq",)


def _at_opt(q, X):
    """``X[t, n, l*_n]`` (the first optimal position of every sentence): (t, N)."""
    return X[:, np.arange(q.N), first_optimal(q)]


def _nonopt(q, ops, X, fill=0.0):
    return ops.where(np.asarray(q.nonopt), X, fill)


def _g_diff(q, ops, engine=False):
    """``(x_l* - x_l)^T g_t q_n`` per position (``l*`` the optimal token of n): (t, N, L).

    ``engine``: with the engine's unit gradient, the direction the recorded step took (P3').
    """
    G = ops.matmul(ops.matmul(ops.asarray(q.E.T), q.g_engine), q.E) if engine else q.gtok
    xs = np.asarray(q.tok)[np.arange(q.N), first_optimal(q)]
    top = G[:, xs, q.qtok][..., None]
    return ops.where(np.asarray(q.pos), top - G[:, q.tok, q.qtok[:, None]], 0.0)


def _p54_rhs(q, ops):
    a, d = q.a, _g_diff(q, ops, engine=True)
    return _at_opt(q, a) - ops.logsumexp(a + q.eta * d, axis=2, mask=np.asarray(q.pos))


@proof_step("P54", page=20, equation="first relation", kind="ID",
            printed="phi_l*^(n,t+1) = exp(x_l*^T W_kq^(t) q_n) / sum_l exp(x_l^T W_kq^(t) q_n + eta (x_l* - x_l)^T G_t "
                    "q_n / ||G_t||)",
            quantity="log phi_l*^(n,t+1)", stated=("t<T",), follows=("P3'",),
            needs=("log_phi", "a", "g_engine", "E", "eta", "pos", "opt", "N", "tok", "qtok", "norm_W_kq", "W_ovT"),
            **_S)
def p54(q, ops):
    """P54 (p.20-21): update (10) in the attention of an optimal position, on log-weights (trailing n).

    ``log phi_l*^(n,t+1) = a_l*^(n,t) - log sum_l exp(a_l^(n,t) + eta (x_l* - x_l)^T g_t q_n)``, with the
    direction the step took (the engine's ``g_t``, P3'; P2 compares it with Eq. (6)).
    """
    return Check(ops.append_nan(_at_opt(q, q.log_phi)[1:]), _p54_rhs(q, ops), "==", scale=2.0 * step_rounding(q, ops))


@proof_step("P54.2", page=21, equation="second relation", kind="INEQ", printed=">= phi_l*^(n,t)",
            relation="phi_l*^(n,t+1) >= phi_l*^(n,t) for every optimal position",
            quantity="log phi_l*^(n,t+1)", stated=_ZI + ("t<T",), unstated=_U, follows=("P54", "P54.3"),
            needs=("log_phi", "opt", "N", "norm_W_kq", "eta"), **_S)
def p54_2(q, ops):
    """P54 (p.21): ``phi_l*^(n,t+1) >= phi_l*^(n,t)``: every optimal weight is non-decreasing (log space; trailing n)."""
    lp = _at_opt(q, q.log_phi)
    return Check(ops.append_nan(lp[1:]), lp, ">=", space="log", scale=2.0 * (q.norm_W_kq + q.eta))


@proof_step("P54.3", page=21, equation="what P54 needs", kind="INEQ", printed="(x_l* - x_l)^T G_t q_n <= 0 for every l",
            quantity="(x_l* - x_l)^T g_t q_n", stated=_ZI, unstated=_U, follows=("P50'", "P53.2"),
            needs=("gtok", "pos", "opt", "N", "tok", "qtok"), measured_range=(-2.0, 2.0),
            note="from P50 (x*^T G q_n <= 0) and P53.2 (x0^T G q_n >= 0), for the sentence's own query", **_S)
def p54_3(q, ops):
    """P54's premise (p.21): ``(x_l* - x_l)^T g_t q_n <= 0`` for every position l of every sentence (trailing ``(n, l)``)."""
    return Check(_g_diff(q, ops), 0.0, "<=")


@proof_step("P55", page=21, equation="ratio, first relation", kind="ID",
            printed="phi_l*^(n,t+1)/phi_l^(n,t+1) = exp((x_l* - x_l)^T W_kq^(t) q_n) exp(-(eta/||G_t||) (x_l* - x_l)^T "
                    "G_t q_n)",
            quantity="log(phi_l*^(n,t+1)/phi_l^(n,t+1))", stated=("t<T",), follows=("P3'",),
            needs=("log_phi", "a", "g_engine", "E", "eta", "pos", "opt", "nonopt", "N", "tok", "qtok", "norm_W_kq",
                   "W_ovT"), **_S)
def p55(q, ops):
    """P55 (p.21): update (10) in the odds of an optimal against a non-optimal position (log-odds; trailing ``(n, l)``).

    The log-odds are score differences, compared as numbers: an identity relative to their size,
    rounded as the recorded step (:func:`~reference.theory.proofs.lemma5.step_rounding`).
    """
    lr = _at_opt(q, q.log_phi)[..., None] - q.log_phi
    lhs = _nonopt(q, ops, ops.append_nan(lr[1:]))
    rhs = _nonopt(q, ops, _at_opt(q, q.a)[..., None] - q.a - q.eta * _g_diff(q, ops, engine=True))
    return Check(lhs, rhs, "==", scale=2.0 * step_rounding(q, ops))


@proof_step("P55.2", page=21, equation="ratio, second relation", kind="INEQ", printed=">= phi_l*^(n,t)/phi_l^(n,t) >= 1",
            relation="phi_l*^(n,t+1)/phi_l^(n,t+1) >= phi_l*^(n,t)/phi_l^(n,t) (the '>= 1' is P48.2)",
            quantity="log(phi_l*^(n,t+1)/phi_l^(n,t+1))", stated=_ZI + ("t<T",), unstated=_U,
            follows=("P55", "P54.3"), needs=("log_phi", "opt", "nonopt", "N", "norm_W_kq", "eta"), **_S)
def p55_2(q, ops):
    """P55 (p.21): the odds of every optimal against every non-optimal position are non-decreasing (log space)."""
    lr = _nonopt(q, ops, _at_opt(q, q.log_phi)[..., None] - q.log_phi)
    return Check(ops.append_nan(lr[1:]), lr, ">=", space="log", scale=2.0 * (q.norm_W_kq + q.eta))
