"""Max-margin problems Eq. (2) and Eq. (3): exact QP solutions with a KKT certificate.

=============  ======================  ==============  ===========================================
paper          code                    shape           meaning
=============  ======================  ==============  ===========================================
``W*_ov``      ``max_margin_ov(ds).W``  ``(|V|, d)``   Eq. (2): min ``||W||`` s.t. every margin >= 1
``W*_kq``      ``max_margin_kq(ds).W``  ``(d, d)``     Eq. (3)
``B``          ``.coords`` (ov)         ``(|V|, |V|)`` ``W E``; column x = logits of token x
``A``          ``.coords`` (kq)         ``(|V|, |V|)`` ``E^T W E``; ``A[i, q]`` = score of key i, query q
``G_k``        ``Constraints``          as ``W``       constraint k reads ``<G_k, W> >= 1``
``lambda_k``   ``.dual``                ``(m,)``       multipliers for the objective ``||W||^2 / 2``
=============  ======================  ==============  ===========================================

Under Assumption 2 both problems decouple in token coordinates: Eq. (2) into
one problem per column of ``B`` (``b_{In(x)} - b_v >= 1``), Eq. (3) into one
per query column of ``A`` (``a_{i*} - a_i >= 1`` for each distinct pair of an
optimal and a non-optimal token of a sentence with that query). Each piece is
a least-distance program ``min ||a||^2 s.t. G a >= 1`` with difference rows,
solved exactly by :mod:`reference.maxmargin.leastdistance` (a max-flow block
decomposition, or Lawson-Hanson NNLS where a query has confused tokens). With
non-orthonormal ``E`` the coupled problem is solved in the basis ``E = Q R``
(``W_kq = Q M Q^T``, ``W_ov = M Q^T``). Every solution is certified in paper
coordinates by :func:`kkt_certificate`; a failed certificate or solver raises
:class:`SolverError`, nothing is returned unchecked. The constraint tables
(:mod:`reference.maxmargin.constraints`), the certificate (:mod:`reference.maxmargin.certificate`)
and the closed forms (:mod:`reference.maxmargin.closedforms`) have modules of their own;
:mod:`reference.maxmargin` gathers them. See ``docs/maxmargin.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.dataset import Dataset
from ..errors import AssumptionError, ConfigError, SolverError, WeightsError
from .certificate import ACTIVE_TOL, Certificate, kkt_certificate
from .constraints import Constraints, kq_constraints, ov_constraints
from .ldp import Infeasible, solve_ldp
from .leastdistance import difference_rows, find_cycle, solve_bipartite

__all__ = ["MaxMarginSolution", "max_margin_ov", "max_margin_kq"]

#: Largest constraint matrix (rows x variables) of the coupled (non-orthonormal) solver:
#: 20e6 float64 entries = 160 MB, the most one dense NNLS should hold on a laptop.
COUPLED_MAX_ENTRIES = 20_000_000


@dataclass(frozen=True)
class MaxMarginSolution:
    """A certified solution of Eq. (2) (``problem == "ov"``) or Eq. (3) (``"kq"``).

    Attributes
    ----------
    W : array, shape (abs(V), d) or (d, d)
        ``W*_ov`` or ``W*_kq`` in paper coordinates.
    coords : array, shape (abs(V), abs(V))
        ``B = W E`` or ``A = E^T W E``.
    norm : float
        ``||W||``.
    constraints : Constraints
        The m distinct constraints; ``margins``, ``dual``, ``active`` align with them.
    margins, dual : arrays, shape (m,)
        ``<G_k, W>`` and ``lambda_k`` (for the objective ``||W||^2 / 2``; for
        ``||W||`` itself divide by ``norm``).
    active : bool array, shape (m,)
        ``margin_k - 1 <= ACTIVE_TOL``.
    certificate : Certificate
    method : str
    """

    problem: str
    W: NDArray[np.float64]
    coords: NDArray[np.float64]
    norm: float
    constraints: Constraints
    margins: NDArray[np.float64]
    dual: NDArray[np.float64]
    active: NDArray[np.bool_]
    certificate: Certificate
    method: str

    def alignment(self, W: ArrayLike) -> float:
        """``<W_bar, W_bar*>``: the cosine of ``W`` with this solution (the quantity of Theorems 1-3).

        Parameters
        ----------
        W : array, shape as ``self.W``

        Returns
        -------
        float
            ``<W, W*> / (||W|| ||W*||)``; nan if ``W = 0`` (or ``W* = 0``).

        Raises
        ------
        WeightsError
            ``W`` of another shape than ``self.W``.
        """
        W = np.asarray(W, dtype=np.float64)
        if W.shape != self.W.shape:
            raise WeightsError(f"alignment: W must have the shape {self.W.shape} of W*, got {W.shape}")
        nW = np.linalg.norm(W)
        if nW == 0 or self.norm == 0:
            return float("nan")
        return float(np.sum(W * self.W) / (nW * self.norm))


def _infeasible(ds, cons, ks, why):
    parts = "; ".join(cons.describe(int(k), ds) for k in list(ks)[:6])
    more = f" (and {len(ks) - 6} more)" if len(ks) > 6 else ""
    return SolverError(f"{why}: no W satisfies these constraints together: {parts}{more}")


# ---------------------------------------------------------------- solvers
METHODS = ("auto", "blocks", "nnls", "coupled")


def _method(ds, method):
    if method not in METHODS:
        raise ConfigError(f"method must be one of {METHODS}, got {method!r}")
    if method in ("blocks", "nnls") and not ds.vocab.orthonormal:
        raise AssumptionError(f"method={method!r} decouples in token coordinates, which needs orthonormal "
                              "embeddings (Assumption 2); use method='coupled' (or 'auto')")
    return method if method != "auto" else ("blocks" if ds.vocab.orthonormal else "coupled")


def _columns(ds, cons, method, what):
    """Solve the decoupled problem column by column: coordinates (|V|, |V|) and multipliers (m,)."""
    V = ds.vocab.n_tokens
    X, lam = np.zeros((V, V)), np.zeros(len(cons))
    bounds = np.searchsorted(cons.column, np.arange(V + 1))
    for c in np.flatnonzero(np.diff(bounds)):
        s, e = bounds[c], bounds[c + 1]
        toks, loc = np.unique(np.concatenate([cons.upper[s:e], cons.lower[s:e]]), return_inverse=True)
        up, lo = loc[:e - s], loc[e - s:]
        if method == "blocks" and not np.intersect1d(up, lo).size:
            a, lam[s:e] = solve_bipartite(toks.size, up, lo)
        else:
            cycle = find_cycle(toks.size, up, lo)
            if cycle is not None:
                raise _infeasible(ds, cons, s + np.array(cycle), f"{what} is infeasible: under query "
                                  f"{ds.vocab.tokens[c]!r} the constraints form a cycle (Assumption 1 fails)")
            try:
                a, lam[s:e] = solve_ldp(difference_rows(toks.size, up, lo))
            except Infeasible as bad:  # acyclic pairs are feasible: only a numerical failure lands here
                raise _infeasible(ds, cons, s + np.asarray(bad.rows), f"{what}: NNLS reports the pairs "
                                  f"of column {ds.vocab.tokens[c]!r} infeasible although they have no "
                                  "cycle (a numerical failure)") from bad
        X[toks, c] = a
    return X, lam


def _coupled(ds, cons, what):
    """The full problem in the basis ``E = Q R``: ``W_kq = Q M Q^T`` or ``W_ov = M Q^T``, ``||W|| = ||M||``."""
    E, V, m = ds.vocab.E, ds.vocab.n_tokens, len(cons)
    U, sv, Vt = np.linalg.svd(E, full_matrices=False)
    r = int(np.sum(sv > sv[0] * max(E.shape) * np.finfo(float).eps)) if sv[0] > 0 else 0
    Q, R = U[:, :r], sv[:r, None] * Vt[:r]
    c, u, l = cons.column, cons.upper, cons.lower
    if cons.kind == "kq":
        G = ((R[:, u] - R[:, l]).T[:, :, None] * R[:, c].T[:, None, :]).reshape(m, r * r)
    else:
        G = np.zeros((m, V, r))
        G[np.arange(m), u] += R[:, c].T
        G[np.arange(m), l] -= R[:, c].T
        G = G.reshape(m, V * r)
    if G.size > COUPLED_MAX_ENTRIES:
        raise SolverError(f"the coupled {what} has {G.shape[1]} variables and {m} constraints, more than "
                          f"COUPLED_MAX_ENTRIES = {COUPLED_MAX_ENTRIES} entries; use orthonormal embeddings")
    try:
        a, lam = solve_ldp(G)
    except Infeasible as bad:
        raise _infeasible(ds, cons, bad.rows, f"{what} is infeasible for these (non-orthonormal) "
                          "embeddings") from bad
    W = Q @ a.reshape(r, r) @ Q.T if cons.kind == "kq" else a.reshape(V, r) @ Q.T
    return W, lam


def _solve(ds, cons, method, what):
    E = ds.vocab.E
    if method == "coupled":
        W, lam = _coupled(ds, cons, what)
    else:
        X, lam = _columns(ds, cons, method, what)
        W = X @ E.T if cons.kind == "ov" else E @ X @ E.T
    margins, cert = kkt_certificate(W, ds, cons, lam)
    if not cert.ok:
        raise SolverError(f"the solution of {what} fails its KKT certificate ({method} solver): {cert}")
    coords = W @ E if cons.kind == "ov" else E.T @ W @ E
    return MaxMarginSolution(cons.kind, W, coords, float(np.linalg.norm(W)), cons, margins, lam,
                             margins - 1.0 <= ACTIVE_TOL, cert, method)


_METHOD_DOC = """method : {"auto", "blocks", "nnls", "coupled"}
        "blocks" (orthonormal ``E``): column by column in token coordinates, each
        column by the exact max-flow block decomposition (NNLS where a query has
        confused tokens); "nnls": column by column, each by Lawson-Hanson NNLS;
        "coupled": the full problem in the basis ``E = Q R`` by NNLS (any ``E``,
        at most COUPLED_MAX_ENTRIES); "auto": "blocks" if ``E`` is orthonormal,
        else "coupled"."""


def max_margin_ov(ds: Dataset, *, method: str = "auto") -> MaxMarginSolution:
    """``W*_ov``, Eq. (2): ``argmin ||W|| s.t. (e_{In(x)} - e_v)^T W x >= 1`` for all ``x``, ``v != In(x)``.

    Parameters
    ----------
    ds : Dataset
    {method}

    Returns
    -------
    MaxMarginSolution
        ``W`` of shape (abs(V), d) certified to ``CERT_TOL``; ``coords = W E``.

    Raises
    ------
    AssumptionError
        No (injective) collocation; a decoupled method with non-orthonormal ``E``.
    SolverError
        Infeasible (embeddings that make constraints contradict, named), a
        non-converging solver, or a failed certificate.

    Serves Lemma 1, Proposition 1, Corollary 1 and Theorem 2 (``W*_ov`` and ``||W*_ov||``).
    """
    method = _method(ds, method)
    return _solve(ds, ov_constraints(ds), method, "Eq. (2)")


def max_margin_kq(ds: Dataset, *, method: str = "auto") -> MaxMarginSolution:
    """``W*_kq``, Eq. (3): ``argmin ||W|| s.t. (x_{l*} - x_l)^T W x_L^(n) >= 1``, all n, ``l* in l(n)``, ``l not in l(n)``.

    Parameters
    ----------
    ds : Dataset
    {method}

    Returns
    -------
    MaxMarginSolution
        ``W`` of shape (d, d) certified to ``CERT_TOL``; ``coords = E^T W E``.

    Raises
    ------
    AssumptionError
        No (injective) collocation, a sentence without an optimal position,
        a decoupled method with non-orthonormal ``E``.
    SolverError
        Infeasible constraints (a cycle ``a > b > ... > a`` under one query,
        named with the sentences giving it), a non-converging solver, or a
        failed certificate.

    Serves Proposition 2, Lemmas 6-7, Theorems 1-2 (``W*_kq`` and ``||W*_kq||``).
    """
    method = _method(ds, method)
    return _solve(ds, kq_constraints(ds), method, "Eq. (3)")


max_margin_ov.__doc__ = (max_margin_ov.__doc__ or "").replace("{method}", _METHOD_DOC)    # None under python -OO
max_margin_kq.__doc__ = (max_margin_kq.__doc__ or "").replace("{method}", _METHOD_DOC)
