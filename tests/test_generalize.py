"""Generalisation (Section 6, Theorem 3): the experiment, its sentence families and the command."""

import csv
import json

import numpy as np
import pytest

from reference.experiments import generalize
from reference.experiments.verify import example2_rows
from reference.model.transformer import logits
from reference.structure.extended import extended_order, unseen_predictions
from reference.structure.generate import example1
from reference.structure.orders import collocation
from reference.training.algorithm import two_stage_ngd

#: Token-coordinate logits vs the literal transformer: the same float64 sums in a
#: different order (a few ulps of logits of size ||W_ov|| ~ 1e2).
LOGIT_RTOL = 1e-12


@pytest.fixture(scope="module")
def ex1_trained():
    ds = example1()
    return ds, two_stage_ngd(ds, 0.1, 0.025, 300, 300, progress=False)


def test_coordinate_logits_equal_the_literal_transformer(ex1_trained):
    ds, tr = ex1_trained
    E = ds.vocab.E
    B, A = tr.W_ov @ E, E.T @ tr.W_kq @ E
    for p in unseen_predictions(ds, max_length=3):
        s = np.asarray(p.sentence)
        z_lit = logits(tr.W_ov, tr.W_kq, ds.vocab.embed(s))
        np.testing.assert_allclose(generalize._logits_coords(B, A, s), z_lit, rtol=LOGIT_RTOL,
                                   atol=LOGIT_RTOL * np.abs(z_lit).max())


def test_example2_is_covered_and_predicted(ex1_trained):
    ds, tr = ex1_trained
    tok = ds.vocab.tokens
    covered = {(" ".join(tok[i] for i in p.sentence), tok[p.next]) for p in unseen_predictions(ds, 3)}
    # Example 2's sentences, up to the order of the non-query tokens (no positional encoding)
    for text, nxt in (("S P", "V"), ("O S P", "P"), ("V P", "O")):
        s = text.split()
        assert any(sorted(c.split()[:-1]) == sorted(s[:-1]) and c.split()[-1] == s[-1] and n == nxt
                   for c, n in covered), text
    rows = example2_rows(tr, ds)
    assert all(r.holds for r in rows)


def test_uncovered_families_are_ties_for_the_trained_model(ex1_trained):
    """Two non-comparable tokens never move from score 0 in the query's column (their
    gradient is 0 there), so attention and logits of their successors tie exactly."""
    ds, tr = ex1_trained
    In = collocation(ds)
    two_nc, unseen_q = generalize._uncovered(ds, extended_order(ds, In), In)
    E = ds.vocab.E
    B, A = tr.W_ov @ E, E.T @ tr.W_kq @ E
    assert two_nc, "Example 1 has the query P with two non-comparable tokens S, V"
    pred, tie, _ = generalize.evaluate_sentences(B, A, [s for s, _ in two_nc])
    assert tie.all()
    assert all(int(p) in c for p, (_, c) in zip(pred, two_nc))
    for s, _ in two_nc:
        q = s[-1]
        assert A[s[0], q] == 0.0 and A[s[1], q] == 0.0


def test_generalize_run_and_files(tmp_path):
    res = generalize.run(seeds=2, seed=5, n_tokens=6, L_max=4, T=200, T1=300, max_length=3)
    assert len(res["per_seed"]) == 2 and len(res["curves"]) == 2
    tot = res["totals"]
    # Theorem 3's families are predicted as the extended order says
    for fam in ("non-comparable", "optimal"):
        assert tot[fam]["n"] > 0 and tot[fam]["accuracy"] == 1.0
    # the gaps grow: positive measured C where the query types exist
    for r in res["per_seed"]:
        for key in ("gap_opt_noncomp", "gap_noncomp_nonopt"):
            if np.isfinite(r[key + "_final"]):
                assert r[key + "_C"] > 0 and r[key + "_final"] > 0
    files = generalize.write(res, str(tmp_path))
    with open(files["csv"], newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    with open(files["gaps_csv"], newline="") as f:
        assert len(list(csv.reader(f))) == 301 + 1
    rep = json.loads((tmp_path / "generalize.json").read_text())
    assert rep["config"]["seeds"] == 2


def test_generalize_command(tmp_path, capsys):
    from reference.commands.cli import main
    assert main(["generalize", "--out", str(tmp_path), "--seeds", "1", "--n-tokens", "5", "--L-max", "3",
                 "--T", "100", "--T1", "100", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    c = rep["config"]
    assert (c["n_tokens"], c["d"], c["L_max"], c["T"], c["T1"]) == (5, 5, 3, 100, 100)
    assert c["eta0"] == pytest.approx(0.2 / np.sqrt(5)) and c["eta"] == pytest.approx(0.05 / np.sqrt(5))
    for fam, tot in rep["totals"].items():                 # totals are the per-dataset counts summed
        assert tot["n"] == sum(r[f"{fam}: n"] for r in rep["per_seed"])
    assert main(["generalize", "--out", str(tmp_path), "--seeds", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: --seeds")


def test_generalize_small_vocabularies_and_progress(capsys):
    """|V| L_max / 2 < |V| + L_max - 1 (e.g. |V| = 3, L_max = 2) leaves one admissible N: it
    must be drawn, not crash numpy; progress=True prints progress lines on stderr."""
    res = generalize.run(seeds=2, seed=1, n_tokens=3, L_max=2, T=20, T1=20, progress=True)
    assert [r["N"] for r in res["per_seed"]] == [3 + 2 - 1] * 2
    err = capsys.readouterr().err
    assert "generalize: 0/2 datasets done; training dataset 0" in err and "generalize: done in" in err
