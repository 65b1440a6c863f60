"""Every statement function of reference.theory against an independent transcription of the printed bound.

Random constants (steps, norms of ``W*``, sizes, iterates) are drawn; each returned
``Bound`` (value, sense, measured field) must equal the formula written out again
here from docs/paper.md section 7 (and Appendix B for Lemma 2, Proposition 3). A
bound weakened or strengthened by a factor, a constant off, or a flipped
inequality disagrees with it: the mutation test shows the comparison catches each.
"""

import math

import numpy as np
import pytest

from reference import theory as tb

#: The function and the transcription evaluate one formula in a different order.
RTOL = 1e-12


def _constants(seed):
    rng = np.random.default_rng(seed)
    V, N, L = int(rng.integers(2, 9)), int(rng.integers(2, 40)), int(rng.integers(2, 9))
    return dict(t=np.arange(0, 60, dtype=float), eta0=float(rng.uniform(0.01, 3)), eta=float(rng.uniform(0.01, 3)),
                s_ov=math.sqrt(V - 1), s_kq=float(rng.uniform(0.3, 4)), V=V, N=N, L=L, T=int(rng.integers(1, 2000)),
                init=float(rng.uniform(0, 2)), w=rng.uniform(0.1, 50, size=60), g=rng.uniform(-1, 0, size=60),
                phi=rng.uniform(0.05, 1, size=60), err=rng.uniform(0, 0.1, size=60))


def _log(t):
    with np.errstate(divide="ignore"):
        return np.where(t >= 1, np.log(np.maximum(t, 1)), np.nan)


def _transcribed(c):
    """statement -> list of (field, sense, value) as printed (docs/paper.md section 7)."""
    t, e0, e, so, sk, V, N, L, T = (c[k] for k in ("t", "eta0", "eta", "s_ov", "s_kq", "V", "N", "L", "T"))
    lt = _log(t)
    err1 = so ** 3 * math.log(2 * V) * lt / (np.maximum(t, 1) * e0)
    delta = t * e0 / (4 * so ** 2)
    alpha7 = 4 * N * L ** 2 * sk ** 2 * (1 + np.log(2 * L * c["w"])) / c["w"]
    C0, C1 = e0 / (4 * so ** 2), e / (4 * L * sk ** 2)
    att = 1 / (1 + L * np.exp(-C1 * t))
    logloss = math.log(V) - T * C0 * (1 - 2 * L / (L + np.exp(C1 * t)))
    return {
        "lemma1": [("norm_ov", "<=", t * e0 + c["init"]), ("norm_ov", ">=", t * e0 / (2 * so) - c["init"])],
        "proposition1": [("norm_ov", ">=", t * e0 / (2 * so)), ("norm_ov", "<=", t * e0),
                         ("dir_err_ov", "<=", 5 * err1), ("dir_err_ov", "<=", 12 * err1)],
        "lemma3": [("wrong_spread", "<=", 0 * t)],
        "corollary1": [("margin_min", ">=", delta), ("margin_max", "<=", 3 * delta),
                       ("margin_max", "<=", 4 * so * delta), ("margin_spread", "<=", 0 * t)],
        "lemma5": [("opt_att_min", ">=", 0 * t + 1 / L), ("opt_drop_max", "<=", 0 * t),
                   ("phi_plus_decrease_max", "<=", 0 * t), ("opt_minus_nonopt_min", ">=", 0 * t)],
        "lemma6": [("norm_kq", "<=", t * e + c["init"]), ("norm_kq", ">=", t * e / (2 * L * sk) - c["init"]),
                   ("ugrad_star", "<=", -c["phi"] / (2 * sk))],
        "lemma7": [("ugrad_W", ">=", (1 + alpha7) * c["g"] * c["w"] / sk)],
        "theorem1": [("norm_kq", ">=", t * e / (2 * sk)), ("norm_kq", ">=", t * e / (2 * L * sk)),
                     ("norm_kq", "<=", t * e), ("dir_err_kq", "<=", 54 * N * L ** 4 * sk ** 4 * lt ** 2
                                                / (np.maximum(t, 1) * e)),
                     ("dir_err_kq", "<=", 54 * N * L ** 4 * sk ** 4 * lt ** 2 / (np.maximum(t, 1) * e))],
        "theorem2": [("phi_plus_min", ">=", att), ("log_loss", "<=", logloss), ("phi_plus_min", ">=", att),
                     ("log_loss", "<=", logloss)],
        "theorem2_direction_form": [("phi_plus_min", ">=", att), ("log_loss", "<=", logloss)],
        "lemma2": [("ug1_Wbar", ">=", (1 + 2 * so * math.log(2 * V) / c["w"]) * c["g"])],
        "proposition3": [("norm_ov", ">=", t * e0 / (2 * so)), ("norm_ov", "<=", t * e0),
                         ("dir_err_ov", "<=", 12 * err1)],
    }


