"""Section 4.1 as code: Definition 1, token types, Assumptions 1-3, regeneration, Section 6's extended order.

Every check compares the library against the paper's worked example (by hand)
or against a brute-force transcription of the definitions written here.
"""

from itertools import combinations_with_replacement

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import near_miss_datasets, realizable_datasets, small_datasets

from reference import Dataset, Vocabulary
from reference.errors import AssumptionError, ConfigError, VocabularyError
from reference.structure.assumptions import check_assumptions
from reference.structure.extended import extended_order, unseen_predictions
from reference.structure.generate import example1
from reference.structure.orders import collocation, optimal_mask, optimal_positions, query_orders
from reference.structure.regeneration import next_token_from_orders, regenerate

TYPES = ("optimal", "non_optimal", "non_comparable", "confused")


# ------------------------------------------------------------------ brute force (the definitions, literally)
def brute_orders(ds, In):
    """Definition 1 by loops: {q: set of (i, j)} over every sentence and every pair of its tokens."""
    rel = {}
    for s, y in zip(ds.sentences, ds.y):
        R = rel.setdefault(int(s[-1]), set())
        for i in s:
            for j in s:
                if In[i] == y and In[j] != y:
                    R.add((int(i), int(j)))
    return rel


def brute_types(pairs, V):
    """Disjoint types from a relation: (something above, something below) -> type."""
    out = {k: [] for k in TYPES}
    for x in range(V):
        a, b = any(j == x for _, j in pairs), any(i == x for i, _ in pairs)
        out["confused" if a and b else "optimal" if b else "non_optimal" if a else "non_comparable"].append(x)
    return {k: tuple(v) for k, v in out.items()}


def _matrix(pairs, V):
    R = np.zeros((V, V), bool)
    for i, j in pairs:
        R[i, j] = True
    return R


def closure(pairs, V):
    """Transitive closure as a boolean matrix (Warshall)."""
    R = _matrix(pairs, V)
    for k in range(V):
        R |= R[:, [k]] & R[[k], :]
    return R


def names(ds, idx):
    return {ds.vocab.tokens[i] for i in idx}


# ------------------------------------------------------------------ Example 1 by hand (docs/paper.md section 4)
def test_example1_collocation_orders_and_types():
    ds = example1()
    t = ds.vocab.tokens
    assert {t[i]: t[j] for i, j in enumerate(collocation(ds))} == {"S": "V", "V": "O", "O": "P", "P": "S"}
    orders = query_orders(ds)
    got = {(t[a], t[q], t[b]) for q, o in orders.items() for a, b in o.pairs}
    assert got == {("S", "S", "P"), ("V", "V", "S"), ("O", "O", "S"), ("O", "O", "V"), ("O", "P", "P")}
    by_hand = {  # query: (optimal, non-optimal, non-comparable), worked in docs/structure.md
        "S": ({"S"}, {"P"}, {"V", "O"}), "V": ({"V"}, {"S"}, {"O", "P"}),
        "O": ({"O"}, {"S", "V"}, {"P"}), "P": ({"O"}, {"P"}, {"S", "V"})}
    for q, (O, N, M) in by_hand.items():
        o = orders[ds.vocab.index(q)]
        assert (names(ds, o.optimal), names(ds, o.non_optimal), names(ds, o.non_comparable)) == (O, N, M)
        assert o.confused == ()
    # l(n): the optimal position of "S V O" (next P = n(O)) is the third, of "O P" (next P) the first
    pos = {ds.sentence_text(n): p.tolist() for n, p in enumerate(optimal_positions(ds))}
    assert pos["S V O"] == [2] and pos["O P"] == [0] and pos["P S"] == [1] and pos["S"] == [0]


def test_example1_extended_order_and_example2():
    ds = example1()
    t = ds.vocab.tokens
    e = extended_order(ds)[ds.vocab.index("P")]
    assert (names(ds, e.optimal), names(ds, e.non_comparable), names(ds, e.non_optimal)) == \
        ({"O"}, {"S", "V"}, {"P"})
    got = {(tuple(sorted(t[i] for i in p.sentence)), t[p.sentence[-1]]): t[p.next]
           for p in unseen_predictions(ds, max_length=3)}
    # Example 2: SP -> V, OSP -> P, VP -> O (as multisets with the query P last)
    assert got[(("P", "S"), "P")] == "V"
    assert got[(("O", "P", "S"), "P")] == "P"
    assert got[(("P", "V"), "P")] == "O"


