"""Stage-1 quantities (Appendix B): ``W_ov^(t)``, ``T0_t(x)``, ``pw_t(x)``, ``G1_t`` and their relatives.

Every quantity here is indexed by the stage-1 iterate ``t = 0..T`` (first axis) and
needs the iterates (``record="full"``). Notation (docs/proofs.md, "Quantities"):
``B = W_ov E`` holds the logits of every token (column ``x`` is ``W_ov x``),
``D1[i, x] = (e_i - e_In(x))^T W_ov x`` the logit gaps, ``u1[x] = log sum_{i != In(x)} exp D1[i, x]``.

Numerics of the saturated regime. Once the margins reach a few hundred, the
wrong-token mass ``pw_t(x) = 1 - [T0_t(x)]_In(x)`` and the gradient ``G1_t``
underflow. They are computed in log space: ``log pw = -softplus(-u1)`` (never
``1 - p`` by subtraction), and every gradient-sized quantity is also given
*scaled* by ``exp(-c1_t)`` with ``c1_t = max_x log pw_t(x)`` (names ending in ``s``:
``pws``, ``T0s_wrong``, ``R0s``, ``G1s``), which is O(1) and exact whatever the
margins; ``G1_t = exp(c1_t) G1s_t``. Homogeneous relations (P6-P10) are checked on
the scaled values.
"""

import numpy as np

from ...training.engine import Engine
from .quantity import quantity, Unavailable

__all__ = ["log_L0_of"]


def log_L0_of(Bp, In, ops):
    """``log L_0`` of weights whose logits are ``Bp`` (column ``x`` = ``W' x``): exact when ``L_0`` underflows.

    ``L_0 = sum_x softplus(u_x)``, ``u_x = log sum_{i != In(x)} exp((e_i - e_In(x))^T W' x)``
    (Section 4.2), so ``log L_0 = logsumexp_x log_softplus(u_x)``.

    Parameters
    ----------
    Bp : array, shape (..., |V|, |V|)
        ``Bp[..., i, x] = (W' x)_i``.
    In : int array, shape (|V|,)
    ops : backend

    Returns
    -------
    array, shape (...)
    """
    V = len(In)
    cols = np.arange(V)
    D = Bp - Bp[..., In, cols][..., None, :]
    wrong = np.arange(V)[:, None] != In[None, :]
    u = ops.logsumexp(D, axis=-2, mask=wrong)
    return ops.logsumexp(ops.log_softplus(u), axis=-1)


def _iterates(q, ops):
    W = q.traj.W_ov_iterates
    if W is None:
        raise Unavailable("stage-1 iterates: the trajectory was recorded without record='full'")
    return ops.asarray(W)


_F = dict(stage=1, full=True)

quantity("W_ov", shape="(t, |V|, d)", doc="``W_ov^(t)``, every stage-1 iterate", **_F)(_iterates)


@quantity("B", shape="(t, |V|, |V|)", doc="``B = W_ov^(t) E``: column x holds the logits ``W_ov^(t) x``", **_F)
def _B(q, ops):
    return ops.matmul(q.W_ov, q.E)


@quantity("norm_W_ov", shape="(t,)", doc="``||W_ov^(t)||`` (Frobenius)", **_F)
def _norm(q, ops):
    return ops.norm(q.W_ov)


@quantity("Wbar_ov", shape="(t, |V|, d)", doc="``W_ov^(t) / ||W_ov^(t)||`` (nan where ``W_ov^(t) = 0``)", **_F)
def _wbar(q, ops):
    return q.W_ov / q.norm_W_ov[:, None, None]


@quantity("dW_ov", shape="(t, |V|, d)", doc="``W_ov^(t+1) - W_ov^(t)`` (nan at ``t = T``)", **_F)
def _dw(q, ops):
    return ops.append_nan(q.W_ov[1:] - q.W_ov[:-1])


@quantity("cos_ov", shape="(t,)", doc="``<Wbar_ov^(t), Wbar*_ov>``", range=(-1.0, 1.0), **_F)
def _cos(q, ops):
    return ops.dot(q.Wbar_ov, q.Wbar_ov_star)


@quantity("wrong1", stage=0, shape="(|V|, |V|)", doc="boolean: ``i != In(x)`` at ``[i, x]`` (the wrong tokens)")
def _wrong(q, ops):
    return np.arange(q.n_tokens)[:, None] != q.In[None, :]


