"""The golden cases against mathematical facts, and the golden-case file against corruption.

The golden outputs come from the engine (token coordinates); here they are held
to closed forms and identities, the datasets to what each is there to catch,
and the file format to its schema: every corrupt file is the library's own
error naming the field, never a traceback and never a failing implementation.
"""

import copy
import json
import math
import os
import re

import numpy as np
import pytest
from hypothesis import given, strategies as st

from conftest_golden import arr, dataset, golden
from reference import conformance as C
from reference.conformance import golden_file as GF
from reference.errors import ConfigError
from reference.maxmargin.closedforms import W_kq_star_prop2
from reference.model.transformer import phi

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "conformance.md")

#: docs/paper.md section 6: W*_kq of Example 1 in token coordinates (rows: key S V O P, columns: query)
A_STAR_EX1 = np.array([[.5, -.5, -1 / 3, 0], [0, .5, -1 / 3, 0], [0, 0, 2 / 3, .5], [-.5, 0, 0, -.5]])
#: Closed forms and identities evaluated in float64 on O(1) values: a few hundred ulps.
EXACT = 1e-12
#: The file's W* are certified to 1e-9 (the checker allows solvers 1e-7).
STAR = 1e-9
#: A probability this close to 1 rounds to 1 in float64 (half an ulp of 1).
ROUNDS_TO_ONE = 2.0 ** -53


# ---------------------------------------------------------------- what the data is there to catch
def test_format_and_coverage():
    g = golden()
    assert g["format"] == C.FORMAT and g["version"] == C.VERSION and g["seed"] == 0
    names = [d["name"] for d in g["datasets"]]
    assert names == list(C.DATASETS)
    for d in g["datasets"]:
        E = arr(d["E"])
        assert np.allclose(E.T @ E, np.eye(E.shape[1]), atol=EXACT, rtol=0)      # Assumption 2
        assert d["about"] and d["catches"]
    for c in g["cases"] + g["runs"]:
        assert c["about"] and c["regime"] in ("ordinary", "saturated")
    assert {c["regime"] for c in g["cases"]} == {"ordinary", "saturated"}
    for name in names:                              # every dataset has an ordinary and a saturated case
        assert {c["regime"] for c in g["cases"] if c["dataset"] == name} == {"ordinary", "saturated"}


def test_datasets_hold_what_example1_lacks():
    """Uneven pi, a repeated token beside others, |V| = 20, d != |V|, a set that is not prefix-closed."""
    ex1 = dataset("example1")
    assert len(set(ex1["counts"])) == 1                       # Example 1 alone could not see pi ignored
    w = dataset("weighted")
    assert len(set(w["counts"])) > 2 and max(w["counts"]) >= 5 * min(w["counts"])
    mixed = [s for s in w["sentences"] if 1 < len(set(s)) < len(s)]
    assert len(mixed) >= 3
    assert dataset("large")["tokens"].__len__() == 20
    assert arr(dataset("example1-orthonormal")["E"]).shape == (7, 4)
    s = dataset("samples")
    have = {tuple(x) for x in s["sentences"]}
    assert not s["prefix_closed"] and any(tuple(x[:k]) not in have for x in s["sentences"] for k in range(1, len(x)))
    assert all(d["prefix_closed"] for d in golden()["datasets"] if d["name"] != "samples")


def test_samples_break_proposition2():
    """The certified W*_kq of 'samples' is not Proposition 2's closed form (an implementation using it fails)."""
    from reference.conformance.golden_data import build_dataset
    ds = build_dataset("samples", np.random.default_rng(0))
    W, verdicts = W_kq_star_prop2(ds, flag=True)
    assert not all(v.holds for v in verdicts.values())
    E = ds.vocab.E
    A_file = E.T @ arr(dataset("samples")["W_kq_star"]) @ E
    assert np.max(np.abs(E.T @ W @ E - A_file)) > 100 * C.STAR_ATOL