def test_example1_passes_every_check():
    r = check_assumptions(example1(), strict=True)
    assert r.ok and r.prefix_closed and r.failed == () and all(e.ok for e in r.entries)
    assert {e.name for e in r.entries} == {"collocation", "strict_order", "no_confused", "assumption3",
                                          "orthonormal", "prefix_closed"}


# ------------------------------------------------------------------ Definition 1 against brute force
@given(small_datasets(with_collocation=True))
def test_query_orders_equal_brute_force(ds):
    In = collocation(ds)
    rel = brute_orders(ds, In)
    orders = query_orders(ds)
    assert set(orders) == set(rel)
    for q, o in orders.items():
        assert o.pairs == frozenset(rel[q])
        assert {k: getattr(o, k) for k in TYPES} == brute_types(rel[q], ds.vocab.n_tokens)
        assert o.sentences == tuple(n for n in range(ds.N) if ds.queries[n] == q)
        for (i, j), n in o.witness.items():          # the witness sentence generates the pair
            s = ds.sentences[n]
            assert s[-1] == q and i in s and j in s and In[i] == ds.y[n] != In[j]


@given(small_datasets(with_collocation=True))
def test_relation_is_irreflexive_and_types_survive_transitive_closure(ds):
    V = ds.vocab.n_tokens
    for o in query_orders(ds).values():
        assert all(i != j for i, j in o.pairs)      # n(x) = y and n(x) != y cannot both hold
        R = closure(o.pairs, V)
        closed = {(int(i), int(j)) for i, j in zip(*np.nonzero(R))}
        assert brute_types(closed, V) == {k: getattr(o, k) for k in TYPES}
        on_cycle = np.flatnonzero(np.diag(R))
        assert set(on_cycle.tolist()) <= set(o.confused)   # a cycle makes its tokens confused


@given(realizable_datasets(allow_degenerate=True))
def test_orders_of_realizable_data_are_strict_partial_orders(ds):
    V = ds.vocab.n_tokens
    for o in query_orders(ds).values():
        R = closure(o.pairs, V)
        assert not np.diag(R).any()                                     # irreflexive closure: acyclic
        assert np.array_equal(R, _matrix(o.pairs, V))                  # already transitive
        assert o.confused == ()


def test_optimal_mask_is_n_of_token_equal_next():
    ds = example1()
    In = collocation(ds)
    M = optimal_mask(ds)
    for n, s in enumerate(ds.sentences):
        assert M[n, :s.size].tolist() == [bool(In[x] == ds.y[n]) for x in s]
        assert not M[n, s.size:].any()


# ------------------------------------------------------------------ regeneration
@given(realizable_datasets(allow_degenerate=True))
def test_regeneration_reproduces_realizable_data(ds):
    assert np.array_equal(regenerate(ds), ds.y)


@given(small_datasets(with_collocation=True))
def test_regeneration_fails_exactly_where_the_optimal_token_is_not_of_optimal_type(ds):
    """With an injective n, a sentence with an optimal token x* is regenerated iff it has one
    distinct token or x* is of optimal type under its query (docs/structure.md)."""
    In = collocation(ds)
    orders = query_orders(ds)
    y_hat = regenerate(ds)
    for n, s in enumerate(ds.sentences):
        opt = {int(x) for x in s if In[x] == ds.y[n]}
        if not opt:
            continue
        (x_star,) = opt
        expected = len(set(s.tolist())) == 1 or x_star in orders[int(s[-1])].optimal
        assert (y_hat[n] == ds.y[n]) == expected


# ------------------------------------------------------------------ check_assumptions
@settings(max_examples=60)
@given(realizable_datasets(allow_degenerate=True))
def test_generated_data_passes_every_check(ds):
    r = check_assumptions(ds, strict=True)
    assert r.ok and r.failed_assumptions == ()


