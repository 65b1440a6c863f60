"""General least-distance programs ``min ||a||^2 s.t. G a >= 1`` by checked NNLS (Lawson & Hanson 1995, ch. 23).

Used for the pieces of Eq. (2) and Eq. (3) that are not bipartite difference
constraints (a query with confused tokens, outside Assumption 1) and for the
coupled problem of non-orthonormal embeddings. ``solve_ldp`` reduces the LDP
to the NNLS problem ``min ||[G^T; 1^T] u - e_{n+1}||, u >= 0``; NNLS itself is
``scipy.optimize.nnls`` **checked by its own KKT conditions**, with a NumPy
Lawson-Hanson fallback when that check fails (SciPy 1.15-1.17 can return a
non-optimal point without notice, scipy/scipy#25389; an instance is in
``tests/test_maxmargin.py::test_ldp_where_scipy_nnls_alone_is_wrong``).
"""

import numpy as np

from ..errors import SolverError

__all__ = ["Infeasible", "solve_ldp", "INFEASIBLE_TOL", "NNLS_KKT_TOL"]

#: NNLS reports infeasibility through ``1 - sum(u) = 1 / (1 + ||a||^2)``; below this
#: any feasible point would need ``||a||^2 > 1e12``, far beyond any real problem.
INFEASIBLE_TOL = 1e-12
#: NNLS optimality check: the gradient ``A^T (b - A u)`` must vanish to this
#: (relative to ``max|A| max|b|``) where ``u > 0`` and be <= it where ``u = 0``;
#: exact solutions reach ~1e-15, SciPy's occasional wrong answers miss by > 1e-2.
NNLS_KKT_TOL = 1e-10


def nnls(A, b, maxiter=None):
    """``scipy.optimize.nnls(A, b, maxiter)``, imported on first use (``scipy.optimize`` takes ~0.3 s to import)."""
    from scipy.optimize import nnls as scipy_nnls
    return scipy_nnls(A, b, maxiter=maxiter)


class Infeasible(SolverError):
    """``G a >= 1`` has no solution; ``rows`` (int array) are constraints that contradict each other."""

    def __init__(self, rows):
        shown = ", ".join(str(int(k)) for k in rows[:10]) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
        super().__init__(f"G a >= 1 is infeasible: rows {shown} contradict each other "
                         "(a Farkas vector u >= 0 with G^T u = 0 is supported on them)")
        self.rows = rows


def _nnls_optimal(A, b, u):
    """KKT of ``min ||A u - b|| s.t. u >= 0``: ``w = A^T (b - A u) <= 0`` on ``u = 0``, ``= 0`` on ``u > 0``."""
    w = A.T @ (b - A @ u)
    tol = NNLS_KKT_TOL * max(1.0, np.abs(A).max() * np.abs(b).max())
    return bool(u.min(initial=0.0) >= 0 and w[u == 0].max(initial=-1.0) <= tol
                and np.abs(w[u > 0]).max(initial=0.0) <= tol)


def _lawson_hanson(A, b):
    """Lawson & Hanson's NNLS algorithm (1995, ch. 23) in NumPy, with the usual guard against re-adding
    a column whose least-squares coefficient comes out non-positive. Unchecked: see :func:`_nnls`."""
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
                raise SolverError(f"Lawson-Hanson NNLS did not converge on a {m} x {n} problem "
                                  f"({it - 1} iterations)")
            z = np.zeros(n)
            try:
                z[P] = np.linalg.lstsq(A[:, P], b, rcond=None)[0]
            except np.linalg.LinAlgError as err:
                raise SolverError(f"Lawson-Hanson NNLS on a {m} x {n} problem: least squares failed ({err})") \
                    from err
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
    """NNLS solved exactly: ``scipy.optimize.nnls`` if it passes :func:`_nnls_optimal`, else :func:`_lawson_hanson`.

    Neither answer is used unchecked: SciPy's is replaced when it raises (its
    only status, "Maximum number of iterations reached") or fails the check
    (scipy/scipy#25389: a non-optimal point and a wrong ``rnorm``, no error);
    the fallback must pass the same check or :class:`SolverError` is raised
    with both reasons.
    """
    m, n = A.shape
    try:
        u = nnls(A, b, maxiter=20 * (m + n) + 100)[0]
        scipy_failure = None if _nnls_optimal(A, b, u) else "returned a point failing the NNLS optimality check"
    except RuntimeError as err:
        scipy_failure = f"raised RuntimeError({err})"
    if scipy_failure is None:
        return u
    u = _lawson_hanson(A, b)
    if not _nnls_optimal(A, b, u):
        raise SolverError(f"NNLS failed on a {m} x {n} problem: scipy.optimize.nnls {scipy_failure}, and the "
                          "Lawson-Hanson fallback also fails the optimality check (NNLS_KKT_TOL)")
    return u


def _residuals(G, a, lam):
    """Largest KKT residual of ``(a, lam)`` for the LDP (primal, dual, complementary, stationarity)."""
    marg = G @ a
    return max(0.0, 1.0 - marg.min(), -lam.min(), np.abs(lam * (marg - 1.0)).max(),
               np.abs(G.T @ lam - a).max())


def solve_ldp(G):
    """``min ||a||^2 s.t. G a >= 1`` exactly: NNLS on ``[G^T; 1^T] u ~ e_{n+1}`` (Lawson & Hanson ch. 23), then polish.

    If ``s = 1 - 1^T u > 0`` then ``lambda = u / s`` and ``a = G^T lambda``
    (``s = 1/(1 + ||a||^2)``); otherwise ``u`` is a Farkas vector. The pair is
    then polished on the support ``P``: ``a`` = least-norm solution of
    ``G_P a = 1``, ``G_P^T lambda_P = a``, kept only if its KKT residuals are
    no worse. The result is not certified here: :mod:`reference.maxmargin`
    certifies every solution it returns.

    Parameters
    ----------
    G : array, shape (m, n)
        Constraint rows (for Eq. 2 / Eq. 3: ``vec(G_k)`` in token or ``Q``-basis coordinates).

    Returns
    -------
    a : array, shape (n,)
    lam : array, shape (m,)
        ``a = G^T lam``, ``lam >= 0`` (KKT multipliers of ``||a||^2 / 2``).

    Raises
    ------
    Infeasible
        (a :class:`SolverError`) with the support of the Farkas vector ``u``
        (``G^T u = 0``, ``1^T u = 1``) in ``.rows``.
    SolverError
        ``G`` not a finite 2-D array; NNLS did not converge or failed its optimality check.
    """
    G = np.asarray(G, dtype=np.float64)
    if G.ndim != 2 or not np.all(np.isfinite(G)):
        raise SolverError(f"solve_ldp needs a finite 2-D constraint matrix G, got shape {G.shape}")
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