def test_runs_swap_visibly_and_the_long_runs_saturate():
    for r in golden()["runs"]:
        assert r["T"] != r["T1"] and r["eta0"] != r["eta"]
    longs = [r for r in golden()["runs"] if r["name"].endswith("/long")]
    assert longs
    for r in longs:
        assert r["regime"] == "saturated" and r["saturated_stage1"] is not None
        D = dataset(r["dataset"])
        E, In = arr(D["E"]), np.array(D["In"])
        B = arr(r["W_ov_iterates"])[-1] @ E                     # logits of every token after stage 1
        margins = B[In, np.arange(len(In))] - np.where(np.eye(len(In))[In].T.astype(bool), -np.inf, B).max(axis=0)
        assert np.all(np.exp(-margins) * (len(In) - 1) < ROUNDS_TO_ONE)    # phi(W_ov x)_In(x) rounds to 1
    for r in golden()["runs"]:
        if r["name"].endswith("/short"):
            assert r["regime"] == "ordinary"


def test_regimes_agree_with_the_stored_probabilities():
    """Ordinary: every stored probability is at least SATURATION below 1; saturated: one is not, or underflow."""
    for c in golden()["cases"]:
        ex = c["expected"]
        worst = min(1 - max(v) for k in ("attention", "T") for v in ex[k] if len(v) > 1)
        if c["regime"] == "ordinary":
            assert worst >= 0.5 * C.SATURATION and not c["underflow"]
        else:
            assert c["underflow"] or float(c["log_1mp"]) < math.log(C.SATURATION)