@quantity("D1", shape="(t, |V|, |V|)", doc="``(e_i - e_In(x))^T W_ov^(t) x`` at ``[t, i, x]`` (0 at ``i = In(x)``)",
          scale="norm_W_ov", **_F)
def _D1(q, ops):
    return q.B - q.B[:, q.In, np.arange(q.n_tokens)][:, None, :]


@quantity("margins1", shape="(t, |V|, |V|)", doc="margins ``(e_In(x) - e_i)^T W_ov^(t) x`` (``-D1``)", **_F)
def _margins(q, ops):
    return -q.D1


@quantity("margin_min1", shape="(t,)", doc="min over x, ``i != In(x)`` of the margins", scale="norm_W_ov", **_F)
def _mmin(q, ops):
    return ops.min(ops.where(q.wrong1, q.margins1, np.inf), axis=(1, 2))


@quantity("u1", shape="(t, |V|)", doc="``log sum_{i != In(x)} exp D1[t, i, x]`` (the log-odds of a wrong token)",
          scale="norm_W_ov", **_F)
def _u1(q, ops):
    return ops.logsumexp(q.D1, axis=1, mask=q.wrong1)


@quantity("log_pw", shape="(t, |V|)", doc="``log pw_t(x) = log sum_{i != In(x)} [T0_t(x)]_i = -softplus(-u1)``", **_F)
def _log_pw(q, ops):
    return -ops.softplus(-q.u1)


@quantity("pw", shape="(t, |V|)", doc="``pw_t(x)``, the wrong-token mass (underflows to 0 when saturated)", **_F)
def _pw(q, ops):
    return ops.exp(q.log_pw)


@quantity("log_T0", shape="(t, |V|, |V|)", doc="``log [T0_t(x)]_i = D1 - softplus(u1)`` at ``[t, i, x]``", **_F)
def _log_T0(q, ops):
    return q.D1 - ops.softplus(q.u1)[:, None, :]


@quantity("T0", shape="(t, |V|, |V|)", doc="``[T0_t(x)]_i = phi(W_ov^(t) x)_i`` at ``[t, i, x]``", **_F)
def _T0(q, ops):
    return ops.exp(q.log_T0)


@quantity("c1", shape="(t,)", doc="``c1_t = max_x log pw_t(x)``: the log-scale of the stage-1 gradient", **_F)
def _c1(q, ops):
    return ops.max(q.log_pw, axis=1)


@quantity("pws", shape="(t, |V|)", doc="``pw_t(x) exp(-c1_t)``: the wrong-token mass, scaled (O(1), exact)", **_F)
def _pws(q, ops):
    return ops.exp(q.log_pw - q.c1[:, None])


@quantity("T0s_wrong", shape="(t, |V|, |V|)", doc="``[T0_t(x)]_i exp(-c1_t)`` for ``i != In(x)``, 0 at ``In(x)``",
          **_F)
def _t0s(q, ops):
    return ops.where(q.wrong1, ops.exp(q.log_T0 - q.c1[:, None, None]), 0.0)


@quantity("R0s", shape="(t, |V|, |V|)", doc="``(T0_t(x) - e_In(x)) exp(-c1_t)`` at ``[t, :, x]``; its In(x) entry "
          "is ``-pws`` (never ``1 - p`` by subtraction)", **_F)
def _r0s(q, ops):
    return ops.where(q.wrong1, q.T0s_wrong, -q.pws[:, None, :])


@quantity("G1s", shape="(t, |V|, d)", doc="``G1_t exp(-c1_t)`` with ``G1_t = sum_x (T0_t(x) - e_In(x)) x^T`` "
          "(Eq. 5)", **_F)
def _g1s(q, ops):
    return ops.matmul(q.R0s, ops.asarray(q.E.T))


@quantity("norm_G1s", shape="(t,)", doc="``||G1_t|| exp(-c1_t)``", **_F)
def _ng1s(q, ops):
    return ops.norm(q.G1s)


@quantity("log_norm_G1", shape="(t,)", doc="``log ||G1_t|| = c1_t + log ||G1s_t||``", **_F)
def _lng1(q, ops):
    return q.c1 + ops.log(q.norm_G1s)


@quantity("g1", shape="(t, |V|, d)", doc="``g1_t = G1_t / ||G1_t||``, the unit gradient (exact when G1 underflows)",
          **_F)
