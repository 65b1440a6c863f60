"""The proof audit's machinery: the registry's invariants, verdicts, chains, tables and the proofs command.

The verdict logic is tested on steps written for the test (a private registry and
hand-made quantities), so every verdict is known in advance; the registry's own
declarations are checked against the code that uses them (conditions, quantities
read, decisions documented).
"""

import copy
import csv
import io
import json
import math
import os

import numpy as np
import pytest
from proof_inputs import Q

from reference.audit.chains import ProofTable
from reference.audit.proofs import audit_proofs
from reference.audit.verdicts import ID_RTOL, judge, StepRow
from reference.errors import ConfigError
from reference.structure.generate import example1
from reference.theory.proofs import (CONDITIONS, Check, Decision, Measurements, proof_step, QUANTITIES, Registry,
                                     REGISTRY)
from reference.training.algorithm import two_stage_ngd

DOCS = os.path.join(os.path.dirname(__file__), "..", "docs", "proofs.md")


# ---------------------------------------------------------------- the registry's declarations

def test_every_declared_name_exists():
    for s in REGISTRY.steps():
        for c in s.stated + s.unstated:
            assert c in CONDITIONS, (s.key, c)
        for n in s.needs:
            assert n in QUANTITIES, (s.key, n)
        known = {x.key for x in REGISTRY.steps()} | set(REGISTRY.statement_names())
        assert set(s.follows) <= known, (s.key, s.follows)
        if s.corrects:
            assert REGISTRY.step(s.corrects).recorded, s.key
        if s.recorded:
            assert s.key in REGISTRY.decision(s.recorded).steps
    for d in REGISTRY.decisions():
        assert all(REGISTRY.step(k) for k in d.steps), d.key


@pytest.fixture(scope="module")
def ex1_run():
    ds = example1()
    tr = two_stage_ngd(ds, 0.1, 0.05, 20, 10, init=("random", 1.0), rng=np.random.default_rng(2), record="full",
                       progress=False)
    return ds, tr


def test_needs_are_exactly_what_the_checks_read(ex1_run):
    """Each step's declared quantities are those its check reads (recorded on a real run)."""
    ds, tr = ex1_run
    q = Measurements(tr, ds)
    from reference.theory.proofs import FLOAT64
    for s in REGISTRY.steps():
        with q.recording() as names:
            with np.errstate(all="ignore"):
                s.check(q, FLOAT64)
        assert names == set(s.needs), (s.key, sorted(names - set(s.needs)), sorted(set(s.needs) - names))


def test_every_decision_is_written_up():
    with open(DOCS, encoding="utf-8") as f:
        text = f.read()
    for d in REGISTRY.decisions():
        assert f"`{d.key}`" in text, d.key
    # the inconsistencies of Appendix A and B (P1-P32) each have a decision
    items = {i for d in REGISTRY.decisions() for i in d.items}
    assert {9, 14, 15, 16, 18} <= items


def test_registry_rejects_duplicates_and_bad_declarations():
    reg = Registry()

    @proof_step("X1", statement="Test", page=1, equation="", kind="ID", stage=1, printed="a = b", quantity="a",
                registry=reg)
    def x1(q, ops):
        return Check(q.a, q.b, "==")
    assert reg.step("X1") is x1 and reg.steps(statement="Test") == [x1]
    with pytest.raises(ConfigError, match="twice"):
        proof_step("X1", statement="Test", page=1, equation="", kind="ID", stage=1, printed="", quantity="",
                   registry=reg)(lambda q, ops: None)
    with pytest.raises(ConfigError, match="kind"):
        proof_step("X2", statement="Test", page=1, equation="", kind="LEMMA", stage=1, printed="", quantity="",
                   registry=reg)(lambda q, ops: None)
    with pytest.raises(ConfigError, match="category"):
        reg.add_decision(Decision("d", (1,), ("X1",), "maybe", ""))
    with pytest.raises(ConfigError, match="sense"):
        Check(1.0, 2.0, "<")
    with pytest.raises(ConfigError, match="no step 'X9'"):
        reg.step("X9")


# ---------------------------------------------------------------- verdicts on made-up steps

N = 6


@pytest.fixture
def cond_c(monkeypatch):
    """A test condition ``C``: true at the iterates in ``q.c_true``."""
    monkeypatch.setitem(CONDITIONS, "C", ("test condition", lambda q, stage: q.c_true))


def _q(**kw):
    base = dict(t1=np.arange(N, dtype=float), c_true=np.ones(N, dtype=bool))
    base.update(kw)
    return Q(base)


def _step(sense="<=", stated=("t>=1",), unstated=(), space="linear", kind="INEQ", rng=(-math.inf, math.inf)):
    reg = Registry()

    @proof_step("S", statement="Test", page=3, equation="(9)", kind=kind, stage=1, printed="m <= b", quantity="m",
                stated=stated, unstated=unstated, measured_range=rng, registry=reg)
    def s(q, ops):
        return Check(q.m, q.b, sense, space=space)
    return s


