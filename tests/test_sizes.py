"""Costs proportional to the data; what cannot fit is refused, before allocating, in one line."""

import math
import os
import tracemalloc

import numpy as np
import pytest

from reference import example1
from reference.data import corpus
from reference.data.dataset import Dataset
from reference.data.vocabulary import Vocabulary
from reference.errors import ConfigError, CorpusError, VocabularyError
from reference.training.algorithm import two_stage_ngd
from reference.training.engine import Engine

#: More tokens than any machine's memory can hold as a dense |V| x |V| float matrix (8 * 10**12 bytes = 7 TiB).
HUGE_V = 10 ** 6


def _names(n):
    return [f"t{i}" for i in range(n)]


@pytest.fixture(scope="module")
def huge():
    return Vocabulary(_names(HUGE_V))


def test_a_large_vocabulary_costs_its_names_not_a_dense_identity():
    tracemalloc.start()
    v = Vocabulary(_names(100_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert v.is_identity and v.orthonormal and v.d == 100_000
    assert peak < 100 * 2 ** 20                  # the identity alone would be 80 * 10**9 bytes


def test_the_identity_is_built_only_when_read_and_refused_when_it_cannot_fit(huge):
    v = Vocabulary(_names(5))
    assert np.array_equal(v.E, np.eye(5)) and not v.E.flags.writeable and v.E is v.E
    with pytest.raises(VocabularyError, match=r"identity embedding E of 1000000 tokens .* would need about "
                                              r"7\.28 TiB of memory"):
        huge.E


def test_embed_of_the_identity_agrees_with_the_columns_of_E():
    v = Vocabulary(_names(7))
    idx = [3, 0, 3, 6]
    assert np.array_equal(v.embed(idx), np.eye(7)[:, idx])
    given = Vocabulary(_names(7), np.eye(7))
    assert given.is_identity and given == v and np.array_equal(given.embed(idx), v.embed(idx))
    rot = Vocabulary.random_orthonormal(_names(7), 9, rng=np.random.default_rng(0))
    assert not rot.is_identity and np.array_equal(rot.embed(idx), rot.E[:, idx])


def test_the_engine_on_a_vocabulary_too_large_for_memory_is_refused_in_one_line(huge):
    ds = Dataset(huge, [[0], [1]], [1, 0], [1, 1])
    with pytest.raises(VocabularyError, match="would need about .* of memory"):
        Engine(ds)


def test_counts_near_the_int64_limit_give_exact_frequencies():
    ds = Dataset(Vocabulary(["a", "b"]), [[0], [1]], [1, 0], [2 ** 62, 2 ** 62])
    assert ds.pi.tolist() == [0.5, 0.5]
    ds = Dataset(Vocabulary(["a", "b"]), [[0], [1]], [1, 0], [2 ** 62, 2 ** 63 - 1])
    assert math.isclose(ds.pi[0], 2 ** 62 / (2 ** 62 + 2 ** 63 - 1), rel_tol=1e-15) and ds.pi.sum() == 1.0


def test_a_run_whose_records_cannot_fit_is_refused_before_allocating():
    ds = example1()
    with pytest.raises(ConfigError, match=r"1000000000000 \+ 10 iterations .* would need about .* of memory "
                                          r"and at least 116 days"):
        two_stage_ngd(ds, 0.1, 0.1, 10 ** 12, 10)
    with pytest.raises(ConfigError, match="every iterate"):
        two_stage_ngd(ds, 0.1, 0.1, 10 ** 11, 10, record="full")


@pytest.mark.parametrize("eta0, eta", [(1e308, 0.1), (0.1, 1e308), (0.1, 2e299)])
def test_steps_that_would_overflow_float64_are_refused_before_running(eta0, eta):
    with pytest.raises(ConfigError, match="float64 overflows"):
        two_stage_ngd(example1(), eta0, eta, 10, 10)


def _naive_prefix_samples(lines):
    """The definition of Section 4.1, literally: every prefix of every sentence is a sample."""
    out = []
    for line in lines:
        w = line.split("#", 1)[0].split()
        out += [(w[:l], w[l]) for l in range(1, len(w))]
    return out


def test_the_prefix_closure_of_a_long_line_equals_the_definition():
    words = [f"w{i % 50}" for i in range(400)]                # repeats: prefixes share tokens
    lines = [" ".join(words), " ".join(words[:30]), " ".join(words[:30])]
    a = Dataset.from_corpus(lines)
    b = Dataset.from_samples(_naive_prefix_samples(lines))
    assert a.vocab == b.vocab and a.N == b.N == 399
    assert all(np.array_equal(x, y) for x, y in zip(a.sentences, b.sentences))
    assert a.y.tolist() == b.y.tolist() and a.counts.tolist() == b.counts.tolist()
    assert a.counts[:29].tolist() == [3] * 29 and a.counts[29:].tolist() == [1] * 370


def test_a_corpus_file_is_streamed_and_repeated_lines_counted(tmp_path):
    p = tmp_path / "big.txt"
    block = "a b c d\nb c d a\n# comment\n\nc d a b\r\n"
    p.write_text(block * 30_000)                               # spans many read blocks
    ds = Dataset.from_corpus(p)
    assert ds.N == 9 and int(ds.counts.sum()) == 3 * 3 * 30_000
    assert ds.origins[0] == f"{p}:1 (prefix of length 1)" and ds.origins[-1] == f"{p}:5 (prefix of length 3)"
    with open(p, "ab") as f:
        f.write(b"x")                                          # a last line without its newline
    with pytest.raises(CorpusError, match=rf":{5 * 30_000 + 1}: the sentence 'x' has one token"):
        Dataset.from_corpus(p)


def test_devices_pipes_and_unreadable_files(tmp_path, monkeypatch):
    with pytest.raises(CorpusError, match="/dev/null:? the corpus has no sentence"):
        Dataset.from_corpus("/dev/null")
    r, w = os.pipe()
    os.write(w, b"S V O\nV O P\n")
    os.close(w)
    assert Dataset.from_corpus(f"/dev/fd/{r}").N == 4
    os.close(r)
    p = tmp_path / "secret.txt"
    p.write_text("a b\n")

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied", str(p))
    monkeypatch.setattr(corpus, "open", denied, raising=False)
    with pytest.raises(CorpusError, match=r"secret.txt: cannot read this corpus file \(permission denied\)"):
        Dataset.from_corpus(p)


@pytest.mark.parametrize("name, why", [("a\0b", "NUL"), ("\ufeffa", "byte-order mark"), ("a\ud800", "surrogate")])
def test_token_names_that_cannot_round_trip_through_a_file_are_refused(name, why):
    with pytest.raises(VocabularyError, match=why):
        Vocabulary(["x", name])
    with pytest.raises(CorpusError, match=why):
        Dataset.from_corpus([f"x {name}"])
    with pytest.raises(CorpusError, match=why):
        Dataset.from_samples([(["x"], name)])


def test_tokens_given_as_a_set_are_refused():
    with pytest.raises(VocabularyError, match="set"):
        Vocabulary({"a", "b", "c"})
    with pytest.raises(CorpusError, match="set"):
        Dataset.from_samples([({"a", "b"}, "c")])
