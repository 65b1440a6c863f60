"""The training set ``D_0`` (paper Section 3 and Section 4.1, prefix closure).

A :class:`Dataset` holds the ``N`` *distinct* sentences ``X^(n)`` of ``D_0``
as token indices, their next tokens ``In(X^(n))`` (``y``) and their
frequencies ``pi^(n)``. Identical inputs are merged and counted; identical
inputs with two different next tokens are an error (the data would not be
realizable), and the error names both occurrences.

Corpus files (:mod:`reference.data.corpus`): one sentence per
line, tokens separated by white space, ``#`` starts a comment, blank lines
are ignored. Every full sentence ``x_1 .. x_m`` contributes its ``m - 1``
prefixes ``([x_1..x_l], x_{l+1})``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import CorpusError
from .budget import check_memory, FLOAT_BYTES
from .corpus import _merge_rows, _sample_rows
from .prefix_closure import prefix_closure
from .vocabulary import Vocabulary

__all__ = ["Dataset"]


def _index_array(a: ArrayLike, origin: str, what: str) -> NDArray[np.intp]:
    """``a`` as a 1-d ``intp`` array of token indices, refusing anything a cast would change."""
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise CorpusError(f"{origin}: {what} must be a 1-d sequence of token indices, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise CorpusError(f"{origin}: {what} must hold integer token indices, got dtype {arr.dtype}")
    return arr.astype(np.intp)


class Dataset:
    """``D_0``: ``N`` distinct sentences with next tokens and frequencies ``pi``.

    Build it with :meth:`from_corpus` or :meth:`from_samples`.

    Attributes
    ----------
    vocab : Vocabulary
    N : int
        Number of distinct sentences.
    L_max : int
        Longest sentence length.
    sentences : tuple of int arrays
        ``sentences[n]`` holds the 0-based token indices of ``X^(n)``.
    y : int array, shape (N,)
        ``In(X^(n))``, 0-based index of the next token.
    counts : int array, shape (N,)
        How many samples of ``D_0`` have input ``X^(n)``.
    pi : float array, shape (N,)
        ``pi^(n) = counts[n] / counts.sum()``.
    lengths : int array, shape (N,)
    queries : int array, shape (N,)
        Index of the query ``x_L^(n)``, the last token.
    tokens : int array, shape (N, L_max)
        Sentences padded on the right with ``-1``.
    mask : bool array, shape (N, L_max)
        ``tokens >= 0``.
    flat_tokens, flat_sentence : int arrays, shape (sum(lengths),)
        The sentences laid end to end, and the sentence each position belongs to.
    offsets : int array, shape (N + 1,)
        ``flat_tokens[offsets[n]:offsets[n+1]] == sentences[n]``.
    origins : tuple of str
        Where each distinct sentence first came from (file and line, or sample).
    """

    vocab: Vocabulary
    N: int
    L_max: int
    sentences: tuple[NDArray[np.intp], ...]
    y: NDArray[np.intp]
    counts: NDArray[np.int64]
    pi: NDArray[np.float64]
    lengths: NDArray[np.intp]
    queries: NDArray[np.intp]
    tokens: NDArray[np.intp]
    mask: NDArray[np.bool_]
    flat_tokens: NDArray[np.intp]
    flat_sentence: NDArray[np.intp]
    offsets: NDArray[np.intp]
    origins: tuple[str, ...]

    def __init__(self, vocab: Vocabulary, sentences: Iterable[ArrayLike], y: ArrayLike, counts: ArrayLike,
                 origins: Iterable[str] | None = None) -> None:
        """``D_0`` from token indices; the low-level constructor behind :meth:`from_corpus` and :meth:`from_samples`.

        Parameters
        ----------
        vocab : Vocabulary
        sentences : iterable of N int sequences (array_like)
            Distinct sentences as 0-based token indices, each of length >= 1.
        y : int sequence (array_like), length N
            Next-token index of each sentence.
        counts : int sequence (array_like), length N
            Positive multiplicities; ``pi = counts / sum(counts)``.
        origins : iterable of N str, optional
            Where each sentence came from; default ``"sample n"``.

        Raises
        ------
        CorpusError
            Mismatched lengths, an empty sentence, a non-integer or
            out-of-range index (saying whether it is in the sentence or the
            next token, with its position), a count that is not a positive
            integer, the same sentence twice (both origins named), or a padded
            ``N x L_max`` layout larger than this machine's memory (estimated
            before allocating).
        """
        if not isinstance(vocab, Vocabulary):
            raise CorpusError(f"vocab must be a Vocabulary, got {type(vocab).__name__}")
        self.vocab = vocab
        n_tok = vocab.n_tokens
        sentences = tuple(sentences)
        if not sentences:
            raise CorpusError("a dataset needs at least one sentence")
        if origins is None:
            origins = tuple(f"sample {k}" for k in range(len(sentences)))
        self.origins = tuple(origins)
        y = _index_array(y, "dataset", "y (the next tokens)")
        counts = np.asarray(counts)
        if not (len(sentences) == len(y) == len(counts) == len(self.origins)):
            raise CorpusError(f"sentences, y, counts and origins must have the same length, got "
                              f"{len(sentences)}, {len(y)}, {len(counts)} and {len(self.origins)}")
        if counts.ndim != 1 or counts.dtype.kind not in "iu":
            raise CorpusError(f"counts must be a 1-d sequence of integers, got dtype {counts.dtype}")
        counts = counts.astype(np.int64)
        checked = tuple(_index_array(s, self.origins[k], "a sentence") for k, s in enumerate(sentences))
        sentences = checked                     # (a new name: the type of the checked arrays, for mypy)
        first: dict[bytes, int] = {}
        for k, s in enumerate(sentences):
            where = self.origins[k]
            if s.size == 0:
                raise CorpusError(f"{where}: empty sentence")
            bad = np.flatnonzero((s < 0) | (s >= n_tok))
            if bad.size:
                raise CorpusError(f"{where}: token index {int(s[bad[0]])} at position {int(bad[0])} of the "
                                  f"sentence is outside 0..{n_tok - 1} (abs(V) = {n_tok})")
            if not 0 <= y[k] < n_tok:
                raise CorpusError(f"{where}: the next-token index {int(y[k])} is outside 0..{n_tok - 1} "
                                  f"(abs(V) = {n_tok})")
            if counts[k] <= 0:
                raise CorpusError(f"{where}: count {int(counts[k])} must be a positive integer")
            key = s.tobytes()
            if key in first:
                raise CorpusError(f"the sentence {' '.join(vocab.tokens[i] for i in s)!r} occurs twice, at "
                                  f"{self.origins[first[key]]} and at {where}: the N sentences of a "
                                  "Dataset are distinct (merge them and add their counts)")
            first[key] = k
        self.sentences = sentences
        self.y = y
        self.counts = counts
        # the total as a Python int (exact, never wraps around as int64 would), then one rounding each
        self.pi = counts.astype(np.float64) / float(sum(int(c) for c in counts.tolist()))
        self.N = len(sentences)
        self.lengths = np.array([s.size for s in sentences], dtype=np.intp)
        self.L_max = int(self.lengths.max())
        # tokens and mask pad every sentence to L_max: refuse, before allocating, what cannot fit
        check_memory(self.N * self.L_max * (FLOAT_BYTES + 1), f"the padded sentences of D_0 (N = {self.N} "
                     f"sentences x L_max = {self.L_max} positions)", error=CorpusError)
        self.queries = np.array([s[-1] for s in sentences], dtype=np.intp)
        self.tokens = np.full((self.N, self.L_max), -1, dtype=np.intp)
        for n, s in enumerate(sentences):
            self.tokens[n, :s.size] = s
        self.mask = self.tokens >= 0
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.intp)
        self.flat_tokens = np.concatenate(sentences).astype(np.intp)
        self.flat_sentence = np.repeat(np.arange(self.N, dtype=np.intp), self.lengths)
        for a in (self.y, self.counts, self.pi, self.lengths, self.queries, self.tokens,
                  self.mask, self.offsets, self.flat_tokens, self.flat_sentence):
            a.setflags(write=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_samples(cls, samples: Iterable[tuple[Sequence[str] | str, str]],
                     vocab: Vocabulary | None = None) -> Dataset:
        """``D_0`` from ``[(tokens, next_token), ...]`` given as token names (Section 3).

        The samples need not be prefix-closed: the statements of the paper's
        Sections 5-6 are phrased over any set of distinct sentences.
        Identical samples are merged and counted into ``pi``.

        Parameters
        ----------
        samples : iterable of (sequence of str, str)
            ``tokens`` is a list of names, or one ``str`` of names separated by
            white space; ``next_token`` is a name.
        vocab : Vocabulary, optional
            Default: the tokens in order of first appearance, identity ``E``.

        Returns
        -------
        Dataset
            ``origins[n]`` is ``"sample k"``, the first sample with input ``X^(n)``.

        Raises
        ------
        CorpusError
            No sample; a sample that is not a ``(tokens, next_token)`` pair; an
            empty sentence; an invalid token name (not a string, white space or
            ``#`` in it) or, when ``vocab`` is given, an unknown token (whether
            in the sentence, with its position, or the next token); identical
            inputs with two different next tokens (both samples named).
        """
        return cls(*_merge_rows(_sample_rows(samples), vocab))

    @classmethod
    def from_corpus(cls, lines_or_path: str | os.PathLike[str] | Iterable[str],
                    vocab: Vocabulary | None = None) -> Dataset:
        """``D_0`` as the prefix closure of a corpus of full sentences (Section 4.1).

        Every sentence ``x_1 .. x_m`` contributes the samples
        ``([x_1 .. x_l], x_{l+1})`` for ``l = 1 .. m-1``; identical inputs are
        merged and counted, so ``pi`` is their frequency among all samples.

        Parameters
        ----------
        lines_or_path : str, os.PathLike or iterable of str
            See :func:`reference.data.corpus.read_corpus` for the format.
        vocab : Vocabulary, optional
            Default: the tokens in order of first appearance, identity ``E``.

        Returns
        -------
        Dataset
            ``origins[n]`` is ``"FILE:LINE (prefix of length l)"`` of the first
            occurrence of ``X^(n)``.

        Raises
        ------
        CorpusError
            See :func:`reference.data.corpus.read_corpus`; an unknown token (when
            ``vocab`` is given; file, line and position named); identical
            prefixes followed by two different tokens (both places named).
        """
        return cls(*prefix_closure(lines_or_path, vocab))

    # ------------------------------------------------------------------ views
    def samples(self) -> list[tuple[NDArray[np.intp], int, float]]:
        """The distinct samples of ``D_0`` with their frequencies (Eq. 1).

        Returns
        -------
        list of (int array of shape (L_n,), int, float), length N
            ``(sentences[n], In(X^(n)), pi^(n))``, 0-based indices.
        """
        return [(s, int(self.y[n]), float(self.pi[n])) for n, s in enumerate(self.sentences)]

    def X(self, n: int) -> NDArray[np.float64]:
        """``X^(n) = [x_1 .. x_L]``: sentence ``n`` as a matrix whose columns are embeddings (Section 3).

        Parameters
        ----------
        n : int, ``0 <= n < N``

        Returns
        -------
        X : ndarray, shape (d, L_n)

        Raises
        ------
        CorpusError
            ``n`` outside ``0 .. N-1``.
        """
        return self.vocab.embed(self.sentences[self._sentence(n)])

    def sentence_text(self, n: int) -> str:
        """Sentence ``n`` as its token names separated by spaces.

        Parameters
        ----------
        n : int, ``0 <= n < N``

        Returns
        -------
        str

        Raises
        ------
        CorpusError
            ``n`` outside ``0 .. N-1``.
        """
        return " ".join(self.vocab.tokens[i] for i in self.sentences[self._sentence(n)])

    def _sentence(self, n: int) -> int:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n < self.N:
            raise CorpusError(f"sentence number {n!r} is outside 0..{self.N - 1} (N = {self.N})")
        return int(n)

    def with_vocab(self, vocab: Vocabulary) -> Dataset:
        """The same sentences, next tokens and counts over another vocabulary with the same token names.

        Parameters
        ----------
        vocab : Vocabulary
            Same ``tokens`` in the same order; any ``E`` (e.g. a random
            orthonormal one, to test invariance under Assumption 2).

        Returns
        -------
        Dataset

        Raises
        ------
        CorpusError
            ``vocab`` is not a Vocabulary or has other tokens.
        """
        if not isinstance(vocab, Vocabulary):
            raise CorpusError(f"vocab must be a Vocabulary, got {type(vocab).__name__}")
        if tuple(vocab.tokens) != tuple(self.vocab.tokens):
            raise CorpusError(f"with_vocab needs a vocabulary with the same tokens in the same order: "
                              f"{list(self.vocab.tokens)!r}, got {list(vocab.tokens)!r}")
        return Dataset(vocab, self.sentences, self.y, self.counts, self.origins)

    def __repr__(self) -> str:
        return f"Dataset(N={self.N}, L_max={self.L_max}, abs(V)={self.vocab.n_tokens}, samples={int(self.counts.sum())})"
