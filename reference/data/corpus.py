"""Samples given by token names, and the plain-text corpus format (paper Section 4.1).

From names to the ingredients of a :class:`reference.data.Dataset`: a corpus
of full sentences becomes its prefix-closed samples (:func:`_prefix_rows`), a
list of ``(tokens, next_token)`` pairs becomes samples as they are
(:func:`_sample_rows`), and :func:`_merge_rows` merges identical inputs and
counts them, refusing identical inputs with different next tokens.

The corpus format: one sentence per line; tokens separated by white space; ``#`` starts a
comment that runs to the end of the line; blank lines (and comment-only
lines) are ignored. Files are UTF-8 (a leading byte-order mark is allowed).
Every sentence needs at least two tokens: its prefixes ``x_1 .. x_l``,
``l = 1 .. m-1``, are the samples, and a one-token line has no next token. A token
name can hold neither white space nor ``#`` (:func:`reference.data.vocabulary.check_token_name`).
Nothing else is skipped: every other line becomes a sentence, and every
problem is reported with its file and line (or sample) and its token.
"""

import os
from collections import OrderedDict

from ..errors import CorpusError
from .vocabulary import check_token_name, Vocabulary

__all__ = ["read_corpus"]


def _split_lines(text):
    """Lines as an editor counts them: split at ``\\n``, ``\\r\\n`` or ``\\r`` only (not at form feeds)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _lines_of_file(path):
    """``(lines, where)`` of a UTF-8 text file; ``where`` prefixes every message (``"FILE:"``)."""
    if os.path.isdir(path):
        raise CorpusError(f"{path}: is a directory, not a corpus file")
    if not os.path.isfile(path):
        hint = ("" if os.sep in path or path.endswith(".txt") else
                " (a str without a line break is read as a path; give a list of lines, or text "
                "with a line break, for a corpus written inline)")
        raise CorpusError(f"{path}: no such corpus file{hint}")
    with open(path, "rb") as f:
        raw = f.read()
    if b"\0" in raw:
        raise CorpusError(f"{path}: not a text file (it contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CorpusError(f"{path}: not a UTF-8 text file (byte {e.start}: {e.reason})") from None
    return _split_lines(text), f"{path}:"


def read_corpus(lines_or_path):
    """Read a corpus into ``[(origin, [token, ...]), ...]``, one entry per sentence (Section 4.1).

    Parameters
    ----------
    lines_or_path : str, os.PathLike or iterable of str
        A path to a UTF-8 text file, or the lines themselves. A single ``str``
        is a path if it has no line break, else the corpus text itself.

    Returns
    -------
    list of (str, list of str)
        One entry per sentence, in file order; ``origin`` is ``"FILE:LINE"``
        (``"line LINE"`` for lines given in memory), LINE counted from 1.

    Raises
    ------
    CorpusError
        A missing file, a directory, a non-text file (NUL bytes or not UTF-8),
        bytes instead of text, an item of the iterable that is not a ``str`` or
        holds a line break, a line with one token (file and line named), or a
        corpus without any sentence.
    """
    if isinstance(lines_or_path, (bytes, bytearray)):
        raise CorpusError("a corpus is a path, a str or an iterable of str lines, not bytes "
                          "(decode it first, or pass the file's path)")
    if isinstance(lines_or_path, os.PathLike) or (
            isinstance(lines_or_path, str) and "\n" not in lines_or_path and "\r" not in lines_or_path):
        lines, where = _lines_of_file(os.fspath(lines_or_path))
    elif isinstance(lines_or_path, str):
        lines, where = _split_lines(lines_or_path), "line "
    else:
        try:
            lines = list(lines_or_path)
        except TypeError:
            raise CorpusError(f"a corpus is a path, a str or an iterable of str lines, got "
                              f"{type(lines_or_path).__name__}") from None
        where = "line "
    out = []
    for k, line in enumerate(lines, start=1):
        if not isinstance(line, str):
            raise CorpusError(f"{where}{k}: expected a line of text, got {type(line).__name__}")
        if len(_split_lines(line)) > 1:
            raise CorpusError(f"{where}{k}: {line!r} holds a line break; give one sentence per line")
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) < 2:
            raise CorpusError(
                f"{where}{k}: the sentence {words[0]!r} has one token, so no next token to learn; "
                "a corpus line needs at least two tokens")
        out.append((f"{where}{k}", words))
    if not out:
        raise CorpusError(("" if where == "line " else where + " ") +
                          "the corpus has no sentence (every line is blank or a comment)")
    return out


def _prefix_rows(lines_or_path):
    """The prefix closure of a corpus (Section 4.1): one row per sentence and prefix length.

    Parameters
    ----------
    lines_or_path : str, os.PathLike or iterable of str
        As for :func:`read_corpus`.

    Returns
    -------
    list of (str, list of str, str)
        ``(origin, [x_1 .. x_l], x_{l+1})`` for every sentence ``x_1 .. x_m`` and
        ``l = 1 .. m-1``; origin ``"FILE:LINE (prefix of length l)"``.

    Raises
    ------
    CorpusError
        See :func:`read_corpus`.
    """
    return [(f"{origin} (prefix of length {l})", words[:l], words[l])
            for origin, words in read_corpus(lines_or_path) for l in range(1, len(words))]


def _sample_rows(samples):
    """Samples ``[(tokens, next_token), ...]`` as rows ``(origin, tokens, next_token)``, origin ``"sample k"``.

    Parameters
    ----------
    samples : iterable of (sequence of str or str, str)
        A ``str`` of tokens is split at white space.

    Returns
    -------
    list of (str, list, object)

    Raises
    ------
    CorpusError
        Not an iterable, no sample, a sample that is not a pair, tokens that
        are not a sequence, an empty sentence (the sample named).
    """
    try:
        samples = list(samples)
    except TypeError:
        raise CorpusError(f"samples must be an iterable of (tokens, next_token) pairs, got "
                          f"{type(samples).__name__}") from None
    rows = []
    for k, sample in enumerate(samples):
        try:
            toks, nxt = sample
        except (TypeError, ValueError):
            raise CorpusError(f"sample {k}: expected a pair (tokens, next_token), got {sample!r}") from None
        if isinstance(toks, str):
            toks = toks.split()
        try:
            toks = list(toks)
        except TypeError:
            raise CorpusError(f"sample {k}: the tokens must be a sequence of names, got {toks!r}") from None
        if not toks:
            raise CorpusError(f"sample {k}: empty sentence (next token {nxt!r})")
        rows.append((f"sample {k}", toks, nxt))
    if not rows:
        raise CorpusError("no samples given")
    return rows


def _where(l, toks):
    return "the next token" if l == len(toks) else f"token {l + 1} of the sentence"


def _merge_rows(rows, vocab=None):
    """Merge identical inputs of ``rows`` and count them: the arguments of ``Dataset(...)``.

    Parameters
    ----------
    rows : list of (str, list of str, str)
        ``(origin, tokens, next_token)``, as from :func:`_prefix_rows` or :func:`_sample_rows`.
    vocab : Vocabulary, optional
        Default: the tokens in order of first appearance, identity ``E``.

    Returns
    -------
    (Vocabulary, list of tuple of int, list of int, list of int, list of str)
        ``(vocab, sentences, y, counts, origins)``: distinct inputs in order of
        first appearance, their next-token indices, multiplicities and first origins.

    Raises
    ------
    CorpusError
        An invalid token name (without ``vocab``) or an unknown token (with
        it), the row and the token's place named; identical inputs with two
        different next tokens (both rows named).
    """
    if vocab is None:
        order = OrderedDict()
        for origin, toks, nxt in rows:
            for l, x in enumerate(list(toks) + [nxt]):
                why = check_token_name(x)
                if why is not None:
                    raise CorpusError(f"{origin}: {_where(l, toks)}, {x!r}, {why}")
                order.setdefault(x, None)
        vocab = Vocabulary(list(order))
    elif not isinstance(vocab, Vocabulary):
        raise CorpusError(f"vocab must be a Vocabulary, got {type(vocab).__name__}")
    merged = OrderedDict()
    for origin, toks, nxt in rows:
        for l, x in enumerate(list(toks) + [nxt]):
            if x not in vocab:
                raise CorpusError(f"{origin}: unknown token {x!r} ({_where(l, toks)}; not in the vocabulary)")
        idx = tuple(vocab.index(x) for x in toks)
        j = vocab.index(nxt)
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
    return (vocab, list(merged), [v[1] for v in merged.values()], [v[2] for v in merged.values()],
            [v[0] for v in merged.values()])
