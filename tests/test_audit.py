"""The audit (reference.audit, reference.audit.rates) and the verify command.

The checker is itself tested: it must reject a trajectory doctored to break
a statement by a small amount, accept rounding-level deviations, locate the
worst iterate, and keep known errata out of the exit status.
"""

import copy
import csv
import io
import json
import math
import os

import numpy as np
import pytest

from reference import theory as tb
from reference.audit.rates import fit_slope
from reference.audit.statements import ATOL, audit, ERRATA, evaluate
from reference.audit.table import AuditRow, AuditTable, scalar_row
from reference.structure.generate import example1
from reference.training.algorithm import two_stage_ngd

DOCS = os.path.join(os.path.dirname(__file__), "..", "docs", "theory.md")
#: A doctored violation this large is far above every tolerance of the audit
#: (RTOL = 1e-9 relative, ATOL = 1e-12) and far below any real slack.
DOCTOR = 1e-6


@pytest.fixture(scope="module")
def ex1():
    ds = example1()
    return ds, two_stage_ngd(ds, 0.1, 0.025, 120, 150)


def _bound(sense, value, cond=True, erratum=""):
    value = np.asarray(value, dtype=float)
    return tb.Bound("Test", "q", "norm_ov", sense, value, np.full(value.shape, cond), "printed", erratum)


# ---------------------------------------------------------------- evaluate

def test_evaluate_finds_the_worst_violation():
    t = np.arange(5)
    r = evaluate(_bound("<=", [1, 1, 1, 1, 1]), np.array([0.5, 1.2, 0.9, 1.5, 1.0]), t)
    assert r.holds is False and r.t_worst == 3
    assert r.slack_worst == pytest.approx(-0.5) and r.log_slack_worst == pytest.approx(math.log(1 / 1.5))
    r = evaluate(_bound(">=", [1, 1, 1, 1, 1]), np.array([2.0, 1.5, 4.0, 1.1, 3.0]), t)
    assert r.holds is True and r.t_worst == 3 and r.log_slack_worst == pytest.approx(math.log(1.1))


def test_evaluate_tolerance_accepts_rounding_and_rejects_a_real_violation():
    t = np.arange(3)
    b = _bound("<=", [10.0, 10.0, 10.0])
    assert evaluate(b, np.array([10.0, 10.0 * (1 + 1e-14), 9.0]), t).holds is True
    assert evaluate(b, np.array([10.0, 10.0 * (1 + DOCTOR), 9.0]), t).holds is False
    z = _bound("<=", [0.0, 0.0, 0.0])
    assert evaluate(z, np.array([0.0, ATOL / 2, 0.0]), t).holds is True
    assert evaluate(z, np.array([0.0, DOCTOR, 0.0]), t).holds is False


def test_evaluate_negative_quantities_and_conditions():
    t = np.arange(3)
    # measured <= bound < 0 (Lemma 6's form): |measured| >= |bound| holds, log-slack >= 0
    r = evaluate(_bound("<=", [-0.5, -0.5, -0.5]), np.array([-0.9, -0.6, -0.7]), t)
    assert r.holds and r.t_worst == 1 and r.log_slack_worst == pytest.approx(math.log(0.6 / 0.5))
    r = evaluate(_bound("<=", [1.0, 1.0, 1.0], cond=False), np.array([5.0, 5.0, 5.0]), t)
    assert r.holds is None and r.n_checked == 0
    r = evaluate(_bound("<=", [1.0, 1.0, 1.0]), np.array([0.5, np.nan, 0.5]), t)
    assert r.holds is True and r.n_checked == 2 and r.n_undefined == 1


def test_an_erratum_row_does_not_decide():
    t = np.arange(2)
    r = evaluate(_bound("<=", [1.0, 1.0], erratum="corollary1-upper"), np.array([2.0, 2.0]), t)
    assert r.holds is False and not r.decides and not r.violated
    assert AuditTable([r]).ok


def test_scalar_row_senses():
    assert scalar_row("r", "S", "q", ">", "p", 0.1, 0.0, True, t=5).holds is True
    assert scalar_row("r", "S", "q", ">", "p", -0.1, 0.0, True, t=5).holds is False
    assert scalar_row("r", "S", "q", "<=", "p", -np.inf, -0.7, True, t=5).holds is True
    assert scalar_row("r", "S", "q", "<=", "p", np.nan, 1.0, True, t=5).holds is None


