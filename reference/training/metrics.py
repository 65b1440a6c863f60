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


def _rowdot(X, Y):
    """Row-wise ``<X_k, Y_k>`` of (K, n) arrays (Y may have one row), without BLAS: a threaded BLAS call
    can cost milliseconds of thread wake-up on a loaded machine. Each row is summed on its own,
    so a row gives the same number whether it comes alone or with others."""
    return np.multiply(X, Y).sum(axis=1)


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
        types = {q: {attr: getattr(o, attr) for attr in ("optimal", "non_comparable", "non_optimal")}
                 for q, o in orders.items()}             # non_comparable is computed on each read: once here
        idx, sign, slot = [], [], []
        for k, (attr, sg) in enumerate(kinds):
            for q in sorted(orders):
                keys = types[q][attr]                   # sorted already
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
        """``(||W||, cos(W, W*))`` of K iterates ``X`` (K, abs(V), abs(V)), each as a single iterate's.

        Row by row with ``einsum``, the arithmetic the metrics always had: a norm that is exact
        up to rounding in many iterates (``t eta0`` from zero) keeps the same rounding, so the
        audit's tightest iterate among equal ones does not move.
        """
        nrm, cos = np.empty(len(X)), np.full(len(X), np.nan)
        with np.errstate(over="ignore", under="ignore"):   # rows out of range are redone below
            for k, Xk in enumerate(X):
                sq = float(np.einsum("ij,ij->", Xk, Xk))
                # squares out of range (entries above 1e154): the scaled norm
                nrm[k] = math.sqrt(sq) if 1e-290 < sq < math.inf else _norm(Xk)
                if perp != 0.0:
                    nrm[k] = math.hypot(nrm[k], perp)
                if X_star is not None and nrm[k] != 0.0:
                    cos[k] = float(np.einsum("ij,ij->", Xk, X_star)) / (nrm[k] * sn)
        return nrm, cos

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
        return {k: float(v[0]) for k, v in self.stage1_rows([e0], [B]).items()}

    def stage1_rows(self, e0s, Bs):
        """:meth:`stage1` of K iterates at once (the same numbers): dict of str -> (K,) arrays."""
        norm, cos = self._norm_cos(np.stack(Bs), self.perp_ov, self.B_star, self.sn_ov)
        rows = {"loss0": [e.loss0 for e in e0s], "log_loss0": [e.log_loss0 for e in e0s], "norm": norm,
                "cos": cos, "accuracy0": [e.accuracy for e in e0s],
                "log_grad_norm": [e.log_grad_norm if e.grad_dir is not None else np.nan for e in e0s]}
        if self.eng.n_tokens > 1:
            # margins are minus the wrong-minus-correct logits: their min is -max(gap), etc.
            hi = np.stack([e.gap_max if e.gap_max is not None else -self._wrong(e).min(axis=0) for e in e0s])
            lo = np.stack([e.gap_min if e.gap_min is not None else -self._wrong(e).max(axis=0) for e in e0s])
            rows.update(margin_min=-hi.max(axis=1), margin_max=-lo.min(axis=1), wrong_spread=(hi - lo).max(axis=1))
        else:
            rows.update(margin_min=np.nan, margin_max=np.nan, wrong_spread=np.nan)
        return {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (len(e0s),)) for k, v in rows.items()}

    def _wrong(self, e0):
        return e0.margins[self.eng.perm[1:], self.cols]

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
        return {k: float(v[0]) for k, v in self.stage2_rows([e], [A], [gA]).items()}

    def stage2_rows(self, es, As, gAs):
        """:meth:`stage2` of K consecutive iterates at once (the same numbers): dict of str -> (K,) arrays.

        ``As`` must hold K distinct arrays (copies of an iterate updated in place).
        """
        K, nan = len(es), np.full(len(es), np.nan)
        A = np.stack(As)
        norm, cos = self._norm_cos(A, self.perp_kq, self.A_star, self.sn_kq)
        att = np.stack([e.group_att for e in es])
        if self.att0 is None:
            self.att0 = att[0].copy()
        pp = np.stack([e.phi_plus for e in es])
        prev = np.concatenate([[self.phi_plus_prev] if self.phi_plus_prev is not None else [pp[0]], pp[:-1]])
        dec = (prev - pp).max(axis=1)
        if self.phi_plus_prev is None:
            dec[0] = np.nan
        self.phi_plus_prev = pp[-1]
        rows = {"loss": [e.loss for e in es], "log_loss": [e.log_loss for e in es], "norm": norm, "cos": cos,
                "phi_plus_min": pp.min(axis=1), "accuracy": [e.accuracy for e in es],
                "log_grad_norm": [e.log_grad_norm if g is not None else np.nan for e, g in zip(es, gAs)],
                "phi_plus_decrease_max": dec}
        if self.n_opt:
            a_opt = att[:, self.opt]
            rows["opt_att_min"] = a_opt.min(axis=1)
            rows["opt_drop_max"] = (self.att0[self.opt] - a_opt).max(axis=1)
        else:
            rows["opt_att_min"] = rows["opt_drop_max"] = nan
        rows["nonopt_max"] = att[:, self.nonopt].max(axis=1) if self.n_nonopt else nan
        rows["opt_minus_nonopt_min"] = ((att[:, self.both_opt] - att[:, self.both_nonopt]).min(axis=1)
                                        if self.any_both else nan)
        rows.update(self._ugrad(A, gAs))
        if self.any_OM or self.any_MN:
            vals = A.reshape(K, -1)[:, self.gap_idx]
            vals *= self.gap_sign
            m = np.full((K, 4 * self.eng.n_tokens), np.inf)
            m[:, self.gap_slots] = np.minimum.reduceat(vals, self.gap_starts, axis=1)
            m = m.reshape(K, 4, -1)                                             # (K, 4, |V|)
            rows["gap_opt_noncomp"] = (m[:, 0] + m[:, 2])[:, self.q_OM].min(axis=1) if self.any_OM else nan
            rows["gap_noncomp_nonopt"] = (m[:, 1] + m[:, 3])[:, self.q_MN].min(axis=1) if self.any_MN else nan
        else:
            rows["gap_opt_noncomp"] = rows["gap_noncomp_nonopt"] = nan
        return {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}

    def _ugrad(self, A, gAs):
        """``ugrad_W``, ``ugrad_Wstar``, ``ugrad_star``: inner products of the unit directions (Lemmas 6-7)."""
        K = len(gAs)
        W, Ws = np.full(K, np.nan), np.full(K, np.nan)
        A2 = A.reshape(K, -1)
        S2 = self.A_star.reshape(-1) if self.A_star is not None else None
        on = [k for k, g in enumerate(gAs) if g is not None]
        if on and all(isinstance(gAs[k], tuple) and gAs[k][0] is gAs[on[0]][0] for k in on):
            idx = gAs[on[0]][0]                              # the fast paths' pairs: one index array
            G = np.stack([gAs[k][1] for k in on])
            W[on] = _rowdot(G, A2[on][:, idx])
            if S2 is not None:
                Ws[on] = _rowdot(G, S2[idx][None, :])
        else:
            for k in on:
                g = gAs[k]
                if isinstance(g, tuple):
                    W[k] = _rowdot(g[1][None, :], A2[k][g[0]][None, :])[0]
                    if S2 is not None:
                        Ws[k] = _rowdot(g[1][None, :], S2[g[0]][None, :])[0]
                else:
                    W[k] = _rowdot(g.reshape(1, -1), A2[k][None, :])[0]
                    if S2 is not None:
                        Ws[k] = _rowdot(g.reshape(1, -1), S2[None, :])[0]
        return {"ugrad_W": W, "ugrad_Wstar": Ws, "ugrad_star": Ws / self.sn_kq}