def _library(c):
    t, kw0 = c["t"], dict(eta0=c["eta0"], star_norm_ov=c["s_ov"])
    kw2 = dict(T=c["T"], eta0=c["eta0"], eta=c["eta"], n_tokens=c["V"], L_max=c["L"], star_norm_ov=c["s_ov"],
               star_norm_kq=c["s_kq"], zero_init=True, assumption3=True)
    return {
        "lemma1": tb.lemma1(t, init_norm=c["init"], **kw0),
        "proposition1": tb.proposition1(t, n_tokens=c["V"], zero_init=True, **kw0),
        "lemma3": tb.lemma3(t, zero_init=True),
        "corollary1": tb.corollary1(t, n_tokens=c["V"], zero_init=True, **kw0),
        "lemma5": tb.lemma5(t, L_max=c["L"], zero_init=True, assumption3=True),
        "lemma6": tb.lemma6(t, eta=c["eta"], L_max=c["L"], star_norm_kq=c["s_kq"], phi_plus_min=c["phi"],
                            init_norm=c["init"], zero_init=True, assumption3=True),
        "lemma7": tb.lemma7(t, eta=c["eta"], N=c["N"], L_max=c["L"], star_norm_kq=c["s_kq"], norm_kq=c["w"],
                            ugrad_Wstar=c["g"], zero_init=True, assumption3=True),
        "theorem1": tb.theorem1(t, eta=c["eta"], N=c["N"], L_max=c["L"], star_norm_kq=c["s_kq"], zero_init=True,
                                assumption3=True),
        "theorem2": tb.theorem2(t, N=c["N"], **kw2),
        "theorem2_direction_form": tb.theorem2_direction_form(t, dir_err_kq=c["err"], **kw2),
        "lemma2": tb.lemma2(t, norm_ov=c["w"], ug1_Wstarbar=c["g"], star_norm_ov=c["s_ov"], n_tokens=c["V"]),
        "proposition3": tb.proposition3(t, n_tokens=c["V"], zero_init=True, **kw0),
    }


def _agree(bounds, expected):
    if len(bounds) != len(expected):
        return False
    for b, (field, sense, value) in zip(bounds, expected):
        if b.field != field or b.sense != sense:
            return False
        if not np.allclose(b.value, value, rtol=RTOL, atol=1e-300, equal_nan=True):
            return False
    return True


@pytest.mark.parametrize("name", sorted(_transcribed(_constants(0))))
def test_statement_matches_its_transcription(name):
    for seed in range(5):
        c = _constants(seed)
        assert _agree(_library(c)[name], _transcribed(c)[name]), (name, seed)


MUTATIONS = {
    "bound x 0.5 (e.g. Lemma 6's correlation halved)": lambda v: 0.5 * v,
    "bound x 1.001": lambda v: v * 1.001 + 1e-3,
    "constant off by one": lambda v: v + 1.0,
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_the_comparison_catches_a_changed_bound(mutation):
    c = _constants(1)
    lib, exp = _library(c), _transcribed(c)
    for name, bounds in lib.items():
        for k, b in enumerate(bounds):
            value = MUTATIONS[mutation](np.asarray(b.value))
            changed = list(bounds)
            changed[k] = tb.Bound(b.statement, b.quantity, b.field, b.sense, value, b.conditions, b.printed,
                                  b.erratum, b.corrects)
            if not np.array_equal(value, b.value, equal_nan=True):       # a zero bound has no factor to change
                assert not _agree(changed, exp[name]), (mutation, name, b.quantity)
            flipped = list(bounds)
            flipped[k] = tb.Bound(b.statement, b.quantity, b.field, {"<=": ">=", ">=": "<="}[b.sense], b.value,
                                  b.conditions, b.printed, b.erratum, b.corrects)
            assert not _agree(flipped, exp[name]), ("flipped", name, b.quantity)


def test_conditions_follow_the_printed_thresholds():
    """The conditions that are thresholds in t: Proposition 1/3 from t = 2, Lemma 7 from t_0, Theorem 1 from
    t = 2 with eta <= ||W*_kq||/e, Corollary 1 from the Library-rule threshold of 384 ||W*_ov||^5 log(2|V|)/eta0."""
    c = _constants(2)
    t = c["t"]
    lib = _library(c)
    assert all(np.array_equal(b.conditions, t >= 2) for b in lib["proposition3"])
    t0 = math.ceil(8 * c["L"] * c["s_kq"] ** 2 / c["eta"])
    assert np.array_equal(lib["lemma7"][0].conditions, t >= t0)
    assert np.array_equal(lib["theorem1"][0].conditions, (t >= 2) & (c["eta"] <= c["s_kq"] / math.e))
    assert np.array_equal(lib["theorem1"][3].conditions, t >= 2)           # erratum theorem1-step-size: any eta
    K = 384 * c["s_ov"] ** 5 * math.log(2 * c["V"]) / c["eta0"]
    assert np.array_equal(lib["corollary1"][0].conditions, t >= tb.log_threshold(K, 1))
    assert np.array_equal(lib["lemma2"][0].conditions, c["w"] > 0)
