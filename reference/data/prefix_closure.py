"""The prefix closure of a corpus (paper Section 4.1) in time linear in the corpus, streamed.

Every sentence ``x_1 .. x_m`` contributes the samples ``([x_1 .. x_l], x_{l+1})``,
``l = 1 .. m-1``; identical inputs are merged and counted. Done naively (one
tuple per prefix as a dictionary key) that is quadratic in the length of a
line, and a corpus that repeats a few lines millions of times builds millions
of rows. Here:

- the corpus is read one line at a time and identical lines are counted
  first (one dictionary look-up per line), so a repeated line costs its
  look-up only;
- the distinct lines go into a trie of token indices: the prefix of length
  ``l`` is the child of the prefix of length ``l - 1`` under ``x_l``, one
  look-up per token, so each line costs time linear in its length. Each node
  is one distinct input of ``D_0`` with its next token, count and first origin.

The result, its order (sentences and tokens in order of first appearance)
and every error message are those of the definition: the same samples,
merged the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from ..errors import CorpusError
from .corpus import distinct_sentences
from .vocabulary import check_token_name, Vocabulary

__all__ = ["prefix_closure"]


def _where(p):
    """How the token at word position ``p`` (0-based) is first named: (prefix length, its place)."""
    return (1, "token 1 of the sentence") if p == 0 else (p, "the next token")


def prefix_closure(lines_or_path: str | os.PathLike[str] | Iterable[str], vocab: Vocabulary | None = None
                   ) -> tuple[Vocabulary, list[NDArray[np.intp]], list[int], list[int], list[str]]:
    """The arguments of ``Dataset(...)`` for the prefix closure of a corpus (Section 4.1).

    Parameters
    ----------
    lines_or_path : str, os.PathLike or iterable of str
        As for :func:`reference.data.corpus.read_corpus` (read line by line).
    vocab : Vocabulary, optional
        Default: the tokens in order of first appearance, identity ``E``.

    Returns
    -------
    (Vocabulary, list of int arrays, list of int, list of int, list of str)
        ``(vocab, sentences, y, counts, origins)``: the distinct inputs in order of first
        appearance, their next tokens, multiplicities and first origins
        ``"FILE:LINE (prefix of length l)"``.

    Raises
    ------
    CorpusError
        See :func:`reference.data.corpus.read_corpus`; an invalid token name (without
        ``vocab``) or an unknown token (with it), file, line and place named; identical
        prefixes followed by two different tokens (both places named).
    """
    if vocab is not None and not isinstance(vocab, Vocabulary):
        raise CorpusError(f"vocab must be a Vocabulary, got {type(vocab).__name__}")
    lines = distinct_sentences(lines_or_path)   # [origin, words, count] per distinct line
    index: dict[str, int] = {}                   # token -> index, when there is no vocab
    children: dict[tuple[int, int], int] = {}    # (parent node, token) -> node; node 0 is the root
    node_y, node_count, node_first = [0], [0], [(0, 0)]   # per node: next token, count, (line, length)
    idx_of_line = []
    for j, (origin, words, c) in enumerate(lines):
        idx = np.empty(len(words), dtype=np.intp)
        for p, x in enumerate(words):
            if vocab is None:
                i = index.get(x)
                if i is None:
                    why = check_token_name(x)
                    if why is not None:
                        l, place = _where(p)
                        raise CorpusError(f"{origin} (prefix of length {l}): {place}, {x!r}, {why}")
                    i = index[x] = len(index)
            else:
                if x not in vocab:
                    l, place = _where(p)
                    raise CorpusError(f"{origin} (prefix of length {l}): unknown token {x!r} ({place}; "
                                      "not in the vocabulary)")
                i = vocab.index(x)
            idx[p] = i
        idx_of_line.append(idx)
        node = 0
        for l in range(1, len(words)):
            key = (node, int(idx[l - 1]))
            child = children.get(key)
            if child is None:
                child = children[key] = len(node_y)
                node_y.append(int(idx[l]))
                node_count.append(c)
                node_first.append((j, l))
            else:
                if node_y[child] != idx[l]:
                    fj, fl = node_first[child]
                    first_next = lines[fj][1][fl]
                    raise CorpusError(
                        f"the input {' '.join(words[:l])!r} is followed by {first_next!r} at "
                        f"{lines[fj][0]} (prefix of length {fl}) and by {words[l]!r} at {origin} (prefix of "
                        f"length {l}): identical inputs with different next tokens are not realizable")
                node_count[child] += c
            node = child
    if vocab is None:
        vocab = Vocabulary(list(index))
    first = node_first[1:]
    return (vocab, [idx_of_line[j][:l] for j, l in first], node_y[1:], node_count[1:],
            [f"{lines[j][0]} (prefix of length {l})" for j, l in first])
