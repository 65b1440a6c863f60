"""The vocabulary ``V`` and its embeddings (paper Section 3, Assumption 2).

=============  =============  ==============  ===================================
paper          code           shape           meaning
=============  =============  ==============  ===================================
``V``          ``tokens``     ``(abs(V),)``   token names
``abs(V)``     ``n_tokens``   scalar          vocabulary size
``I(x)``       ``index(x)``   scalar          index of token ``x``; the paper is
                                              1-based, this library is 0-based:
                                              ``index(x) == I(x) - 1``
``x``          ``E[:, i]``    ``(d,)``        embedding of the token of index i
``E``          ``E``          ``(d, abs(V))`` all embeddings as columns
=============  =============  ==============  ===================================
"""

import numpy as np

from .errors import VocabularyError

#: Columns of ``E`` count as orthonormal (Assumption 2) when ``E^T E`` is the
#: identity to this entrywise tolerance: a few hundred ulps of float64, far
#: below any deliberate departure yet above QR round-off for d in the thousands.
ORTHONORMAL_ATOL = 1e-12


class Vocabulary:
    """A vocabulary: token names and their embedding matrix ``E`` (d x abs(V)).

    Parameters
    ----------
    tokens : sequence of str, length abs(V)
        Distinct, non-empty token names, in index order (``index(tokens[i]) == i``).
    E : array_like, shape (d, abs(V)), optional
        Embeddings as columns. Default: the identity (``d = abs(V)``), the
        canonical basis ``e_i`` of the paper.
    allow_non_orthonormal : bool, default False
        Accept an ``E`` whose columns are not orthonormal, i.e. leave
        Assumption 2 knowingly. Such a vocabulary works with the literal
        functions of :mod:`reference.transformer` and :mod:`reference.loss`;
        the training engine refuses it.

    Raises
    ------
    VocabularyError
        Empty or repeated token names, an ``E`` of the wrong shape, dtype or
        with non-finite entries, or non-orthonormal columns without
        ``allow_non_orthonormal``.
    """

    def __init__(self, tokens, E=None, *, allow_non_orthonormal=False):
        tokens = tuple(tokens)
        if not tokens:
            raise VocabularyError("a vocabulary needs at least one token")
        seen = {}
        for i, x in enumerate(tokens):
            if not isinstance(x, str) or not x or x != x.strip() or any(c.isspace() for c in x):
                raise VocabularyError(
                    f"token {i} is {x!r}: a token name must be a non-empty string without white space")
            if x in seen:
                raise VocabularyError(f"token {x!r} appears twice (positions {seen[x]} and {i})")
            seen[x] = i
        self.tokens = tokens
        self._index = seen
        n = len(tokens)
        if E is None:
            E = np.eye(n)
        else:
            E_in = np.asarray(E)
            if E_in.dtype.kind not in "iuf":
                raise VocabularyError(f"E must be a real numeric array, got dtype {E_in.dtype}")
            E = E_in.astype(np.float64)
            if E.ndim != 2 or E.shape[1] != n:
                raise VocabularyError(f"E must have shape (d, {n}) (one column per token), got {E.shape}")
            if not np.all(np.isfinite(E)):
                raise VocabularyError("E has NaN or inf entries")
        self.E = E
        self.E.setflags(write=False)
        self.orthonormal = self._is_orthonormal(E)
        if not self.orthonormal and not allow_non_orthonormal:
            if E.shape[0] < n:
                why = f"d = {E.shape[0]} < abs(V) = {n}, so they cannot be"
            else:
                G = E.T @ E
                i, j = np.unravel_index(np.argmax(np.abs(G - np.eye(n))), G.shape)
                why = (f"<x_{tokens[i]}, x_{tokens[j]}> = {G[i, j]!r}, expected "
                       f"{1.0 if i == j else 0.0}")
            raise VocabularyError(
                "the columns of E are not orthonormal (Assumption 2): " + why +
                "; pass allow_non_orthonormal=True to leave Assumption 2 on purpose")

    @staticmethod
    def _is_orthonormal(E):
        d, n = E.shape
        return d >= n and bool(np.all(np.abs(E.T @ E - np.eye(n)) <= ORTHONORMAL_ATOL))

    @classmethod
    def random_orthonormal(cls, tokens, d, *, rng):
        """A vocabulary with random orthonormal embeddings in ``R^d``, ``d >= abs(V)``.

        ``E`` is the first ``abs(V)`` columns of the Q factor of a ``d x abs(V)``
        standard Gaussian matrix, with the signs fixed so that ``diag(R) > 0``
        (then ``E`` is Haar-distributed on the Stiefel manifold).

        Parameters
        ----------
        tokens : sequence of str
        d : int, ``d >= len(tokens)``
        rng : numpy.random.Generator

        Raises
        ------
        VocabularyError
            If ``d < abs(V)`` or ``rng`` is not a ``numpy.random.Generator``.
        """
        tokens = tuple(tokens)
        if not isinstance(rng, np.random.Generator):
            raise VocabularyError("rng must be a numpy.random.Generator (np.random.default_rng(seed))")
        if int(d) != d or d < len(tokens):
            raise VocabularyError(f"d = {d} must be an integer >= abs(V) = {len(tokens)}")
        Q, R = np.linalg.qr(rng.standard_normal((int(d), len(tokens))))
        E = Q * np.sign(np.diag(R))
        return cls(tokens, E)

    @property
    def n_tokens(self):
        """``abs(V)``."""
        return len(self.tokens)

    @property
    def d(self):
        """Embedding dimension ``d``."""
        return self.E.shape[0]

    def index(self, x):
        """``I(x) - 1``: the 0-based index of token name ``x``.

        Raises
        ------
        VocabularyError
            If ``x`` is not in the vocabulary.
        """
        try:
            return self._index[x]
        except (KeyError, TypeError):
            raise VocabularyError(f"unknown token {x!r}") from None

    def __contains__(self, x):
        return x in self._index

    def __len__(self):
        return len(self.tokens)

    def __eq__(self, other):
        return (isinstance(other, Vocabulary) and self.tokens == other.tokens
                and self.E.shape == other.E.shape and bool(np.array_equal(self.E, other.E)))

    def __hash__(self):
        return hash(self.tokens)

    def __repr__(self):
        kind = "identity" if self.E.shape[0] == len(self) and np.array_equal(self.E, np.eye(len(self))) else "E"
        return f"Vocabulary({list(self.tokens)!r}, d={self.d}, {kind})"

    def embed(self, idx):
        """The sentence matrix ``X = [x_1 .. x_L]`` (d x L) of token indices ``idx``."""
        return self.E[:, np.asarray(idx, dtype=np.intp)]