def _documented_fields():
    """The backticked names in the first column of the tables of the section "The file format"."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## The file format"):text.index("## Tolerances")]
    names = set()
    for row in re.findall(r"^\|([^|\n]*)\|", section, re.M):
        names |= set(re.findall(r"`([A-Za-z_0-9]+)`", row))
    return names, section


def test_file_has_exactly_the_documented_fields():
    """Every field the file holds is a row of docs/conformance.md, and every row is a field it holds."""
    documented, section = _documented_fields()
    schema = set(GF.TOP_FIELDS) | set(GF.DATASET_FIELDS) | set(GF.RUN_FIELDS) | set(GF.CASE_FIELDS) \
        | set(GF.EXPECTED_FIELDS)
    assert documented == schema, (f"undocumented: {sorted(schema - documented)}; "
                                  f"documented but not in the file: {sorted(documented - schema)}")
    g = golden()
    assert tuple(g) == GF.TOP_FIELDS
    assert all(tuple(d) == GF.DATASET_FIELDS for d in g["datasets"])
    assert all(tuple(r) == GF.RUN_FIELDS for r in g["runs"])
    assert all(tuple(c) == GF.CASE_FIELDS for c in g["cases"])
    assert all(tuple(c["expected"]) == GF.EXPECTED_FIELDS for c in g["cases"])
    conventions_row = next(ln for ln in section.splitlines() if ln.startswith("| `conventions`"))
    assert all(f"`{k}`" in conventions_row for k in g["conventions"])
    assert f"describes version {C.VERSION}." in section and f"| `{C.VERSION}`" in section


def test_file_size_is_the_documented_one(tmp_path):
    path = tmp_path / "cases.json"
    C.write_cases(path, golden())
    kb = os.path.getsize(path) / 1000
    with open(DOC, encoding="utf-8") as f:
        stated = int(re.search(r"about (\d+) kB", f.read()).group(1))
    assert abs(kb - stated) <= 0.05 * stated and kb < 1000


# ---------------------------------------------------------------- outputs against identities
def test_underflow_cases_carry_log_scale_and_direction():
    for c in golden()["cases"]:
        ex = c["expected"]
        for g, u, ln in (("grad_W_kq_L", "unit_grad_W_kq_L", "log_norm_grad_W_kq_L"),
                         ("grad_W_ov_L0", "unit_grad_W_ov_L0", "log_norm_grad_W_ov_L0"),
                         ("grad_W_ov_L", "unit_grad_W_ov_L", "log_norm_grad_W_ov_L")):
            U = arr(ex[u])
            assert abs(np.linalg.norm(U) - 1) < EXACT
            if ex[ln] < math.log(np.finfo(float).tiny):                       # gradient underflows
                assert not np.any(arr(ex[g]))
            else:
                assert np.allclose(arr(ex[g]), math.exp(ex[ln]) * U, rtol=EXACT, atol=0)
        if c["underflow"] and c["family"] == "aligned":
            assert ex["L"] == 0.0 and ex["log_L"] < -100                        # L underflows, log L does not


def test_forward_outputs_are_distributions():
    for c in golden()["cases"]:
        for key in ("attention", "T"):
            for v in c["expected"][key]:
                assert min(v) >= 0 and abs(sum(v) - 1) < EXACT


def test_W_ov_star_closed_form():
    """docs/paper.md section 6: W*_ov = sum_x (e_In(x) - 1/|V|) x^T, ||W*_ov|| = sqrt(|V| - 1)."""
    for d in golden()["datasets"]:
        E, In = arr(d["E"]), np.array(d["In"])
        V = E.shape[1]
        closed = (np.eye(V)[:, In] - 1 / V) @ E.T
        assert np.allclose(arr(d["W_ov_star"]), closed, atol=STAR, rtol=0)
        assert abs(np.linalg.norm(closed) - math.sqrt(V - 1)) < EXACT


def test_W_kq_star_of_example1():
    for name in ("example1", "example1-orthonormal"):
        d = dataset(name)
        E = arr(d["E"])
        assert d["tokens"] == ["S", "V", "O", "P"]
        assert np.allclose(E.T @ arr(d["W_kq_star"]) @ E, A_STAR_EX1, atol=STAR, rtol=0)


def test_iterates_move_exactly_eta():
    """Algorithm 1: every normalised step has length eta0 (stage 1) or eta (stage 2), from zero."""
    for r in golden()["runs"]:
        Wov, Wkq = arr(r["W_ov_iterates"]), arr(r["W_kq_iterates"])
        assert Wov.shape[0] == r["T"] + 1 and Wkq.shape[0] == r["T1"] + 1
        assert not Wov[0].any() and not Wkq[0].any()
        for W, eta in ((Wov, r["eta0"]), (Wkq, r["eta"])):
            steps = np.linalg.norm(np.diff(W, axis=0), axis=(1, 2))
            assert np.allclose(steps, eta, rtol=EXACT, atol=0)
        # from zero the first stage-1 step is already aligned with W*_ov (docs/paper.md section 8)
        Ws = arr(dataset(r["dataset"])["W_ov_star"])
        assert np.allclose(Wov[1], r["eta0"] * Ws / np.linalg.norm(Ws), atol=STAR, rtol=0)


def test_steps_are_normalised_gradient_steps():
    for c in golden()["cases"]:
        ex = c["expected"]
        W_ov, W_kq = arr(c["W_ov"]), arr(c["W_kq"])
        assert c["eta0"] != c["eta"]
        assert np.allclose(W_ov - arr(ex["W_ov_next"]), c["eta0"] * arr(ex["unit_grad_W_ov_L0"]),
                           atol=EXACT * (1 + c["scale"]), rtol=0)
        assert np.allclose(W_kq - arr(ex["W_kq_next"]), c["eta"] * arr(ex["unit_grad_W_kq_L"]),
                           atol=EXACT * (1 + c["scale"]), rtol=0)


def test_T_is_softmax_of_logits():
    for c in golden()["cases"]:
        for t, T in zip(c["expected"]["logits"], c["expected"]["T"]):
            assert np.allclose(phi(arr(t)), arr(T), rtol=EXACT, atol=1e-300)


def test_same_seed_same_file_and_the_seed_is_recorded():
    again = C.golden_cases(rng=np.random.default_rng(0))
    assert json.dumps(again) == json.dumps(golden())
    used = np.random.default_rng(5)
    used.random()
    assert C.golden_cases(rng=used)["seed"] is None                 # a used generator has no seed to record


# ---------------------------------------------------------------- the file: written exactly, read strictly
def test_write_load_round_trip_is_exact(tmp_path):
    path = tmp_path / "cases.json"
    C.write_cases(path, golden())
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text                   # strict JSON
    assert C.load_cases(path) == json.loads(json.dumps(golden()))           # floats round-trip by repr
    assert not [p for p in os.listdir(tmp_path) if p != "cases.json"]     # no temporary file left


def test_write_refuses_an_existing_file_and_never_follows_a_link(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text("mine")
    with pytest.raises(ConfigError, match="already exists"):
        C.write_cases(path, golden())
    assert path.read_text() == "mine"
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    with pytest.raises(ConfigError, match="already exists"):
        C.write_cases(link, golden())
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nothing-here")
    with pytest.raises(ConfigError, match="already exists"):
        C.write_cases(dangling, golden())
    assert target.read_text() == "keep" and not (tmp_path / "nothing-here").exists()
    C.write_cases(link, golden(), overwrite=True)                   # replaces the link itself
    assert not link.is_symlink() and target.read_text() == "keep"


def _file(tmp_path, text):
    path = tmp_path / "c.json"
    path.write_text(text)
    return path


def test_load_refuses_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="no such"):
        C.load_cases(tmp_path / "missing.json")
    for text, match in (("{not json", "not a JSON"), ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
                        ('{"a": NaN}', "NaN is not a JSON number"), ('{"a": -Infinity}', "Infinity"),
                        ('{"a": 1e400}', "outside the float64 range"), ('{"a": 1, "a": 2}', "given twice"),
                        ('{"a": ' + "9" * 5000 + "}", "not a JSON"), ('{"format": "something else"}', "not a golden")):
        with pytest.raises(ConfigError, match=match):
            C.load_cases(_file(tmp_path, text))
    with pytest.raises(ConfigError, match="version"):
        C.load_cases(_file(tmp_path, json.dumps(dict(golden(), version=C.VERSION + 1))))
    with pytest.raises(ConfigError, match="version True"):
        C.load_cases(_file(tmp_path, json.dumps(dict(golden(), version=True))))


def _broken(edit):
    bad = copy.deepcopy(golden())
    edit(bad)
    return C.seal(bad)                  # a consistent checksum: the schema alone must find the fault


FIRST = "example1/random/scale=1"


@pytest.mark.parametrize("edit, match", [
    (lambda b: b["datasets"][1].pop("In"), "dataset 1: lacks the field.s. In"),
    (lambda b: b["cases"][0]["expected"].pop("grad_W_kq_L"), f"case '{FIRST}', expected: lacks the field.s. grad_W_kq_L"),
    (lambda b: b["cases"][0].update(dataset="nope"), f"case '{FIRST}': names dataset 'nope', which is not in the file"),
    (lambda b: b["cases"].append(b["cases"][0]), f"two cases are named '{FIRST}'"),
    (lambda b: b["cases"][0]["expected"]["T"].pop(), f"case '{FIRST}', expected, field 'T': has 8 vectors"),
    (lambda b: b.pop("tolerances"), "lacks the field.s. tolerances"),
    (lambda b: b.update(extra=1), "unknown field.s. 'extra'"),
    (lambda b: b["datasets"][0]["sentences"][3].__setitem__(0, -1), "dataset 'example1', field 'sentences', "
     "sentence 3, entry 0: must be an integer in .0, 3., got number -1"),
    (lambda b: b["datasets"][0]["y"].__setitem__(0, 4), "dataset 'example1', field 'y', entry 0: must be an integer"),
    (lambda b: b["datasets"][0]["pi"].__setitem__(0, -0.1), "field 'pi', entry .0.: must be >= 0"),
    (lambda b: b["datasets"][0]["counts"].__setitem__(0, 2), "field 'pi': is not counts / sum.counts."),
    (lambda b: b["datasets"][0]["In"].__setitem__(0, b["datasets"][0]["In"][1]), "field 'In': is not a permutation"),
    (lambda b: b["datasets"][0]["E"][0].__setitem__(0, 2.0), "field 'E': columns are not orthonormal"),
    (lambda b: b["runs"][0].update(T=-1), "run 'example1/short', field 'T': must be an integer in .0, "),
    (lambda b: b["runs"][0].update(eta0=10**400), "run 'example1/short', field 'eta0': the number .* is outside"),
    (lambda b: b["runs"][0].update(eta=0), "field 'eta': must be > 0"),
    (lambda b: b["runs"][0].update(regime="saturated"), "field 'regime': 'saturated' disagrees"),
    (lambda b: b["cases"][0].update(W_kq=[[1.0, "x"]]), f"case '{FIRST}', field 'W_kq': has 1 entries, expected 4"),
    (lambda b: b["cases"][0]["W_kq"][1].__setitem__(2, "x"), f"case '{FIRST}', field 'W_kq', entry .1, 2.: must "
     "be a number, got string 'x'"),
    (lambda b: b["cases"][0]["W_kq"][1].__setitem__(2, "nan"), "must be a number"),
    (lambda b: b["cases"][0]["expected"].update(L=-1.0), "field 'L': must be >= 0"),
    (lambda b: b["cases"][0]["expected"]["attention"][1].__setitem__(0, 1.5), r"field 'attention\[1\]'.*<= 1"),
    (lambda b: b["cases"][0].update(underflow="no"), "field 'underflow': must be true or false"),
    (lambda b: b["cases"][0].update(family="other"), "field 'family': must be one of random, aligned"),
    (lambda b: b.update(seed=-3), "field 'seed': must be an integer >= 0"),
    (lambda b: b["datasets"].__setitem__(0, [1]), "dataset 0: is a list, not an object"),
])
def test_validation_names_the_culprit(edit, match):
    with pytest.raises(ConfigError, match=match):
        C.check(C.library_impl(), _broken(edit), functions=["attention"])


def test_a_changed_value_is_refused_by_the_checksum(tmp_path):
    path = tmp_path / "c.json"
    C.write_cases(path, golden())
    text = path.read_text()
    i = text.index('"L":') + 5
    changed = text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1:]      # one digit of one loss
    with pytest.raises(ConfigError, match="checksum does not match"):
        C.check(C.library_impl(), _file(tmp_path, changed), functions=["loss"])


# ---------------------------------------------------------------- fuzzing: only the library's own error
def _small():
    """The golden cases of Example 1 alone (sealed), to fuzz quickly."""
    g = copy.deepcopy(golden())
    g["datasets"] = g["datasets"][:1]
    g["runs"] = [r for r in g["runs"] if r["dataset"] == "example1"][:1]
    g["cases"] = [c for c in g["cases"] if c["dataset"] == "example1"][:2]
    return C.seal(g)


SMALL = _small()


def _paths(x, path=()):
    out = [path]
    if isinstance(x, dict):
        for k, v in x.items():
            out += _paths(v, path + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x[:3]):
            out += _paths(v, path + (i,))
    return out


PATHS = _paths(SMALL)[1:]
ODD = [-1, 0, 1.5, -0.5, True, None, "x", "nan", "-inf", [], {}, [[1.0]], [-1], 10**400, 1e308, -1e308, "",
       [[[[[]]]]], {"a": 1}, 2**63, 3]


def _survives(cases):
    """Validation raises ConfigError or passes; a passing dict is checked without any other exception."""
    try:
        C.validate_cases(cases)
    except ConfigError:
        return
    rep = C.check(C.library_impl(), cases, functions=["attention", "loss0", "two_stage_ngd"])
    assert rep.entries


@given(path=st.sampled_from(PATHS), value=st.sampled_from(ODD), reseal=st.booleans())
def test_fuzz_fields(path, value, reseal):
    bad = copy.deepcopy(SMALL)
    node = bad
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    _survives(C.seal(bad) if reseal else bad)


TEXT = json.dumps(SMALL, separators=(",", ":"))


@given(at=st.integers(0, len(TEXT) - 1), cut=st.integers(0, 40),
       insert=st.sampled_from(["", "[", "]", "{", "}", '"', ",", "-", "e", "9" * 400, "NaN", "[" * 5000, "null", "1e999"]))
def test_fuzz_text(tmp_path_factory, at, cut, insert):
    path = tmp_path_factory.mktemp("fuzz") / "c.json"
    path.write_text(TEXT[:at] + insert + TEXT[at + cut:])
    try:
        cases = C.load_cases(path)
    except ConfigError:
        return
    _survives(cases)