def test_fit_slope_recovers_a_power_law():
    t = np.arange(10, 1000)
    assert fit_slope(np.log(t), np.log(3.0 * t ** -1.5)) == pytest.approx(-1.5, rel=1e-10)


# ---------------------------------------------------------------- audit of real trajectories

def test_audit_of_example1_holds_and_marks_the_erratum(ex1):
    ds, tr = ex1
    table = audit(tr, ds, run="ex1")
    assert table.ok, [r.name for r in table.violations()]
    names = {r.name for r in table}
    for s in ("Lemma 1", "Proposition 1", "Lemma 3", "Corollary 1", "Lemma 5", "Lemma 6", "Lemma 7",
              "Theorem 1", "Theorem 2", "Proposition 2", "Theorem 3"):
        assert any(n.startswith(s + ":") for n in names), s
    # every corrected row names an existing printed row that is a known erratum, and decides
    for r in table:
        if r.corrects:
            assert table.row(r.corrects).erratum in ERRATA and r.decides, r.name
    printed = table.row("Corollary 1: margin upper (printed 3 Delta)")
    corrected = table.row("Corollary 1: margin upper (corrected 4||W*_ov|| Delta)")
    assert printed.erratum == "corollary1-upper" and not printed.decides
    assert corrected.corrects == printed.name and corrected.decides
    assert table.row("Lemma 3: wrong-logit spread").holds is True


@pytest.mark.parametrize("stage,key,t,delta,name", [
    (1, "norm", 60, +DOCTOR, "Lemma 1: ||W_ov^(t)|| upper"),
    (2, "opt_drop_max", 40, +DOCTOR, "Lemma 5: phi_l^(n,0) - phi_l^(n,t) (optimal l)"),
    (2, "phi_plus_decrease_max", 70, +DOCTOR, "Lemma 5: phi_+^(n,t-1) - phi_+^(n,t)"),
    (1, "wrong_spread", 30, +1e-3, "Lemma 3: wrong-logit spread"),
])
def test_audit_rejects_a_doctored_trajectory(ex1, stage, key, t, delta, name):
    ds, tr = ex1
    bad = copy.deepcopy(tr)
    d = bad.stage1 if stage == 1 else bad.stage2
    if key == "norm":
        d[key][t] = t * bad.config["eta0"] * (1 + delta)
    else:
        d[key][t] = delta
    table = audit(bad, ds)
    row = table.row(name)
    assert row.holds is False and row.t_worst == t and row.violated
    assert not table.ok


def test_table_csv_and_json_round_trip(ex1):
    ds, tr = ex1
    table = audit(tr, ds, run="ex1")
    rows = list(csv.DictReader(io.StringIO(table.to_csv())))
    assert len(rows) == len(table) and rows[0]["statement"] == table.rows[0].statement
    assert float(rows[0]["measured_final"]) == table.rows[0].measured_final
    js = json.loads(table.to_json())
    assert [r["quantity"] for r in js] == [r.quantity for r in table]
    assert "NaN" not in table.to_json()          # JSON has no NaN: written as null
    assert set(js[0]) == set(AuditRow.__dataclass_fields__)


def test_every_erratum_is_documented():
    with open(DOCS, encoding="utf-8") as f:
        text = f.read()
    for key in ERRATA:
        assert f"`{key}`" in text, key


# ---------------------------------------------------------------- the verify command

