"""The conformance kit: golden cases against mathematical facts, the checker against wrong implementations.

The golden outputs come from the engine (token coordinates); the library's
literal face passing them is the agreement of two independent computations.
Each deliberately wrong implementation must fail exactly on the outputs its
bug touches, and pass elsewhere.
"""

import copy
import json
import math
import os
import re

import numpy as np
import pytest

from reference import conformance as C
from reference.commands.cli import main
from reference.conformance import golden_file as GF
from reference.errors import ConfigError
from reference.model.transformer import phi

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "conformance.md")

#: docs/paper.md section 6: W*_kq of Example 1 in token coordinates (rows: key S V O P, columns: query)
A_STAR_EX1 = np.array([[.5, -.5, -1 / 3, 0], [0, .5, -1 / 3, 0], [0, 0, 2 / 3, .5], [-.5, 0, 0, -.5]])
#: Closed forms and identities evaluated in float64 on O(1) values: a few hundred ulps.
EXACT = 1e-12
#: The checker's tolerance on W* (solvers may stop at ~1e-8); the file itself is certified to 1e-9.
STAR = 1e-9


@pytest.fixture(scope="module")
def cases():
    return C.golden_cases(rng=np.random.default_rng(0))


@pytest.fixture(scope="module")
def lib_report(cases):
    return C.check(C.library_impl(), cases)


def _arr(x):
    return np.array(x, dtype=np.float64)


def _dataset(cases, name):
    return next(d for d in cases["datasets"] if d["name"] == name)


# ---------------------------------------------------------------- the golden file itself
def test_format_and_coverage(cases):
    assert cases["format"] == C.FORMAT and cases["version"] == C.VERSION
    names = {d["name"] for d in cases["datasets"]}
    assert names == {"example1", "example1-orthonormal", "random"}
    for d in cases["datasets"]:
        E = _arr(d["E"])
        assert np.allclose(E.T @ E, np.eye(E.shape[1]), atol=EXACT, rtol=0)      # Assumption 2
    scales = {(c["dataset"], c["family"], c["scale"]) for c in cases["cases"]}
    assert scales == {(d, f, s) for d in names for f in ("random", "aligned") for s in C.SCALES}
    assert any(c["underflow"] for c in cases["cases"])          # saturated cases are present