@pytest.mark.parametrize("assumption", ["1(i)", "1(ii)", "2", "3"])
@settings(max_examples=20)
@given(data=st.data())
def test_near_miss_fails_exactly_the_broken_assumption_and_names_its_tokens(assumption, data):
    nm = data.draw(near_miss_datasets(assumption=assumption))
    assert nm.assumption == assumption
    r = check_assumptions(nm.ds)
    assert not r.ok and r.failed_assumptions == (nm.assumption,)
    failed = [e for e in r.entries if not e.ok and not e.informational]
    if nm.kind == "confused":
        assert [e.name for e in failed] == ["no_confused"]      # confused without a cycle
    if nm.kind == "cycle":
        assert [e.name for e in failed] == ["strict_order", "no_confused"]
    text = " ".join(m for e in failed for m in e.details)
    for tok in nm.tokens:
        assert repr(tok) in text
    # what each construction breaks, and how often (docs/structure.md, "Hypothesis strategies")
    (entry,) = failed if nm.kind not in ("cycle", "confused") else failed[:1]
    one, phrase = NEAR_MISS_EFFECT[nm.kind]
    assert all(phrase in m for m in entry.details)
    if one:
        assert len(entry.violations) == 1
    if nm.kind == "confused":                                    # the named optimal token is the confused one
        assert nm.tokens[0] in {v.tokens[0] for v in entry.violations}
    with pytest.raises(AssumptionError) as err:
        check_assumptions(nm.ds, strict=True)
    first = str(err.value)
    assert f"Assumption {nm.assumption}" in first
    assert any(repr(tok) in first for tok in nm.tokens)


#: kind -> (the broken entry has exactly one violation, a phrase every one of its messages contains).
#: One: a single added sample or embedding breaks it, and for the cycle every new pair leaves the token b,
#: so every cycle passes through b and lies in one strongly connected component.
NEAR_MISS_EFFECT = {"missing": (True, "no one-token sample"), "not_injective": (True, "not injective"),
                    "confused": (False, "is confused"), "cycle": (True, "has a cycle"),
                    "orthonormal": (True, "inner product"), "outnumbered": (True, "the non-optimal"),
                    "absent": (True, "no optimal token")}


def test_regeneration_rule_rejects_bad_sentences():
    ds = example1()
    In, orders = collocation(ds), query_orders(ds)
    with pytest.raises(VocabularyError, match="empty sentence"):
        next_token_from_orders([], orders, In)
    with pytest.raises(VocabularyError, match="token index 4"):
        next_token_from_orders([0, 4], orders, In)


def _samples(rows, tokens="abcd"):
    return Dataset.from_samples(rows, vocab=Vocabulary(list(tokens)))


#: collocation a -> b -> c -> d -> a for the hand-made datasets below
COLLOC = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")]


def test_assumption3_reports_sentence_and_counts():
    ds = _samples(COLLOC + [("b b a c", "b"), ("a b c", "d"), ("c c d", "a")])
    e = check_assumptions(ds)["assumption3"]
    assert not e.ok and len(e.violations) == 2
    v1, v2 = e.violations
    # "b b a c" -> b = n(a): a once, b twice
    assert "'b b a c'" in v1.message and "'a' occurs 1 time(s)" in v1.message and "'b' 2 times" in v1.message
    assert v1.tokens == ("b",) and ds.sentence_text(v1.sentence) == "b b a c"
    # "c c d" -> a = n(d): d once, c twice
    assert "'c c d'" in v2.message and "'c' 2 times" in v2.message
    # "a b c" -> d = n(c) satisfies Assumption 3 and is not listed
    assert all("'a b c'" not in m for m in e.details)


def test_assumption3_sentence_without_optimal_token():
    ds = _samples(COLLOC + [("a c", "a")])        # a = n(d), and d is absent
    e = check_assumptions(ds)["assumption3"]
    assert not e.ok and "no optimal token" in e.details[0] and set(e.violations[0].tokens) == {"a", "c"}


def test_collocation_lists_every_missing_and_colliding_token():
    ds = _samples([("a", "b"), ("b", "b"), ("c a", "b")])       # no [c], no [d]; n(a) = n(b) = b
    e = check_assumptions(ds)["collocation"]
    assert not e.ok and len(e.violations) == 3
    text = " ".join(e.details)
    assert "'c'" in text and "'d'" in text and "n('a') = n('b') = 'b'" in text
    with pytest.raises(AssumptionError, match="'c'"):
        check_assumptions(ds, strict=True)


