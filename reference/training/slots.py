"""The structured path's slot order: sums over short sentences as a few contiguous additions.

On data whose sentences hold few distinct tokens (sample sets: about four groups
per sentence), a sum over each sentence's groups by ``np.bincount`` or a CSR
mat-vec costs 1.3-1.7 ns per group, mostly index traffic. Here sentences are
sorted by their number of groups (most first) and the groups laid out
*slot-major*: first the first group of every sentence, then the second group
of every sentence that has one, and so on. Slot ``k`` is then one contiguous
block ``x[off[k]:off[k+1]]`` lined up with the sentences ``0 .. n_k - 1``,
so a sum over sentences is ``K`` contiguous vector additions and spreading a
per-sentence array to the groups ``K`` contiguous copies (``K`` the largest
number of groups): 3-5 times cheaper on the sample workload of
docs/performance.md.

The sums add each sentence's groups in the same order as the engine's own
layout (:class:`reference.training.layout.FastLayout`), and the sum over the
groups of a (token, query) pair visits them in that order too, so both
layouts give bitwise the same numbers (``tests/test_engine_paths.py``).
"""

import numpy as np

__all__ = ["SlotLayout", "use_slots"]

#: Slot order is used when the largest number of groups per sentence is at most this (each slot
#: costs about 1 us of NumPy call overhead per sum, a group 0.3-0.5 ns)...
SLOTS_MAX = 16
#: ... and the data has at least this many groups (below, one ``np.bincount`` call is cheaper).
SLOTS_FROM = 4096


def use_slots(lay):
    """Whether the structured path takes the slot order for the dataset of ``lay`` (a FastLayout)."""
    return lay.G >= SLOTS_FROM and lay.N > 0 and int(lay.n_groups.max()) <= SLOTS_MAX


class SlotLayout:
    """A :class:`reference.training.layout.FastLayout` in slot order (the module's docstring).

    Offers what the structured path reads of a layout, under the same names: group arrays in
    slot order, sentence arrays in sorted order. ``sent_inv`` and ``group_inv`` map them back:
    ``x_engine = x_slot[group_inv]``, ``y_engine = y_sorted[sent_inv]``.

    Parameters
    ----------
    lay : reference.training.layout.FastLayout
        With the structured path's arrays (``opt``, ``n_rest``: a dataset with a collocation).
    pi : (N,) array
        The sentence weights of Eq. (1), engine order.
    """

    def __init__(self, lay, pi):
        N, G = lay.N, lay.G
        self.N, self.G, self.P = N, G, lay.P
        ng = lay.n_groups
        self.sent_perm = np.argsort(-ng, kind="stable")       # sorted index -> engine sentence
        self.n_groups = ng[self.sent_perm]
        K = int(self.n_groups[0])
        nk = np.array([np.count_nonzero(self.n_groups > k) for k in range(K)])
        off = np.concatenate([[0], np.cumsum(nk)])
        self._slots = [(int(nk[k]), int(off[k]), int(off[k + 1])) for k in range(K)]
        self.off = off
        gperm = np.concatenate([lay.g_indptr[self.sent_perm[:nk[k]]] + k for k in range(K)])
        self.group_perm = gperm                                  # slot position -> engine group
        self.group_inv = np.empty(G, dtype=np.intp)
        self.group_inv[gperm] = np.arange(G)
        self.sent_inv = np.empty(N, dtype=np.intp)
        self.sent_inv[self.sent_perm] = np.arange(N)
        self.g_sent = np.concatenate([np.arange(n) for n, _, _ in self._slots])
        # pairs: as the engine's, with the group arrays permuted
        self.p_flat, self.p_qstart, self.p_qrun = lay.p_flat, lay.p_qstart, lay.p_qrun
        self.score_span = lay.score_span
        self.g_pair = lay.g_pair[gperm]
        self.unit_counts, self.count = lay.unit_counts, lay.count[gperm]
        self._by_pair = self.group_inv[lay.by_pair]              # engine order inside each pair
        self._p_indptr = lay.p_indptr
        self._pair_mat = None
        # sentences, sorted
        sp = self.sent_perm
        self.multi, self.multi_f, self.any_multi = lay.multi[sp], lay.multi_f[sp], lay.any_multi
        self.log_pi, self.log_pi_multi, self.pi = lay.log_pi[sp], lay.log_pi_multi[sp], np.asarray(pi)[sp]
        self.opt = self.group_inv[lay.opt]
        self.opt_sent = self.sent_inv[lay.opt_sent]
        self.n_rest = lay.n_rest[sp]
        nonopt = np.ones(G)
        nonopt[self.opt] = 0.0
        self._nonopt = nonopt

    def sent_sum(self, x):
        """``(N,)`` sums of a group array over each sentence (sorted order)."""
        n0 = self._slots[0][0]
        Z = x[:n0].copy()
        for n, a, b in self._slots[1:]:
            Z[:n] += x[a:b]
        return Z

    def spread(self, z):
        """``z[g_sent]``: a per-sentence array (sorted order) at every group."""
        out = np.empty(self.G)
        for n, a, b in self._slots:
            out[a:b] = z[:n]
        return out

    def weighted_sum(self, w, x):
        """``(N,)`` sums of ``w_g x_g`` over each sentence."""
        return self.sent_sum(w * x)

    def nonopt_sum(self, x):
        """``(N,)`` sums of a group array over the non-optimal groups of each sentence."""
        return self.sent_sum(x * self._nonopt)

    def pair_sum(self, x):
        """``(P,)`` sums of a group array over the groups of each pair, in the engine's order."""
        if self._pair_mat is None:
            from scipy.sparse import csr_matrix
            self._pair_mat = csr_matrix((np.ones(self.G), self._by_pair, self._p_indptr),
                                        shape=(self.P, self.G))
        return self._pair_mat @ x

    def sums_of(self, x, sents):
        """``sent_sum(x)[sents]``."""
        return self.sent_sum(x)[sents]

    def groups_of(self, k):
        """Indices of the groups of sentence ``k`` (sorted order), in the engine's order."""
        return self.off[:self.n_groups[k]] + k
