"""The user's own data: sample files, the shared loader, and ``train`` / ``example`` on a file.

Facts checked: a sample file and the same pairs given in memory give the same ``D_0``; a
corpus through the loader is its prefix closure; every malformed line is named with file and
line; the statements the loader calls n/a are exactly those whose audit rows check nothing;
Example 2's unseen sentences are among those ``example --corpus`` predicts on Example 1.
"""

import json

import numpy as np
import pytest

from reference import Dataset, two_stage_ngd
from reference.audit import audit
from reference.commands.cli import main
from reference.data.samples_file import load_samples, read_samples
from reference.errors import AssumptionError, ConfigError, CorpusError
from reference.experiments.user_data import load_user_data, not_applicable, REQUIRES

EXAMPLE1 = "S V O P\nV O P\nO P P\nP S V\n"
#: Assumption 3 fails in 'a b b' (the optimal 'a' once, the non-optimal 'b' twice); 1 and 2 hold.
A3_FAILS = "# a three-cycle and one sentence with a repeated non-optimal token\na -> b\nb -> c\nc -> a\n\na b b -> b\n"
#: Token 'c' has no one-token sample: no collocation (Assumption 1(i)).
NO_COLLOCATION = "a -> b\nb -> c\na c -> b\n"


def _same(a, b):
    assert a.vocab.tokens == b.vocab.tokens
    assert [s.tolist() for s in a.sentences] == [s.tolist() for s in b.sentences]
    assert a.y.tolist() == b.y.tolist() and a.counts.tolist() == b.counts.tolist()


def test_sample_file_equals_the_same_pairs_in_memory(tmp_path):
    f = tmp_path / "s.txt"
    f.write_text(A3_FAILS + "a b b -> b   # counted twice\n")
    ds = load_samples(str(f))
    _same(ds, Dataset.from_samples([("a", "b"), ("b", "c"), ("c", "a"), ("a b b", "b"), ("a b b", "b")]))
    assert ds.counts.tolist() == [1, 1, 1, 2] and ds.pi[-1] == 2 / 5
    assert ds.origins == (f"{f}:2", f"{f}:3", f"{f}:4", f"{f}:6")