def _documented_fields():
    """The backticked names in the first column of the tables of the section "The file format"."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## The file format"):text.index("## Tolerances")]
    names = set()
    for row in re.findall(r"^\|([^|\n]*)\|", section, re.M):
        names |= set(re.findall(r"`([A-Za-z_0-9]+)`", row))
    return names, section


def test_file_has_exactly_the_documented_fields(cases):
    """Every field the file holds is a row of docs/conformance.md, and every row is a field it holds."""
    documented, section = _documented_fields()
    schema = set(GF.TOP_FIELDS) | set(GF.DATASET_FIELDS) | set(GF.CASE_FIELDS) | set(GF.EXPECTED_FIELDS)
    assert documented == schema, (f"undocumented: {sorted(schema - documented)}; "
                                  f"documented but not in the file: {sorted(documented - schema)}")
    assert tuple(cases) == GF.TOP_FIELDS
    assert all(tuple(d) == GF.DATASET_FIELDS for d in cases["datasets"])
    assert all(tuple(c) == GF.CASE_FIELDS for c in cases["cases"])
    assert all(tuple(c["expected"]) == GF.EXPECTED_FIELDS for c in cases["cases"])
    conventions_row = next(ln for ln in section.splitlines() if ln.startswith("| `conventions`"))
    assert all(f"`{k}`" in conventions_row for k in cases["conventions"])
    assert f"describes version {C.VERSION}." in section and f"| `{C.VERSION}`" in section


def test_underflow_cases_carry_log_scale_and_direction(cases):
    for c in cases["cases"]:
        ex = c["expected"]
        for g, u, ln in (("grad_W_kq_L", "unit_grad_W_kq_L", "log_norm_grad_W_kq_L"),
                         ("grad_W_ov_L0", "unit_grad_W_ov_L0", "log_norm_grad_W_ov_L0"),
                         ("grad_W_ov_L", "unit_grad_W_ov_L", "log_norm_grad_W_ov_L")):
            U = _arr(ex[u])
            assert abs(np.linalg.norm(U) - 1) < EXACT
            if ex[ln] < math.log(np.finfo(float).tiny):                       # gradient underflows
                assert not np.any(_arr(ex[g]))
            else:
                assert np.allclose(_arr(ex[g]), math.exp(ex[ln]) * U, rtol=EXACT, atol=0)
        if c["underflow"] and c["family"] == "aligned":
            assert ex["L"] == 0.0 and ex["log_L"] < -100                        # L underflows, log L does not


def test_forward_outputs_are_distributions(cases):
    for c in cases["cases"]:
        for key in ("attention", "T"):
            for v in c["expected"][key]:
                assert min(v) >= 0 and abs(sum(v) - 1) < EXACT


def test_W_ov_star_closed_form(cases):
    """docs/paper.md section 6: W*_ov = sum_x (e_In(x) - 1/|V|) x^T, ||W*_ov|| = sqrt(|V| - 1)."""
    for d in cases["datasets"]:
        E, In = _arr(d["E"]), np.array(d["In"])
        V = E.shape[1]
        closed = (np.eye(V)[:, In] - 1 / V) @ E.T
        assert np.allclose(_arr(d["W_ov_star"]), closed, atol=STAR, rtol=0)
        assert abs(np.linalg.norm(closed) - math.sqrt(V - 1)) < EXACT


def test_W_kq_star_of_example1(cases):
    for name in ("example1", "example1-orthonormal"):
        d = _dataset(cases, name)
        E = _arr(d["E"])
        assert d["tokens"] == ["S", "V", "O", "P"]
        assert np.allclose(E.T @ _arr(d["W_kq_star"]) @ E, A_STAR_EX1, atol=STAR, rtol=0)


def test_iterates_move_exactly_eta(cases):
    """Algorithm 1: every normalised step has length eta0 (stage 1) or eta (stage 2), from zero."""
    for d in cases["datasets"]:
        Wov, Wkq = _arr(d["W_ov_iterates"]), _arr(d["W_kq_iterates"])
        assert Wov.shape[0] == d["T"] + 1 and Wkq.shape[0] == d["T1"] + 1
        assert not Wov[0].any() and not Wkq[0].any()
        for W, eta in ((Wov, d["eta0"]), (Wkq, d["eta"])):
            steps = np.linalg.norm(np.diff(W, axis=0), axis=(1, 2))
            assert np.allclose(steps, eta, rtol=EXACT, atol=0)
        # from zero the first stage-1 step is already aligned with W*_ov (docs/paper.md section 8)
        Ws = _arr(d["W_ov_star"])
        assert np.allclose(Wov[1], d["eta0"] * Ws / np.linalg.norm(Ws), atol=STAR, rtol=0)


def test_steps_are_normalised_gradient_steps(cases):
    for c in cases["cases"]:
        ex = c["expected"]
        W_ov, W_kq = _arr(c["W_ov"]), _arr(c["W_kq"])
        assert np.allclose(W_ov - _arr(ex["W_ov_next"]), c["eta0"] * _arr(ex["unit_grad_W_ov_L0"]),
                           atol=EXACT * (1 + c["scale"]), rtol=0)
        assert np.allclose(W_kq - _arr(ex["W_kq_next"]), c["eta"] * _arr(ex["unit_grad_W_kq_L"]),
                           atol=EXACT * (1 + c["scale"]), rtol=0)


def test_T_is_softmax_of_logits(cases):
    for c in cases["cases"]:
        for t, T in zip(c["expected"]["logits"], c["expected"]["T"]):
            assert np.allclose(phi(_arr(t)), _arr(T), rtol=EXACT, atol=1e-300)


def test_write_load_round_trip_is_exact(cases, tmp_path):
    path = tmp_path / "cases.json"
    C.write_cases(path, cases)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text                   # strict JSON
    assert C.load_cases(path) == json.loads(json.dumps(cases))              # floats round-trip by repr


def test_load_refuses_bad_files(cases, tmp_path):
    with pytest.raises(ConfigError, match="no such"):
        C.load_cases(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not a JSON"):
        C.load_cases(bad)
    old = dict(cases, version=C.VERSION + 1)
    bad.write_text(json.dumps(old))
    with pytest.raises(ConfigError, match="version"):
        C.load_cases(bad)
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ConfigError, match="not a golden"):
        C.load_cases(bad)


def test_validation_names_the_culprit(cases):
    def broken(edit):
        bad = copy.deepcopy(cases)
        edit(bad)
        return bad
    first = cases["cases"][0]["name"]
    for edit, match in [
        (lambda b: b["datasets"][1].pop("In"), "dataset 1 lacks the field.s. In"),
        (lambda b: b["cases"][0]["expected"].pop("grad_W_kq_L"), f"case '{first}', expected lacks .* grad_W_kq_L"),
        (lambda b: b["cases"][0].update(dataset="nope"), f"case '{first}' names dataset 'nope'"),
        (lambda b: b["cases"].append(b["cases"][0]), f"two cases are named '{first}'"),
        (lambda b: b["cases"][0]["expected"]["T"].pop(), f"case '{first}': T has"),
        (lambda b: b.pop("tolerances"), "lacks the field.s. tolerances"),
    ]:
        with pytest.raises(ConfigError, match=match):
            C.check(C.library_impl(), broken(edit))
    bad = broken(lambda b: b["cases"][0].update(W_kq=[[1.0, "x"]]))
    with pytest.raises(ConfigError, match=f"case '{first}', field 'W_kq': not a number"):
        C.check(C.library_impl(), bad, functions=["attention"])


def test_golden_cases_refuse_bad_settings():
    rng = np.random.default_rng(0)
    for kw, name in ((dict(eta0=-0.5), "eta0"), (dict(eta=0.0), "eta"), (dict(T=0), "T"), (dict(T1=2.5), "T1")):
        with pytest.raises(ConfigError, match=name):
            C.golden_cases(rng=rng, **kw)


# ---------------------------------------------------------------- the checker
def test_library_literal_face_passes(lib_report):
    assert lib_report.ok, lib_report.summary()
    assert not lib_report.skipped and not lib_report.deselected
    assert set(lib_report.functions()) == set(C.FUNCTIONS)
    assert "PASS" in lib_report.summary()


def test_every_function_is_checked_on_every_case_with_its_stated_tolerance(cases, lib_report):
    """Nothing dropped: one entry per function, output and case (or dataset), with TOLERANCES."""
    case_names = [c["name"] for c in cases["cases"]]
    ds_names = [d["name"] for d in cases["datasets"]]
    for fn, (level, _, outs) in C.FUNCTIONS.items():
        for out in outs:
            got = [e for e in lib_report.entries if e.function == fn and e.output == out]
            assert [e.case for e in got] == (case_names if level == "case" else ds_names), (fn, out)
            assert all((e.atol, e.rtol) == C.TOLERANCES[out] for e in got)
    n = sum(len(outs) * len(case_names if level == "case" else ds_names)
            for level, _, outs in C.FUNCTIONS.values())
    assert len(lib_report.entries) == n
    assert {k: (v["atol"], v["rtol"]) for k, v in cases["tolerances"].items()} == C.TOLERANCES
    lines = {ln.split()[0]: ln for ln in lib_report.summary().splitlines()[1:] if ln.split()[0] in C.FUNCTIONS}
    for fn, (_, _, outs) in C.FUNCTIONS.items():
        atol, rtol = C.TOLERANCES[outs[0]]
        assert f"{atol:.0e}" in lines[fn] and (rtol == 0 or f"{rtol:.0e} rel" in lines[fn])


def test_functions_left_out_are_listed_as_not_selected(cases):
    lib = C.library_impl()
    rep = C.check({"loss": lib["loss"], "loss0": lib["loss0"]}, cases, functions=["loss", "attention"])
    assert set(rep.functions()) == {"loss"}
    assert rep.deselected == ("loss0",)
    assert set(rep.skipped) == set(C.FUNCTIONS) - {"loss", "loss0"}       # attention: selected, not provided
    assert "not selected (functions=...): loss0" in rep.summary()
    empty = C.check({}, cases)
    assert not empty.ok and not empty.entries and "nothing was checked" in empty.summary()


def _statuses(report, function, output=None):
    return {e.case: e.status for e in report.entries
            if e.function == function and (output is None or e.output == output)}


def test_softmax_without_query_position_fails_attention_only(cases):
    """Attention over positions 1..L-1 (query left out): every attention-dependent output fails."""
    lib = C.library_impl()

    def attention(W_kq, X):
        return phi(X[:, :-1].T @ W_kq @ X[:, -1])

    def logits(W_ov, W_kq, X):
        return W_ov @ X[:, :-1] @ attention(W_kq, X)

    impl = {"attention": attention, "logits": logits, "loss0": lib["loss0"]}
    rep = C.check(impl, cases)
    # one-token sentences leave an empty softmax (an error); longer ones give wrong weights
    assert "pass" not in set(_statuses(rep, "attention").values())
    assert "pass" not in set(_statuses(rep, "logits").values())
    assert set(_statuses(rep, "loss0").values()) == {"pass"}
    assert not rep.ok and len(rep.skipped) == len(C.FUNCTIONS) - 3
    assert all(("shape" in e.message or "sentence" in e.message or "Error" in e.message)
               for e in rep.failures())                        # each failure says where or why


def test_transposed_W_ov_fails_where_W_ov_enters(cases):
    lib = C.library_impl()

    def logits(W_ov, W_kq, X):
        return W_ov.T @ X @ lib["attention"](W_kq, X)

    def loss0(W_ov, E, In):
        return lib["loss0"](W_ov.T, E, In)

    rep = C.check({"attention": lib["attention"], "logits": logits, "loss0": loss0}, cases)
    assert set(_statuses(rep, "attention").values()) == {"pass"}
    for fn in ("logits", "loss0"):
        st = _statuses(rep, fn)
        assert all(v != "pass" for v in st.values())
        # square W_ov (identity E, d = |V|): a wrong value; d != |V|: the shapes do not fit
        assert {v for k, v in st.items() if k.startswith("example1/")} == {"fail"}
        assert {v for k, v in st.items() if not k.startswith("example1/")} == {"error"}


def test_gradient_off_by_a_thousandth_fails_where_visible(cases):
    lib = C.library_impl()

    def grad_loss(*a):
        g_ov, g_kq = lib["grad_loss"](*a)
        return 1.001 * g_ov, g_kq

    rep = C.check({"grad_loss": grad_loss}, cases)
    assert set(_statuses(rep, "grad_loss", "grad_W_kq_L").values()) == {"pass"}
    st = _statuses(rep, "grad_loss", "grad_W_ov_L")
    for c in cases["cases"]:
        M = np.max(np.abs(_arr(c["expected"]["grad_W_ov_L"])))
        # the error is 1e-3 * M: visible exactly when it exceeds atol + rtol * M
        visible = 1e-3 * M > C.GRAD_ATOL + C.GRAD_RTOL * M
        assert st[c["name"]] == ("fail" if visible else "pass"), c["name"]
        if c["scale"] == 1.0:
            assert visible
    bad = [e for e in rep.failures()]
    assert bad and all(abs(e.max_rel - 1e-3) < 1e-6 for e in bad)


def test_naive_saturated_directions_fail_only_when_saturated(cases):
    """grad / ||grad|| from the raw gradient is exact at scale 1 and undefined where it underflows."""
    lib = C.library_impl()

    def unit_grad_loss0(W_ov, E, In):
        g = lib["grad_loss0"](W_ov, E, In)
        with np.errstate(invalid="ignore"):
            return g / np.linalg.norm(g)

    rep = C.check({"unit_grad_loss0": unit_grad_loss0}, cases)
    st = _statuses(rep, "unit_grad_loss0")
    for c in cases["cases"]:
        if c["scale"] == 1.0:
            assert st[c["name"]] == "pass"
        if c["expected"]["log_norm_grad_W_ov_L0"] < math.log(np.finfo(float).tiny):
            assert st[c["name"]] == "fail"


def test_errors_and_bad_outputs_are_reported_not_raised(cases):
    def boom(*a):
        raise RuntimeError("not implemented yet")

    rep = C.check({"loss": boom, "loss0": lambda *a: float("nan"),
                   "grad_loss": lambda *a: np.zeros(3)}, cases)
    assert {e.status for e in rep.entries if e.function == "loss"} == {"error"}
    assert "RuntimeError: not implemented yet" in rep.failures()[0].message
    assert {e.status for e in rep.entries if e.function == "loss0"} == {"fail"}
    assert {e.status for e in rep.entries if e.function == "grad_loss"} == {"error"}   # not a pair
    d = rep.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["ok"] is False and "attention" in d["skipped"]


def test_an_impl_that_writes_into_its_inputs_changes_nothing_else(cases):
    lib = C.library_impl()

    def loss0(W_ov, E, In):
        E *= 2.0                                      # would corrupt every later call if E were shared
        In[:] = 0
        return lib["loss0"](W_ov, E, In)

    rep = C.check({"loss0": loss0, "grad_loss0": lib["grad_loss0"]}, cases)
    assert "pass" not in {e.status for e in rep.entries if e.function == "loss0"}
    assert all(e.ok for e in rep.entries if e.function == "grad_loss0")


def test_impl_validation(cases):
    with pytest.raises(ConfigError, match="unknown function"):
        C.check({"atention": lambda W, X: X}, cases)
    with pytest.raises(ConfigError, match="not callable"):
        C.check({"attention": 3}, cases)
    with pytest.raises(ConfigError, match="unknown function"):
        C.check({}, cases, functions=["nope"])
    rep = C.check(C.library_impl(), cases, functions=["loss"])
    assert set(rep.functions()) == {"loss"} and rep.ok


def test_impl_as_object_with_attributes(cases):
    class Impl:
        attention = staticmethod(C.library_impl()["attention"])
    rep = C.check(Impl(), cases)
    assert rep.ok and set(rep.functions()) == {"attention"}


# ---------------------------------------------------------------- the command
def test_golden_command_writes_and_checks(tmp_path, capsys):
    out = tmp_path / "cases.json"
    assert main(["golden", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert C.load_cases(out)["version"] == C.VERSION
    status = main(["golden", "--check", str(out), "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert rep["ok"] is True and status == 0                     # the literal face agrees with the engine
    assert {e["function"] for e in rep["entries"]} == set(C.FUNCTIONS) and not rep["skipped"]


def test_golden_command_checks_an_outside_module(tmp_path, capsys, monkeypatch):
    (tmp_path / "wrong_impl.py").write_text(
        "import numpy as np\n"
        "def attention(W_kq, X):\n"
        "    s = X.T @ W_kq @ X[:, -1]\n"
        "    return np.exp(s) / np.exp(s).sum() * 1.01\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["golden", "--out", "c.json"]) == 0
    assert main(["golden", "--check", "c.json", "--impl", "wrong_impl"]) == 1
    assert "FAIL" in capsys.readouterr().out
    assert main(["golden", "--check", "c.json", "--impl", "wrong_impl:nothing"]) == 2
    assert main(["golden"]) == 2
    assert "error:" in capsys.readouterr().err


def test_same_seed_same_file(cases):
    again = C.golden_cases(rng=np.random.default_rng(0))
    assert json.dumps(again) == json.dumps(cases)