def test_verify_command_writes_its_files_and_passes(tmp_path, capsys, monkeypatch, verify_result):
    from reference.commands.cli import main
    from reference.experiments import verify
    monkeypatch.setattr(verify, "run", lambda seed=0, progress=None: verify_result)
    status = main(["verify", "--out", str(tmp_path), "--seed", "0"])
    out = capsys.readouterr().out
    assert status == 0, out
    for f in ("verify.csv", "verify.json", "verify_config.json"):
        assert (tmp_path / f).is_file()
    rep = json.loads((tmp_path / "verify.json").read_text())
    assert rep["ok"] is True and rep["violations"] == [] and "corollary1-upper" in rep["errata"]
    runs = {r["run"] for r in rep["rows"]}
    assert {"paper experiment", "Example 1", "Example 2", "Example 1, large steps"} <= runs
    # Example 2's three predictions are rows that decide
    ex2 = [r for r in rep["rows"] if r["run"] == "Example 2"]
    assert len(ex2) == 3 and all(r["holds"] and r["decides"] for r in ex2)
    # Theorem 2's conditions hold somewhere (the large-step run), so it is really checked
    assert any(r["statement"] == "Theorem 2" and r["n_checked"] > 0 for r in rep["rows"])
    assert "erratum: fails as" in out and "VIOLATED" not in out            # the verdict may wrap
    for f in ("report.md", "report.html"):
        assert (tmp_path / f).is_file()
    # every erratum is shown violated as printed on some run, and its corrected rows decide and hold
    for key in ERRATA:
        printed = [r for r in rep["rows"] if r["erratum"] == key]
        assert any(r["holds"] is False for r in printed), key
        names = {f"{r['statement']}: {r['quantity']}" for r in printed}
        fixed = [r for r in rep["rows"] if r["corrects"] in names]
        assert fixed and all(r["decides"] and r["holds"] is not False for r in fixed), key
        assert any(r["holds"] is True for r in fixed), key          # checked somewhere, not only n/a
    # the proof chains of the same runs: summarised, none failing, Lemma 2 and Proposition 3 checked
    assert rep["proofs"]["failures"] == []
    chains = {c["statement"]: c for c in rep["proofs"]["chains"]}
    assert {"Eq. (5)", "Lemma 1", "Lemma 2", "Proposition 3"} <= set(chains)
    assert chains["Proposition 3"]["headline"]["key"] == "P32" and "proof chains on these runs" in out
    assert all(r["holds"] for r in rep["rows"] if r["statement"] in ("Lemma 2", "Proposition 3"))