def test_cycle_is_listed_with_its_witnesses():
    # under query d: a > b (next n(a) = b) and b > c and c > a: a 3-cycle, all confused
    ds = _samples(COLLOC + [("a b d", "b"), ("b c d", "c"), ("c a d", "d")])
    r = check_assumptions(ds)
    (v,) = r["strict_order"].violations
    assert set(v.tokens) == {"a", "b", "c"} and v.query == "d"
    assert "'a' > 'b' > 'c' > 'a'" in v.message
    assert {x.tokens[0] for x in r["no_confused"].violations} == {"a", "b", "c"}
    assert r.failed_assumptions == ("1(ii)",)


def test_orthonormal_entry():
    ds = example1()
    E = np.eye(4)
    E[:, 2] *= 2.0
    r = check_assumptions(ds.with_vocab(Vocabulary(ds.vocab.tokens, E, allow_non_orthonormal=True)))
    assert r.failed_assumptions == ("2",) and "'O'" in r["orthonormal"].details[0]
    thin = Vocabulary(ds.vocab.tokens, np.ones((3, 4)), allow_non_orthonormal=True)
    assert "d = 3 < abs(V) = 4" in check_assumptions(ds.with_vocab(thin))["orthonormal"].details[0]


def test_prefix_closedness_is_information_only():
    ds = _samples(COLLOC + [("a b c", "d"), ("b a", "c")])      # [a b] missing; "b a" -> c fine otherwise
    r = check_assumptions(ds)
    assert r.ok and not r.prefix_closed
    assert any("'a b'" in m for m in r["prefix_closed"].details)
    # a prefix with a different next token: [a] -> b but "a c" continues a with c
    r2 = check_assumptions(_samples(COLLOC + [("a c", "d")]))
    assert any("followed by 'b'" in m for m in r2["prefix_closed"].details)


# ------------------------------------------------------------------ Section 6: extended order, Theorem 3
def brute_predictions(ds, max_length):
    """Theorem 3's predictions by classifying every multiset with the query last."""
    In, orders, V = collocation(ds), query_orders(ds), ds.vocab.n_tokens
    seen = {(int(s[-1]), tuple(sorted(s.tolist()))) for s in ds.sentences}
    out = {}
    for q, o in orders.items():
        for L in range(1, max_length + 1):
            for body in combinations_with_replacement(range(V), L - 1):
                full = body + (q,)
                if (q, tuple(sorted(full))) in seen:
                    continue
                present = set(full)
                top, mid = present & set(o.optimal), present & set(o.non_comparable)
                if len(top) == 1:
                    out[(q, tuple(sorted(full)))] = In[top.pop()]
                elif not top and len(mid) == 1 and present - mid <= set(o.non_optimal):
                    out[(q, tuple(sorted(full)))] = In[mid.pop()]
    return out


@settings(max_examples=25)
@given(realizable_datasets(allow_degenerate=True))
def test_unseen_predictions_equal_brute_force(ds):
    got = {}
    for p in unseen_predictions(ds, max_length=3):
        key = (p.query, tuple(sorted(p.sentence)))
        assert key not in got and p.sentence[-1] == p.query
        got[key] = p.next
        orders = query_orders(ds)
        assert next_token_from_orders(p.sentence, orders, collocation(ds), extended=True) == p.next
    assert got == brute_predictions(ds, 3)


@given(realizable_datasets(allow_degenerate=True))
def test_extended_order_contains_definition1_and_partitions_V(ds):
    orders = query_orders(ds)
    for q, e in extended_order(ds).items():
        assert orders[q].pairs <= e.pairs
        assert sorted(e.optimal + e.non_comparable + e.non_optimal) == list(range(ds.vocab.n_tokens))
        for i, j in e.pairs:
            assert e.tier(i) > e.tier(j)


@settings(max_examples=20)
@given(near_miss_datasets(assumption="1(ii)"))
def test_extended_order_refuses_confused_tokens(nm):
    with pytest.raises(AssumptionError, match="confused"):
        extended_order(nm.ds)


def test_unseen_predictions_bound_must_be_a_positive_integer():
    with pytest.raises(ConfigError, match="max_length"):
        next(unseen_predictions(example1(), max_length=0))


def test_a_given_collocation_is_validated():
    ds = example1()
    In = collocation(ds)
    for bad, what in ((In[:3], "shape"), (In.astype(float), "dtype"), (np.where(In == 0, 4, In), "In\\[")):
        for fn in (optimal_mask, query_orders):
            with pytest.raises(VocabularyError, match=what):
                fn(ds, bad)
