"""The audit (reference.audit, reference.audit_extra) and the verify command.

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
from reference.algorithm import two_stage_ngd
from reference.audit import ATOL, ERRATA, AuditRow, AuditTable, audit, evaluate
from reference.audit_extra import fit_slope, scalar_row
from reference.generate import example1

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

def test_verify_command_writes_its_files_and_passes(tmp_path, capsys):
    from reference.cli import main
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
    assert "VIOLATED [known erratum]" in out


def test_verify_exit_status_is_one_on_a_violation(tmp_path, monkeypatch, capsys):
    from reference.cli import main
    from reference.experiments import verify
    real = verify.run

    def doctored(seed=0, progress=None):
        res = real(seed=seed, progress=progress)
        r = res["table"].row("Lemma 1: ||W_ov^(t)|| upper", run="Example 1")
        r.holds = False
        return res
    monkeypatch.setattr(verify, "run", doctored)
    assert main(["verify", "--out", str(tmp_path), "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["violations"] == ["Example 1: Lemma 1: ||W_ov^(t)|| upper"]


def test_verify_rejects_a_bad_seed(tmp_path, capsys):
    from reference.cli import main
    assert main(["verify", "--out", str(tmp_path), "--seed", "-1"]) == 2
    assert capsys.readouterr().err.startswith("error: seed")


def test_worst_iterate_skips_trivial_zero_le_zero_points():
    """0 <= 0 (a norm bound at t = 0) is tight but uninformative: the worst iterate is the least relative slack elsewhere."""
    from reference.audit import evaluate
    t = np.arange(3)
    b = tb.Bound(statement="S", quantity="q", field="norm_kq", sense="<=", value=np.array([0.0, 1.5, 2.2]),
                 conditions=np.ones(3, dtype=bool), printed="m <= b")
    row = evaluate(b, np.array([0.0, 1.0, 2.0]), t)
    # relative slacks: t=1: 0.5/1.5, t=2: 0.2/2.2 (smaller)
    assert row.holds and row.t_worst == 2
