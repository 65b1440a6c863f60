"""The training engine: ``L``, ``L_0`` and their gradients for the whole dataset at once.

This is the second face of the mathematics (DESIGN.md, "Two faces"). Under
Assumption 2 (``E`` has orthonormal columns) the model depends on the weights
only through the token coordinates

=============  ==================  ==============  ==========================================
paper          code                shape           meaning
=============  ==================  ==============  ==========================================
``W_kq``       ``A = E^T W_kq E``  ``(|V|, |V|)``  ``A[i, j]``: score of key token i, query j
``W_ov``       ``B = W_ov E``      ``(|V|, |V|)``  column i: the logits ``W_ov x_i``
=============  ==================  ==============  ==========================================

and every gradient lies in that span with the same Frobenius norm, so
normalized gradient descent on ``(B, A)`` is exactly Algorithm 1. No ``d x L``
matrix is built: a sentence is a set of *groups*, its distinct tokens with
their multiplicities (all positions of one token share a score, hence an
attention weight).

Numerics (DESIGN.md, "Numerics"). Losses are computed from the logit gaps
``u = logsumexp_{v != y}(Tbar_v - Tbar_y)`` as ``softplus(u)``; ``1 - p_y`` is
``exp(-softplus(-u))``, never a subtraction. Gradients are returned as an O(1)
matrix ``G`` and a log-scale ``c`` with ``grad = exp(c) G``, so the direction
is exact even when the gradient underflows. In the attention derivative
``att_l (g_l - sum_l' att_l' g_l')`` the terms of each sentence are taken
relative to its most attended group, whose term is minus the sum of the
others: nothing cancels when attention saturates.

When ``B`` has exactly the structure of Lemma 3 (every column
``beta 1 + a e_{In(i)}`` with common ``a > 0`` and ``beta``, which a
zero-initialised stage 1 keeps bit for bit, see :meth:`Engine.stage1`) a
stage-2 evaluation costs O(number of groups); otherwise it costs
O(N |V|^2) through one matrix product.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .errors import AssumptionError, WeightsError
from .numerics import _exp, _frobenius, _logsumexp, log_softplus, softplus
from .structure import collocation

__all__ = ["Engine", "Stage1Eval", "Stage2Eval"]


@dataclass
class Stage1Eval:
    """``L_0`` (Section 4.2) at ``W_ov = B E^T``, and its gradient direction.

    Attributes
    ----------
    loss0, log_loss0 : float
        ``L_0 = -sum_x log phi(W_ov x)_{In(x)}`` and its logarithm (accurate when ``L_0`` underflows).
    margins : (|V|, |V|) array
        ``margins[v, i] = (e_{In(x_i)} - e_v)^T W_ov x_i`` (0 at ``v = In(x_i)``).
    accuracy : float
        Fraction of tokens whose correct logit is strictly the largest.
    grad_dir : (|V|, |V|) array or None
        ``grad_B L_0 / ||grad_B L_0||``.
    log_grad_norm : float
        ``log ||grad L_0||`` (``-inf`` when the gradient is exactly zero).
    """

    loss0: float
    log_loss0: float
    margins: np.ndarray
    accuracy: float
    grad_dir: np.ndarray = None
    log_grad_norm: float = np.nan


@dataclass
class Stage2Eval:
    """``L`` (Eq. 1) at ``(W_ov, W_kq)``, attention, predictions and gradient directions.

    Group arrays describe each distinct token of each sentence (``n_groups`` rows).

    Attributes
    ----------
    loss, log_loss : float
        Eq. (1), the pi-weighted mean cross-entropy, and its logarithm.
    phi_plus : (N,) array or None
        ``phi_+^(n)``, total attention on optimal positions (None without a collocation).
    pred : (N,) int array
        ``argmax_v T(X^(n))_v``.
    accuracy : float
        Fraction of the samples of ``D_0`` (pi-weighted sentences) with ``pred == y``,
        computed from the integer counts so that it is exactly 1.0 when every one is right.
    group_att : (n_groups,) array
        Attention weight of *one* position holding the group's token.
    group_log_w : (n_groups,) array
        log of the total attention on the group (all its positions).
    grad_dir : dict
        ``{"A": ..., "B": ...}`` for the requested blocks: the joint unit-norm direction.
    log_grad_norm : float
        log of the joint Frobenius norm of the requested gradient blocks.
    """

    loss: float
    log_loss: float
    phi_plus: np.ndarray
    pred: np.ndarray
    accuracy: float
    group_att: np.ndarray
    group_log_w: np.ndarray
    engine: "Engine" = field(repr=False, default=None)
    grad_dir: dict = field(default_factory=dict)
    log_grad_norm: float = np.nan

    @property
    def att(self):
        """``(N, L_max)`` attention weights ``phi^(n)_l`` (0 on padding)."""
        eng = self.engine
        out = np.zeros(eng.ds.tokens.shape)
        out[eng.ds.mask] = self.group_att[eng.pos_group]
        return out


class Engine:
    """The loss and gradient engine of one dataset, in token coordinates.

    Parameters
    ----------
    ds : Dataset
        Its vocabulary must satisfy Assumption 2 (orthonormal ``E``).

    Raises
    ------
    AssumptionError
        If ``E`` is not orthonormal (use the literal functions of
        :mod:`reference.loss` for such vocabularies).
    """

    def __init__(self, ds):
        if not ds.vocab.orthonormal:
            raise AssumptionError(
                "the training engine needs orthonormal embeddings (Assumption 2); "
                "use reference.loss (the literal face) for other vocabularies")
        self.ds = ds
        V = self.n_tokens = ds.vocab.n_tokens
        self.E = ds.vocab.E
        try:
            self.In = collocation(ds)
        except AssumptionError as e:
            self.In, self._no_collocation = None, str(e)
        key = ds.flat_sentence * V + ds.flat_tokens
        uniq, self.pos_group, cnt = np.unique(key, return_inverse=True, return_counts=True)
        self.g_sent = uniq // V
        self.g_tok = uniq % V
        self.g_query = ds.queries[self.g_sent]
        self.g_log_count = np.log(cnt.astype(np.float64))
        self.g_start = np.searchsorted(self.g_sent, np.arange(ds.N))
        # groups are sorted by (sentence, token): they are the CSR layout of the N x |V| attention matrix
        self.g_indptr = np.append(self.g_start, len(self.g_sent))
        self.g_key_A = self.g_tok * V + self.g_query          # flat index into A
        self.y = ds.y
        with np.errstate(divide="ignore"):
            self.log_pi = np.log(ds.pi)
        self.g_opt = None if self.In is None else self.In[self.g_tok] == self.y[self.g_sent]
        if self.g_opt is not None:
            self.g_cls = self.In[self.g_tok]
            # wrong classes of each sentence that no token of the sentence maps to
            self.n_rest = (V - 1) - np.bincount(self.g_sent, weights=~self.g_opt, minlength=ds.N)
        if self.In is not None:
            # perm[:, i] = In(i) first, then the other rows in increasing order (see stage1)
            rows = np.arange(V)
            self.perm = np.empty((V, V), dtype=np.intp)
            for i in range(V):
                self.perm[0, i] = self.In[i]
                self.perm[1:, i] = rows[rows != self.In[i]]

    # ------------------------------------------------------------------ coordinates
    def to_coords(self, W_ov, W_kq):
        """``(B, A) = (W_ov E, E^T W_kq E)``; the model depends on the weights only through these."""
        E = self.E
        V, d = self.n_tokens, E.shape[0]
        W_ov, W_kq = np.asarray(W_ov, dtype=np.float64), np.asarray(W_kq, dtype=np.float64)
        if W_ov.shape != (V, d) or W_kq.shape != (d, d):
            raise WeightsError(f"W_ov must be ({V}, {d}) and W_kq ({d}, {d}); got {W_ov.shape}, {W_kq.shape}")
        return W_ov @ E, E.T @ W_kq @ E

    def to_weights(self, B, A):
        """``(W_ov, W_kq) = (B E^T, E A E^T)``, the weights in the span of the embeddings."""
        return B @ self.E.T, self.E @ A @ self.E.T

    def _check(self, M, name):
        V = self.n_tokens
        if not isinstance(M, np.ndarray) or M.shape != (V, V) or M.dtype != np.float64:
            raise WeightsError(f"{name} must be a float64 array of shape ({V}, {V})")
        if not np.all(np.isfinite(M)):
            raise WeightsError(f"{name} has NaN or inf entries")

    def _need_In(self):
        if self.In is None:
            raise AssumptionError(self._no_collocation)

    # ------------------------------------------------------------------ stage 1
    def stage1(self, B, grad=True):
        """``L_0`` at ``W_ov = B E^T`` and, if ``grad``, the unit direction of ``grad_B L_0``.

        Each column is evaluated with its correct row first and the others in
        increasing order, so columns holding the same values in permuted rows
        give bit-identical results: a zero-initialised stage 1 keeps the
        structure of Lemma 3 exactly.
        """
        self._need_In()
        self._check(B, "B")
        V = self.n_tokens
        cols = np.arange(V)
        Bp = B[self.perm, cols]
        D = Bp[1:] - Bp[0]                                   # wrong minus correct logits, (V-1, V)
        u = _logsumexp(D, axis=0) if V > 1 else np.full(V, -np.inf)
        loss_i = softplus(u)
        out = Stage1Eval(loss0=float(np.sum(loss_i)), log_loss0=_logsumexp(log_softplus(u)),
                         margins=B[self.In, cols][None, :] - B,
                         accuracy=float(np.mean(np.max(D, axis=0, initial=-np.inf) < 0)))
        if grad:
            s = -softplus(-u)                                # log(1 - p_y) per column
            M = np.max(s)
            if not np.isfinite(M):
                out.grad_dir, out.log_grad_norm = np.zeros((V, V)), -np.inf
                return out
            Gp = np.empty((V, V))
            scale = _exp(s - M)
            Gp[0] = -scale
            Gp[1:] = _exp(D - u) * scale
            G = np.empty((V, V))
            G[self.perm, cols] = Gp
            nrm = _frobenius(G)
            if nrm == 0.0:                                   # every column already exact: no direction
                out.grad_dir, out.log_grad_norm = np.zeros((V, V)), -np.inf
                return out
            out.grad_dir, out.log_grad_norm = G / nrm, float(M + np.log(nrm))
        return out

    # ------------------------------------------------------------------ stage 2
    def lemma3_structure(self, B):
        """``(a, beta)`` if every column of ``B`` is exactly ``beta 1 + a e_{In(i)}`` with ``a > 0``, else None."""
        if self.In is None or self.n_tokens < 2:
            return None
        Bp = B[self.perm, np.arange(self.n_tokens)]
        top, rest = Bp[0, 0], Bp[1, 0]
        if np.all(Bp[0] == top) and np.all(Bp[1:] == rest) and top > rest:
            return float(top - rest), float(rest)
        return None

    def _attention(self, A):
        sc = A.ravel()[self.g_key_A]
        m = np.maximum.reduceat(sc, self.g_start)
        z = _exp(self.g_log_count + sc - m[self.g_sent])
        lse = m + np.log(np.add.reduceat(z, self.g_start))
        return self.g_log_count + sc - lse[self.g_sent], sc - lse[self.g_sent]

    def stage2(self, B, A, grad=("A",)):
        """``L`` (Eq. 1) at ``W_ov = B E^T``, ``W_kq = E A E^T``, and gradient directions.

        Parameters
        ----------
        B, A : (|V|, |V|) float64 arrays
        grad : tuple of {"A", "B"}
            Which gradient blocks to return, as one jointly normalised direction.
        """
        self._check(B, "B")
        self._check(A, "A")
        grad = tuple(grad)
        if not set(grad) <= {"A", "B"}:
            raise WeightsError(f"grad must name blocks 'A' and/or 'B', got {grad!r}")
        N, V = self.ds.N, self.n_tokens
        log_w, log_att = self._attention(A)
        w = _exp(log_w)
        is_top = log_w == np.maximum.reduceat(log_w, self.g_start)[self.g_sent]
        phi_plus = None
        if self.g_opt is not None:
            phi_plus = np.bincount(self.g_sent, weights=np.where(self.g_opt, w, 0.0), minlength=N)
        ab = self.lemma3_structure(B) if "B" not in grad else None
        if ab is not None:
            u, ghat, pred, hat = self._logits_structured(ab[0], w, phi_plus, is_top)
        else:
            u, ghat, pred, hat = self._logits_general(B, w, need_rhat="B" in grad)
        loss_n = softplus(u)
        out = Stage2Eval(
            loss=float(np.dot(self.ds.pi, loss_n)),
            log_loss=_logsumexp(self.log_pi + log_softplus(u)),
            phi_plus=phi_plus, pred=pred,
            accuracy=float(np.sum(self.ds.counts[pred == self.y]) / np.sum(self.ds.counts)),
            group_att=_exp(log_att), group_log_w=log_w, engine=self)
        if grad:
            s = -softplus(-u)                                # log(1 - p_y) per sentence
            blocks = {}
            if "A" in grad:
                blocks["A"] = self._grad_A(s, log_w, w, ghat, is_top)
            if "B" in grad:
                blocks["B"] = self._grad_B(s, log_w, hat)
            logs = [c for c, _ in blocks.values()]
            M = max(logs)
            if not np.isfinite(M):
                out.grad_dir = {k: np.zeros((V, V)) for k in blocks}
                out.log_grad_norm = -np.inf
                return out
            G = {k: g * _exp(c - M) for k, (c, g) in blocks.items()}
            nrm = np.sqrt(sum(_frobenius(g) ** 2 for g in G.values()))
            if nrm == 0.0:                                   # e.g. W_ov = 0, or one token per sentence
                out.grad_dir = {k: np.zeros((V, V)) for k in blocks}
                out.log_grad_norm = -np.inf
                return out
            out.grad_dir = {k: g / nrm for k, g in G.items()}
            out.log_grad_norm = float(M + np.log(nrm))
        return out

    def _logits_structured(self, a, w, w_y, is_top):
        """Logit gaps and ``g_hat`` when ``B = beta 1 1^T + a P_In`` (Lemma 3 structure).

        ``Tbar_v = beta + a W_v`` with ``W_v`` the attention on tokens ``x`` with
        ``In(x) = v``; ``w_y = phi_+``. Wrong classes hit by no token have gap ``-a w_y``.
        """
        V = self.n_tokens
        opt, n_rest = self.g_opt, self.n_rest
        D = np.where(opt, -np.inf, a * (w - w_y[self.g_sent]))      # hit wrong classes
        d_rest = -a * w_y
        m = np.maximum.reduceat(D, self.g_start)
        m = np.where(n_rest > 0, np.maximum(m, d_rest), m)
        with np.errstate(divide="ignore"):
            tot = np.add.reduceat(_exp(D - m[self.g_sent]), self.g_start) \
                + n_rest * _exp(d_rest - m)
            u = m + np.log(tot)
        phat = _exp(D - u[self.g_sent])                           # p_v / (1 - p_y) of hit wrong classes
        ghat = np.where(opt, -a, a * phat)                          # (T - e_y)^T B[:, tok] / (1 - p_y)
        # argmax of Tbar = beta + a W_n: the class of the most attended token (ties: smallest class)
        cand = np.where(is_top, self.g_cls, V)
        pred = np.minimum.reduceat(cand, self.g_start)
        return u, ghat, pred, None

    def _logits_general(self, B, w, need_rhat=False):
        """Logit gaps and ``g_hat`` for any ``B``: ``Tbar = W B^T`` with ``W`` the sparse attention."""
        N, V = self.ds.N, self.n_tokens
        Wsp = sparse.csr_matrix((w, self.g_tok, self.g_indptr), shape=(N, V))
        Tbar = np.asarray(Wsp @ B.T)
        rows = np.arange(N)
        D = Tbar - Tbar[rows, self.y][:, None]
        D[rows, self.y] = -np.inf
        u = _logsumexp(D, axis=1) if V > 1 else np.full(N, -np.inf)
        phat = _exp(D - u[:, None])                               # p_v / (1 - p_y), 0 at y
        PB = phat @ B                                               # (N, V): sum_v phat_v B[v, k]
        ghat = PB[self.g_sent, self.g_tok] - B[self.y[self.g_sent], self.g_tok]
        pred = np.argmax(Tbar, axis=1)
        rhat = None
        if need_rhat:
            rhat = phat
            rhat[rows, self.y] = -1.0
        return u, ghat, pred, rhat

    def _grad_A(self, s, log_w, w, ghat, is_top):
        """``(c, G)`` with ``grad_A L = exp(c) G``; terms taken relative to each sentence's top group."""
        V = self.n_tokens
        first = np.flatnonzero(is_top)
        fs = self.g_sent[first]
        ref = first[np.r_[True, fs[1:] != fs[:-1]]]          # first top group of each sentence
        c = ghat - ghat[ref][self.g_sent]
        cbar = np.bincount(self.g_sent, weights=w * c, minlength=len(s))
        nonref = np.ones(len(w), dtype=bool)
        nonref[ref] = False
        lm = np.where(nonref, self.log_pi[self.g_sent] + s[self.g_sent] + log_w, -np.inf)
        M = np.max(lm, initial=-np.inf)
        if not np.isfinite(M):
            return -np.inf, np.zeros((V, V))
        coef = _exp(lm - M) * (c - cbar[self.g_sent])
        coef[~nonref] = 0.0
        coef[ref] = -np.bincount(self.g_sent, weights=coef, minlength=len(s))
        G = np.bincount(self.g_key_A, weights=coef, minlength=V * V).reshape(V, V)
        return float(M), G

    def _grad_B(self, s, log_w, rhat):
        """``(c, G)`` with ``grad_B L = exp(c) G``: ``sum_n pi_n (T - y) (X phi_att)^T`` in token coordinates."""
        N, V = self.ds.N, self.n_tokens
        lm = self.log_pi[self.g_sent] + s[self.g_sent] + log_w
        M = np.max(lm)
        if not np.isfinite(M):
            return -np.inf, np.zeros((V, V))
        C = sparse.csr_matrix((_exp(lm - M), self.g_tok, self.g_indptr), shape=(N, V)).T
        return float(M), np.asarray(C @ rhat).T