def _g1(q, ops):
    return q.G1s / q.norm_G1s[:, None, None]


@quantity("log_L0", shape="(t,)", doc="``log L_0(W_ov^(t))`` from Eq. (5)'s probabilities (log space)", **_F)
def _log_L0(q, ops):
    return ops.logsumexp(ops.log_softplus(q.u1), axis=1)


@quantity("alpha_ov", shape="(t,)", doc="``alpha_t^ov = 2||W*_ov|| log(2|V|) / ||W_ov^(t)||`` (Proposition 3; "
          "inf at ``W_ov^(t) = 0``)", **_F)
def _alpha(q, ops):
    return 2.0 * q.star_norm_ov * q.lam / q.norm_W_ov


@quantity("Bstar", stage=0, shape="(|V|, |V|)", doc="``W*_ov E``: column x holds ``W*_ov x``")
def _bstar(q, ops):
    return ops.matmul(q.W_ov_star, q.E)


@quantity("log_L0_star", stage=0, shape="()", doc="``log L_0(W*_ov)``")
def _l0star(q, ops):
    return log_L0_of(q.Bstar, q.In, ops)


@quantity("c_ov", shape="(t,)", doc="``c_t = ||W_ov^(t)|| / ||W*_ov||`` (the scale of Lemma 2's ``W'``)", **_F)
def _c_ov(q, ops):
    return q.norm_W_ov / q.star_norm_ov


@quantity("log_L0_cstar", shape="(t,)", doc="``log L_0(c_t W*_ov)``, ``c_t = ||W_ov^(t)||/||W*_ov||`` (P5)", **_F)
def _l0cstar(q, ops):
    return log_L0_of(q.c_ov[:, None, None] * q.Bstar[None], q.In, ops)


@quantity("cp_ov", shape="(t,)", doc="``c'_t = ||W_ov^(t)||/||W*_ov|| + 2 log(2|V|)``, the scale of P17's ``W'``",
          **_F)
def _cp(q, ops):
    return q.c_ov + 2.0 * q.lam


@quantity("log_L0_p17", shape="(t,)", doc="``log L_0(W')`` with P17's ``W' = c'_t W*_ov``", **_F)
def _l0p17(q, ops):
    return log_L0_of(q.cp_ov[:, None, None] * q.Bstar[None], q.In, ops)


# ---------------------------------------------------------------- the engine's gradient (independent)

@quantity("engine", stage=0, shape="Engine", doc="the training engine of the dataset (token coordinates)")
def _engine(q, ops):
    return Engine(q.ds)


def _engine_stage1(q):
    key = "_engine_stage1"
    if key not in q._cache:
        eng = q.engine
        Bt = np.asarray(q.traj.W_ov_iterates, dtype=np.float64) @ eng.E
        dirs, logs = np.empty(Bt.shape), np.empty(len(Bt))
        for t, B in enumerate(Bt):
            e = eng.stage1(np.ascontiguousarray(B), grad=True)
            dirs[t], logs[t] = e.grad_dir, e.log_grad_norm
        q._cache[key] = (dirs, logs)
    return q._cache[key]


@quantity("g1_engine", shape="(t, |V|, d)", doc="the unit gradient of ``L_0`` from the training engine "
          "(token coordinates, mapped back by ``E^T``): an independent computation of ``g1_t``", **_F)
def _g1_eng(q, ops):
    return ops.asarray(_engine_stage1(q)[0] @ q.ds.vocab.E.T)


@quantity("log_norm_G1_engine", shape="(t,)", doc="``log ||grad L_0||`` from the training engine", **_F)
def _lng1_eng(q, ops):
    return ops.asarray(_engine_stage1(q)[1])


@quantity("ug1_Wbar", shape="(t,)", doc="``<g1_t, Wbar_ov^(t)>`` (Lemma 2, divided by ``||G1_t||``)",
          range=(-1.0, 1.0), **_F)
def _ug1_wbar(q, ops):
    return ops.dot(q.g1, q.Wbar_ov)


@quantity("ug1_Wstarbar", shape="(t,)", doc="``<g1_t, Wbar*_ov>`` (Lemma 2, divided by ``||G1_t||``)",
          range=(-1.0, 1.0), **_F)
def _ug1_wstar(q, ops):
    return ops.dot(q.g1, q.Wbar_ov_star[None])