def test_verify_exit_status_is_one_on_a_violation(tmp_path, monkeypatch, capsys, verify_result):
    from reference.commands.cli import main
    from reference.experiments import audit_sections, verify
    monkeypatch.setattr(audit_sections, "statement_figure", lambda *a, **k: None)    # pictures: test_report.py
    res = dict(verify_result, table=copy.deepcopy(verify_result["table"]))
    res["table"].row("Lemma 1: ||W_ov^(t)|| upper", run="Example 1").holds = False
    monkeypatch.setattr(verify, "run", lambda seed=0, progress=None: res)
    assert main(["verify", "--out", str(tmp_path), "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["violations"] == ["Example 1: Lemma 1: ||W_ov^(t)|| upper"]
    # a failing proof step alone makes the status 1 too
    proofs_bad = copy.deepcopy(verify_result["proofs"])
    step_row = next(r for r in proofs_bad if r.key == "P12" and r.run == "Example 1")
    step_row.holds, step_row.verdict = False, "fails"
    res = dict(verify_result, proofs=proofs_bad, chains=proofs_bad.chains())
    monkeypatch.setattr(verify, "run", lambda seed=0, progress=None: res)
    assert main(["verify", "--out", str(tmp_path), "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["violations"] == [] and rep["proofs"]["failures"] == ["Example 1: P12"]


def test_verify_rejects_a_bad_seed(tmp_path, capsys):
    from reference.commands.cli import main
    assert main(["verify", "--out", str(tmp_path), "--seed", "-1"]) == 2
    assert capsys.readouterr().err.startswith("error: --seed must be an integer >= 0")


def test_worst_iterate_skips_trivial_zero_le_zero_points():
    """0 <= 0 (a norm bound at t = 0) is tight but uninformative: the worst iterate is the least
    relative slack elsewhere."""
    from reference.audit.statements import evaluate
    t = np.arange(3)
    b = tb.Bound(statement="S", quantity="q", field="norm_kq", sense="<=", value=np.array([0.0, 1.5, 2.2]),
                 conditions=np.ones(3, dtype=bool), printed="m <= b")
    row = evaluate(b, np.array([0.0, 1.0, 2.0]), t)
    # relative slacks: t=1: 0.5/1.5, t=2: 0.2/2.2 (smaller)
    assert row.holds and row.t_worst == 2


# ---------------------------------------------------------------- nothing silently dropped

def test_a_failed_assumption_is_named_and_its_statements_are_not_checked():
    """Assumption 3 fails in [a c c] -> n(a) (optimal a once, non-optimal c twice): the stage-2
    lemmas are n/a and every row's note names the sentence."""
    from reference.data.dataset import Dataset
    ds = Dataset.from_samples([(["a"], "b"), (["b"], "c"), (["c"], "a"), (["a", "c", "c"], "b")])
    tr = two_stage_ngd(ds, 0.2, 0.1, 20, 20, progress=False)
    table = audit(tr, ds)
    assert table.row("Lemma 5: phi_+^(n,t-1) - phi_+^(n,t)").holds is None
    assert table.row("Lemma 1: ||W_ov^(t)|| upper").holds is True          # needs only Assumptions 1-2
    assert all("Assumption 3 fails" in r.note and "a c c" in r.note for r in table if r.statement == "Lemma 5")


def test_proposition2_rows_report_why_the_condition_cannot_be_checked(ex1):
    """prop2_condition raises for a sentence without an optimal position ([a b] -> a with
    n(c) = a, c absent); the corrected row is n/a and carries the error, nothing is swallowed."""
    from reference.audit.section6 import proposition2_rows
    from reference.audit.setting import setting_of
    from reference.data.dataset import Dataset
    ds, tr = ex1
    bad = Dataset.from_samples([(["a"], "b"), (["b"], "c"), (["c"], "a"), (["a", "b"], "a")])
    good = Dataset.from_samples([(["a"], "b"), (["b"], "c"), (["c"], "a"), (["a", "b"], "c")])
    tr3 = two_stage_ngd(good, 0.2, 0.1, 10, 10, progress=False)
    rows = proposition2_rows(tr3, bad, setting_of(tr3, bad))
    fixed = rows[1]
    assert fixed.holds is None and "prop2_condition does not apply" in fixed.note and "'a b'" in fixed.note


def test_proposition1_loss_exponent_row_is_informational():
    """Before log L_0 is linear in t its slope is (|V|-1)/(|V| log|V|) eta0/||W*_ov|| at t = 0
    (zero init: L_0 = |V| log(1 + (|V|-1) e^{-t eta0/||W*_ov||})), below the stated
    eta0/(4||W*_ov||) once |V| >= 55: a short run shows a smaller exponent without refuting
    an O(.). The row must not decide."""
    from reference.structure.generate import random_realizable
    V = 60
    assert (V - 1) / (V * math.log(V)) < 0.25
    ds = random_realizable(V, L_max=2, rng=np.random.default_rng(0))
    tr = two_stage_ngd(ds, 0.01, 0.01, 10, 2, progress=False)
    s = tr.star_norm_ov
    t = np.arange(11)
    np.testing.assert_allclose(tr.stage1["loss0"], V * np.log1p((V - 1) * np.exp(-t * 0.01 / s)), rtol=1e-12)
    table = audit(tr, ds)
    r = table.row("Proposition 1: L_0 decay exponent")
    assert r.holds is False and not r.decides and table.ok


def test_assumption3_holds_agrees_with_check_assumptions():
    """Two computations of Assumption 3: the audit's boolean and the diagnosing checker."""
    from reference.audit.setting import assumption3_holds
    from reference.data.dataset import Dataset
    from reference.structure.assumptions import check_assumptions
    one = [(["a"], "b"), (["b"], "c"), (["c"], "a")]
    cases = {"a c c -> n(a)": (one + [(["a", "c", "c"], "b")], False),       # non-optimal c twice
             "a a c c -> n(a)": (one + [(["a", "a", "c", "c"], "b")], True),  # tie is allowed
             "a b -> n(c), no optimal position": (one + [(["a", "b"], "a")], False),
             "Example 1": (None, True)}
    for name, (samples, expected) in cases.items():
        ds = example1() if samples is None else Dataset.from_samples(samples)
        assert assumption3_holds(ds) is expected, name
        assert check_assumptions(ds)["assumption3"].ok is expected, name


def test_a_dataset_without_ordered_pairs_keeps_its_stage2_rows_as_na():
    """W*_kq = 0 (no sentence has a non-optimal position): the stage-2 statements say nothing.
    Their rows stay in the table, n/a, with the reason; no division by ||W*_kq|| = 0."""
    from reference.data.dataset import Dataset
    ds = Dataset.from_samples([(["a"], "b"), (["b"], "a"), (["a", "a"], "b")])
    tr = two_stage_ngd(ds, 0.1, 0.1, 10, 0, progress=False)
    assert tr.star_norm_kq == 0.0
    table = audit(tr, ds)                               # warnings are errors under pytest
    stage2 = [r for r in table if r.statement in ("Lemma 5", "Lemma 6", "Lemma 7", "Theorem 1", "Theorem 2")
              and "rate" not in r.quantity]
    assert stage2 and all(r.holds is None and "no ordered pair" in r.note for r in stage2)
    assert table.row("Lemma 3: wrong-logit spread").holds is True and table.ok
