"""Least-distance programs ``min ||a||^2 s.t. G a >= 1``: the pieces Eq. (2) and Eq. (3) split into.

Under Assumption 2 each column of ``B = W_ov E`` (Eq. 2) and of
``A = E^T W_kq E`` (Eq. 3) is such a program with *difference constraints*
``a[up[k]] - a[lo[k]] >= 1`` (docs/maxmargin.md, "How they decouple"). Two
exact solvers:

* :func:`solve_bipartite` (this module) when the upper and lower nodes are
  disjoint (a query without confused tokens, Assumption 1; every column of
  Eq. 2). The solution is constant on the blocks ``S`` of a max-flow
  decomposition: ``a = abs(N_S)/abs(S)`` on the upper nodes ``O_S`` of a block,
  ``-abs(O_S)/abs(S)`` on its lower nodes ``N_S``, and the multipliers are
  integer flows divided by ``abs(S)``. No iteration, no tolerance: rational
  values rounded once.
* :func:`solve_ldp` (:mod:`reference.maxmargin.ldp`) for any ``G``:
  checked Lawson-Hanson NNLS on the LDP reduction, then polished.

Both return ``(a, lam)`` with ``a = G^T lam`` (KKT of ``||a||^2 / 2``).
:func:`find_cycle` finds the contradiction that makes difference constraints
infeasible (Assumption 1(ii) violated).
"""

import numpy as np

from ..errors import SolverError

__all__ = ["solve_bipartite", "split_block", "find_cycle", "difference_rows"]


def difference_rows(n, up, lo):
    """The dense constraint rows ``e_{up[k]} - e_{lo[k]}`` of difference constraints ``a[up[k]] - a[lo[k]] >= 1``.

    Parameters
    ----------
    n : int
        Number of variables (tokens of the column).
    up, lo : int arrays, shape (m,)
        Upper and lower node of each constraint, ``0 <= up, lo < n``, ``up != lo``.

    Returns
    -------
    G : array, shape (m, n)
        Input of :func:`solve_ldp` for one column of Eq. (2) or Eq. (3).
    """
    G = np.zeros((up.size, n))
    k = np.arange(up.size)
    G[k, up] = 1.0
    G[k, lo] -= 1.0
    return G


# ---------------------------------------------------------------- bipartite difference constraints
def split_block(n, up, lo, edges):
    """Transportation test of block ``S``: ``lambda >= 0`` giving ``abs(N_S)`` to each upper, ``abs(O_S)`` to each lower node?

    This is KKT for the block's candidate values ``abs(N_S)/abs(S)`` on
    ``O_S`` and ``-abs(O_S)/abs(S)`` on ``N_S`` (scaled by ``abs(S)``; Theorem
    P2' in docs/theory.md), decided by one ``scipy.sparse.csgraph.maximum_flow``
    (source -> lower node, capacity ``abs(O_S)``; lower -> upper along each
    pair, unbounded; upper node -> sink, capacity ``abs(N_S)``).

    Parameters
    ----------
    n : int
        Number of nodes.
    up, lo : int arrays, shape (m,)
        Distinct pairs ``up[k] > lo[k]``; no node is both an upper and a lower node.
    edges : int array, shape (e,)
        Indices of the pairs inside the block; ``O_S = set(up[edges])``, ``N_S = set(lo[edges])``.

    Returns
    -------
    upper : None or bool array, shape (n,)
        None if the flow saturates; else the nodes reachable from the source
        in the residual graph: a set ``U`` closed under "is above" maximising
        ``abs(O_S) abs(N_S cap U) - abs(N_S) abs(O_S cap U) > 0`` (a minimum
        cut; ``Y = N_S cap U`` violates ``abs(Gamma(Y)) abs(N_S) >= abs(Y) abs(O_S)``).
    flow : None or float array, shape (e,)
        The integer flow on ``edges[k]`` when it saturates (``abs(S) lambda``), else None.
    """
    u, v = up[edges], lo[edges]
    O, N = np.unique(u), np.unique(v)
    nO, nN, s, t = O.size, N.size, n, n + 1
    if edges.size == nO * nN and np.unique(u * n + v).size == edges.size:
        # every upper node paired with every lower node (a star, as every column of Eq. 2 and
        # every query of prefix-closed data): a flow of 1 on each pair sends abs(O_S) out of each
        # lower and abs(N_S) into each upper node, so it saturates; no max-flow (and no SciPy) needed
        return None, np.ones(edges.size)
    rows = np.concatenate([np.full(nN, s), v, O])
    cols = np.concatenate([N, u, np.full(nO, t)])
    cap = np.concatenate([np.full(nN, nO), np.full(edges.size, nO * nN + 1), np.full(nO, nN)])
    from scipy.sparse import csr_matrix                        # SciPy only where it is used
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow
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
    """``min ||a||^2 s.t. a[up[k]] - a[lo[k]] >= 1`` exactly, no node both up and lo (a column of Eq. 2 or 3).

    Splits the nodes into blocks by :func:`split_block` until every block
    passes its transportation test (the partitioning algorithm of L2
    isotonic regression, docs/maxmargin.md); each block ``S`` then gets
    ``abs(N_S)/abs(S)`` on its upper and ``-abs(O_S)/abs(S)`` on its lower
    nodes, Proposition 2's values when there is one block.

    Parameters
    ----------
    n : int
        Number of nodes (tokens of the column); nodes in no pair get 0.
    up, lo : int arrays, shape (m,)
        Distinct pairs; ``set(up)`` and ``set(lo)`` disjoint (no confused token, Assumption 1).

    Returns
    -------
    a : array, shape (n,)
    lam : array, shape (m,)
        Multipliers, ``a = sum_k lam_k (e_up[k] - e_lo[k])``.

    Raises
    ------
    SolverError
        A node both upper and lower (use :func:`solve_ldp`).
    """
    both = np.intersect1d(up, lo)
    if both.size:
        raise SolverError(f"solve_bipartite: node(s) {both.tolist()} are both above and below "
                          "(confused tokens); use solve_ldp")
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
    """A directed cycle ``up[k_1] -> lo[k_1] = up[k_2] -> ... -> lo[k_r] = up[k_1]`` of the pairs, or None.

    A cycle ``a > b > ... > a`` under one query makes Eq. (3) infeasible
    (Assumption 1(ii) fails); its constraints name the culprit sentences.

    Parameters
    ----------
    n : int
        Number of nodes.
    up, lo : int arrays, shape (m,)
        Pairs ``up[k] > lo[k]``.

    Returns
    -------
    list of int or None
        Indices ``k`` of the pairs along one cycle, in order; None if the pairs are acyclic.
    """
    loops = np.flatnonzero(up == lo)
    if loops.size:
        return [int(loops[0])]
    from scipy.sparse import csr_matrix                        # SciPy only where it is used
    from scipy.sparse.csgraph import connected_components
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
