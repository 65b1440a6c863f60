"""Exact ``W*_ov`` and ``W*_kq`` (Eq. 2, Eq. 3): the KKT system solved and checked in rational arithmetic.

Under Assumption 2 with a coordinate embedding (:mod:`reference.certified.instance`)
both problems read ``min ||X||^2 / 2 s.t. X[u_k, c_k] - X[l_k, c_k] >= 1`` in token
coordinates (docs/maxmargin.md), with integer constraint rows. The float
solver of :mod:`reference.maxmargin` names the active set ``S``; from it:

1. a maximal linearly independent subset ``I`` of ``S`` (taken in order of
   decreasing float multiplier), by exact row reduction;
2. ``(G_I G_I^T) lambda_I = 1`` solved over the rationals, ``X = G_I^T lambda_I``;
3. :func:`verify_kkt` then proves, in exact arithmetic, primal feasibility
   (every margin ``>= 1``), dual feasibility (``lambda >= 0``), complementary
   slackness (``lambda_k (margin_k - 1) = 0``) and stationarity
   (``X = sum_k lambda_k G_k``). These four are sufficient for optimality of a
   convex problem, so the rational ``X`` *is* the solution, not an approximation.

A claim that fails any of the four is refused with :class:`reference.errors.SolverError`
naming the residual and the constraint.
"""

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import AssumptionError, ConfigError, SolverError
from ..maxmargin.constraints import kq_constraints, ov_constraints
from ..maxmargin.solvers import max_margin_kq, max_margin_ov
from .backend import require_flint

__all__ = ["ExactStar", "verify_kkt", "certify_star"]


@dataclass(frozen=True)
class ExactStar:
    """A max-margin solution proved optimal in rational arithmetic.

    Attributes
    ----------
    problem : {"ov", "kq"}
        Eq. (2) or Eq. (3).
    coords : tuple of tuple of Fraction, shape (abs(V), abs(V))
        ``B* = W*_ov E`` or ``A* = E^T W*_kq E``, exactly.
    dual : tuple of Fraction, shape (m,)
        Multipliers ``lambda_k >= 0`` of the objective ``||W||^2 / 2`` (one per constraint).
    margins : tuple of Fraction, shape (m,)
        ``<G_k, W*>`` (each ``>= 1``).
    norm2 : Fraction
        ``||W*||^2`` (exact; ``||W*||`` is its square root, a ball in the certified mode).
    n_active : int
        Constraints with margin exactly 1.
    """

    problem: str
    coords: tuple
    dual: tuple
    margins: tuple
    norm2: Fraction

    @property
    def n_active(self):
        return sum(1 for m in self.margins if m == 1)

    def as_float(self):
        """``coords`` rounded to float64 (for comparison with the float solver)."""
        return np.array([[float(x) for x in row] for row in self.coords])

    def deviation(self, coords):
        """``max |coords - coords*|`` over entries, with the exact ``coords*`` (a float, rounded up once).

        Parameters
        ----------
        coords : float array, shape (abs(V), abs(V))
        """
        c = np.asarray(coords, dtype=np.float64)
        return max(abs(Fraction(float(c[i, j])) - x) for i, row in enumerate(self.coords)
                   for j, x in enumerate(row)) if c.size else Fraction(0)


def _constraints(ds, problem):
    if problem == "ov":
        return ov_constraints(ds)
    if problem == "kq":
        return kq_constraints(ds)
    raise ConfigError(f"problem must be 'ov' (Eq. 2) or 'kq' (Eq. 3), got {problem!r}")


