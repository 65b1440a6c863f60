"""Experiments and their commands: Figure 2, Example 1/2, the ablation (reference.experiments).

Runs are shortened (T, T1 of a few dozen) except Example 1, which is small.
Facts asserted: Example 2's predictions (Theorem 3), stage-1 alignment for zero
init (cosine 1 from t = 1), the dataset independent of the initialisation,
determinism, files written and read back, bad input rejected with exit status 2.
"""

import csv
import json
import math

import numpy as np
import pytest

from reference.commands.cli import main
from reference.errors import ConfigError
from reference.experiments import ablation, example, figure2
from reference.experiments.plotting import have_matplotlib, jsonable
from reference.training import progress
from reference.training.algorithm import two_stage_ngd
from reference.training.trajectory import Trajectory

#: Stage-1 cosine with W*_ov for zero init: exactly aligned after one step, so 1 up to rounding.
COS1_ATOL = 1e-12
#: pi-weighted accuracy of a perfect fit: a sum of pi's that add to 1 up to a few ulps.
ACC_ATOL = 1e-12
#: Frobenius norm of a Gaussian matrix rescaled to a given norm: one sqrt of a sum of squares.
NORM_RTOL = 1e-14
#: A softmax (attention) sums to 1 up to a few roundings per entry.
SOFTMAX_ATOL = 1e-12
#: L at W_ov = 0 is log |V| exactly (uniform output); computed through log-sum-exp: a few ulps.
LOG_V_RTOL = 1e-14
#: Literal L (reference.model.loss) vs the engine's at the same weights: different routes, same formula.
LOSS_RTOL = 1e-12


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ------------------------------------------------------------------ Figure 2
def test_figure2_settings_are_the_papers():
    d = figure2.FIGURE2
    assert d["n_tokens"] == d["d"] == 20 and d["T"] == d["T1"] == 900
    assert d["eta0"] == 0.2 / math.sqrt(20) and d["eta"] == 0.05 / math.sqrt(20)


def test_figure2_zero_and_random_init_share_the_dataset():
    z = figure2.run(seed=3, init="zero", T=15, T1=15)
    r = figure2.run(seed=3, init="random", init_norm=1.0, T=15, T1=15)
    assert z["ds"].N == r["ds"].N and all(np.array_equal(a, b) for a, b in
                                          zip(z["ds"].sentences, r["ds"].sentences))
    # zero init: Algorithm 1, aligned with W*_ov from t = 1; random init of norm 1: not aligned at t = 0
    assert np.all(np.abs(z["traj"].stage1["cos"][1:] - 1) <= COS1_ATOL)
    assert r["traj"].stage1["norm"][0] == pytest.approx(1.0, rel=NORM_RTOL)
    assert r["traj"].stage2["norm"][0] == pytest.approx(1.0, rel=NORM_RTOL)
    assert abs(r["traj"].stage1["cos"][0]) < 0.9
    # same seed, same run, bit for bit
    assert figure2.run(seed=3, init="random", T=15, T1=15)["traj"] == r["traj"]


