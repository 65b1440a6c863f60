"""The general fast path: logits and ``g_hat`` for any ``W_ov``, block by block.

Sentences are sorted by query and cut into *chunks*; a chunk's sentences use
few distinct tokens ``U`` (one query's sentences often share most of them). In
a chunk, with ``W`` the ``rows x abs(U)`` attention and ``B_U = B[:, U]``,

    Tbar = W B_U^T                       (rows x abs(V); Tbar_v = (W_ov X phi)_v)
    E    = exp(Tbar), 0 at the next token y   (abs(Tbar) <= max abs(B) <= LOGIT_BOUND)
    S    = sum_v E_v,   u = log S - Tbar_y,   p_v / (1 - p_y) = E_v / S
    R    = E B_U                         (rows x abs(U))

and ``g_hat`` of the group holding token ``k`` is ``R[., k] / S - B[y, k]`` (the
entries of ``phat @ B`` that are used, and no others: an SDDMM). Only the
entries of the chunks are stored, no ``N x abs(V)`` array: the chunk buffer is
reused. Chunks are merged while the extra products cost less than the Python
overhead of one more chunk (:data:`CHUNK_OVERHEAD_CELLS`), and kept within
:data:`CHUNK_CELLS`.
"""

import numpy as np

__all__ = ["ChunkPlan", "general_blocks", "general_logits", "CHUNK_CELLS", "CHUNK_OVERHEAD_CELLS"]

#: Largest chunk buffer, rows x abs(V) entries (256 KB): it stays in the L2 cache.
CHUNK_CELLS = 1 << 15
#: Merge two chunks when the merged products grow by at most this many multiply-adds (about the
#: cost of one chunk's Python and call overhead, ~10 us, at ~4 multiply-adds per ns).
CHUNK_OVERHEAD_CELLS = 40_000