def verify_kkt(ds, problem, coords, dual):
    """Prove in exact arithmetic that ``(coords, dual)`` satisfies the KKT conditions of Eq. (2) or Eq. (3).

    Parameters
    ----------
    ds : Dataset
    problem : {"ov", "kq"}
    coords : (abs(V), abs(V)) nested sequence of Fraction, int or float (floats taken exactly)
        The claimed ``B*`` or ``A*`` in token coordinates.
    dual : sequence of length m
        The claimed multipliers, one per constraint of ``ov_constraints(ds)`` / ``kq_constraints(ds)``.

    Returns
    -------
    ExactStar

    Raises
    ------
    SolverError
        A KKT condition fails: the message names the condition, the residual and the constraint.
    ConfigError
        Unknown ``problem``, or shapes that do not match.

    Serves Eq. (2), Eq. (3) and every certified cosine with ``W*``.
    """
    cons = _constraints(ds, problem)
    V, m = ds.vocab.n_tokens, len(cons)
    eq = 2 if problem == "ov" else 3
    X = [[Fraction(x) for x in row] for row in coords]
    lam = [Fraction(x) for x in dual]
    if len(X) != V or any(len(r) != V for r in X) or len(lam) != m:
        raise ConfigError(f"a KKT claim for Eq. ({eq}) needs a {V} x {V} matrix and {m} multipliers")
    c, u, lo = (a.tolist() for a in (cons.column, cons.upper, cons.lower))
    margins = [X[u[k]][c[k]] - X[lo[k]][c[k]] for k in range(m)]
    for k in range(m):
        if margins[k] < 1:
            raise SolverError(f"Eq. ({eq}) KKT claim refused: primal residual 1 - margin = "
                              f"{float(1 - margins[k]):.3g} > 0 at {cons.describe(k, ds)}")
        if lam[k] < 0:
            raise SolverError(f"Eq. ({eq}) KKT claim refused: dual residual lambda = {float(lam[k]):.3g} "
                              f"< 0 at {cons.describe(k, ds)}")
        if lam[k] != 0 and margins[k] != 1:
            raise SolverError(f"Eq. ({eq}) KKT claim refused: complementary slackness residual "
                              f"lambda (margin - 1) = {float(lam[k] * (margins[k] - 1)):.3g} at "
                              f"{cons.describe(k, ds)}")
    S = [[Fraction(0)] * V for _ in range(V)]
    for k in range(m):
        S[u[k]][c[k]] += lam[k]
        S[lo[k]][c[k]] -= lam[k]
    bad = [(abs(X[i][j] - S[i][j]), i, j) for i in range(V) for j in range(V) if X[i][j] != S[i][j]]
    if bad:
        r, i, j = max(bad)
        t = ds.vocab.tokens
        raise SolverError(f"Eq. ({eq}) KKT claim refused: stationarity residual W - sum_k lambda_k G_k = "
                          f"{float(X[i][j] - S[i][j]):.3g} at token coordinate ({t[i]!r}, {t[j]!r})")
    norm2 = sum((x * x for row in X for x in row), Fraction(0))
    return ExactStar(problem, tuple(tuple(r) for r in X), tuple(lam), tuple(margins), norm2)


def certify_star(ds, problem, solution=None):
    """``W*_ov`` (``problem="ov"``) or ``W*_kq`` (``"kq"``) in exact arithmetic, from the float solver's active set.

    Parameters
    ----------
    ds : Dataset
        Orthonormal (coordinate) embedding: the problem decouples per column in token coordinates.
    problem : {"ov", "kq"}
    solution : MaxMarginSolution, optional
        The float solution whose ``active`` set and ``dual`` guide the exact solve
        (default: :func:`reference.maxmargin.max_margin_ov` / ``max_margin_kq`` of ``ds``).

    Returns
    -------
    ExactStar
        Proved by :func:`verify_kkt`.

    Raises
    ------
    SolverError
        The exact solution of the active set fails a KKT condition (named), e.g. a
        wrong active set.
    AssumptionError
        Embeddings that are not orthonormal.
    MissingExtraError
        python-flint (used for the exact row reduction) is not installed.

    Serves Eq. (2) and Eq. (3).
    """
    flint = require_flint()
    if not ds.vocab.orthonormal:
        raise AssumptionError("certify_star solves Eq. (2) and Eq. (3) in token coordinates, which needs "
                              "orthonormal embeddings (Assumption 2)")
    cons = _constraints(ds, problem)
    if solution is None:
        solution = (max_margin_ov if problem == "ov" else max_margin_kq)(ds)
    active = np.asarray(solution.active, dtype=bool)
    fdual = np.asarray(solution.dual, dtype=np.float64)
    if active.shape != (len(cons),):
        raise ConfigError(f"the solution has {active.size} constraints, the dataset {len(cons)}")
    V = ds.vocab.n_tokens
    up, low = cons.upper.tolist(), cons.lower.tolist()
    X = [[Fraction(0)] * V for _ in range(V)]
    lam = [Fraction(0)] * len(cons)
    for col in np.unique(cons.column[active]).tolist():
        ks = np.flatnonzero(active & (cons.column == col))
        ks = ks[np.argsort(-fdual[ks], kind="stable")]
        toks = sorted(set(cons.upper[ks].tolist()) | set(cons.lower[ks].tolist()))
        pos = {t: i for i, t in enumerate(toks)}
        n = len(toks)
        # G^T (tokens x constraints): its pivot columns are a maximal independent set of constraints
        Gt = flint.fmpq_mat(n, len(ks))
        for j, k in enumerate(ks.tolist()):
            Gt[pos[int(cons.upper[k])], j] = 1
            Gt[pos[int(cons.lower[k])], j] = -1
        R, rank = Gt.rref()
        piv = []
        for i in range(rank):
            piv.append(next(j for j in range(len(ks)) if R[i, j] != 0))
        I = [int(ks[j]) for j in piv]
        M = flint.fmpq_mat(rank, rank)
        for a, ka in enumerate(I):
            for b, kb in enumerate(I):
                ua, la, ub, lb = up[ka], low[ka], up[kb], low[kb]
                M[a, b] = int(ua == ub) + int(la == lb) - int(ua == lb) - int(la == ub)
        sol = M.solve(flint.fmpq_mat(rank, 1, [1] * rank))
        for a, k in enumerate(I):
            lk = sol[a, 0]
            lam[k] = Fraction(int(lk.p), int(lk.q))
            X[int(cons.upper[k])][col] += lam[k]
            X[int(cons.lower[k])][col] -= lam[k]
    return verify_kkt(ds, problem, X, lam)
