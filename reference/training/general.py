"""The general fast path: logits and ``g_hat`` for any ``W_ov``, block by block.

Sentences are sorted by query and cut into *chunks*; a chunk's sentences use
few distinct tokens ``U`` (one query's sentences often share most of them). In
a chunk, with ``W`` the ``rows x abs(U)`` attention and ``B_U = B[:, U]``,

    Tbar = W B_U^T                       (rows x abs(V); Tbar_v = (W_ov X phi)_v)
    E    = exp(Tbar), 0 at the next token y   (abs(Tbar) <= max abs(B) <= LOGIT_BOUND)
    S    = sum_v E_v,   u = log S - Tbar_y,   p_v / (1 - p_y) = E_v / S
    R    = E B_U                         (rows x abs(U))

and ``g_hat`` of the group holding token ``k`` is ``R[., k] / S - B[y, k]`` (the
entries of ``phat @ B`` in the chunk's token columns: the used ones and some more,
never the whole ``N x abs(V)`` matrix). Only the
entries of the chunks are stored, no ``N x abs(V)`` array: the chunk buffer is
reused. Chunks are merged while the extra products cost less than the Python
overhead of one more chunk (:data:`CHUNK_OVERHEAD_CELLS`), and kept within
:data:`CHUNK_CELLS` and :data:`CHUNK_FMA`.
"""

import numpy as np

__all__ = ["ChunkPlan", "general_logits", "CHUNK_CELLS", "CHUNK_FMA"]

#: Largest chunk buffer, rows x abs(V) entries (256 KB): it stays in the L2 cache.
CHUNK_CELLS = 1 << 15
#: Largest product of one chunk, rows x abs(U) x abs(V) multiply-adds. OpenBLAS runs a matrix
#: product above 2^18 of them on several threads; on a busy machine waking them costs up to
#: milliseconds per call (measured: 36 x 58 x 256 took 24 ms, the same below 2^18 a few us).
CHUNK_FMA = 1 << 18
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

        def fits(rows, n_tok):
            return rows <= max_rows and rows * n_tok * V <= CHUNK_FMA

        pieces = []                                   # (r0, r1, token set): one query, split to fit
        for r0, r1 in zip(run_start, run_end):
            toks = set(tokens_of[int(q_sorted[r0])].tolist())
            step = max(1, min(max_rows, CHUNK_FMA // (len(toks) * V)))
            for s in range(r0, r1, step):
                pieces.append((s, min(r1, s + step), toks))
        chunks = []
        for r0, r1, toks in pieces:
            if chunks:
                c0, c1, U = chunks[-1]
                merged = U | toks
                extra = (r1 - c0) * len(merged) - (c1 - c0) * len(U) - (r1 - r0) * len(toks)
                if c1 == r0 and fits(r1 - c0, len(merged)) and extra * V <= CHUNK_OVERHEAD_CELLS:
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
        # blocks: runs of consecutive chunks within CHUNK_CELLS, whose elementwise work is one call each
        blocks, b0 = [], 0
        for i, (r0, r1, _) in enumerate(self.chunks):
            if r1 - self.chunks[b0][0] > max_rows and i > b0:
                blocks.append((b0, i))
                b0 = i
        blocks.append((b0, len(self.chunks)))
        y_sorted = ds.y[self.order]
        self.W = np.zeros(self.n_cells)
        self.R = np.empty(self.n_cells)
        self.T = np.empty(max(self.chunks[j - 1][1] - self.chunks[i][0] for i, j in blocks) * V)
        self.S, self.pred = np.empty(N), np.empty(N, dtype=np.intp)
        self.blocks = []                              # (T view, y cells, rows, [(W, R, T) of each chunk])
        for i, j in blocks:
            br0, br1 = self.chunks[i][0], self.chunks[j - 1][1]
            views = []
            for k in range(i, j):
                r0, r1, U = self.chunks[k]
                o, n = self.offsets[k], (r1 - r0) * len(U)
                views.append((k, self.W[o:o + n].reshape(r1 - r0, len(U)), self.R[o:o + n].reshape(r1 - r0, len(U)),
                              self.T[(r0 - br0) * V:(r1 - br0) * V].reshape(r1 - r0, V)))
            self.blocks.append((self.T[:(br1 - br0) * V].reshape(br1 - br0, V),
                                np.arange(br1 - br0) * V + y_sorted[br0:br1], slice(br0, br1), views))


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
    S, pred = plan.S, plan.pred
    for T, y_cells, rows, views in plan.blocks:
        for k, Wc, _, Tc in views:
            np.matmul(Wc, BUT[k], out=Tc)
        np.argmax(T, axis=1, out=pred[rows])
        np.exp(T, out=T)
        T.put(y_cells, 0.0)
        np.add.reduce(T, axis=1, out=S[rows])
        for k, _, Rc, Tc in views:
            np.matmul(Tc, BUT[k].T, out=Rc)
    S, pred = S[plan.rank], pred[plan.rank]
    u = np.log(S)
    u -= lay.sent_sum(w * B_yk)                 # Tbar_y = sum_g w_g B[y, k_g]
    ghat = plan.R[plan.g_cell]
    ghat *= lay.spread(1.0 / S)
    ghat -= B_yk
    pp = None
    if eng.g_opt is not None:
        pp = np.zeros(eng.ds.N)
        pp[lay.opt_sent] = w[lay.opt]
    acc = float(np.sum(lay.counts[pred == eng.y])) / lay.counts_total
    return u, ghat, pp, acc, pred
