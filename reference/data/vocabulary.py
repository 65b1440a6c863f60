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

Token names are non-empty strings without white space and without ``#``:
exactly the words a corpus file can hold (:func:`reference.data.read_corpus`
splits lines at white space and starts a comment at ``#``), so every
vocabulary can be written out as a corpus and read back.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import VocabularyError
from .budget import check_memory, FLOAT_BYTES

__all__ = ["Vocabulary", "check_token_name", "ORTHONORMAL_ATOL"]

#: Columns of ``E`` count as orthonormal (Assumption 2) when ``E^T E`` is the
#: identity to this entrywise tolerance: a few hundred ulps of float64, far
#: below any deliberate departure yet above QR round-off for d in the thousands.
ORTHONORMAL_ATOL = 1e-12

#: The corpus format's comment character; a token name cannot contain it.
COMMENT = "#"


def check_token_name(x: object) -> str | None:
    """Why ``x`` cannot be a token name, or ``None`` if it can (Section 3: a token of ``V``).

    A token name is a non-empty ``str`` with no white space, no ``#``, no NUL,
    no byte-order mark and no lone surrogate: exactly what a UTF-8 corpus file
    can hold as one word and give back unchanged.

    Parameters
    ----------
    x : object

    Returns
    -------
    str or None
        The reason, phrased to follow ``"token {x!r} "``; ``None`` for a valid name.
    """
    if not isinstance(x, str):
        return f"is not a string (it is of type {type(x).__name__})"
    if not x:
        return "is empty: a token name must be a non-empty string"
    if x.split() != [x]:                            # str.split() splits exactly at str.isspace() characters
        return "contains white space, which separates tokens in a corpus"
    if COMMENT in x:
        return f"contains {COMMENT!r}, which starts a comment in a corpus file"
    if "\0" in x:
        return "contains a NUL character, which a corpus file cannot hold"
    if "\ufeff" in x:
        return "contains a byte-order mark (U+FEFF), which a corpus file would drop"
    try:
        x.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate, which UTF-8 (the corpus files' encoding) cannot hold"
    return None


def _token_tuple(tokens: Iterable[str]) -> tuple[str, ...]:
    """``tuple(tokens)``, refusing a bare string (which would become one token per character)."""
    if isinstance(tokens, str):
        raise VocabularyError(f"tokens must be a sequence of token names, got the string {tokens!r} "
                              f"(for tokens separated by spaces use {tokens!r}.split())")
    if isinstance(tokens, (set, frozenset)):
        raise VocabularyError("tokens must be an ordered sequence of token names, got a set (its order "
                              "changes from one Python process to the next); pass sorted(tokens) or a list")
    try:
        return tuple(tokens)
    except TypeError:
        raise VocabularyError(f"tokens must be a sequence of token names, got {tokens!r}") from None


class Vocabulary:
    """A vocabulary: token names and their embedding matrix ``E`` (d x abs(V)).

    Parameters
    ----------
    tokens : iterable of str, length abs(V)
        Distinct token names, in index order (``index(tokens[i]) == i``); each
        non-empty, without white space and without ``#`` (see
        :func:`check_token_name`).
    E : array_like, shape (d, abs(V)), optional
        Embeddings as columns. Default: the identity (``d = abs(V)``), the
        canonical basis ``e_i`` of the paper; it is not stored, only built
        when ``.E`` is read (and refused, with an estimate, if it cannot fit in
        memory), so that a large vocabulary costs only its names.
    allow_non_orthonormal : bool, default False
        Accept an ``E`` whose columns are not orthonormal, i.e. leave
        Assumption 2 knowingly. Such a vocabulary works with the literal
        functions of :mod:`reference.model.transformer` and :mod:`reference.model.loss`;
        the training engine refuses it.

    Raises
    ------
    VocabularyError
        No token; tokens given as a set (no stable order); a token name that is
        not a string, empty, or contains white space, ``#``, NUL, a byte-order
        mark or a lone surrogate (its position named); a repeated name (both positions);
        an ``E`` of the wrong shape, dtype or with non-finite entries (the first
        one named); non-orthonormal columns without ``allow_non_orthonormal``
        (the worst pair of tokens named).

    Notes
    -----
    Serves Assumption 2 (orthonormal embeddings, checked to
    :data:`ORTHONORMAL_ATOL`) and the paper's index map ``I(x)``.
    """

    tokens: tuple[str, ...]
    is_identity: bool
    orthonormal: bool

    def __init__(self, tokens: Iterable[str], E: ArrayLike | None = None, *,
                 allow_non_orthonormal: bool = False) -> None:
        tokens = _token_tuple(tokens)
        if not tokens:
            raise VocabularyError("a vocabulary needs at least one token")
        seen: dict[str, int] = {}
        for i, x in enumerate(tokens):
            why = check_token_name(x)
            if why is not None:
                raise VocabularyError(f"token {i}, {x!r}, {why}")
            if x in seen:
                raise VocabularyError(f"token {x!r} appears twice (positions {seen[x]} and {i})")
            seen[x] = i
        self.tokens = tokens
        self._index = seen
        n = len(tokens)
        self._E = None
        self.is_identity = E is None
        if E is None:
            self._d = n
            self.orthonormal = True                     # the canonical basis, nothing to compute
            return
        else:
            E_in = np.asarray(E)
            if E_in.dtype.kind not in "iuf":
                raise VocabularyError(f"E must be a real numeric array, got dtype {E_in.dtype}")
            E = E_in.astype(np.float64)
            if E.ndim != 2 or E.shape[1] != n:
                raise VocabularyError(f"E must have shape (d, {n}) (one column per token), got {E.shape}")
            finite = np.isfinite(E)
            if not finite.all():
                r, c = (int(k) for k in np.argwhere(~finite)[0])
                raise VocabularyError(f"E has NaN or inf entries: E[{r}, {c}] = {E[r, c]} "
                                      f"(embedding of token {tokens[c]!r})")
        E.setflags(write=False)
        self._E, self._d = E, E.shape[0]
        # the identity given explicitly: O(|V|^2) to recognise, and then no E^T E (O(|V|^3)) to compute
        self.is_identity = (E.shape[0] == n and bool(np.all(np.diagonal(E) == 1.0))
                            and int(np.count_nonzero(E)) == n)
        self.orthonormal = self.is_identity or self._is_orthonormal(E)
        if not self.orthonormal and not allow_non_orthonormal:
            if E.shape[0] < n:
                why = f"d = {E.shape[0]} < abs(V) = {n}, so they cannot be"
            else:
                G = E.T @ E
                i, j = (int(k) for k in np.unravel_index(np.argmax(np.abs(G - np.eye(n))), G.shape))
                why = (f"<x_{tokens[i]}, x_{tokens[j]}> = {G[i, j]!r}, expected "
                       f"{1.0 if i == j else 0.0}")
            raise VocabularyError(
                "the columns of E are not orthonormal (Assumption 2): " + why +
                "; pass allow_non_orthonormal=True to leave Assumption 2 on purpose")

    @staticmethod
    def _is_orthonormal(E: NDArray[np.float64]) -> bool:
        d, n = E.shape
        return d >= n and bool(np.all(np.abs(E.T @ E - np.eye(n)) <= ORTHONORMAL_ATOL))

    @classmethod
    def random_orthonormal(cls, tokens: Iterable[str], d: int, *, rng: np.random.Generator) -> Vocabulary:
        """A vocabulary with random orthonormal embeddings in ``R^d``, ``d >= abs(V)``.

        ``E`` is the first ``abs(V)`` columns of the Q factor of a ``d x abs(V)``
        standard Gaussian matrix, with the signs fixed so that ``diag(R) > 0``
        (then ``E`` is Haar-distributed on the Stiefel manifold).

        Parameters
        ----------
        tokens : iterable of str, length abs(V)
        d : int, ``d >= abs(V)``
        rng : numpy.random.Generator

        Returns
        -------
        Vocabulary
            ``E`` of shape (d, abs(V)) with ``E^T E = I`` (Assumption 2).

        Raises
        ------
        VocabularyError
            If ``d`` is not an integer ``>= abs(V)``, ``rng`` is not a
            ``numpy.random.Generator``, or a token name is invalid.
        """
        tokens = _token_tuple(tokens)
        if not isinstance(rng, np.random.Generator):
            raise VocabularyError("rng must be a numpy.random.Generator (np.random.default_rng(seed))")
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < len(tokens):
            raise VocabularyError(f"d = {d!r} must be an integer >= abs(V) = {len(tokens)}")
        Q, R = np.linalg.qr(rng.standard_normal((int(d), len(tokens))))
        E = Q * np.sign(np.diag(R))
        return cls(tokens, E)

    @property
    def E(self) -> NDArray[np.float64]:
        """``E`` (d x abs(V)), read-only; the identity of the default vocabulary is built on first use.

        Raises
        ------
        VocabularyError
            The identity would not fit in memory (its size and the machine's memory named).
        """
        if self._E is None:
            n = len(self.tokens)
            check_memory(n * n * FLOAT_BYTES, f"the identity embedding E of {n} tokens ({n} x {n} floats)",
                         error=VocabularyError, hint="the training engine and the literal functions need E; "
                         "reading and inspecting a corpus do not")
            E = np.eye(n)
            E.setflags(write=False)
            self._E = E
        return self._E

    @property
    def n_tokens(self) -> int:
        """``abs(V)``."""
        return len(self.tokens)

    @property
    def d(self) -> int:
        """Embedding dimension ``d``."""
        return self._d

    def index(self, x: str) -> int:
        """``I(x) - 1``: the 0-based index of token name ``x`` (the paper's ``I`` is 1-based).

        Parameters
        ----------
        x : str

        Returns
        -------
        int
            In ``0 .. abs(V) - 1``; ``E[:, index(x)]`` is the embedding of ``x``.

        Raises
        ------
        VocabularyError
            If ``x`` is not in the vocabulary.
        """
        try:
            return self._index[x]
        except (KeyError, TypeError):
            raise VocabularyError(f"unknown token {x!r}") from None

    def __contains__(self, x: object) -> bool:
        try:
            return x in self._index
        except TypeError:                  # unhashable: certainly not a token name
            return False

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary) or self.tokens != other.tokens or self.d != other.d:
            return False
        if self.is_identity and other.is_identity:
            return True
        return bool(np.array_equal(self.E, other.E))

    def __hash__(self) -> int:
        return hash(self.tokens)

    def __repr__(self) -> str:
        kind = "identity" if self.is_identity else "E"
        return f"Vocabulary({list(self.tokens)!r}, d={self.d}, {kind})"

    def embed(self, idx: ArrayLike) -> NDArray[np.float64]:
        """The sentence matrix ``X = [x_1 .. x_L]`` of token indices ``idx`` (Section 3).

        Parameters
        ----------
        idx : array_like of int, length L
            0-based token indices (the paper's ``I(x_l) - 1``).

        Returns
        -------
        X : ndarray, shape (d, L)
            Column ``l`` is the embedding of token ``idx[l]``.

        Raises
        ------
        VocabularyError
            A non-integer index, or one outside ``0 .. abs(V) - 1`` (negative
            indices are not wrapped around); the position and value are named.
        """
        a = np.asarray(idx)
        if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
            raise VocabularyError(f"token indices must be a 1-d sequence of integers, got {idx!r}")
        bad = np.flatnonzero((a < 0) | (a >= len(self.tokens)))
        if bad.size:
            raise VocabularyError(f"token index {int(a[bad[0]])} at position {int(bad[0])} is outside "
                                  f"0..{len(self.tokens) - 1}")
        if self.is_identity:                        # one-hot columns, without building E
            X = np.zeros((self.d, a.size))
            X[a.astype(np.intp), np.arange(a.size)] = 1.0
            return X
        return self.E[:, a.astype(np.intp)]
