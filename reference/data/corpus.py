"""Samples given by token names, and the plain-text corpus format (paper Section 4.1).

From names to the ingredients of a :class:`reference.data.Dataset`: a corpus
of full sentences is read line by line, streamed (:func:`_sentences`; its
prefix closure is :mod:`reference.data.prefix_closure`), a list of
``(tokens, next_token)`` pairs becomes samples as they are
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

from __future__ import annotations

import itertools
import os
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from ..errors import CorpusError
from .vocabulary import check_token_name, Vocabulary

__all__ = ["read_corpus", "distinct_sentences"]


def _split_lines(text):
    """Lines as an editor counts them: split at ``\\n``, ``\\r\\n`` or ``\\r`` only (not at form feeds)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _describe(e, path):
    """An ``OSError`` on a corpus file as one sentence (no ``[Errno N]``)."""
    reason = (e.strerror or str(e)).lower()
    return f"{path}: cannot read this corpus file ({reason})"


#: Bytes read from a corpus file at a time: lines are split and decoded a block at a time (in C), so
#: memory stays bounded by the block and the longest line, whatever the file's size.
_BLOCK = 1 << 20


def _blocks_of_file(path):
    """The lines of a UTF-8 text file, a block of lines at a time (never the whole file at once).

    Yields
    ------
    list of str
        Consecutive lines, as an editor counts them (``\\n``, ``\\r\\n`` and ``\\r`` end lines).
    """
    if os.path.isdir(path):
        raise CorpusError(f"{path}: is a directory, not a corpus file")
    if not os.path.exists(path):
        hint = ("" if os.sep in path or path.endswith(".txt") else
                " (a str without a line break is read as a path; give a list of lines, or text "
                "with a line break, for a corpus written inline)")
        raise CorpusError(f"{path}: no such corpus file{hint}")
    try:
        f = open(path, "rb")                          # a regular file, a pipe or a device such as /dev/null
    except OSError as e:
        raise CorpusError(_describe(e, path)) from None
    offset, carry = 0, b""
    with f:
        while True:
            try:
                block = f.read(_BLOCK)
            except OSError as e:
                raise CorpusError(_describe(e, path)) from None
            data = carry + block
            if block:
                cut = data.rfind(b"\n") + 1              # whole lines only; a "\r\n" is never split
                if cut == 0:
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            elif not data:
                return
            if b"\0" in data:
                raise CorpusError(f"{path}: not a text file (it contains NUL bytes)")
            if offset == 0 and data.startswith(b"\xef\xbb\xbf"):
                data, offset = data[3:], 3
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                raise CorpusError(f"{path}: not a UTF-8 text file (byte {offset + e.start}: {e.reason})") from None
            offset += len(data)
            yield _split_lines(text)
            if not block:
                return


def _batches(lines_or_path):
    """``(where, iterator of lists of lines)`` of any corpus argument; ``where`` prefixes every origin."""
    if isinstance(lines_or_path, (bytes, bytearray)):
        raise CorpusError("a corpus is a path, a str or an iterable of str lines, not bytes "
                          "(decode it first, or pass the file's path)")
    if isinstance(lines_or_path, os.PathLike) or (
            isinstance(lines_or_path, str) and "\n" not in lines_or_path and "\r" not in lines_or_path):
        path = os.fspath(lines_or_path)
        if isinstance(path, bytes):
            raise CorpusError("a corpus path must be text, not bytes")
        return f"{path}:", _blocks_of_file(path)
    if isinstance(lines_or_path, str):
        return "line ", iter([_split_lines(lines_or_path)])
    try:
        it = iter(lines_or_path)
    except TypeError:
        raise CorpusError(f"a corpus is a path, a str or an iterable of str lines, got "
                          f"{type(lines_or_path).__name__}") from None
    return "line ", iter(lambda: list(itertools.islice(it, 4096)), [])


def _words(line, where, k):
    """The tokens of line ``k``: ``None`` for a blank or comment line; errors name the line."""
    if type(line) is not str:
        raise CorpusError(f"{where}{k}: expected a line of text, got {type(line).__name__}")
    if len(_split_lines(line)) > 1:
        raise CorpusError(f"{where}{k}: {line!r} holds a line break; give one sentence per line")
    words = line.split("#", 1)[0].split()
    if not words:
        return None
    if len(words) < 2:
        raise CorpusError(f"{where}{k}: the sentence {words[0]!r} has one token, so no next token to learn; "
                          "a corpus line needs at least two tokens")
    return words


def _no_sentence(where):
    return CorpusError(("" if where == "line " else where + " ") +
                       "the corpus has no sentence (every line is blank or a comment)")


def _sentences(lines_or_path):
    """``(origin, words)`` of every sentence, streamed; the checks of :func:`read_corpus`."""
    where, batches = _batches(lines_or_path)
    k, any_sentence = 0, False
    for batch in batches:
        for line in batch:
            k += 1
            words = _words(line, where, k)
            if words is not None:
                any_sentence = True
                yield f"{where}{k}", words
    if not any_sentence:
        raise _no_sentence(where)


def distinct_sentences(lines_or_path: str | os.PathLike[str] | Iterable[str]) -> list[list[Any]]:
    """The distinct lines of a corpus with their multiplicities, read in one streamed pass.

    A line seen before costs one dictionary look-up; only a line's first occurrence is split
    and checked, so the errors (and the origins) are those of the first occurrence in file order.

    Parameters
    ----------
    lines_or_path : str, os.PathLike or iterable of str
        As for :func:`read_corpus`.

    Returns
    -------
    list of [str, list of str, int]
        ``[origin, words, count]`` per distinct line text that holds a sentence, in order of first
        appearance.

    Raises
    ------
    CorpusError
        As :func:`read_corpus`.
    """
    where, batches = _batches(lines_or_path)
    seen: dict[str, int] = {}
    out: list[list[Any]] = []
    k = 0
    for batch in batches:
        for line in batch:
            k += 1
            j = seen.get(line) if type(line) is str else None
            if j is not None:
                if j >= 0:
                    out[j][2] += 1
                continue
            words = _words(line, where, k)
            seen[line] = -1 if words is None else len(out)
            if words is not None:
                out.append([f"{where}{k}", words, 1])
    if not out:
        raise _no_sentence(where)
    return out


def read_corpus(lines_or_path: str | os.PathLike[str] | Iterable[str]) -> list[tuple[str, list[str]]]:
    """Read a corpus into ``[(origin, [token, ...]), ...]``, one entry per sentence (Section 4.1).

    Parameters
    ----------
    lines_or_path : str, os.PathLike or iterable of str
        A path to a UTF-8 text file (or a pipe or device), or the lines themselves. A single
        ``str`` is a path if it has no line break, else the corpus text itself.

    Returns
    -------
    list of (str, list of str)
        One entry per sentence, in file order; ``origin`` is ``"FILE:LINE"``
        (``"line LINE"`` for lines given in memory), LINE counted from 1.

    Raises
    ------
    CorpusError
        A missing or unreadable file (permission denied, ...), a directory, a non-text file (NUL
        bytes or not UTF-8), bytes instead of text, an item of the iterable that is not a ``str`` or
        holds a line break, a line with one token (file and line named), or a corpus without any
        sentence.
    """
    return list(_sentences(lines_or_path))


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
        if isinstance(toks, (set, frozenset)):
            raise CorpusError(f"sample {k}: the tokens are a set, which has no order; give a list or a str")
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
