"""Index arrays of the engine's fast paths, built once per dataset.

A sentence is a set of *groups* (its distinct tokens, with multiplicities; see
:mod:`reference.training.engine`). All groups holding token ``k`` in a sentence
with query ``q`` share the score ``A[k, q]``, so the engine exponentiates once
per distinct *pair* ``(k, q)`` and gathers. Per-sentence sums (the softmax
denominators, the means of Eq. (6)) and the sum of group terms into pairs (the
gradient) are sparse matrix-vector products with fixed patterns, built here.

=================  ===========  ==================================================
name               shape        meaning
=================  ===========  ==================================================
``p_flat``         ``(P,)``     flat index ``k |V| + q`` of pair p in ``A``
``p_qstart``       ``(Q,)``     pairs are sorted by query: start of each query's run
``p_qrun``         ``(P,)``     index of the pair's run in ``p_qstart``
``g_pair``         ``(G,)``     pair of group g
=================  ===========  ==================================================

Sums over sentences and pairs are CSR mat-vecs on large datasets and ``np.bincount``
on small ones or short sentences (:data:`_SPARSE_FROM`), whichever costs less.
"""

import math

import numpy as np

from ..numerics import _ranges
from .fastpath import SCORE_SPAN

__all__ = ["FastLayout"]

#: Number of groups from which sums go through CSR mat-vecs (2.5 us of SciPy overhead per call,
#: 2x faster per element) rather than ``np.bincount`` (0.7 us per call)...
_SPARSE_FROM = 4096
#: ... and plain sums over sentences too, provided sentences have this many groups on average:
#: with fewer, the mat-vec's per-row work dominates and ``np.bincount`` is faster (measured: 3x
#: slower at 12 groups per sentence, 1.1x faster at 3.7; a weighted sum, which the mat-vec fuses
#: with its multiplication, stays faster as a mat-vec).
_SPARSE_GROUPS_PER_SENTENCE = 5
#: Mean number of groups per sentence from which ``np.repeat`` spreads a per-sentence array to the
#: groups faster than a gather (measured: 1.7x faster at 12 groups, 2x slower at 3.7).
_REPEAT_FROM = 6


