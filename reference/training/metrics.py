"""One row of a :class:`reference.training.trajectory.Trajectory` per iterate, computed in token coordinates.

:class:`Metrics` turns the engine's evaluation at an iterate (``Engine.stage1``
at ``W_ov = B E^T``, ``Engine.stage2`` at ``W_kq = E A E^T``) into the
metrics the paper's statements are about (docs/paper.md section 7): norms and
cosines to the certified ``W*`` (Lemma 1, Proposition 1, Theorem 1), the
stage-1 margins and the wrong-logit spread (Lemma 3, Corollary 1), the
attention quantities of Lemma 5 and Theorem 2, the Lemma 6 and 7 inner
products, and the Theorem 3 gaps. Everything is O(groups + abs(V)^2) per
iterate: no ``(N, L_max)`` attention matrix is built.
"""

import math

import numpy as np

from ..numerics import _norm
from ..structure.orders import optimal_mask, query_orders

__all__ = ["Metrics"]


def _dot(X, Y):
    """``<X, Y> = trace(X Y^T)`` without BLAS: a threaded BLAS call on a small matrix can cost
    milliseconds of thread wake-up on a loaded machine, far more than the arithmetic."""
    return np.einsum("ij,ij->", X, Y)


class Metrics:
    """Computes one row of :class:`reference.training.trajectory.Trajectory` metrics per iterate, in token coordinates.

    With ``B = W_ov E`` and ``A = E^T W_kq E`` (E orthonormal, Assumption 2):
    ``||W|| = hypot(||A||, ||W_perp||)`` and ``<W, W*> = <A, A*>`` (``W*`` lies in the span of E).

    Parameters
    ----------
    eng : reference.training.engine.Engine
        The engine of the training set (its groups, collocation and orders are used).
    B_star, A_star : arrays of shape (abs(V), abs(V)), or None
        ``W*_ov E`` and ``E^T W*_kq E`` (Eq. 2 and Eq. 3); None gives nan cosines.
    perp_ov, perp_kq : float
        Norms of the parts of the initial weights outside the span of ``E``
        (constant during training: every gradient lies in the span).

    Raises
    ------
    AssumptionError
        From :func:`reference.structure.query_orders` when the data has no collocation.

    Notes
    -----
    Serves the measurements of Lemma 1, Proposition 1, Lemma 3, Lemmas 5-7 and
    Theorems 1-3 (docs/paper.md section 7); the keys are listed in :mod:`reference.training.trajectory`.
    """

    def __init__(self, eng, B_star, A_star, perp_ov=0.0, perp_kq=0.0):
        self.eng = eng
        V = eng.n_tokens
        self.B_star, self.A_star = B_star, A_star
        self.sn_ov = float(np.linalg.norm(B_star)) if B_star is not None else np.nan
        self.sn_kq = float(np.linalg.norm(A_star)) if A_star is not None else np.nan
        self.perp_ov, self.perp_kq = float(perp_ov), float(perp_kq)
        self.cols = np.arange(V)
        ds = eng.ds
        opt = eng.g_opt
        self.opt, self.nonopt = np.flatnonzero(opt), np.flatnonzero(~opt)
        self.has_nonopt = np.bincount(eng.g_sent, weights=~opt, minlength=ds.N) > 0
        self.has_opt = optimal_mask(ds, eng.In).any(axis=1)
        self.att0 = self.phi_plus_prev = None
        orders = query_orders(ds, eng.In)
        # Theorem 3 gaps: per query, the min over key tokens of A | O, A | M, -A | M, -A | N, by index
        # lists (one gather and one reduceat over the listed entries, no abs(V) x abs(V) masks)
        kinds = (("optimal", 1.0), ("non_comparable", 1.0), ("non_comparable", -1.0), ("non_optimal", -1.0))
        idx, sign, slot = [], [], []
        for k, (attr, sg) in enumerate(kinds):
            for q in sorted(orders):
                keys = sorted(getattr(orders[q], attr))
                idx += [key * V + q for key in keys]
                sign += [sg] * len(keys)
                slot += [k * V + q] * len(keys)
        self.gap_idx = np.array(idx, dtype=np.intp)
        self.gap_sign = np.array(sign)
        slot = np.array(slot, dtype=np.intp)
        first = np.r_[True, slot[1:] != slot[:-1]] if slot.size else np.zeros(0, dtype=bool)
        self.gap_starts, self.gap_slots = np.flatnonzero(first), slot[first]
        has = np.zeros(4 * V, dtype=bool)
        has[self.gap_slots] = True
        has = has.reshape(4, V)
        self.q_OM, self.q_MN = has[0] & has[1], has[1] & has[3]
        self.any_OM, self.any_MN = bool(self.q_OM.any()), bool(self.q_MN.any())
        self.both = self.has_nonopt & self.has_opt
        self.any_both = bool(self.both.any())
        # In is injective, so all optimal positions of a sentence hold one token: one optimal group
        # per sentence, whose attention is the min over optimal positions. min_n (optimal minus the
        # largest non-optimal attention) is the min over the non-optimal groups g of sentences in
        # `both` of att[optimal group of n(g)] - att[g] (float subtraction is monotone).
        opt_of = np.full(ds.N, -1, dtype=np.intp)
        opt_of[eng.g_sent[self.opt]] = self.opt
        self.both_nonopt = self.nonopt[self.both[eng.g_sent[self.nonopt]]]
        self.both_opt = opt_of[eng.g_sent[self.both_nonopt]]
        self.n_opt, self.n_nonopt = self.opt.size, self.nonopt.size

    def _norm_cos(self, X, perp, X_star, sn):
        nrm = _norm(X) if perp == 0.0 else math.hypot(_norm(X), perp)     # no overflow above 1e154
        if X_star is None or nrm == 0.0:
            return nrm, np.nan
        return nrm, float(_dot(X, X_star) / (nrm * sn))

    def stage1(self, e0, B):
        """Stage-1 row at ``W_ov = B E^T``: ``L_0``, norm, cosine, margins ``(e_In(x) - e_v)^T W_ov x``.

        Parameters
        ----------
        e0 : reference.training.engine.Stage1Eval
            ``eng.stage1(B, ...)``.
        B : array of shape (abs(V), abs(V))
            The iterate in token coordinates.

        Returns
        -------
        dict of str -> float
            Every key of ``STAGE1_KEYS`` (margins and spread nan when ``abs(V) = 1``).
        """
        norm, cos = self._norm_cos(B, self.perp_ov, self.B_star, self.sn_ov)
        row = {"loss0": e0.loss0, "log_loss0": e0.log_loss0, "norm": norm, "cos": cos,
               "accuracy0": e0.accuracy,
               "log_grad_norm": e0.log_grad_norm if e0.grad_dir is not None else np.nan}
        if self.eng.n_tokens > 1:
            # margins are minus the wrong-minus-correct logits: their min is -max(gap), etc.
            hi, lo = e0.gap_max, e0.gap_min
            if hi is None:
                Mp = e0.margins[self.eng.perm[1:], self.cols]
                hi, lo = -Mp.min(axis=0), -Mp.max(axis=0)
            row.update(margin_min=-float(hi.max()), margin_max=-float(lo.min()),
                       wrong_spread=float((hi - lo).max()))
        else:
            row.update(margin_min=np.nan, margin_max=np.nan, wrong_spread=np.nan)
        return row

    def stage2(self, e, A, gA=None):
        """Stage-2 row at ``W_kq = E A E^T``: ``L`` (Eq. 1), attention (Lemma 5), inner products (Lemmas 6-7).

        Parameters
        ----------
        e : reference.training.engine.Stage2Eval
            ``eng.stage2(B, A, ...)``.
        A : array of shape (abs(V), abs(V))
            The iterate in token coordinates.
        gA : array of shape (abs(V), abs(V)), (flat indices, values), or None
            The unit direction of ``grad_A L``, dense or in the sparse form of
            ``Stage2Eval.grad_pairs`` (None at the last iterate: ``ugrad_*`` are nan).

        Returns
        -------
        dict of str -> float
            Every key of ``STAGE2_KEYS``. The first call fixes ``phi^(n,0)`` for
            ``opt_drop_max``; each call is compared with the previous one for
            ``phi_plus_decrease_max``, so rows must be computed in order of ``t``.
        """
        nan = np.nan
        norm, cos = self._norm_cos(A, self.perp_kq, self.A_star, self.sn_kq)
        att = e.group_att
        if self.att0 is None:
            self.att0 = att.copy()
        pp = e.phi_plus
        row = {"loss": e.loss, "log_loss": e.log_loss, "norm": norm, "cos": cos,
               "phi_plus_min": float(pp.min()), "accuracy": e.accuracy,
               "log_grad_norm": e.log_grad_norm if gA is not None else nan,
               "phi_plus_decrease_max": nan if self.phi_plus_prev is None
               else float((self.phi_plus_prev - pp).max())}
        self.phi_plus_prev = pp
        if self.n_opt:
            a_opt = att[self.opt]
            row["opt_att_min"] = float(a_opt.min())
            row["opt_drop_max"] = float((self.att0[self.opt] - a_opt).max())
        else:
            row["opt_att_min"] = row["opt_drop_max"] = nan
        row["nonopt_max"] = float(att[self.nonopt].max()) if self.n_nonopt else nan
        if self.any_both:
            row["opt_minus_nonopt_min"] = float((att[self.both_opt] - att[self.both_nonopt]).min())
        else:
            row["opt_minus_nonopt_min"] = nan
        if gA is None:
            row.update(ugrad_star=nan, ugrad_Wstar=nan, ugrad_W=nan)
        else:
            if isinstance(gA, tuple):
                idx, g = gA
                dot = lambda X: float(np.einsum("i,i->", g, X.reshape(-1)[idx]))   # noqa: E731
            else:
                dot = lambda X: float(_dot(gA, X))                         # noqa: E731
            row["ugrad_W"] = dot(A)
            if self.A_star is None:
                row.update(ugrad_star=nan, ugrad_Wstar=nan)
            else:
                row["ugrad_Wstar"] = dot(self.A_star)
                row["ugrad_star"] = row["ugrad_Wstar"] / self.sn_kq
        if self.any_OM or self.any_MN:
            vals = A.ravel()[self.gap_idx]
            vals *= self.gap_sign
            m = np.full(4 * self.eng.n_tokens, np.inf)
            m[self.gap_slots] = np.minimum.reduceat(vals, self.gap_starts)
            m = m.reshape(4, -1)                                                 # (4, |V|)
            row["gap_opt_noncomp"] = float((m[0] + m[2])[self.q_OM].min()) if self.any_OM else nan
            row["gap_noncomp_nonopt"] = float((m[1] + m[3])[self.q_MN].min()) if self.any_MN else nan
        else:
            row["gap_opt_noncomp"] = row["gap_noncomp_nonopt"] = nan
        return row
