"""Sample files: one sample ``tokens -> next`` per line, for sample sets that are not prefix-closed (Section 3).

A corpus file (:mod:`reference.data.corpus`) holds full sentences and ``D_0``
is its prefix closure (Section 4.1). A *sample file* gives the samples of
``D_0`` themselves, so any set of distinct sentences can be written down
(the statements of the paper's Sections 5-6 are phrased over such a set)::

    # Example 1's one-token samples, and two longer ones
    S -> V
    V -> O
    O -> P
    P -> S
    S V O -> P
    O P -> P

The format, read strictly:

- one sample per line: the sentence's tokens separated by white space, then
  ``->`` as a word of its own, then exactly one next token;
- ``#`` starts a comment that runs to the end of the line; blank lines and
  comment-only lines are ignored;
- a token name holds neither white space nor ``#``, and is not ``->``
  (:func:`reference.data.vocabulary.check_token_name`);
- a sample given twice counts twice (its frequency ``pi`` doubles); the same
  sentence with two different next tokens is an error (not realizable);
- files are UTF-8 (a leading byte-order mark is allowed).

Every error names the file and the line (and both lines for a conflict).
"""

import itertools
import os

from ..errors import CorpusError
from .corpus import _blocks_of_file, _merge_rows, _split_lines
from .dataset import Dataset

__all__ = ["ARROW", "read_samples", "load_samples"]

#: The word that separates a sample's sentence from its next token.
ARROW = "->"


def read_samples(path_or_text):
    """Read a sample file into rows ``[(origin, [token, ...], next_token), ...]`` (Section 3, one per sample).

    Parameters
    ----------
    path_or_text : str or os.PathLike
        A path to a UTF-8 text file; a ``str`` holding a line break is the
        file's text itself (origins are then ``"line K"``).

    Returns
    -------
    list of (str, list of str, str)
        One row per sample in file order; ``origin`` is ``"FILE:LINE"``, LINE counted from 1.

    Raises
    ------
    CorpusError
        A missing file, a directory, a non-text file; a line without ``->``,
        with more than one ``->``, with ``->`` glued to a token, with no token
        before ``->`` or not exactly one after it; a file without any sample.
        Each message names the file and the line.
    """
    if isinstance(path_or_text, (bytes, bytearray)):
        raise CorpusError("a sample file is a path or a str, not bytes (decode it first, or pass the file's path)")
    if isinstance(path_or_text, os.PathLike) or (
            isinstance(path_or_text, str) and "\n" not in path_or_text and "\r" not in path_or_text):
        path = os.fspath(path_or_text)
        lines, where = itertools.chain.from_iterable(_blocks_of_file(path)), f"{path}:"
    elif isinstance(path_or_text, str):
        lines, where = _split_lines(path_or_text), "line "
    else:
        raise CorpusError(f"a sample file is a path or a str, got {type(path_or_text).__name__}")
    rows = []
    for k, line in enumerate(lines, start=1):
        at = f"{where}{k}"
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        arrows = [i for i, w in enumerate(words) if w == ARROW]
        glued = [w for w in words if ARROW in w and w != ARROW]
        if glued:
            raise CorpusError(f"{at}: {glued[0]!r} holds {ARROW!r}; write it as a word of its own, with "
                              f"spaces around it: 'tokens {ARROW} next'")
        if not arrows:
            raise CorpusError(f"{at}: no {ARROW!r} in {line.strip()!r}; a sample line is 'tokens {ARROW} next' "
                              "(a file of full sentences is a corpus: use --corpus)")
        if len(arrows) > 1:
            raise CorpusError(f"{at}: {len(arrows)} times {ARROW!r} in {line.strip()!r}; a sample line has "
                              f"exactly one: 'tokens {ARROW} next'")
        before, after = words[:arrows[0]], words[arrows[0] + 1:]
        if not before:
            raise CorpusError(f"{at}: no token before {ARROW!r}; a sample needs a sentence of at least one token")
        if len(after) != 1:
            raise CorpusError(f"{at}: {len(after)} tokens after {ARROW!r} ({' '.join(after) or 'none'}); "
                              "a sample has exactly one next token")
        rows.append((at, before, after[0]))
    if not rows:
        raise CorpusError(("" if where == "line " else where + " ") +
                          "the sample file has no sample (every line is blank or a comment)")
    return rows


def load_samples(path_or_text, vocab=None):
    """``D_0`` from a sample file: its samples as they are, identical ones merged and counted (Section 3).

    Parameters
    ----------
    path_or_text : str or os.PathLike
        As for :func:`read_samples`.
    vocab : Vocabulary, optional
        Default: the tokens in order of first appearance, identity ``E``.

    Returns
    -------
    Dataset
        ``origins[n]`` is ``"FILE:LINE"`` of the first sample with input ``X^(n)``.

    Raises
    ------
    CorpusError
        See :func:`read_samples`; an invalid or (with ``vocab``) unknown token,
        the same sentence with two different next tokens (both lines named).
    """
    return Dataset(*_merge_rows(read_samples(path_or_text), vocab))