def test_loader_reads_a_corpus_as_its_prefix_closure(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text(EXAMPLE1)
    data = load_user_data(corpus=str(f))
    _same(data.ds, Dataset.from_corpus(EXAMPLE1.splitlines()))
    assert data.kind == "corpus" and data.report.ok and data.trainable and data.not_applicable == {}
    lines = data.lines()
    assert lines[0].startswith(f"data: {f}") and "every statement applies" in lines[-1]


@pytest.mark.parametrize("text, line, words", [
    ("a -> b\nb c\n", 2, ["no '->'", "--corpus"]),
    ("a -> b\na -> b -> c\n", 2, ["2 times '->'"]),
    ("a->b\n", 1, ["'a->b'", "word of its own"]),
    ("# c\n -> b\n", 2, ["no token before"]),
    ("a -> b c\n", 1, ["2 tokens after"]),
    ("a ->\n", 1, ["0 tokens after"]),
])
def test_malformed_sample_lines_name_file_and_line(tmp_path, text, line, words):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(CorpusError) as e:
        read_samples(str(f))
    msg = str(e.value)
    assert msg.startswith(f"{f}:{line}:") and all(w in msg for w in words), msg


def test_sample_file_errors_that_span_lines_or_the_file(tmp_path):
    f = tmp_path / "s.txt"
    f.write_text("a -> b\n\na -> c\n")
    with pytest.raises(CorpusError, match=f"{f}:1 and by 'c' at {f}:3") as e:
        load_samples(str(f))
    assert "not realizable" in str(e.value)
    f.write_text("# nothing\n\n")
    with pytest.raises(CorpusError, match="no sample"):
        read_samples(str(f))
    with pytest.raises(CorpusError, match="no such"):
        read_samples(str(tmp_path / "absent.txt"))
    f.write_text("a -> #b\n")                       # "#" starts a comment: no next token left
    with pytest.raises(CorpusError, match=f"{f}:1: 0 tokens after"):
        read_samples(str(f))


def test_loader_needs_exactly_one_file(tmp_path):
    with pytest.raises(ConfigError, match="exactly one"):
        load_user_data()
    with pytest.raises(ConfigError, match="exactly one"):
        load_user_data(corpus="a", samples="b")


def test_not_applicable_follows_the_failing_assumptions():
    assert not_applicable([]) == {}
    assert set(not_applicable(["3"])) == {s for s, need in REQUIRES.items() if "3" in need}
    assert set(not_applicable(["1(ii)"])) == set(REQUIRES)
    assert not_applicable(["1(i)", "3"])["Theorem 1"] == ("1(i)", "3")


def test_loader_names_what_is_not_applicable_as_the_audit_does(tmp_path):
    """Two computations agree: every audit row of a statement the loader calls n/a checks nothing
    (except a norm's upper bound ``||W^(t)|| <= t eta + ||W^(0)||``, the triangle inequality, true
    for any normalised step), and every statement it keeps has a row that decides."""
    f = tmp_path / "s.txt"
    f.write_text(A3_FAILS)
    data = load_user_data(samples=str(f))
    assert data.report.failed_assumptions == ("3",) and data.trainable
    assert set(data.not_applicable) == {"Lemma 5", "Lemma 6", "Lemma 7", "Theorem 1", "Theorem 2", "Theorem 3"}
    text = "\n".join(data.lines())
    assert "[FAILS] assumption3" in text and "n/a (needs Assumption 3): Lemma 5" in text
    assert "still applies: Lemma 1, Proposition 1, Lemma 3, Corollary 1, Proposition 2" in text
    traj = two_stage_ngd(data.ds, 0.1, 0.05, 40, 40)
    rows = list(audit(traj, data.ds, run="user"))
    for st in REQUIRES:
        mine = [r for r in rows if r.statement == st]
        assert mine, st
        if st in data.not_applicable:
            assert all(r.holds is None or (r.quantity.startswith("||W") and "upper" in r.quantity)
                       for r in mine), st
        elif st != "Corollary 1":                     # its condition on T needs a long run
            assert any(r.holds is not None for r in mine), st


def test_no_collocation_is_reported_then_refused(tmp_path, capsys):
    f = tmp_path / "s.txt"
    f.write_text(NO_COLLOCATION)
    data = load_user_data(samples=str(f))
    assert not data.trainable and set(data.not_applicable) == set(REQUIRES)
    with pytest.raises(AssumptionError, match="token 'c' has no one-token sample"):
        data.require_trainable()
    status = main(["train", "--samples", str(f), "--out", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert status == 2 and out.startswith(f"data: {f}") and "Algorithm 1 cannot run" in out
    assert err.strip().splitlines() == [err.strip()] and err.startswith(f"error: {f}: Algorithm 1 cannot run")


def test_train_writes_figure2_outputs_after_the_assumption_report(tmp_path, capsys):
    f = tmp_path / "c.txt"
    f.write_text(EXAMPLE1)
    out_dir = tmp_path / "o"
    assert main(["train", "--corpus", str(f), "--out", str(out_dir), "--T", "30", "--T1", "20"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"data: {f}") and out.index("verdict:") < out.index("Algorithm 1 on")
    for name in ("train.csv", "train.json", "train_trajectory.npz", "train_trajectory.json"):
        assert (out_dir / name).exists(), name
    rep = json.loads((out_dir / "train.json").read_text())
    eta0 = 0.2 / np.sqrt(4)                      # the paper's recipe at d = |V| = 4
    assert rep["config"]["eta0"] == eta0 and rep["config"]["T"] == 30 and rep["config"]["init"] == "zero"
    assert rep["final"]["norm_ov"] == pytest.approx(30 * eta0, rel=1e-12)     # every step has length eta0
    assert rep["data"]["assumptions"]["ok"] is True and rep["data"]["not_applicable"] == {}
    header = (out_dir / "train.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["t", "loss0_sum", "loss0_mean"]


def test_example_on_example1_predicts_example2(tmp_path, capsys):
    """On Example 1's corpus the unseen sentences include Example 2's S P -> V and V P -> O (Section 6)."""
    f = tmp_path / "c.txt"
    f.write_text(EXAMPLE1)
    assert main(["example", "--corpus", str(f), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    got = {r["sentence"]: r for r in rep["unseen"]}
    for text, nxt in (("S P", "V"), ("V P", "O")):
        r = got[text]
        assert r["expected"] == nxt and r["prediction"] == nxt and r["family"] == "non-comparable"
    assert all(r["correct"] for r in rep["training"]) and rep["ok"]


def test_example_on_data_failing_an_assumption_says_so_and_exits_1(tmp_path, capsys):
    f = tmp_path / "s.txt"
    f.write_text(A3_FAILS)
    assert main(["example", "--samples", str(f), "--T", "40", "--T1", "40"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"data: {f}")
    assert "unseen sentences: n/a (Theorem 3 needs Assumption 3, which fails on this data)" in out


def test_inspect_reads_a_sample_file(tmp_path, capsys):
    f = tmp_path / "s.txt"
    f.write_text(A3_FAILS)
    assert main(["inspect", "--samples", str(f)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"corpus: {f}") and f"sentence 'a b b' ({f}:6)" in out
    assert main(["inspect", str(f), "--samples", str(f)]) == 2
    assert "not both" in capsys.readouterr().err
