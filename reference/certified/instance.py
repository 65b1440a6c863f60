"""What the certified computation needs of a dataset, in integers and fractions only.

Algorithm 1 runs in token coordinates ``B = W_ov E`` (``|V| x |V|``) and
``A = E^T W_kq E`` (docs/derivations.md, "Two faces"); that is *exactly*
Algorithm 1 only when ``E^T E = I`` holds exactly. The certified mode
therefore accepts *coordinate embeddings*: every column of ``E`` is a
distinct standard basis vector ``e_k`` (the identity embedding of every
built-in dataset is one). Then ``B`` and ``A`` are sub-matrices of the
weights, read without rounding, and the part of an initial weight outside the
span of ``E`` (the other entries) never moves. A random orthonormal ``E`` in
float64 is orthonormal only up to rounding, so the exact iteration on it is not
the token-coordinate one; such vocabularies are refused (docs/certified.md).

:class:`Instance` holds the sentences as groups (distinct tokens with their
multiplicities), the collocation ``n``, the exact weights ``pi_n`` as
fractions, and the index sets the metrics range over (optimal and
non-optimal groups, the token types of Definition 1 per query).
"""

import fractions

import numpy as np

from ..errors import AssumptionError, WeightsError
from ..structure.orders import collocation, query_orders

__all__ = ["Instance", "coordinate_columns"]


def coordinate_columns(E):
    """``k`` with ``E[:, i] = e_{k[i]}`` exactly, or None if ``E`` is not such a coordinate embedding.

    Parameters
    ----------
    E : array, shape (d, abs(V))

    Returns
    -------
    int array of shape (abs(V),), or None
    """
    E = np.asarray(E)
    if E.ndim != 2 or np.any((E != 0) & (E != 1)) or np.any(E.sum(axis=0) != 1):
        return None
    k = np.argmax(E, axis=0)
    return k if np.unique(k).size == k.size else None


class Instance:
    """The integer structure of a dataset for the certified computation.

    Parameters
    ----------
    ds : Dataset
        Its embedding must be a coordinate embedding (module docstring) and it
        must have an (injective) collocation.

    Raises
    ------
    AssumptionError
        ``E`` is not a coordinate embedding, or there is no collocation.

    Attributes
    ----------
    V, d : int
    rows : int array, shape (abs(V),)
        ``E[:, i] = e_{rows[i]}``.
    In : int array, shape (abs(V),)
        The collocation ``n`` (Section 4.1).
    sentences : list of tuple
        Per sentence ``n``: ``(query, y, pi, tokens, counts, optimal)`` with
        ``pi`` a :class:`fractions.Fraction` (``counts_n / sum counts``) and, per
        group, its token, multiplicity and whether it is optimal (``n(x) = y``).
    orders : dict
        Definition 1 per query (:func:`reference.structure.query_orders`).
    """

    def __init__(self, ds):
        rows = coordinate_columns(ds.vocab.E)
        if rows is None:
            raise AssumptionError(
                "the certified mode needs a coordinate embedding (every column of E a distinct "
                "standard basis vector, e.g. the identity): only then is E^T E = I exact in binary "
                "and Algorithm 1 in token coordinates the exact algorithm (docs/certified.md)")
        self.ds = ds
        self.V, self.d = ds.vocab.n_tokens, ds.vocab.d
        self.rows = rows
        self.In = collocation(ds)
        total = int(np.sum(ds.counts))
        self.sentences = []
        for n in range(ds.N):
            toks, cnt = np.unique(ds.sentences[n], return_counts=True)
            y = int(ds.y[n])
            self.sentences.append((int(ds.queries[n]), y, fractions.Fraction(int(ds.counts[n]), total),
                                   toks.tolist(), cnt.tolist(), [bool(self.In[t] == y) for t in toks]))
        self.orders = query_orders(ds, self.In)
        mask = np.ones((self.d, self.d), dtype=bool)
        mask[np.ix_(rows, rows)] = False
        self._perp_kq = mask
        self._perp_ov = np.ones(self.d, dtype=bool)
        self._perp_ov[rows] = False

    # ------------------------------------------------------------------ weights <-> coordinates
    def split(self, W_ov, W_kq):
        """``(B, A, W_ov_perp, W_kq_perp)``: token coordinates and the entries outside the span of ``E``.

        Exact: ``B = W_ov E`` and ``A = E^T W_kq E`` only select entries.

        Parameters
        ----------
        W_ov : float array, shape (abs(V), d)
        W_kq : float array, shape (d, d)

        Returns
        -------
        B, A : float arrays, shape (abs(V), abs(V))
        W_ov_perp, W_kq_perp : float arrays
            The entries of the weights that no token coordinate reads (constant under Algorithm 1).

        Raises
        ------
        WeightsError
            Wrong shape, or an entry that is not finite.
        """
        V, d = self.V, self.d
        out = []
        for name, W, shape in (("W_ov", W_ov, (V, d)), ("W_kq", W_kq, (d, d))):
            W = np.asarray(W, dtype=np.float64)
            if W.shape != shape:
                raise WeightsError(f"{name} must have shape {shape}, got {W.shape}")
            if not np.all(np.isfinite(W)):
                i = tuple(int(k) for k in np.argwhere(~np.isfinite(W))[0])
                raise WeightsError(f"{name}{list(i)} = {W[i]!r}: weights must be finite")
            out.append(W)
        W_ov, W_kq = out
        return (W_ov[:, self.rows], W_kq[np.ix_(self.rows, self.rows)],
                W_ov[:, self._perp_ov], W_kq[self._perp_kq])

    def to_weights(self, B, A, W_ov_perp=None, W_kq_perp=None, zero=0.0):
        """Paper coordinates from token coordinates (any element type: floats or balls).

        Parameters
        ----------
        B, A : (abs(V), abs(V)) arrays (dtype object for balls)
        W_ov_perp, W_kq_perp : arrays, optional
            The entries outside the span of ``E`` (``zero`` if omitted).
        zero : float or ball
            The value of the entries no one sets.

        Returns
        -------
        W_ov : array, shape (abs(V), d)
        W_kq : array, shape (d, d)
        """
        B, A = np.asarray(B), np.asarray(A)
        W_ov = np.full((self.V, self.d), zero, dtype=B.dtype)
        W_kq = np.full((self.d, self.d), zero, dtype=A.dtype)
        W_ov[:, self.rows] = B
        W_kq[np.ix_(self.rows, self.rows)] = A
        if W_ov_perp is not None:
            W_ov[:, self._perp_ov] = W_ov_perp
        if W_kq_perp is not None:
            W_kq[self._perp_kq] = W_kq_perp
        return W_ov, W_kq
