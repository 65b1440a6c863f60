"""The training set ``D_0`` (paper Section 3 and Section 4.1, prefix closure).

A :class:`Dataset` holds the ``N`` *distinct* sentences ``X^(n)`` of ``D_0``
as token indices, their next tokens ``In(X^(n))`` (``y``) and their
frequencies ``pi^(n)``. Identical inputs are merged and counted; identical
inputs with two different next tokens are an error (the data would not be
realizable), and the error names both occurrences.

Corpus files: one sentence per line, tokens separated by white space, ``#``
starts a comment, blank lines are ignored. Every full sentence
``x_1 .. x_m`` contributes its ``m - 1`` prefixes ``([x_1..x_l], x_{l+1})``.
"""

import os
from collections import OrderedDict

import numpy as np

from .errors import CorpusError, VocabularyError
from .vocabulary import Vocabulary

__all__ = ["Dataset", "read_corpus"]


def read_corpus(lines_or_path):
    """Read a corpus into ``[(origin, [token, ...]), ...]``, one entry per sentence.

    Parameters
    ----------
    lines_or_path : str, os.PathLike or iterable of str
        A path to a UTF-8 text file, or the lines themselves. A single ``str``
        is a path if it names an existing file or has no line break, else the
        corpus text itself.

    Returns
    -------
    list of (str, list of str)
        ``origin`` is ``"FILE:LINE"`` (or ``"line LINE"`` for in-memory lines).

    Raises
    ------
    CorpusError
        Missing or non-text file, a line with fewer than two tokens.
    """
    if isinstance(lines_or_path, (str, os.PathLike)) and (
            isinstance(lines_or_path, os.PathLike) or "\n" not in lines_or_path):
        path = os.fspath(lines_or_path)
        if not os.path.isfile(path):
            raise CorpusError(f"{path}: no such corpus file")
        with open(path, "rb") as f:
            raw = f.read()
        if b"\0" in raw:
            raise CorpusError(f"{path}: not a text file (it contains NUL bytes)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CorpusError(f"{path}: not a UTF-8 text file (byte {e.start}: {e.reason})") from None
        lines, where = text.splitlines(), f"{path}:"
    else:
        if isinstance(lines_or_path, str):
            lines = lines_or_path.splitlines()
        else:
            lines = list(lines_or_path)
        where = "line "
    out = []
    for k, line in enumerate(lines, start=1):
        if not isinstance(line, str):
            raise CorpusError(f"{where}{k}: expected a line of text, got {type(line).__name__}")
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) < 2:
            raise CorpusError(
                f"{where}{k}: the sentence {words[0]!r} has one token, so no next token to learn; "
                "a corpus line needs at least two tokens")
        out.append((f"{where}{k}", words))
    if not out:
        raise CorpusError(f"{where.rstrip(':')}: the corpus has no sentence")
    return out


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

    def __init__(self, vocab, sentences, y, counts, origins=None):
        if not isinstance(vocab, Vocabulary):
            raise CorpusError(f"vocab must be a Vocabulary, got {type(vocab).__name__}")
        self.vocab = vocab
        n_tok = vocab.n_tokens
        sentences = tuple(np.asarray(s, dtype=np.intp).reshape(-1) for s in sentences)
        y = np.asarray(y, dtype=np.intp).reshape(-1)
        counts = np.asarray(counts, dtype=np.int64).reshape(-1)
        if not sentences:
            raise CorpusError("a dataset needs at least one sentence")
        if not (len(sentences) == len(y) == len(counts)):
            raise CorpusError("sentences, y and counts must have the same length")
        if origins is None:
            origins = tuple(f"sample {k}" for k in range(len(sentences)))
        self.origins = tuple(origins)
        for k, s in enumerate(sentences):
            if s.size == 0:
                raise CorpusError(f"{self.origins[k]}: empty sentence")
            bad = (s < 0) | (s >= n_tok)
            if bad.any() or not 0 <= y[k] < n_tok:
                raise CorpusError(f"{self.origins[k]}: token index out of range 0..{n_tok - 1}")
        if np.any(counts <= 0):
            raise CorpusError("every count must be positive")
        self.sentences = sentences
        self.y = y
        self.counts = counts
        self.pi = counts / counts.sum()
        self.N = len(sentences)
        self.lengths = np.array([s.size for s in sentences], dtype=np.intp)
        self.L_max = int(self.lengths.max())
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
    def from_samples(cls, samples, vocab=None):
        """``D_0`` from ``[(tokens, next_token), ...]`` (token names).

        The samples need not be prefix-closed: the statements of the paper's
        Sections 5-6 are phrased over any set of distinct sentences.
        Identical samples are merged and counted into ``pi``.

        Parameters
        ----------
        samples : iterable of (sequence of str, str)
        vocab : Vocabulary, optional
            Default: the tokens in order of first appearance, identity ``E``.

        Raises
        ------
        CorpusError
            Empty sentence, unknown token (when ``vocab`` is given), a sample
            that is not a ``(tokens, next_token)`` pair, or identical inputs
            with two different next tokens (both samples named).
        """
        rows = []
        for k, sample in enumerate(samples):
            try:
                toks, nxt = sample
            except (TypeError, ValueError):
                raise CorpusError(f"sample {k}: expected a pair (tokens, next_token), got {sample!r}") from None
            if isinstance(toks, str):
                toks = toks.split()
            toks = list(toks)
            if not toks:
                raise CorpusError(f"sample {k}: empty sentence (next token {nxt!r})")
            rows.append((f"sample {k}", toks, nxt))
        if not rows:
            raise CorpusError("no samples given")
        return cls._from_rows(rows, vocab)

    @classmethod
    def from_corpus(cls, lines_or_path, vocab=None):
        """``D_0`` as the prefix closure of a corpus of full sentences (Section 4.1).

        Every sentence ``x_1 .. x_m`` contributes the samples
        ``([x_1 .. x_l], x_{l+1})`` for ``l = 1 .. m-1``; identical inputs are
        merged and counted, so ``pi`` is their frequency among all samples.

        Parameters
        ----------
        lines_or_path : str, os.PathLike or iterable of str
            See :func:`read_corpus` for the format.
        vocab : Vocabulary, optional
            Default: the tokens in order of first appearance, identity ``E``.

        Raises
        ------
        CorpusError
            See :func:`read_corpus`; unknown token; identical prefixes followed
            by two different tokens (both places named).
        """
        rows = []
        for origin, words in read_corpus(lines_or_path):
            for l in range(1, len(words)):
                rows.append((f"{origin} (prefix of length {l})", words[:l], words[l]))
        return cls._from_rows(rows, vocab)

    @classmethod
    def _from_rows(cls, rows, vocab):
        if vocab is None:
            order = OrderedDict()
            for origin, toks, nxt in rows:
                for x in list(toks) + [nxt]:
                    if not isinstance(x, str):
                        raise CorpusError(f"{origin}: token {x!r} is not a string")
                    order.setdefault(x, None)
            try:
                vocab = Vocabulary(list(order))
            except VocabularyError as e:
                raise CorpusError(str(e)) from None
        merged = OrderedDict()
        for origin, toks, nxt in rows:
            try:
                idx = tuple(vocab.index(x) for x in toks)
                j = vocab.index(nxt)
            except VocabularyError as e:
                raise CorpusError(f"{origin}: {e} (not in the vocabulary)") from None
            if idx in merged:
                first_origin, first_next, c = merged[idx]
                if first_next != j:
                    raise CorpusError(
                        f"the input {' '.join(toks)!r} is followed by {vocab.tokens[first_next]!r} at "
                        f"{first_origin} and by {nxt!r} at {origin}: identical inputs with different "
                        "next tokens are not realizable")
                merged[idx] = (first_origin, first_next, c + 1)
            else:
                merged[idx] = (origin, j, 1)
        sentences = list(merged)
        return cls(vocab, sentences, [v[1] for v in merged.values()],
                   [v[2] for v in merged.values()], origins=[v[0] for v in merged.values()])

    # ------------------------------------------------------------------ views
    def samples(self):
        """``[(token indices, next index, pi), ...]``, one per distinct sentence."""
        return [(s, int(self.y[n]), float(self.pi[n])) for n, s in enumerate(self.sentences)]

    def X(self, n):
        """``X^(n)``: the d x L matrix of sentence ``n`` (columns are embeddings)."""
        return self.vocab.embed(self.sentences[n])

    def sentence_text(self, n):
        """Sentence ``n`` as its token names separated by spaces."""
        return " ".join(self.vocab.tokens[i] for i in self.sentences[n])

    def with_vocab(self, vocab):
        """The same sentences over another vocabulary with the same token names (new ``E``)."""
        if tuple(vocab.tokens) != tuple(self.vocab.tokens):
            raise CorpusError("with_vocab needs a vocabulary with the same tokens in the same order")
        return Dataset(vocab, self.sentences, self.y, self.counts, self.origins)

    def __repr__(self):
        return f"Dataset(N={self.N}, L_max={self.L_max}, abs(V)={self.vocab.n_tokens}, samples={int(self.counts.sum())})"
