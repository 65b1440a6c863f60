"""The KKT certificate of a max-margin solution of Eq. (2) or Eq. (3), in paper coordinates.

``min ||W||^2 / 2 s.t. <G_k, W> >= 1`` is strictly convex with linear
constraints, so ``W`` is its solution iff there are multipliers ``lambda``
with

=================  ============================================  ==========================
condition          residual                                      code
=================  ============================================  ==========================
primal             ``max(0, 1 - min_k <G_k, W>)``                ``Certificate.primal``
dual               ``max(0, -min_k lambda_k)``                   ``Certificate.dual``
complementary      ``max_k abs(lambda_k (<G_k, W> - 1))``        ``Certificate.complementary``
stationarity       ``||W - sum_k lambda_k G_k|| / ||W||``         ``Certificate.stationarity``
=================  ============================================  ==========================

all zero. :func:`kkt_certificate` computes them from ``W``, ``E`` and the
constraint table only (no solver state), so it judges weights from anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.dataset import Dataset
from ..errors import WeightsError
from .constraints import Constraints

__all__ = ["CERT_TOL", "ACTIVE_TOL", "Certificate", "kkt_certificate"]

#: Every certificate residual must be below this. Polished solutions reach ~1e-15
#: (rounding of O(1) rational values); 1e-9 leaves room for |V| = 256 sums while
#: still making cosines with W* exact to 1e-9.
CERT_TOL = 1e-9
#: A constraint is *active* (tight) when its margin is within this of 1:
#: far above the ~1e-15 rounding of polished margins, far below any real slack
#: (under Assumption 1 a margin is a difference of block values |N_S|/|S|, a rational
#: with denominator at most |V|^2: a slack is >= 1/|V|^2 = 1.5e-5 at |V| = 256).
ACTIVE_TOL = 1e-10


@dataclass(frozen=True)
class Certificate:
    """KKT residuals of a max-margin solution (module docstring), all required ``<= tol``.

    Attributes
    ----------
    primal, dual, complementary, stationarity : float
        The four residuals; stationarity is relative to ``||W||`` (absolute when ``W = 0``).
    tol : float
        The threshold, :data:`CERT_TOL` by default.
    """

    primal: float
    dual: float
    complementary: float
    stationarity: float
    tol: float = CERT_TOL

    @property
    def ok(self) -> bool:
        """True iff every residual is ``<= tol`` (then ``W`` is optimal to that tolerance)."""
        return max(self.primal, self.dual, self.complementary, self.stationarity) <= self.tol


def kkt_certificate(W: ArrayLike, ds: Dataset, constraints: Constraints, dual: ArrayLike, tol: float = CERT_TOL
                    ) -> tuple[NDArray[np.float64], Certificate]:
    """KKT residuals of ``(W, lambda)`` for ``min ||W||^2/2 s.t. <G_k, W> >= 1`` (Eq. 2 or Eq. 3), in paper coordinates.

    Margins are ``P[u, c] - P[v, c]`` with ``P = W E`` (Eq. 2) or
    ``P = E^T W E`` (Eq. 3); ``sum_k lambda_k G_k`` is ``C E^T`` or
    ``E C E^T`` with ``C`` the scatter of ``lambda`` into token coordinates.

    Parameters
    ----------
    W : array, shape (abs(V), d) for kind "ov", (d, d) for kind "kq"
        Candidate ``W*_ov`` or ``W*_kq``.
    ds : Dataset
        Supplies ``E`` (``d x abs(V)``).
    constraints : Constraints
        From :func:`reference.maxmargin.constraints.ov_constraints` or ``kq_constraints`` of ``ds``.
    dual : array, shape (m,)
        Multipliers ``lambda`` of the objective ``||W||^2 / 2``.
    tol : float
        Threshold stored in the certificate.

    Returns
    -------
    margins : array, shape (m,)
        ``<G_k, W>``.
    certificate : Certificate

    Raises
    ------
    WeightsError
        ``W`` of the wrong shape or not finite; ``dual`` not a finite array
        of shape (m,); constraints naming tokens outside ``ds``'s vocabulary.

    Serves Eq. (2), Eq. (3) and every use of ``W*`` (the cosines of Theorems 1-3).
    """
    E, c, u, l = ds.vocab.E, constraints.column, constraints.upper, constraints.lower
    V, m = ds.vocab.n_tokens, len(constraints)
    eq = 2 if constraints.kind == "ov" else 3
    W = np.asarray(W, dtype=np.float64)
    shape = (V, ds.vocab.d) if constraints.kind == "ov" else (ds.vocab.d, ds.vocab.d)
    if W.shape != shape or not np.all(np.isfinite(W)):
        raise WeightsError(f"W for Eq. ({eq}) must be a finite {shape} array, got shape {W.shape}"
                           + ("" if W.shape != shape else " with non-finite entries"))
    lam = np.asarray(dual, dtype=np.float64)
    if lam.shape != (m,) or not np.all(np.isfinite(lam)):
        raise WeightsError(f"the multipliers of Eq. ({eq}) must be a finite array of shape ({m},) "
                           f"(one per constraint), got shape {lam.shape}")
    if m and max(c.max(), u.max(), l.max()) >= V:
        raise WeightsError(f"the constraints of Eq. ({eq}) name token index "
                           f"{max(c.max(), u.max(), l.max())}, outside this vocabulary of {V} tokens")
    P = W @ E if constraints.kind == "ov" else E.T @ W @ E
    margins = P[u, c] - P[l, c]
    C = np.zeros((V, V))
    np.add.at(C, (u, c), lam)
    np.add.at(C, (l, c), -lam)
    S = C @ E.T if constraints.kind == "ov" else E @ C @ E.T
    nW = np.linalg.norm(W)
    gap = np.linalg.norm(W - S) / (float(nW) if nW > 0 else 1.0)
    if m == 0:
        return margins, Certificate(0.0, 0.0, 0.0, float(gap), tol)
    return margins, Certificate(float(max(0.0, 1.0 - margins.min())), float(max(0.0, -lam.min())),
                                float(np.abs(lam * (margins - 1.0)).max()), float(gap), tol)
