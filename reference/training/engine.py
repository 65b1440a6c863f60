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

Stage 2 has three paths (docs/performance.md). When ``B`` has exactly the
structure of Lemma 3 (every column ``beta 1 + a e_{In(i)}`` with common
``a > 0`` and ``beta``, which a zero-initialised stage 1 keeps bit for bit, see
:meth:`Engine.stage1`) the *structured* path costs O(number of groups);
otherwise the *general* path costs O(groups x abs(V)) products, block by
block (:mod:`reference.training.general`). Both use plain exponentials
(:mod:`reference.training.fastpath`) and check, at every evaluation, the bounds
under which these are exact; where one fails (saturated attention or logits,
weights above ~600 in token coordinates) the *careful* path in log space
(:mod:`reference.training.careful`) is taken. ``W_ov`` is frozen in stage 2: its
structure and bounds are checked once (:meth:`Engine.freeze`).
"""

import math

import numpy as np

from ..data.dataset import Dataset
from ..data.validate import check_weights
from ..errors import AssumptionError, CorpusError, WeightsError
from ..numerics import log_softplus, softplus  # noqa: F401 (re-exported: the engine's building blocks)
from ..structure.orders import collocation
from .careful import careful_stage2
from .fastpath import fast_stage2
from .frozen import COORD_LIMIT, FrozenOV
from .general import ChunkPlan
from .layout import FastLayout
from .loss0 import loss0_eval

__all__ = ["Engine"]


class Engine:
    """The loss and gradient engine of one dataset, in token coordinates.

    Parameters
    ----------
    ds : Dataset
        Its vocabulary must satisfy Assumption 2 (orthonormal ``E``).
    fast : bool, default True
        Use the fast stage-2 paths where they are exact; False takes the careful
        path always (for comparisons).

    Raises
    ------
    CorpusError
        ``ds`` is not a Dataset.
    AssumptionError
        If ``E`` is not orthonormal (use the literal functions of
        :mod:`reference.model.loss` for such vocabularies).
    """

    def __init__(self, ds, fast=True):
        if not isinstance(ds, Dataset):
            raise CorpusError(f"Engine needs a Dataset, got {type(ds).__name__}")
        if not ds.vocab.orthonormal:
            raise AssumptionError(
                "the training engine needs orthonormal embeddings (Assumption 2); "
                "use reference.model.loss (the literal face) for other vocabularies")
        self.ds, self.fast = ds, bool(fast)
        #: the structured path sums in slot order where it pays (reference/training/slots.py);
        #: False keeps the engine's order (the same numbers, bit for bit)
        self.slots = True
        self._layout = self._plan = self._frozen = None
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
        self.g_count = cnt.astype(np.float64)
        self.g_log_count = np.log(self.g_count)
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
            self.perm_flat = (self.perm * V + rows[None, :]).ravel()     # flat index of B[perm, cols]

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
        x = M.ravel()
        if math.isfinite(float(np.einsum("i,i->", x, x))):     # one pass: every abs(entry) <= 1.4e154
            return
        if not (M.min() >= -COORD_LIMIT and M.max() <= COORD_LIMIT):     # False for NaN too
            bad = ~np.isfinite(M)
            if bad.any():
                i, j = np.argwhere(bad)[0]
                raise WeightsError(f"{name}[{i}, {j}] = {M[i, j]!r}: token coordinates must be finite")
            i, j = np.argwhere(np.abs(M) > COORD_LIMIT)[0]
            raise WeightsError(
                f"{name}[{i}, {j}] = {float(M[i, j])!r}: token coordinates above {COORD_LIMIT:g} in magnitude "
                "make the logit gaps and gradient terms overflow float64")

    def fast_layout(self):
        """The pairs and sum patterns of the fast paths (:class:`reference.training.layout.FastLayout`), built once."""
        if self._layout is None:
            self._layout = FastLayout(self)
        return self._layout

    def chunk_plan(self):
        """The general path's chunks (:class:`reference.training.general.ChunkPlan`), built once."""
        if self._plan is None:
            self._plan = ChunkPlan(self, self.fast_layout())
        return self._plan

    def freeze(self, B):
        """``B`` checked once for stage 2: shape, finiteness, Lemma 3 structure and bound.

        The last frozen ``B`` is kept; an equal array gets it back without a new check.

        Parameters
        ----------
        B : float64 array, shape (abs(V), abs(V)), or FrozenOV

        Returns
        -------
        FrozenOV

        Raises
        ------
        WeightsError
            ``B`` of the wrong shape or dtype, not finite or above :data:`COORD_LIMIT`.
        """
        if isinstance(B, FrozenOV):
            if B._eng is not self:
                raise WeightsError("this FrozenOV was made by another engine")
            return B
        f = self._frozen
        if f is not None and isinstance(B, np.ndarray) and B.shape == f.B.shape and np.array_equal(B, f.B):
            return f
        self._check(B, "B")
        self._frozen = FrozenOV(self, B)
        return self._frozen

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
        return loss0_eval(self, B, grad)

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

    def stage2(self, B, A, grad=("A",)):
        """``L`` (Eq. 1) at ``W_ov = B E^T``, ``W_kq = E A E^T``, and gradient directions.

        Parameters
        ----------
        B : (abs(V), abs(V)) float64 array, or the FrozenOV of one (:meth:`freeze`)
        A : (abs(V), abs(V)) float64 array
        grad : tuple of {"A", "B"}, default ("A",)
            Which gradient blocks to return, as one jointly normalised direction:
            ``"A"`` is Eq. (6) in token coordinates, ``"B"`` is ``grad_{W_ov} L``.

        Returns
        -------
        Stage2Eval
            Its ``path`` says which evaluation was used (docs/performance.md): the
            structured or general fast path, or the careful one (always for a
            ``"B"`` block, and wherever the fast paths' exactness bounds fail).

        Raises
        ------
        WeightsError
            ``B`` or ``A`` of the wrong shape or dtype, not finite or above
            :data:`COORD_LIMIT`, or an unknown block in ``grad``.
        """
        frozen = self.freeze(B)
        self._check(A, "A")
        grad = tuple(grad)
        if not set(grad) <= {"A", "B"}:
            raise WeightsError(f"grad must name blocks 'A' and/or 'B', got {grad!r}")
        if frozen.path != "careful" and "B" not in grad:
            out = fast_stage2(self, frozen, A, "A" in grad)
            if out is not None:
                return out
        return careful_stage2(self, frozen.B, A, grad, frozen.lemma3)
