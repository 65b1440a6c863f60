"""Fuzzing corpora as a careless user and a hostile file would write them: only the library's own errors.

Whatever the bytes, ``Dataset.from_corpus`` either raises a
:class:`reference.errors.ReferenceValueError` or returns exactly the prefix
closure of Section 4.1 computed literally from the same lines (an independent
computation: every prefix of every sentence a sample, merged by
``Dataset.from_samples``). The ``inspect`` command answers with exit status 0
or 1, or 2 and one line ``error: ...``.
"""

import contextlib
import io

import numpy as np
from hypothesis import given, strategies as st

from reference.commands.cli import main
from reference.data.dataset import Dataset
from reference.errors import ReferenceValueError

#: Pieces a corpus file is made of, the awkward ones included: line ends of three kinds, a form
#: feed, a tab, a comment sign, a byte-order mark (first and elsewhere), NUL, non-ASCII text,
#: bytes that are not UTF-8.
PIECES = [b"a", b"b", b"c", b"\xc3\xa9", b" ", b"  ", b"\t", b"\n", b"\r\n", b"\r", b"#", b"\x0c",
          b"\xef\xbb\xbf", b"\x00", b"\xff", b"\xc3", b"x y z\n", b"a b\n", b"a c\n"]
corpus_bytes = st.one_of(st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join), st.binary(max_size=120))


def _literal_closure(lines):
    """Section 4.1 literally: every prefix x_1..x_l (l < m) of every sentence x_1..x_m is a sample."""
    samples = []
    for line in lines:
        w = line.split("#", 1)[0].split()
        samples += [(w[:l], w[l]) for l in range(1, len(w))]
    return Dataset.from_samples(samples)


def _same(a, b):
    return (a.vocab.tokens == b.vocab.tokens and a.N == b.N and a.y.tolist() == b.y.tolist()
            and a.counts.tolist() == b.counts.tolist()
            and all(np.array_equal(x, y) for x, y in zip(a.sentences, b.sentences)))


@given(data=corpus_bytes)
def test_any_file_gives_the_prefix_closure_or_the_librarys_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "corpus.txt"
    path.write_bytes(data)
    try:
        ds = Dataset.from_corpus(path)
    except ReferenceValueError:
        return
    text = data.decode("utf-8-sig")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert _same(ds, _literal_closure(lines))


@given(lines=st.lists(st.one_of(st.text(alphabet="ab c#\t\n\r\x00\ufeff\u00e9", max_size=12), st.none(),
                                st.integers()), max_size=6))
def test_any_list_of_lines_gives_the_prefix_closure_or_the_librarys_error(lines):
    try:
        ds = Dataset.from_corpus(lines)
    except ReferenceValueError:
        return
    assert _same(ds, _literal_closure(lines))


@given(data=corpus_bytes)
def test_inspect_never_ends_in_a_traceback(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "corpus.txt"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["inspect", str(path)])
    err = err.getvalue()
    assert status in (0, 1) or (status == 2 and err.startswith("error: ") and err.count("\n") == 1)