class ChunkPlan:
    """Sentences sorted by query, cut into chunks with their token sets, and the flat cell layout.

    Parameters
    ----------
    eng : Engine
    lay : reference.training.layout.FastLayout
    """

    def __init__(self, eng, lay):
        ds, V = eng.ds, eng.n_tokens
        N = ds.N
        self.order = np.argsort(ds.queries, kind="stable")
        self.rank = np.empty(N, dtype=np.intp)
        self.rank[self.order] = np.arange(N)
        q_sorted = ds.queries[self.order]
        run_start = np.flatnonzero(np.r_[True, q_sorted[1:] != q_sorted[:-1]])
        run_end = np.r_[run_start[1:], N]
        p_q = lay.p_flat % V
        p_tok = lay.p_flat // V
        tokens_of = {int(q): p_tok[lay.p_qstart[i]:(lay.p_qstart[i + 1] if i + 1 < len(lay.p_qstart) else lay.P)]
                     for i, q in enumerate(p_q[lay.p_qstart])}
        max_rows = max(1, CHUNK_CELLS // V)
        pieces = []                                   # (r0, r1, token set): one query, split to fit
        for r0, r1 in zip(run_start, run_end):
            toks = set(tokens_of[int(q_sorted[r0])].tolist())
            for s in range(r0, r1, max_rows):
                pieces.append((s, min(r1, s + max_rows), toks))
        chunks = []
        for r0, r1, toks in pieces:
            if chunks:
                c0, c1, U = chunks[-1]
                merged = U | toks
                extra = (r1 - c0) * len(merged) - (c1 - c0) * len(U) - (r1 - r0) * len(toks)
                if c1 == r0 and (r1 - c0) <= max_rows and extra * V <= CHUNK_OVERHEAD_CELLS:
                    chunks[-1] = (c0, r1, merged)
                    continue
            chunks.append((r0, r1, set(toks)))
        self.chunks = [(r0, r1, np.array(sorted(U), dtype=np.intp)) for r0, r1, U in chunks]
        sizes = [(r1 - r0) * len(U) for r0, r1, U in self.chunks]
        self.offsets = np.r_[0, np.cumsum(sizes)].astype(np.intp)
        self.n_cells = int(self.offsets[-1])
        # cell of every group: chunk offset + local row * abs(U) + position of its token in U
        col = np.full((len(self.chunks), V), -1, dtype=np.intp)
        chunk_of_row = np.empty(N, dtype=np.intp)
        row0 = np.empty(len(self.chunks), dtype=np.intp)
        width = np.empty(len(self.chunks), dtype=np.intp)
        for i, (r0, r1, U) in enumerate(self.chunks):
            col[i, U] = np.arange(len(U))
            chunk_of_row[r0:r1] = i
            row0[i], width[i] = r0, len(U)
        g_row = self.rank[eng.g_sent]
        g_chunk = chunk_of_row[g_row]
        self.g_cell = self.offsets[g_chunk] + (g_row - row0[g_chunk]) * width[g_chunk] + col[g_chunk, eng.g_tok]
        y_sorted = ds.y[self.order]
        self.y_local = [np.arange(r1 - r0) * V + y_sorted[r0:r1] for r0, r1, _ in self.chunks]
        self.y_sorted = y_sorted
        # reusable buffers and their per-chunk views
        self.W = np.zeros(self.n_cells)
        self.R = np.empty(self.n_cells)
        self.T = np.empty(max(r1 - r0 for r0, r1, _ in self.chunks) * V)
        self.S, self.Ty = np.empty(N), np.empty(N)
        self.pred = np.empty(N, dtype=np.intp)
        self.views = []
        for i, (r0, r1, U) in enumerate(self.chunks):
            o, rows = self.offsets[i], r1 - r0
            self.views.append((self.W[o:o + rows * len(U)].reshape(rows, len(U)),
                               self.R[o:o + rows * len(U)].reshape(rows, len(U)),
                               self.T[:rows * V].reshape(rows, V), slice(r0, r1), self.y_local[i]))


def general_blocks(plan, B, eng):
    """Per-``B`` constants of the general path: ``B[:, U]^T`` of every chunk and ``B[y, k]`` per group."""
    BUT = [np.ascontiguousarray(B[:, U].T) for _, _, U in plan.chunks]
    return BUT, B[eng.y[eng.g_sent], eng.g_tok]


def general_logits(eng, frozen, lay, w):
    """``(u, g_hat, phi_plus, accuracy, pred)`` for any ``B`` with ``max abs(B) <= LOGIT_BOUND``.

    Parameters
    ----------
    eng : Engine
    frozen : reference.training.engine.FrozenOV
    lay : reference.training.layout.FastLayout
    w : (n_groups,) array
        Total attention of every group.
    """
    plan = eng.chunk_plan()
    BUT, B_yk = frozen.general()
    plan.W[plan.g_cell] = w
    S, Ty, pred = plan.S, plan.Ty, plan.pred
    for (Wc, Rc, T, rows, y_local), BU in zip(plan.views, BUT):
        np.matmul(Wc, BU, out=T)
        T.take(y_local, out=Ty[rows])
        np.argmax(T, axis=1, out=pred[rows])
        np.exp(T, out=T)
        T.put(y_local, 0.0)
        T.sum(axis=1, out=S[rows])
        np.matmul(T, BU.T, out=Rc)
    S, Ty, pred = S[plan.rank], Ty[plan.rank], pred[plan.rank]
    u = np.log(S) - Ty
    ghat = plan.R[plan.g_cell]
    ghat *= (1.0 / S)[eng.g_sent]
    ghat -= B_yk
    pp = None
    if eng.g_opt is not None:
        pp = np.zeros(eng.ds.N)
        pp[lay.opt_sent] = w[lay.opt]
    acc = float(np.dot(lay.counts, pred == eng.y)) / lay.counts_total
    return u, ghat, pp, acc, pred
