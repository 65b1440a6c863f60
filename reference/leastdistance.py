"""Least-distance programs ``min ||a||^2 s.t. G a >= 1``: the pieces Eq. (2) and Eq. (3) split into.

Two exact solvers (docs/maxmargin.md):

* :func:`solve_bipartite` for *difference constraints* ``a[up[k]] - a[lo[k]] >= 1``
  whose upper and lower nodes are disjoint (a query without confused tokens,
  Assumption 1; every column of Eq. (2)). The solution is constant on the
  blocks ``S`` of a max-flow decomposition: ``a = abs(N_S)/abs(S)`` on the upper
  nodes ``O_S`` of a block, ``-abs(O_S)/abs(S)`` on its lower nodes ``N_S``, and the
  multipliers are integer flows divided by ``abs(S)``. No iteration, no
  tolerance: rational values rounded once.
* :func:`solve_ldp` for any ``G``: Lawson-Hanson NNLS on the LDP reduction
  (Lawson & Hanson 1995, ch. 23; ``scipy.optimize.nnls``), then polished on the
  support ``P``: ``a`` = least-norm solution of ``G_P a = 1``, ``G_P^T lambda_P = a``.

Both return ``(a, lam)`` with ``a = G^T lam`` (KKT of ``||a||^2 / 2``).
"""

import numpy as np
from scipy.optimize import nnls
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, maximum_flow

from .errors import SolverError

__all__ = ["Infeasible", "solve_bipartite", "solve_ldp", "split_block", "find_cycle", "difference_rows"]

#: NNLS reports infeasibility through ``1 - sum(u) = 1 / (1 + ||a||^2)``; below this
#: any feasible point would need ``||a||^2 > 1e12``, far beyond any real problem.
INFEASIBLE_TOL = 1e-12
#: NNLS optimality check: the gradient ``A^T (b - A u)`` must vanish to this
#: (relative to ``max|A| max|b|``) where ``u > 0`` and be <= it where ``u = 0``;
#: exact solutions reach ~1e-15, SciPy's occasional wrong answers miss by > 1e-2.
NNLS_KKT_TOL = 1e-10


class Infeasible(Exception):
    """``G a >= 1`` has no solution; ``rows`` are constraints that contradict each other."""

    def __init__(self, rows):
        super().__init__(rows)
        self.rows = rows


def difference_rows(n, up, lo):
    """The dense rows ``e_up[k] - e_lo[k]`` (shape ``(m, n)``) of difference constraints."""
    G = np.zeros((up.size, n))
    k = np.arange(up.size)
    G[k, up] = 1.0
    G[k, lo] -= 1.0
    return G


# ---------------------------------------------------------------- bipartite difference constraints
def split_block(n, up, lo, edges):
    """Transportation test of one block: supply ``abs(N_S)`` at each upper node, demand ``abs(O_S)`` at each lower one.

    Returns
    -------
    (None, flow) if the flow saturates (``flow[k]`` on edge ``edges[k]``, integer),
    else (upper, None): the nodes reachable from the source in the residual
    graph, an upper set ``U`` (closed under "is above") maximising
    ``abs(O_S) abs(N_S cap U) - abs(N_S) abs(O_S cap U) > 0`` (a maximum-weight closure).
    """
    u, v = up[edges], lo[edges]
    O, N = np.unique(u), np.unique(v)
    nO, nN, s, t = O.size, N.size, n, n + 1
    rows = np.concatenate([np.full(nN, s), v, O])
    cols = np.concatenate([N, u, np.full(nO, t)])
    cap = np.concatenate([np.full(nN, nO), np.full(edges.size, nO * nN + 1), np.full(nO, nN)])
    C = csr_matrix((cap.astype(np.int32), (rows, cols)), shape=(n + 2, n + 2))
    res = maximum_flow(C, s, t)
    if res.flow_value == nO * nN:
        return None, np.asarray(res.flow[v, u]).ravel().astype(np.float64)
    R = (C - res.flow).tocsr()
    R.data = (R.data > 0).astype(np.int32)
    R.eliminate_zeros()
    upper = np.zeros(n + 2, dtype=bool)
    upper[breadth_first_order(R, s, directed=True, return_predecessors=False)] = True
    return upper[:n], None


def solve_bipartite(n, up, lo):
    """``min ||a||^2 s.t. a[up[k]] - a[lo[k]] >= 1`` when no node is both an ``up`` and a ``lo``.

    Parameters
    ----------
    n : int
    up, lo : int arrays, shape (m,)
        Distinct pairs; ``set(up)`` and ``set(lo)`` disjoint.

    Returns
    -------
    a : array, shape (n,)
    lam : array, shape (m,)
        Multipliers, ``a = sum_k lam_k (e_up[k] - e_lo[k])``.
    """
    a, lam = np.zeros(n), np.zeros(up.size)
    stack = [np.ones(n, dtype=bool)]
    while stack:
        inside = stack.pop()
        edges = np.flatnonzero(inside[up] & inside[lo])
        if edges.size == 0:
            continue
        upper, flow = split_block(n, up, lo, edges)
        if upper is None:
            O, N = np.unique(up[edges]), np.unique(lo[edges])
            S = O.size + N.size
            a[O], a[N], lam[edges] = N.size / S, -O.size / S, flow / S
        else:
            U = upper & inside
            if not U.any() or np.array_equal(U, inside):  # pragma: no cover - max-flow min-cut theorem
                raise SolverError("block decomposition: a cut without a proper upper set")
            stack += [inside & ~U, U]
    return a, lam