def test_holds_fails_and_the_first_failing_iterate(cond_c):
    m = np.array([5.0, 0.1, 0.2, 0.3, 0.9, 0.4])
    r = judge(_step(), _q(m=m, b=np.full(N, 0.5)))
    assert r.verdict == "fails" and r.holds is False and r.violated and r.t_first_fail == 4
    assert r.measured_first_fail == 0.9 and r.bound_first_fail == 0.5 and "t = 4" in r.why
    r = judge(_step(), _q(m=np.where(np.arange(N) == 4, 0.45, m), b=np.full(N, 0.5)))
    assert r.verdict == "holds" and r.t_worst == 4 and r.n_checked == 5            # t = 0 is outside t >= 1


def test_holds_only_under_an_unstated_condition(cond_c):
    m = np.array([0.1, 0.1, 0.9, 0.1, 0.9, 0.1])
    c = np.array([True, True, False, True, False, True])
    r = judge(_step(unstated=("C",)), _q(m=m, b=np.full(N, 0.5), c_true=c))
    assert r.verdict == "holds-unstated" and r.unstated_needed == ("C",) and r.t_first_fail == 2
    assert r.holds is True and not r.violated and "not stated" in r.why
    r = judge(_step(unstated=("C",)), _q(m=m, b=np.full(N, 0.5), c_true=np.ones(N, dtype=bool)))
    assert r.verdict == "fails"


def test_not_applicable_and_undefined_are_never_silent(cond_c):
    r = judge(_step(stated=("C",)), _q(m=np.zeros(N), b=np.ones(N), c_true=np.zeros(N, dtype=bool)))
    assert r.verdict == "n/a" and r.holds is None and "C never holds" in r.why
    m = np.array([0.1, np.nan, 0.2, np.inf, 0.1, 0.1])
    r = judge(_step(), _q(m=m, b=np.ones(N)))
    assert r.verdict == "holds" and r.n_checked == 3 and r.n_undefined == 2


def test_tolerances_accept_rounding_and_reject_real_violations():
    b = np.full(N, 10.0)
    assert judge(_step(), _q(m=b * (1 + 1e-14), b=b)).verdict == "holds"
    assert judge(_step(), _q(m=b * (1 + 1e-6), b=b)).verdict == "fails"
    ident = _step(sense="==", kind="ID")
    assert judge(ident, _q(m=b * (1 + ID_RTOL / 10), b=b)).verdict == "holds"
    r = judge(ident, _q(m=b * (1 + ID_RTOL * 10), b=b))
    assert r.verdict == "fails" and r.tolerance == "ID_RTOL"
    assert r.series["error"][1] == pytest.approx(10 * ID_RTOL * 10, rel=1e-3)
    logs = _step(space="log")
    assert judge(logs, _q(m=np.full(N, -1e4), b=np.full(N, -1e4 + 1e-9))).verdict == "holds"
    r = judge(logs, _q(m=np.full(N, -1e4 + 1e-3), b=np.full(N, -1e4)))
    assert r.verdict == "fails" and r.log_slack_worst == pytest.approx(-1e-3, rel=1e-6)


def test_trailing_axes_report_the_worst_entry_and_vacuity():
    m = np.zeros((N, 3))
    m[:, 1] = 0.4
    m[3, 2] = 0.6
    r = judge(_step(), _q(m=m, b=np.full((N, 3), 0.5)))
    assert r.verdict == "fails" and r.t_first_fail == 3 and r.measured_first_fail == 0.6
    assert r.series["measured"][2] == 0.4                                        # least slack at t = 2
    r = judge(_step(rng=(0.0, 2.0)), _q(m=np.ones(N), b=np.array([1.5, 1.5, 3.0, 3.0, 3.0, 1.5])))
    assert r.n_vacuous == 3 and not r.vacuous                                   # a bound above 2 cannot fail


def test_matrix_identity_uses_the_frobenius_error():
    A = np.random.default_rng(0).standard_normal((N, 2, 3))
    r = judge(_step(sense="==", kind="ID"), _q(m=A, b=A + 1e-6))
    assert r.verdict == "fails" and r.rel_error_worst > 1e-7
    assert judge(_step(sense="==", kind="ID"), _q(m=A, b=A.copy())).rel_error_worst == 0.0


def test_a_check_with_the_wrong_length_is_a_bug():
    with pytest.raises(ConfigError, match="first axis"):
        judge(_step(), _q(m=np.zeros(N + 1), b=np.zeros(N + 1)))


# ---------------------------------------------------------------- chains and tables

