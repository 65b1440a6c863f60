"""The training engine: ``L``, ``L_0`` and their gradients for the whole dataset at once.

This is the second face of the mathematics (docs/derivations.md, "Two faces"). Under
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

Numerics (docs/derivations.md, sections 3-4). Losses are computed from the logit gaps
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

import numpy as np
from scipy import sparse

from ..data.dataset import Dataset
from ..data.validate import check_weights
from ..errors import AssumptionError, CorpusError, WeightsError
from ..numerics import _exp, _frobenius, _logsumexp, log_softplus, softplus
from ..structure.orders import collocation
from .evaluation import Stage1Eval, Stage2Eval

__all__ = ["Engine"]


class Engine:
    """The loss and gradient engine of one dataset, in token coordinates.

    Parameters
    ----------
    ds : Dataset
        Its vocabulary must satisfy Assumption 2 (orthonormal ``E``).

    Raises
    ------
    CorpusError
        ``ds`` is not a Dataset.
    AssumptionError
        If ``E`` is not orthonormal (use the literal functions of
        :mod:`reference.model.loss` for such vocabularies).
    """

    def __init__(self, ds):
        if not isinstance(ds, Dataset):
            raise CorpusError(f"Engine needs a Dataset, got {type(ds).__name__}")
        if not ds.vocab.orthonormal:
            raise AssumptionError(
                "the training engine needs orthonormal embeddings (Assumption 2); "
                "use reference.model.loss (the literal face) for other vocabularies")
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
        """``(B, A) = (W_ov E, E^T W_kq E)``: the token coordinates of the weights (docs/derivations.md, "Two faces").

        The scores ``x_l^T W_kq x_L`` and logits ``W_ov x`` depend on the weights
        only through these, for any weights (not only those in the span of ``E``).

        Parameters
        ----------
        W_ov : array_like, shape (abs(V), d)
        W_kq : array_like, shape (d, d)

        Returns
        -------
        B, A : float64 arrays, shape (abs(V), abs(V))

        Raises
        ------
        WeightsError
            Wrong shape or dtype, or a NaN/inf entry (named).
        """
        E = self.E
        W_ov, W_kq = check_weights(W_ov, W_kq, self.ds.vocab)
        return W_ov @ E, E.T @ W_kq @ E

    def to_weights(self, B, A):
        """``(W_ov, W_kq) = (B E^T, E A E^T)``: the weights in the span of the embeddings.

        Parameters
        ----------
        B, A : arrays, shape (abs(V), abs(V))

        Returns
        -------
        W_ov : array, shape (abs(V), d)
        W_kq : array, shape (d, d)
        """
        return B @ self.E.T, self.E @ A @ self.E.T

    def _check(self, M, name):
        V = self.n_tokens
        if not isinstance(M, np.ndarray) or M.shape != (V, V) or M.dtype != np.float64:
            raise WeightsError(f"{name} must be a float64 array of shape ({V}, {V})")
        if not np.all(np.isfinite(M)):
            i, j = np.argwhere(~np.isfinite(M))[0]
            raise WeightsError(f"{name}[{i}, {j}] = {M[i, j]!r}: token coordinates must be finite")

    def _need_In(self):
        if self.In is None:
            raise AssumptionError(self._no_collocation)

    # ------------------------------------------------------------------ stage 1
    def stage1(self, B, grad=True):
        """``L_0`` (Section 4.2) at ``W_ov = B E^T`` and, if ``grad``, the unit direction of Eq. (5).

        Parameters
        ----------
        B : float64 array, shape (abs(V), abs(V))
        grad : bool, default True

        Returns
        -------
        Stage1Eval

        Raises
        ------
        AssumptionError
            If the dataset has no (injective) collocation, so ``L_0`` is undefined.
        WeightsError
            ``B`` of the wrong shape or dtype, or not finite.

        Notes
        -----
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
        """``(a, beta)`` if every column of ``B`` is exactly ``beta 1 + a e_{In(i)}`` with ``a > 0``, else None.

        This is the structure Lemma 3 proves for a zero-initialised stage 1 (all
        wrong logits of a token equal); :meth:`stage1` keeps it bit for bit, and
        :meth:`stage2` then takes its O(number of groups) path.

        Parameters
        ----------
        B : float64 array, shape (abs(V), abs(V))

        Returns
        -------
        tuple of float (a, beta), or None
        """
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
        grad : tuple of {"A", "B"}, default ("A",)
            Which gradient blocks to return, as one jointly normalised direction:
            ``"A"`` is Eq. (6) in token coordinates, ``"B"`` is ``grad_{W_ov} L``.

        Returns
        -------
        Stage2Eval

        Raises
        ------
        WeightsError
            ``B`` or ``A`` of the wrong shape or dtype or not finite, or an unknown block in ``grad``.
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
        if V > 1:
            phat = _exp(D - u[:, None])                           # p_v / (1 - p_y), 0 at y
        else:                                                     # no wrong class: nothing to spread
            phat = np.zeros((N, 1))
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