def test_figure2_writes_csv_json_png_and_trajectory(tmp_path):
    res = figure2.run(seed=1, T=12, T1=8)
    files = figure2.write(res, tmp_path)
    with open(files["csv"], newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    assert head[:3] == ["t", "loss0_sum", "loss0_mean"] and len(rows) == 1 + 13
    k = head.index("loss")
    # stage 2 is shorter here: its columns are padded with nan, never dropped
    assert [r[k] for r in rows[10:]] == ["nan"] * 4
    # the CSV holds the trajectory's numbers exactly; the mean is the sum over |V| = 20
    tr = res["traj"]
    assert [float(r[1]) for r in rows[1:]] == list(tr.stage1["loss0"])
    assert all(float(r[2]) == float(r[1]) / 20 for r in rows[1:])
    rep = _read_json(files["json"])
    assert rep["dataset"]["N"] == res["ds"].N and rep["dataset"]["L_max"] == res["ds"].L_max
    assert rep["config"]["seed"] == 1 and rep["config"]["init"] == "random"
    assert (files["png"] is not None) == have_matplotlib()
    assert Trajectory.load(files["trajectory_npz"]) == tr


def test_figure2_command(tmp_path, capsys):
    assert main(["figure2", "--out", str(tmp_path / "f"), "--T", "10", "--T1", "10", "--init", "zero",
                 "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["config"]["init"] == "zero" and rep["final"]["cos_ov"] == pytest.approx(1, abs=COS1_ATOL)
    assert main(["figure2", "--out", str(tmp_path / "g"), "--init-norm", "-1"]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert main(["figure2", "--out", str(tmp_path / "h"), "--seed", "-4"]) == 2


# ------------------------------------------------------------------ Example 1 and Example 2
@pytest.fixture(scope="module")
def ex_result():
    return example.run()


def test_example2_predictions(ex_result):
    # Theorem 3 / Example 2: SP -> V, OSP -> P, VP -> O
    got = {r["sentence"]: r["prediction"] for r in ex_result["unseen"]}
    assert got == {"S P": "V", "O S P": "P", "V P": "O"}
    # ... which is what Section 6's extended order predicts (computed from the data alone)
    assert {r["sentence"]: r["extended_order"] for r in ex_result["unseen"]} == got
    for r in ex_result["unseen"]:
        # attention weights: one per position, a probability vector
        att = [a for _, a in r["attention"]]
        assert len(att) == len(r["sentence"].split()) and abs(sum(att) - 1) < SOFTMAX_ATOL
        # the prediction is the collocation of the most attended token (non-comparable S or V,
        # or optimal O), as the extended order says
        top = r["attention"][int(np.argmax(att))][0]
        assert {"S": "V", "V": "O", "O": "P", "P": "S"}[top] == r["prediction"]


def test_example1_is_fitted(ex_result):
    tr = ex_result["traj"]
    assert all(r["correct"] for r in ex_result["training"])
    assert tr.stage2["accuracy"][-1] >= 1 - ACC_ATOL
    assert np.all(np.abs(tr.stage1["cos"][1:] - 1) <= COS1_ATOL)


def test_example_command(capsys, tmp_path):
    assert main(["example", "--T", "300", "--T1", "300", "--eta", "0.1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "S P" in out and "O S P" in out and "V P" in out
    assert (tmp_path / "example.json").exists() and (tmp_path / "example_trajectory.npz").exists()
    status = main(["example", "--T", "100", "--T1", "100", "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert [r["sentence"] for r in rep["unseen"]] == ["S P", "O S P", "V P"]
    # the exit status says whether every prediction is the paper's
    assert status == (0 if all(r["correct"] for r in rep["unseen"]) else 1)
    assert main(["example", "--eta0", "0"]) == 2
    assert "eta0" in capsys.readouterr().err


# ------------------------------------------------------------------ ablation
@pytest.fixture(scope="module")
def abl():
    return ablation.run(seeds=[0, 1], T=20, T1=15)


def test_ablation_runs_every_variant_on_the_same_datasets(abl):
    rows = abl["rows"]
    assert len(rows) == 2 * 4 and {r["variant"] for r in rows} == {"two_stage", "joint", "plain_gd",
                                                                   "short_stage1"}
    c = abl["curves"]
    assert len(c["two_stage"][0]["g"]) == len(c["joint"][0]["g"]) == 20 + 15 + 1
    assert len(c["short_stage1"][0]["g"]) == 1 + 15 + 1                 # T_short = max(1, 20 // 100)
    # staged variants from zero keep W_ov aligned with W*_ov (plain GD too: same directions,
    # only the step lengths differ)
    for v in ("two_stage", "plain_gd", "short_stage1"):
        for cur in c[v]:
            assert np.all(np.abs(cur["cos_ov"][1:] - 1) <= COS1_ATOL), v
    assert all(np.all(np.isfinite(cur["loss"])) for v in c for cur in c[v])
    # every variant starts at W = 0, where the output is uniform: L = log |V| exactly
    assert all(cur["loss"][0] == pytest.approx(math.log(20), rel=LOG_V_RTOL) for v in c for cur in c[v])
    # at the switch (g = T) the global curve holds L at (W_ov^(T), W_kq = 0), computed here literally
    from reference.experiments.figure2 import FIGURE2, figure2_dataset
    from reference.model.loss import loss
    for k, seed in enumerate(abl["config"]["seeds"]):
        ds = figure2_dataset(20, rng=np.random.default_rng(seed))
        W_ov = two_stage_ngd(ds, FIGURE2["eta0"], FIGURE2["eta"], 20, 0, W_star=False).W_ov
        assert c["two_stage"][k]["loss"][20] == pytest.approx(loss(W_ov, np.zeros((20, 20)), ds), rel=LOSS_RTOL)
        # W_kq = 0 during stage 1: no cosine with W*_kq there
        assert np.all(np.isnan(c["two_stage"][k]["cos_kq"][:20]))


def test_ablation_writes_table_and_figure(abl, tmp_path):
    files = ablation.write(abl, tmp_path)
    with open(files["runs_csv"], newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:2] == ["seed", "variant"] and len(rows) == 9
    summ = _read_json(files["json"])["summary"]
    assert set(summ) == {"two_stage", "joint", "plain_gd", "short_stage1"}
    # the summary's min <= median <= max
    for v, cols in summ.items():
        for name, (med, lo, hi) in cols.items():
            assert lo <= med <= hi, (v, name)
    assert (files["png"] is not None) == have_matplotlib()


def test_ablation_command_rejects_bad_input(tmp_path, capsys):
    assert main(["ablation", "--out", str(tmp_path), "--seeds", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    with pytest.raises(ConfigError, match="adam"):
        ablation.run(seeds=[0], variants=["adam"])
    with pytest.raises(ConfigError, match="n_tokens"):
        ablation.run(seeds=[0], n_tokens=1)


def test_jsonable_handles_non_finite_and_numpy():
    assert jsonable({"a": np.float64("nan"), "b": np.inf, "c": np.arange(2), "d": np.int64(3)}) == \
        {"a": "nan", "b": "inf", "c": [0, 1], "d": 3}


# ------------------------------------------------------------------ bad arguments, progress lines
def _one_error_line(capsys, argv):
    status = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


@pytest.mark.parametrize("argv, culprit", [
    (["figure2", "--T", "1.5"], "--T"), (["figure2", "--T1", "-3"], "--T1"),
    (["figure2", "--init", "ones"], "--init"), (["figure2", "--init-norm", "0"], "--init-norm"),
    (["figure2", "--seed", "x"], "--seed"),
    (["example", "--eta0", "-0.1"], "--eta0"), (["example", "--eta", "nan"], "--eta"),
    (["example", "--T", "2.0"], "--T"), (["example", "--T", "0"], "--T"),
    (["ablation", "--T", "ten"], "--T"), (["ablation", "--seeds", "0"], "--seeds"),
    (["ablation", "--n-tokens", "1"], "--n-tokens"), (["ablation", "--seed", "-1"], "--seed"),
])
def test_bad_arguments_end_in_one_error_line_naming_the_option(tmp_path, capsys, argv, culprit):
    if argv[0] != "example":
        argv = argv + ["--out", str(tmp_path / "out")]
    msg = _one_error_line(capsys, argv)
    assert culprit in msg and repr(argv[argv.index(culprit) + 1]) in msg
    assert not (tmp_path / "out").exists()                       # rejected before anything ran


@pytest.mark.parametrize("argv, label", [
    (["figure2", "--T", "3", "--T1", "3"], "two_stage (|V|=20"),
    (["example", "--T", "3", "--T1", "3"], "two_stage (|V|=4"),
    (["ablation", "--seeds", "1", "--n-tokens", "4", "--T", "3", "--T1", "3"], "ablation: "),
])
def test_every_training_command_prints_a_progress_line_on_long_runs(tmp_path, capsys, monkeypatch, argv, label):
    # a "long" run: the automatic progress line starts after AUTO_DELAY seconds; make that 0
    monkeypatch.setattr(progress, "AUTO_DELAY", 0.0)
    if argv[0] != "example":
        argv = argv + ["--out", str(tmp_path)]
    assert main(argv) in (0, 1)
    err = capsys.readouterr().err.splitlines()
    assert any(ln.startswith(label) and "/" in ln for ln in err), err           # "label: done/total ..."
    assert any(ln.startswith(label.split(":")[0]) and "done in" in ln for ln in err), err


def test_short_runs_stay_silent(capsys, monkeypatch):
    monkeypatch.setattr(progress, "AUTO_DELAY", 60.0)
    assert main(["example", "--T", "3", "--T1", "3"]) in (0, 1)
    assert capsys.readouterr().err == ""