def find_cycle(n, up, lo):
    """A directed cycle of the edges ``up[k] -> lo[k]`` as a list of edge indices, or None."""
    g = csr_matrix((np.ones(up.size), (up, lo)), shape=(n, n))
    n_comp, lab = connected_components(g, directed=True, connection="strong")
    if n_comp == n:
        return None
    comp = np.bincount(lab).argmax()
    out = {}
    for k in np.flatnonzero((lab[up] == comp) & (lab[lo] == comp)):
        out.setdefault(int(up[k]), []).append(int(k))
    start = next(iter(out))
    prev, frontier = {start: None}, [start]
    while frontier:  # breadth-first search from start back to start
        nxt = []
        for i in frontier:
            for k in out.get(i, ()):
                j = int(lo[k])
                if j == start:
                    path = [k]
                    while prev[i] is not None:
                        path.append(prev[i])
                        i = int(up[prev[i]])
                    return path[::-1]
                if j not in prev:
                    prev[j] = k
                    nxt.append(j)
        frontier = nxt
    raise AssertionError("a strong component without a cycle")  # pragma: no cover


# ---------------------------------------------------------------- general G: Lawson-Hanson NNLS
def _nnls_optimal(A, b, u):
    """KKT of ``min ||A u - b|| s.t. u >= 0``: ``w = A^T (b - A u) <= 0`` on ``u = 0``, ``= 0`` on ``u > 0``."""
    w = A.T @ (b - A @ u)
    tol = NNLS_KKT_TOL * max(1.0, np.abs(A).max() * np.abs(b).max())
    return bool(u.min(initial=0.0) >= 0 and w[u == 0].max(initial=-1.0) <= tol
                and np.abs(w[u > 0]).max(initial=0.0) <= tol)


def _lawson_hanson(A, b):
    """Lawson & Hanson's NNLS algorithm (1995, ch. 23) in NumPy, with the usual guard against re-adding
    a column whose least-squares coefficient comes out non-positive."""
    m, n = A.shape
    x, P, blocked = np.zeros(n), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    tol = 10 * np.finfo(float).eps * max(m, n) * max(1.0, np.abs(A).sum(axis=0).max())
    w, it = A.T @ b, 0
    while True:
        cand = np.flatnonzero(~P & ~blocked & (w > tol))
        if cand.size == 0:
            return x
        j = cand[np.argmax(w[cand])]
        P[j] = True
        first = True
        while True:
            it += 1
            if it > 20 * (m + n) + 100:
                raise SolverError(f"Lawson-Hanson NNLS did not converge on a {m} x {n} problem")
            z = np.zeros(n)
            z[P] = np.linalg.lstsq(A[:, P], b, rcond=None)[0]
            if z[P].min() > 0:
                x, blocked[:] = z, False
                break
            if first and z[j] <= 0:          # numerically useless column: skip it this round
                P[j], blocked[j] = False, True
                break
            first = False
            Q = P & (z <= 0)
            alpha = np.min(x[Q] / (x[Q] - z[Q]))
            x = x + alpha * (z - x)
            P &= x > 0
            x[~P] = 0.0
        w = A.T @ (b - A @ x)


def _nnls(A, b):
    """NNLS solved exactly: ``scipy.optimize.nnls``, checked by its KKT conditions, else :func:`_lawson_hanson`.

    (SciPy's re-implementation can return a non-optimal point without notice, scipy/scipy#25389.)
    """
    try:
        u = nnls(A, b, maxiter=20 * sum(A.shape) + 100)[0]
        if _nnls_optimal(A, b, u):
            return u
    except RuntimeError:
        pass
    u = _lawson_hanson(A, b)
    if not _nnls_optimal(A, b, u):
        raise SolverError(f"NNLS failed its optimality check on a {A.shape[0]} x {A.shape[1]} problem")
    return u


def _residuals(G, a, lam):
    marg = G @ a
    return max(0.0, 1.0 - marg.min(), -lam.min(), np.abs(lam * (marg - 1.0)).max(),
               np.abs(G.T @ lam - a).max())


def solve_ldp(G):
    """``min ||a||^2 s.t. G a >= 1`` exactly: NNLS on ``[G^T; 1^T] u ~ e_{n+1}``, then polish.

    Parameters
    ----------
    G : array, shape (m, n)

    Returns
    -------
    a : array, shape (n,)
    lam : array, shape (m,)
        ``a = G^T lam``, ``lam >= 0``.

    Raises
    ------
    Infeasible
        With the support of the Farkas vector ``u`` (``G^T u = 0``, ``1^T u = 1``).
    SolverError
        NNLS did not converge.
    """
    m, n = G.shape
    if m == 0:
        return np.zeros(n), np.zeros(0)
    Ep = np.empty((n + 1, m))
    Ep[:n], Ep[n] = G.T, 1.0
    f = np.zeros(n + 1)
    f[n] = 1.0
    u = _nnls(Ep, f)
    s = 1.0 - u.sum()
    if not s > INFEASIBLE_TOL:
        raise Infeasible(np.flatnonzero(u > 0))
    lam = u / s
    best = (G.T @ lam, lam)
    P = np.flatnonzero(lam > 0)
    if P.size:
        a = np.linalg.lstsq(G[P], np.ones(P.size), rcond=None)[0]
        lamP = np.linalg.lstsq(G[P].T, a, rcond=None)[0]
        if lamP.min() < 0:  # G_P rank-deficient: non-negative multipliers exactly
            lamP = _nnls(G[P].T, a)
        polished = np.zeros(m)
        polished[P] = lamP
        if _residuals(G, a, polished) <= _residuals(G, *best):
            best = (a, polished)
    return best