class FastLayout:
    """Pairs, sparse sum patterns and the structured path's per-group constants of one engine.

    Parameters
    ----------
    eng : reference.training.engine.Engine
        Its group arrays (``g_sent``, ``g_tok``, ``g_query``, ``g_indptr``, ...) are read.
    """

    def __init__(self, eng):
        ds, V = eng.ds, eng.n_tokens
        N, G = ds.N, len(eng.g_sent)
        self.N, self.G, self.V = N, G, V
        self._slots = None
        # every weight e_p / Z_n >= e^-span / L_max must stay a normal float64 (> e^-708)
        self.score_span = min(SCORE_SPAN, 705.0 - math.log(ds.L_max))
        self.g_sent, self.g_start = eng.g_sent, eng.g_start
        self.count = eng.g_count
        self.unit_counts = bool(np.all(self.count == 1.0))
        # pairs (k, q), sorted by query then token
        pkey = eng.g_query * V + eng.g_tok
        uniq, self.g_pair = np.unique(pkey, return_inverse=True)
        self.g_pair = self.g_pair.astype(np.intp).ravel()
        p_q, p_tok = uniq // V, uniq % V
        self.P = len(uniq)
        self.p_flat = p_tok * V + p_q
        self.p_flat.flags.writeable = False               # handed out in Stage2Eval.grad_pairs
        self.p_qstart = np.flatnonzero(np.r_[True, p_q[1:] != p_q[:-1]])
        self.p_qrun = np.cumsum(np.r_[0, (p_q[1:] != p_q[:-1]).astype(np.intp)])
        self._sparse = G >= _SPARSE_FROM
        self._sparse_sum = self._sparse and G >= _SPARSE_GROUPS_PER_SENTENCE * N
        # the groups of each pair, in group order: pair p holds by_pair[p_indptr[p]:p_indptr[p + 1]]
        self.by_pair = np.argsort(self.g_pair, kind="stable")
        self.p_indptr = np.searchsorted(self.g_pair[self.by_pair], np.arange(self.P + 1))
        if self._sparse:
            from scipy.sparse import csr_matrix      # SciPy only where it is used (small data: never)
            ones = np.ones(G)
            self._sum_mat = csr_matrix((ones, np.arange(G), eng.g_indptr), shape=(N, G))
            self._wsum_mat = csr_matrix((ones.copy(), np.arange(G), eng.g_indptr), shape=(N, G))
            self._pair_mat = csr_matrix((ones, self.by_pair, self.p_indptr), shape=(self.P, G))
        self.n_groups = np.diff(eng.g_indptr)
        # x[g_sent] by np.repeat is faster when sentences have many groups, by a gather otherwise
        self._repeat = G >= _REPEAT_FROM * N
        self.g_indptr = eng.g_indptr
        self.multi = np.diff(eng.g_indptr) > 1        # sentences with two distinct tokens or more
        self.multi_f = self.multi.astype(np.float64)
        self.any_multi = bool(self.multi.any())
        self.log_pi = eng.log_pi
        self.log_pi_multi = np.where(self.multi, eng.log_pi, -np.inf)
        self.counts_total = float(np.sum(ds.counts))
        self.counts = ds.counts.astype(np.float64)
        if eng.g_opt is not None:
            self.opt = np.flatnonzero(eng.g_opt)      # at most one optimal group per sentence (In is injective)
            self.opt_sent = eng.g_sent[self.opt]
            nonopt = (~eng.g_opt).astype(np.float64)
            if self._sparse:
                from scipy.sparse import csr_matrix
                self._nonopt_mat = csr_matrix((nonopt, np.arange(G), eng.g_indptr), shape=(N, G))
            else:
                self._nonopt = nonopt
            self.n_rest = eng.n_rest
            # accuracy: group g beats the next token iff w_g > w_y, or w_g == w_y and its class is
            # smaller (ties go to the smallest index); w_g - w_y > -5e-324 is w_g - w_y >= 0
            lower = eng.g_cls < eng.y[eng.g_sent]
            self.beat_threshold = np.where(lower, -np.finfo(np.float64).smallest_subnormal, 0.0)

    def spread(self, x):
        """``x[g_sent]``: a per-sentence array at every group."""
        return np.repeat(x, self.n_groups) if self._repeat else x.take(self.g_sent, mode="clip")

    def sent_sum(self, x):
        """``(N,)`` sums of a group array over each sentence."""
        return self._sum_mat @ x if self._sparse_sum else np.bincount(self.g_sent, x, minlength=self.N)

    def weighted_sum(self, w, x):
        """``(N,)`` sums of ``w_g x_g`` over each sentence (one CSR pass: ``w`` is the matrix's data)."""
        if self._sparse:
            self._wsum_mat.data = w
            return self._wsum_mat @ x
        return np.bincount(self.g_sent, w * x, minlength=self.N)

    def nonopt_sum(self, x):
        """``(N,)`` sums of a group array over the non-optimal groups of each sentence."""
        if self._sparse:
            return self._nonopt_mat @ x
        return np.bincount(self.g_sent, x * self._nonopt, minlength=self.N)

    def pair_sum(self, x):
        """``(P,)`` sums of a group array over the groups of each pair."""
        return self._pair_mat @ x if self._sparse else np.bincount(self.g_pair, x, minlength=self.P)

    def sums_of(self, x, sents):
        """``sent_sum(x)[sents]`` (the same numbers), summing only those sentences when they are few."""
        if 4 * len(sents) > self.N or len(sents) == 0:
            return self.sent_sum(x)[sents]
        lens = self.n_groups[sents]
        idx = _ranges(self.g_indptr[sents], lens)       # their groups, in order
        return np.bincount(np.repeat(np.arange(len(sents)), lens), x.take(idx), minlength=len(sents))

    def groups_of(self, k):
        """The groups of sentence ``k``, as a slice."""
        return slice(self.g_indptr[k], self.g_indptr[k + 1])

    def slot_layout(self, pi):
        """The structured path's :class:`reference.training.slots.SlotLayout` when it pays, else None (built once)."""
        if self._slots is None:
            from .slots import SlotLayout, use_slots
            self._slots = SlotLayout(self, pi) if use_slots(self) and hasattr(self, "opt") else False
        return self._slots or None

