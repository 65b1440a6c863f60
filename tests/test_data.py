"""Dataset: prefix closure, merging and counting, pi, padded arrays, and every bad input."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import corpora, seeds, small_datasets, vocabularies

from reference import Dataset, read_corpus, Vocabulary
from reference.errors import CorpusError

EXAMPLE1 = ["S V O P", "V O P", "O P P", "P S V"]
#: pi is counts / total; sums of at most a few dozen such floats are exact to a few ulps.
PI_ATOL = 1e-14


def _raw_samples(lines):
    """The prefix-closed samples of a corpus, built by hand: one per (line, prefix length)."""
    out = []
    for line in lines:
        words = line.split()
        for l in range(1, len(words)):
            out.append((tuple(words[:l]), words[l]))
    return out


def test_example1_prefix_closure():
    ds = Dataset.from_corpus(EXAMPLE1)
    # SVOP -> S, SV, SVO; VOP -> V, VO; OPP -> O, OP; PSV -> P, PS: nine distinct inputs
    assert ds.N == 9 and ds.L_max == 3
    assert ds.vocab.tokens == ("S", "V", "O", "P")
    np.testing.assert_allclose(ds.pi, np.full(9, 1 / 9), rtol=0, atol=PI_ATOL)
    got = {ds.sentence_text(n): ds.vocab.tokens[ds.y[n]] for n in range(ds.N)}
    assert got == {"S": "V", "S V": "O", "S V O": "P", "V": "O", "V O": "P",
                   "O": "P", "O P": "P", "P": "S", "P S": "V"}


def test_identical_prefixes_are_merged_and_counted():
    ds = Dataset.from_corpus(["a b c", "a b c d", "a b"])
    # raw samples: a->b (3 times), ab->c (2 times), abc->d (once)
    assert [ds.sentence_text(n) for n in range(ds.N)] == ["a", "a b", "a b c"]
    np.testing.assert_array_equal(ds.counts, [3, 2, 1])
    np.testing.assert_allclose(ds.pi, [1 / 2, 1 / 3, 1 / 6], rtol=0, atol=PI_ATOL)


@given(st.data())
def test_counts_equal_raw_sample_multiplicities(data):
    vocab = data.draw(vocabularies())
    lines = data.draw(corpora(vocab))
    ds = Dataset.from_corpus(lines, vocab=vocab)
    raw = _raw_samples(lines)
    assert int(ds.counts.sum()) == len(raw)
    for n in range(ds.N):
        key = (tuple(ds.sentence_text(n).split()), vocab.tokens[ds.y[n]])
        assert ds.counts[n] == raw.count(key)
    assert len({tuple(s) for s in ds.sentences}) == ds.N        # distinct inputs
    np.testing.assert_allclose(ds.pi.sum(), 1.0, rtol=0, atol=PI_ATOL)


@given(small_datasets())
def test_pi_is_a_distribution_and_arrays_are_consistent(ds):
    assert ds.pi.dtype == np.float64
    assert np.all(ds.pi > 0)
    np.testing.assert_allclose(ds.pi.sum(), 1.0, rtol=0, atol=PI_ATOL)
    np.testing.assert_allclose(ds.pi, ds.counts / ds.counts.sum(), rtol=0, atol=PI_ATOL)
    assert ds.L_max == max(s.size for s in ds.sentences)
    for n, s in enumerate(ds.sentences):
        L = s.size
        assert ds.lengths[n] == L and ds.queries[n] == s[-1]
        np.testing.assert_array_equal(ds.tokens[n, :L], s)
        assert np.all(ds.tokens[n, L:] == -1)
        np.testing.assert_array_equal(ds.mask[n], np.arange(ds.L_max) < L)
        np.testing.assert_array_equal(ds.flat_tokens[ds.offsets[n]:ds.offsets[n + 1]], s)
        assert np.all(ds.flat_sentence[ds.offsets[n]:ds.offsets[n + 1]] == n)
        X = ds.X(n)
        assert X.shape == (ds.vocab.d, L)
        for l in range(L):
            np.testing.assert_array_equal(X[:, l], ds.vocab.E[:, s[l]])
        idx, y, pi_n = ds.samples()[n]
        np.testing.assert_array_equal(idx, s)
        assert y == ds.y[n] and pi_n == ds.pi[n]


def test_from_samples_accepts_non_prefix_closed_sets():
    ds = Dataset.from_samples([("a b c", "d"), (["c", "a"], "b")])
    assert ds.N == 2 and ds.L_max == 3
    assert ds.vocab.tokens == ("a", "b", "c", "d")
    np.testing.assert_array_equal(ds.sentences[0], [0, 1, 2])
    assert ds.y[0] == 3 and ds.y[1] == 1
    np.testing.assert_allclose(ds.pi, [0.5, 0.5], rtol=0, atol=PI_ATOL)


def test_index_order_is_first_appearance_zero_based():
    ds = Dataset.from_corpus(["P S V"])
    assert [ds.vocab.index(x) for x in ("P", "S", "V")] == [0, 1, 2]


def test_comments_and_blank_lines_are_ignored(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("# a comment\n\nS V O  # trailing comment\n   \nV O\n", encoding="utf-8")
    ds = Dataset.from_corpus(path)
    assert [ds.sentence_text(n) for n in range(ds.N)] == ["S", "S V", "V"]
    assert ds.origins[0] == f"{path}:3 (prefix of length 1)"
    assert Dataset.from_corpus(str(path)).N == 3
    assert Dataset.from_corpus("S V O\nV O\n").N == 3          # text with line breaks


@given(seeds)
def test_with_vocab_changes_only_the_embedding(seed):
    ds = Dataset.from_corpus(EXAMPLE1)
    vocab = Vocabulary.random_orthonormal(ds.vocab.tokens, 11, rng=np.random.default_rng(seed))
    ds2 = ds.with_vocab(vocab)
    assert ds2.N == ds.N and ds2.vocab.d == 11
    for n in range(ds.N):
        np.testing.assert_array_equal(ds2.sentences[n], ds.sentences[n])
        np.testing.assert_array_equal(ds2.X(n), vocab.E[:, ds.sentences[n]])
    with pytest.raises(CorpusError, match="same tokens"):
        ds.with_vocab(Vocabulary(["a", "b", "c", "d"]))


# ---------------------------------------------------------------- bad input names the culprit
def test_empty_sentence_raises():
    with pytest.raises(CorpusError, match="sample 1: empty sentence"):
        Dataset.from_samples([("a", "b"), ("", "a")])
    with pytest.raises(CorpusError, match="sample 0: empty sentence"):
        Dataset.from_samples([([], "a")])


def test_unknown_token_raises():
    vocab = Vocabulary(["a", "b"])
    with pytest.raises(CorpusError, match=r"sample 1: unknown token 'z' \(token 2 of the sentence"):
        Dataset.from_samples([("a", "b"), ("a z", "b")], vocab=vocab)
    with pytest.raises(CorpusError, match=r"sample 0: unknown token 'z' \(the next token"):
        Dataset.from_samples([("a b", "z")], vocab=vocab)
    with pytest.raises(CorpusError, match=r"line 2 \(prefix of length 1\): unknown token 'c' \(token 1 of"):
        Dataset.from_corpus(["a b", "c a"], vocab=vocab)
    with pytest.raises(CorpusError, match=r"line 1 \(prefix of length 2\): unknown token 'c' \(the next"):
        Dataset.from_corpus(["a b c"], vocab=vocab)


@pytest.mark.parametrize("sample, match", [
    ((["a", "b#c"], "a"), r"sample 1: token 2 of the sentence, 'b#c', contains '#'"),
    (("a # b", "a"), r"sample 1: token 2 of the sentence, '#', contains '#'"),
    ((["a", "b c"], "a"), r"sample 1: token 2 of the sentence, 'b c', contains white space"),
    ((["a"], "b c"), r"sample 1: the next token, 'b c', contains white space"),
    ((["a", 7], "a"), r"sample 1: token 2 of the sentence, 7, is not a string"),
    ((["a"], None), r"sample 1: the next token, None, is not a string"),
])
def test_token_names_a_corpus_cannot_hold_are_rejected_with_the_sample(sample, match):
    with pytest.raises(CorpusError, match=match):
        Dataset.from_samples([("a", "b"), sample])


def test_one_token_corpus_line_raises(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("a b\nc\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"{re.escape(str(path))}:2: the sentence 'c' has one token"):
        Dataset.from_corpus(path)


def test_conflicting_next_tokens_name_both_occurrences(tmp_path):
    path = tmp_path / "conflict.txt"
    path.write_text("a b c\n# gap\na b d\n", encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        Dataset.from_corpus(path)
    msg = str(info.value)
    assert f"{path}:1 (prefix of length 2)" in msg and f"{path}:3 (prefix of length 2)" in msg
    assert "'a b'" in msg and "'c'" in msg and "'d'" in msg
    with pytest.raises(CorpusError, match="sample 0.*sample 2"):
        Dataset.from_samples([("x y", "z"), ("y", "x"), ("x y", "x")])


def test_non_text_file_raises(tmp_path):
    path = tmp_path / "binary.bin"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(CorpusError, match=rf"{re.escape(str(path))}: not a text file"):
        Dataset.from_corpus(path)
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    with pytest.raises(CorpusError, match="not a UTF-8 text file"):
        Dataset.from_corpus(latin)


def test_missing_file_raises(tmp_path):
    path = tmp_path / "nowhere.txt"
    with pytest.raises(CorpusError, match=rf"{re.escape(str(path))}: no such corpus file"):
        Dataset.from_corpus(path)


def test_directory_and_inline_one_liner_are_not_corpus_files(tmp_path):
    with pytest.raises(CorpusError, match="is a directory"):
        Dataset.from_corpus(tmp_path)
    with pytest.raises(CorpusError, match="no such corpus file.*read as a path"):
        Dataset.from_corpus("S V O P")                    # one line of text: give a list of lines
    assert Dataset.from_corpus(["S V O P"]).N == 3


def test_bytes_and_non_iterables_are_refused():
    with pytest.raises(CorpusError, match="not bytes"):
        Dataset.from_corpus(b"a b\n")
    with pytest.raises(CorpusError, match="got int"):
        Dataset.from_corpus(5)
    with pytest.raises(CorpusError, match="got int"):
        Dataset.from_samples(5)
    with pytest.raises(CorpusError, match="line 2: expected a line of text, got int"):
        Dataset.from_corpus(["a b", 3])


def test_a_line_holding_a_line_break_is_not_merged_into_one_sentence():
    with pytest.raises(CorpusError, match=r"line 2: 'c d\\ne f' holds a line break"):
        Dataset.from_corpus(["a b", "c d\ne f"])
    assert Dataset.from_corpus(["a b\n", "c d\n"]).N == 2      # lines as read from a file keep "\n"


def test_line_numbers_are_an_editors(tmp_path):
    # CRLF and CR end lines; a form feed or vertical tab inside a line is white space, not a break
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"a b\r\n\r\nc\x0cd e\rf\n")
    with pytest.raises(CorpusError, match=rf"{re.escape(str(path))}:4: the sentence 'f' has one token"):
        Dataset.from_corpus(path)
    path.write_bytes(b"a b\r\n\r\nc\x0cd e\r\n")
    assert [origin for origin, _ in read_corpus(path)] == [f"{path}:1", f"{path}:3"]
    assert read_corpus(path)[1][1] == ["c", "d", "e"]


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_token(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("S V\n".encode("utf-8-sig"))
    assert Dataset.from_corpus(path).vocab.tokens == ("S", "V")


# ---------------------------------------------------------------- the low-level constructor
def _vocab3():
    return Vocabulary(["a", "b", "c"])


@pytest.mark.parametrize("sentences, y, counts, match", [
    ([[0, 3]], [1], [1], r"sample 0: token index 3 at position 1 of the sentence is outside 0..2"),
    ([[0], [-1, 1]], [1, 2], [1, 1], r"sample 1: token index -1 at position 0 of the sentence"),
    ([[0, 1]], [5], [1], r"sample 0: the next-token index 5 is outside 0..2"),
    ([[0, 1]], [-1], [1], r"sample 0: the next-token index -1"),
    ([[0.0, 1.0]], [1], [1], r"sample 0: a sentence must hold integer token indices"),
    ([[0, 1]], [1.5], [1], r"y \(the next tokens\) must hold integer token indices"),
    ([[[0, 1]]], [1], [1], r"sample 0: a sentence must be a 1-d sequence"),
    ([[0, 1]], [1], [1.5], r"counts must be a 1-d sequence of integers"),
    ([[0, 1], [2]], [1, 0], [1, 0], r"sample 1: count 0 must be a positive integer"),
    ([[0, 1], [2]], [1], [1, 1], r"same length, got 2, 1, 2 and 2"),
    ([[]], [1], [1], r"sample 0: empty sentence"),
    ([], [], [], r"at least one sentence"),
    ([[0, 1], [2], [0, 1]], [2, 0, 2], [1, 1, 1], r"'a b' occurs twice, at sample 0 and at sample 2"),
])
def test_constructor_rejects_bad_arrays_naming_the_culprit(sentences, y, counts, match):
    with pytest.raises(CorpusError, match=match):
        Dataset(_vocab3(), sentences, y, counts)


def test_constructor_rejects_a_non_vocabulary_and_bad_sentence_numbers():
    with pytest.raises(CorpusError, match="Vocabulary"):
        Dataset(["a", "b"], [[0]], [1], [1])
    with pytest.raises(CorpusError, match="Vocabulary"):
        Dataset.from_samples([("a", "b")], vocab=["a", "b"])
    ds = Dataset(_vocab3(), [[0, 1], [2]], [2, 0], [2, 1])
    np.testing.assert_allclose(ds.pi, [2 / 3, 1 / 3], rtol=0, atol=PI_ATOL)
    for n in (2, -1, 1.0, True):
        with pytest.raises(CorpusError, match=r"sentence number .* is outside 0..1"):
            ds.X(n)
    with pytest.raises(CorpusError, match="outside 0..1"):
        ds.sentence_text(5)
    with pytest.raises(CorpusError, match="Vocabulary"):
        ds.with_vocab(["a", "b", "c"])


def test_empty_corpus_and_bad_samples_raise():
    with pytest.raises(CorpusError, match="no sentence"):
        Dataset.from_corpus(["# only a comment", ""])
    with pytest.raises(CorpusError, match="no samples"):
        Dataset.from_samples([])
    with pytest.raises(CorpusError, match="sample 0: expected a pair"):
        Dataset.from_samples([("a", "b", "c")])