def test_chain_headline_is_the_first_failing_asserted_step(cond_c):
    reg = Registry()
    for key, m in (("A", 0.1), ("B", 0.9), ("C2", 0.9)):
        proof_step(key, statement="Test", page=1, equation="", kind="INEQ", stage=1, printed="", quantity="",
                   stated=("t>=1",), recorded="typo-x" if key == "C2" else "", registry=reg)(
            lambda q, ops, m=m: Check(np.full(N, m), 0.5, "<="))
    rows = [judge(s, _q(), run="r") for s in reg.steps()]
    (c,) = ProofTable(rows).chains(registry=reg)
    assert c.verdict == "fails" and c.headline.key == "B" and c.recorded == ["C2"]
    assert "FAILS at B" in c.line()


def test_table_files_round_trip(ex1_run, tmp_path):
    ds, tr = ex1_run
    table = audit_proofs(tr, ds, run="ex1")
    fields = [f for f in StepRow.__dataclass_fields__ if f != "series"]
    rows = list(csv.DictReader(io.StringIO(table.to_csv())))
    assert len(rows) == len(table) and list(rows[0]) == fields
    js = json.loads(table.to_json())
    assert [r["key"] for r in js] == [r.key for r in table] and "NaN" not in table.to_json()
    arrays = table.series_arrays()
    assert "ex1::P12::measured" in arrays and arrays["ex1::P12::measured"].shape == (21,)
    statement = [r for r in table if r.kind == "S"]
    from reference.audit import audit
    assert [(r.name, r.holds) for r in statement] == [(r.name, r.holds) for r in audit(tr, ds, run="ex1")]


# ---------------------------------------------------------------- the command

def test_proofs_command_writes_its_files_and_passes(proofs_result, tmp_path, monkeypatch, capsys):
    from reference.commands.cli import main
    from reference.experiments import proofs
    monkeypatch.setattr(proofs, "run", lambda seed=0, progress=None: proofs_result)
    assert main(["proofs", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for f in ("proofs.csv", "proofs.json", "proofs_series.npz", "proofs_config.json", "report.md", "report.html"):
        assert (tmp_path / f).is_file()
    lines = out.splitlines()
    chains = lines[lines.index("== proof chains (one line per statement) =="):]
    assert chains[4].startswith("Eq. (5)") and any(x.startswith("Proposition 3") and "holds-unstated" in x
                                                   for x in chains)
    rep = json.loads((tmp_path / "proofs.json").read_text())
    assert rep["ok"] is True and rep["failures"] == []
    chains = {c["statement"]: c for c in rep["chains"]}
    p3 = chains["Proposition 3"]
    assert p3["verdict"] == "holds-unstated" and p3["headline"]["key"] == "P32"
    assert p3["headline"]["unstated_needed"] == ["S1"] and p3["statement_verdict"] == "holds"
    runs = {r["run"] for r in rep["rows"]}
    assert {"paper experiment", "Example 1", "Example 1, large steps", "Example 1, random init"} <= runs
    assert any(r.startswith("random samples") for r in runs) and any(r.startswith("random prefix") for r in runs)
    assert {d["key"] for d in rep["decisions"]} == {d.key for d in REGISTRY.decisions()}
    # case 2 of Lemma 2 is checked somewhere, and every printed relation recorded false fails somewhere, or its
    # decision names the test that shows it false (a counterexample that is not a run: ChainSummary's
    # recorded_never_fail)
    assert any(r["key"] == "P19" and r["verdict"] == "holds" for r in rep["rows"])
    for s in REGISTRY.steps():
        if s.recorded:
            failing = any(r["key"] == s.key and r["verdict"] == "fails" for r in rep["rows"])
            shown = any(e.startswith("tests/") for e in REGISTRY.decision(s.recorded).evidence)
            assert failing or shown, s.key


def test_proofs_command_exit_status(proofs_result, tmp_path, monkeypatch, capsys):
    from reference.commands.cli import main
    from reference.experiments import audit_sections, proofs
    monkeypatch.setattr(audit_sections, "statement_figure", lambda *a, **k: None)    # pictures: test_report.py
    bad = copy.copy(proofs_result)
    bad["table"] = ProofTable(copy.deepcopy(list(proofs_result["table"])))
    r = next(r for r in bad["table"] if r.key == "P12" and r.run == "Example 1")
    r.verdict, r.holds, r.why = "fails", False, "doctored"
    bad["chains"] = bad["table"].chains()
    monkeypatch.setattr(proofs, "run", lambda seed=0, progress=None: bad)
    assert main(["proofs", "--out", str(tmp_path), "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["failures"] == ["Example 1: P12"]
    chains = {c["statement"]: c for c in rep["chains"]}
    assert chains["Lemma 1"]["verdict"] == "fails" and chains["Lemma 1"]["headline"]["key"] == "P12"
    monkeypatch.undo()
    assert main(["proofs", "--out", str(tmp_path), "--seed", "-1"]) == 2
    assert capsys.readouterr().err.startswith("error: seed")
